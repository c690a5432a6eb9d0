"""Makes nn_goldens.json: TF's outputs for the conv / pool / norm / pad / resize kernels.

NEEDS TENSORFLOW. Run with the TF 2.21 oracle venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/kernels/make_nn_goldens.py

Each case is run twice by TensorFlow:
1. as in make_kernel_goldens.py (whose encoders and runner this script imports): every value
   input is a placeholder of unknown shape, so only the kernel judges it; this records the
   inputs, attrs and outputs (or the kernel's error class and message);
2. with static shapes (data inputs as placeholders of the case's shape, the small int
   configuration inputs -- paddings, sizes, input_sizes, ksize, strides -- as constants),
   recording what TF's shape functions infer for every output (``static_shapes``, unknown
   dims as null) or the ValueError they raise at graph construction (``static_error``).
Cases whose attrs TF refuses even without shapes keep their inputs, their given attrs and
TF's message (``construction_error``). Finally ``wrappers`` records, for TF1 API calls
(``tf.compat.v1.nn.conv2d`` ...), the node TF builds (name, type, attrs), its static shape
and its values.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import attr_value_pb2
from tensorflow.python.framework import op_def_registry

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_kernel_goldens as base  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "nn_goldens.json")

f16, f32, f64 = np.float16, np.float32, np.float64
i8, i16, i32, i64, u8, u16 = np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16
bf16 = tf.bfloat16.as_numpy_dtype
RNG = np.random.default_rng(7)

CONFIG_INPUTS = {"paddings", "size", "input_sizes", "ksize", "strides", "constant_values"}
CASES: list[tuple[str, dict[str, Any]]] = []


def case(op: str, **kwargs: Any) -> None:
    CASES.append((op, kwargs))


def rnd(*shape: int, dtype: Any = f32) -> np.ndarray:
    """Random values of ``dtype``: small ints for integer types, normals for floats."""
    if np.dtype(dtype).kind in "iu":
        low = 0 if np.dtype(dtype).kind == "u" else -4
        return RNG.integers(low, 5, size=shape).astype(dtype)
    return RNG.standard_normal(shape).astype(np.float32).astype(dtype)


def a(values: Any, dtype: Any = i32) -> np.ndarray:
    return np.array(values, dtype=dtype)


S1, S2 = [1, 1, 1, 1], [1, 2, 2, 1]

# ---- Conv2D
for dt in (f16, bf16, f32, f64, i32):
    case(
        "Conv2D",
        input=rnd(2, 5, 6, 3, dtype=dt),
        filter=rnd(3, 3, 3, 4, dtype=dt),
        strides=S1,
        padding="SAME",
    )
for pad in ("SAME", "VALID"):
    for strides in (S1, S2, [1, 3, 2, 1]):
        case("Conv2D", input=rnd(2, 7, 8, 3), filter=rnd(3, 2, 3, 5), strides=strides, padding=pad)
    case(
        "Conv2D",
        input=rnd(1, 9, 9, 2),
        filter=rnd(3, 3, 2, 3),
        strides=S1,
        padding=pad,
        dilations=[1, 2, 3, 1],
    )
    case(
        "Conv2D",
        input=rnd(1, 9, 9, 2),
        filter=rnd(2, 3, 2, 3),
        strides=S2,
        padding=pad,
        dilations=[1, 2, 2, 1],
    )
case(
    "Conv2D",
    input=rnd(2, 6, 5, 3),
    filter=rnd(3, 3, 3, 4),
    strides=S2,
    padding="EXPLICIT",
    explicit_paddings=[0, 0, 1, 2, 0, 3, 0, 0],
)
case(
    "Conv2D",
    input=rnd(1, 6, 5, 2),
    filter=rnd(2, 2, 2, 2),
    strides=S1,
    padding="EXPLICIT",
    explicit_paddings=[0, 0, 0, 0, 2, 1, 0, 0],
    dilations=[1, 2, 1, 1],
)
case("Conv2D", input=rnd(2, 6, 6, 8), filter=rnd(1, 1, 8, 5), strides=S1, padding="SAME")
case("Conv2D", input=rnd(2, 7, 7, 8), filter=rnd(1, 1, 8, 5), strides=S2, padding="VALID")
case("Conv2D", input=rnd(1, 5, 5, 6), filter=rnd(3, 3, 2, 4), strides=S1, padding="SAME")
case("Conv2D", input=rnd(1, 5, 5, 6), filter=rnd(3, 3, 3, 6), strides=S2, padding="VALID")
case("Conv2D", input=rnd(0, 5, 5, 3), filter=rnd(3, 3, 3, 4), strides=S1, padding="SAME")
case("Conv2D", input=rnd(2, 5, 5, 0), filter=rnd(3, 3, 0, 4), strides=S1, padding="SAME")
case("Conv2D", input=rnd(2, 5, 5, 3), filter=rnd(3, 3, 3, 0), strides=S1, padding="SAME")
case("Conv2D", input=rnd(1, 2, 2, 3), filter=rnd(3, 3, 3, 4), strides=S1, padding="VALID")
case("Conv2D", input=rnd(1, 5, 5, 3), filter=rnd(3, 3, 4, 4), strides=S1, padding="SAME")
case("Conv2D", input=rnd(5, 5, 3), filter=rnd(3, 3, 3, 4), strides=S1, padding="SAME")
case("Conv2D", input=rnd(1, 5, 5, 3), filter=rnd(3, 3, 3), strides=S1, padding="SAME")
case("Conv2D", input=rnd(1, 5, 5, 3), filter=rnd(3, 3, 3, 4), strides=[1, 1, 1], padding="SAME")
case("Conv2D", input=rnd(1, 5, 5, 3), filter=rnd(3, 3, 3, 4), strides=[2, 1, 1, 1], padding="SAME")
case(
    "Conv2D",
    input=rnd(1, 5, 5, 3),
    filter=rnd(3, 3, 3, 4),
    strides=S1,
    padding="EXPLICIT",
    explicit_paddings=[0, 0, -1, 0, 0, 0, 0, 0],
)
case(
    "Conv2D",
    input=rnd(1, 3, 5, 5),
    filter=rnd(3, 3, 3, 4),
    strides=S1,
    padding="SAME",
    data_format="NCHW",
)

# ---- DepthwiseConv2dNative
for dt in (f16, bf16, f32, f64):
    case(
        "DepthwiseConv2dNative",
        input=rnd(2, 6, 5, 3, dtype=dt),
        filter=rnd(3, 3, 3, 2, dtype=dt),
        strides=S1,
        padding="SAME",
    )
for pad in ("SAME", "VALID"):
    case(
        "DepthwiseConv2dNative",
        input=rnd(2, 9, 8, 4),
        filter=rnd(3, 3, 4, 1),
        strides=S2,
        padding=pad,
    )
    case(
        "DepthwiseConv2dNative",
        input=rnd(1, 9, 8, 2),
        filter=rnd(3, 2, 2, 3),
        strides=[1, 1, 2, 1],
        padding=pad,
        dilations=[1, 2, 2, 1],
    )
case(
    "DepthwiseConv2dNative",
    input=rnd(2, 7, 6, 3),
    filter=rnd(3, 3, 3, 1),
    strides=S1,
    padding="SAME",
    dilations=[1, 2, 2, 1],
)
case(
    "DepthwiseConv2dNative",
    input=rnd(1, 9, 9, 2),
    filter=rnd(2, 2, 2, 3),
    strides=[1, 3, 3, 1],
    padding="SAME",
)
case(
    "DepthwiseConv2dNative",
    input=rnd(1, 6, 6, 2),
    filter=rnd(3, 3, 2, 2),
    strides=S1,
    padding="EXPLICIT",
    explicit_paddings=[0, 0, 2, 0, 1, 1, 0, 0],
)
case(
    "DepthwiseConv2dNative",
    input=rnd(0, 4, 4, 2),
    filter=rnd(3, 3, 2, 1),
    strides=S1,
    padding="SAME",
)
case(
    "DepthwiseConv2dNative",
    input=rnd(1, 4, 4, 2),
    filter=rnd(3, 3, 3, 1),
    strides=S1,
    padding="SAME",
)
case(
    "DepthwiseConv2dNative",
    input=rnd(1, 2, 4, 4),
    filter=rnd(3, 3, 2, 1),
    strides=S1,
    padding="SAME",
    data_format="NCHW",
)
case(
    "DepthwiseConv2dNative", input=rnd(4, 4, 2), filter=rnd(3, 3, 2, 1), strides=S1, padding="SAME"
)

# ---- Conv2DBackpropInput (transposed convolution)
for dt in (f16, bf16, f32, f64, i32):
    case(
        "Conv2DBackpropInput",
        input_sizes=a([2, 6, 5, 3]),
        filter=rnd(3, 3, 3, 4, dtype=dt),
        out_backprop=rnd(2, 6, 5, 4, dtype=dt),
        strides=S1,
        padding="SAME",
    )
case(
    "Conv2DBackpropInput",
    input_sizes=a([2, 7, 8, 3]),
    filter=rnd(3, 3, 3, 4),
    out_backprop=rnd(2, 4, 4, 4),
    strides=S2,
    padding="SAME",
)
case(
    "Conv2DBackpropInput",
    input_sizes=a([1, 8, 8, 2]),
    filter=rnd(3, 3, 2, 4),
    out_backprop=rnd(1, 3, 3, 4),
    strides=S2,
    padding="VALID",
)
case(
    "Conv2DBackpropInput",
    input_sizes=a([1, 9, 7, 2]),
    filter=rnd(2, 3, 2, 3),
    out_backprop=rnd(1, 3, 3, 3),
    strides=[1, 3, 2, 1],
    padding="VALID",
)
case(
    "Conv2DBackpropInput",
    input_sizes=a([1, 6, 6, 2]),
    filter=rnd(3, 3, 2, 3),
    out_backprop=rnd(1, 4, 3, 3),
    strides=S2,
    padding="EXPLICIT",
    explicit_paddings=[0, 0, 1, 0, 0, 1, 0, 0],
)
case(
    "Conv2DBackpropInput",
    input_sizes=a([1, 7, 7, 2]),
    filter=rnd(3, 3, 2, 3),
    out_backprop=rnd(1, 3, 3, 3),
    strides=S1,
    padding="VALID",
    dilations=[1, 2, 2, 1],
)
case(
    "Conv2DBackpropInput",
    input_sizes=a([6, 5]),
    filter=rnd(3, 3, 3, 4),
    out_backprop=rnd(2, 6, 5, 4),
    strides=S1,
    padding="SAME",
)
case(
    "Conv2DBackpropInput",
    input_sizes=a([2, 6, 5, 3]),
    filter=rnd(1, 1, 3, 4),
    out_backprop=rnd(2, 3, 3, 4),
    strides=S2,
    padding="SAME",
)
case(
    "Conv2DBackpropInput",
    input_sizes=a([0, 6, 5, 3]),
    filter=rnd(3, 3, 3, 4),
    out_backprop=rnd(0, 6, 5, 4),
    strides=S1,
    padding="SAME",
)
case(
    "Conv2DBackpropInput",
    input_sizes=a([2, 6, 5, 3]),
    filter=rnd(3, 3, 3, 4),
    out_backprop=rnd(2, 5, 5, 4),
    strides=S1,
    padding="SAME",
)
case(
    "Conv2DBackpropInput",
    input_sizes=a([2, 6, 5, 3]),
    filter=rnd(3, 3, 2, 4),
    out_backprop=rnd(2, 6, 5, 4),
    strides=S1,
    padding="SAME",
)
case(
    "Conv2DBackpropInput",
    input_sizes=a([2, 3, 6, 5]),
    filter=rnd(3, 3, 3, 4),
    out_backprop=rnd(2, 4, 6, 5),
    strides=S1,
    padding="SAME",
    data_format="NCHW",
)

# ---- Conv3D
C3 = [1, 1, 1, 1, 1]
for dt in (f16, bf16, f32, f64):
    case(
        "Conv3D",
        input=rnd(2, 4, 5, 4, 2, dtype=dt),
        filter=rnd(2, 3, 2, 2, 3, dtype=dt),
        strides=C3,
        padding="SAME",
    )
for pad in ("SAME", "VALID"):
    case(
        "Conv3D",
        input=rnd(1, 6, 5, 7, 3),
        filter=rnd(3, 2, 3, 3, 2),
        strides=[1, 2, 1, 2, 1],
        padding=pad,
    )
    case(
        "Conv3D",
        input=rnd(1, 6, 6, 6, 2),
        filter=rnd(2, 2, 2, 2, 2),
        strides=C3,
        padding=pad,
        dilations=[1, 2, 1, 2, 1],
    )
case("Conv3D", input=rnd(1, 3, 3, 3, 2), filter=rnd(1, 1, 1, 2, 4), strides=C3, padding="VALID")
case("Conv3D", input=rnd(0, 3, 3, 3, 2), filter=rnd(2, 2, 2, 2, 4), strides=C3, padding="SAME")
case("Conv3D", input=rnd(1, 3, 3, 3, 2), filter=rnd(2, 2, 2, 3, 4), strides=C3, padding="SAME")
case(
    "Conv3D",
    input=rnd(1, 2, 3, 3, 3),
    filter=rnd(2, 2, 2, 2, 4),
    strides=C3,
    padding="SAME",
    data_format="NCDHW",
)

# ---- MaxPool / MaxPoolV2 / AvgPool
K2 = [1, 2, 2, 1]
K3 = [1, 3, 3, 1]
for dt in (f16, bf16, f32, f64, i32, i64, u8, i8, i16, u16):
    case("MaxPool", input=rnd(2, 5, 6, 3, dtype=dt), ksize=K3, strides=S2, padding="SAME")
for dt in (f16, bf16, f32, f64):
    case("AvgPool", value=rnd(2, 5, 6, 3, dtype=dt), ksize=K3, strides=S2, padding="SAME")
for pad in ("SAME", "VALID"):
    for ksize, strides in ((K2, S2), (K3, S1), ([1, 3, 2, 1], [1, 2, 3, 1]), (K3, [1, 4, 4, 1])):
        case("MaxPool", input=rnd(2, 7, 8, 3), ksize=ksize, strides=strides, padding=pad)
        case("AvgPool", value=rnd(2, 7, 8, 3), ksize=ksize, strides=strides, padding=pad)
        case("MaxPoolV2", input=rnd(2, 7, 8, 3), ksize=a(ksize), strides=a(strides), padding=pad)
case(
    "MaxPool",
    input=rnd(1, 6, 6, 2),
    ksize=K3,
    strides=S2,
    padding="EXPLICIT",
    explicit_paddings=[0, 0, 1, 1, 2, 0, 0, 0],
)
case(
    "MaxPool",
    input=a([[[[1.0], [np.nan]], [[3.0], [-np.inf]]]], f32),
    ksize=K2,
    strides=S1,
    padding="SAME",
)
case("MaxPool", input=-np.abs(rnd(1, 4, 4, 2)) - 5, ksize=K3, strides=S2, padding="SAME")
case("MaxPool", input=rnd(1, 4, 4, 6), ksize=[1, 1, 1, 3], strides=[1, 1, 1, 3], padding="VALID")
case("AvgPool", value=rnd(1, 4, 4, 6), ksize=[1, 1, 1, 3], strides=[1, 1, 1, 3], padding="VALID")
case("MaxPool", input=rnd(0, 4, 4, 2), ksize=K2, strides=S2, padding="SAME")
case("AvgPool", value=rnd(2, 4, 4, 0), ksize=K2, strides=S2, padding="VALID")
case("MaxPool", input=rnd(1, 2, 2, 1), ksize=K3, strides=S1, padding="VALID")
case("AvgPool", value=rnd(1, 2, 2, 1), ksize=K3, strides=S1, padding="VALID")
case("MaxPool", input=rnd(2, 4, 4), ksize=K2, strides=S2, padding="VALID")
case("AvgPool", value=rnd(2, 4, 4), ksize=K2, strides=S2, padding="VALID")
case("MaxPool", input=rnd(2, 4, 4, 1), ksize=[2, 2, 2, 1], strides=S2, padding="VALID")
case("MaxPool", input=rnd(2, 4, 4, 1), ksize=[1, 2, 2], strides=S2, padding="VALID")
case("AvgPool", value=rnd(2, 4, 4, 1), ksize=K2, strides=[1, 0, 2, 1], padding="VALID")
case("MaxPoolV2", input=rnd(2, 4, 4, 1), ksize=a([1, 2, 2]), strides=a(S2), padding="VALID")
case(
    "MaxPool",
    input=rnd(1, 2, 4, 4),
    ksize=[1, 1, 2, 2],
    strides=[1, 1, 2, 2],
    padding="VALID",
    data_format="NCHW",
)
case(
    "AvgPool",
    value=rnd(1, 2, 4, 4),
    ksize=[1, 1, 2, 2],
    strides=[1, 1, 2, 2],
    padding="VALID",
    data_format="NCHW",
)

# ---- Pad / PadV2 / MirrorPad
PADS = a([[1, 2], [0, 3]])
for dt in (f16, bf16, f32, f64, i32, i64, u8, i8, i16, u16, np.bool_, np.complex64):
    x = rnd(2, 3, dtype=dt) if dt not in (np.bool_, np.complex64) else a([[1, 0, 1], [0, 0, 1]], dt)
    case("Pad", input=x, paddings=PADS)
    case("PadV2", input=x, paddings=PADS, constant_values=np.ones((), dt))
    case("MirrorPad", input=x, paddings=a([[1, 1], [2, 1]]), mode="REFLECT")
    case("MirrorPad", input=x, paddings=a([[2, 0], [3, 1]]), mode="SYMMETRIC")
case("Pad", input=base.s("a", "b"), paddings=a([[1, 1]]))
case("PadV2", input=base.s("a", "b"), paddings=a([[0, 2]]), constant_values=base.sc("z"))
case("Pad", input=rnd(2, 1, 2, 3), paddings=a([[0, 0], [1, 1], [2, 0], [0, 1]], i64))
case("Pad", input=a(5.0, f32), paddings=np.zeros((0, 2), np.int32))
case("Pad", input=rnd(0, 3), paddings=a([[1, 0], [0, 0]]))
case("Pad", input=rnd(2, 3), paddings=a([[1, -1], [0, 0]]))
case("Pad", input=rnd(2, 3), paddings=a([[1, 1]]))
case("Pad", input=rnd(2, 3), paddings=a([1, 1, 1, 1]))
case("PadV2", input=rnd(2, 3), paddings=PADS, constant_values=a([1.0, 2.0], f32))
case("MirrorPad", input=rnd(2, 3), paddings=a([[2, 0], [0, 0]]), mode="REFLECT")
case("MirrorPad", input=rnd(2, 3), paddings=a([[3, 0], [0, 0]]), mode="SYMMETRIC")
case("MirrorPad", input=rnd(2, 3), paddings=a([[-1, 0], [0, 0]]), mode="SYMMETRIC")
case("MirrorPad", input=rnd(3, 4, 5), paddings=a([[2, 2], [1, 3], [0, 4]], i64), mode="REFLECT")


# ---- FusedBatchNorm / V2 / V3
def bn_case(op: str, x: np.ndarray, training: bool, channels_last: bool = True, **kw: Any) -> None:
    """A batch-norm case; training without ``stats`` passes empty mean/variance, as Keras does."""
    c = x.shape[-1] if channels_last else x.shape[1]
    empty = training and not kw.pop("stats", False)
    mean = np.zeros(0, f32) if empty else rnd(c)
    var = np.zeros(0, f32) if empty else np.abs(rnd(c)) + 0.5
    case(op, x=x, scale=rnd(c), offset=rnd(c), mean=mean, variance=var, is_training=training, **kw)


for op in ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"):
    bn_case(op, rnd(2, 3, 4, 5), training=False, epsilon=1e-3)
    bn_case(op, rnd(2, 3, 4, 5), training=True, epsilon=1e-3)
    bn_case(op, rnd(2, 3, 4, 5), training=True, stats=True)
    bn_case(op, rnd(2, 5, 3, 4), training=True, channels_last=False, data_format="NCHW")
    bn_case(op, rnd(2, 5, 3, 4), training=False, channels_last=False, data_format="NCHW")
for op in ("FusedBatchNormV2", "FusedBatchNormV3"):
    for dt in (f16, bf16):
        bn_case(op, rnd(2, 3, 4, 5, dtype=dt), training=False)
        bn_case(op, rnd(2, 3, 4, 5, dtype=dt), training=True)
    bn_case(op, rnd(2, 3, 4, 5), training=True, exponential_avg_factor=0.25, stats=True)
    bn_case(op, rnd(2, 3, 4, 5), training=True, exponential_avg_factor=0.5)
bn_case("FusedBatchNormV3", rnd(2, 3, 2, 4, 5), training=True, data_format="NDHWC")
bn_case("FusedBatchNormV3", rnd(2, 3, 2, 4, 5), training=False, data_format="NDHWC")
bn_case(
    "FusedBatchNormV3", rnd(2, 5, 2, 3, 4), training=True, channels_last=False, data_format="NCDHW"
)
bn_case("FusedBatchNormV3", rnd(0, 3, 4, 5), training=True)
bn_case("FusedBatchNormV3", rnd(0, 3, 4, 5), training=False)
bn_case("FusedBatchNormV3", rnd(1, 1, 1, 5), training=True)
bn_case("FusedBatchNormV3", rnd(2, 3, 4, 5), training=True, exponential_avg_factor=0.3)
bn_case("FusedBatchNormV3", rnd(0, 3, 4, 5), training=True, exponential_avg_factor=0.3, stats=True)
bn_case("FusedBatchNormV3", rnd(3, 4, 5), training=False)
case(
    "FusedBatchNormV3",
    x=rnd(2, 3, 4, 5),
    scale=rnd(4),
    offset=rnd(5),
    mean=rnd(5),
    variance=rnd(5),
    is_training=False,
)
case(
    "FusedBatchNormV3",
    x=rnd(2, 3, 4, 5),
    scale=rnd(5),
    offset=rnd(5),
    mean=rnd(3),
    variance=rnd(5),
    is_training=False,
)
case(
    "FusedBatchNormV3",
    x=rnd(2, 3, 4, 5),
    scale=rnd(5),
    offset=rnd(5),
    mean=rnd(5),
    variance=rnd(5),
    is_training=True,
    exponential_avg_factor=0.5,
)
case(
    "FusedBatchNormV3",
    x=rnd(2, 3, 4, 5),
    scale=rnd(5, 1),
    offset=rnd(5),
    mean=rnd(5),
    variance=rnd(5),
    is_training=False,
)

# ---- ResizeBilinear / ResizeNearestNeighbor
MODES = ({}, {"align_corners": True}, {"half_pixel_centers": True})
for op in ("ResizeBilinear", "ResizeNearestNeighbor"):
    for dt in (f16, bf16, f32, f64, i32, i64, u8, i8, i16, u16):
        case(op, images=rnd(2, 3, 4, 2, dtype=dt), size=a([5, 7]), half_pixel_centers=True)
    for mode in MODES:
        case(op, images=rnd(1, 4, 5, 2), size=a([7, 3]), **mode)
        case(op, images=rnd(1, 4, 5, 2), size=a([8, 10]), **mode)
        case(op, images=rnd(1, 5, 6, 1), size=a([1, 1]), **mode)
        case(op, images=rnd(2, 7, 5, 3), size=a([3, 2]), **mode)
        case(op, images=rnd(1, 1, 1, 2), size=a([3, 4]), **mode)
    case(op, images=rnd(0, 3, 3, 2), size=a([4, 4]))
    case(op, images=rnd(1, 3, 3, 2), size=a([4, 4]), align_corners=True, half_pixel_centers=True)
    case(op, images=rnd(1, 3, 3, 2), size=a([0, 4]))
    case(op, images=rnd(1, 3, 3, 2), size=a([4, 4, 1]))
    case(op, images=rnd(3, 3, 2), size=a([4, 4]))
    case(op, images=rnd(1, 3, 3, 2), size=a([-1, 4]))


# ---- TF1 API wrappers: (function under tf.compat.v1, args); arrays are fed to placeholders
# named after the argument (a graph of constants would be folded away by Grappler)
X4 = rnd(2, 6, 6, 3)
WRAPPERS: list[tuple[str, dict[str, Any]]] = [
    ("nn.conv2d", {"input": X4, "filter": rnd(3, 3, 3, 4), "strides": 1, "padding": "SAME"}),
    (
        "nn.conv2d",
        {
            "input": X4,
            "filter": rnd(2, 2, 3, 2),
            "strides": [2, 1],
            "padding": [[0, 0], [1, 0], [0, 2], [0, 0]],
            "dilations": 1,
            "name": "explicit",
        },
    ),
    (
        "nn.depthwise_conv2d",
        {"input": X4, "filter": rnd(3, 3, 3, 2), "strides": [1, 2, 2, 1], "padding": "VALID"},
    ),
    (
        "nn.conv2d_transpose",
        {
            "value": rnd(2, 3, 3, 4),
            "filter": rnd(3, 3, 3, 4),
            "output_shape": [2, 6, 6, 3],
            "strides": [1, 2, 2, 1],
        },
    ),
    (
        "nn.conv3d",
        {
            "input": rnd(1, 4, 4, 4, 2),
            "filter": rnd(2, 2, 2, 2, 3),
            "strides": [1, 1, 2, 1, 1],
            "padding": "SAME",
        },
    ),
    ("nn.max_pool", {"value": X4, "ksize": 2, "strides": 2, "padding": "VALID"}),
    ("nn.max_pool", {"value": X4, "ksize": [3, 3], "strides": [1, 2], "padding": "SAME"}),
    (
        "nn.avg_pool",
        {"value": X4, "ksize": [1, 3, 3, 1], "strides": [1, 1, 1, 1], "padding": "SAME"},
    ),
    ("nn.fused_batch_norm", {"x": X4, "scale": rnd(3), "offset": rnd(3)}),
    (
        "nn.fused_batch_norm",
        {
            "x": X4,
            "scale": rnd(3),
            "offset": rnd(3),
            "mean": rnd(3),
            "variance": np.abs(rnd(3)) + 0.5,
            "is_training": False,
            "name": "bn",
        },
    ),
    ("pad", {"tensor": rnd(2, 3), "paddings": [[1, 0], [2, 2]]}),
    ("pad", {"tensor": rnd(2, 3), "paddings": [[1, 0], [2, 2]], "constant_values": 1.5}),
    ("pad", {"tensor": rnd(2, 3), "paddings": [[1, 1], [2, 2]], "mode": "reflect"}),
    ("pad", {"tensor": rnd(2, 3), "paddings": [[2, 0], [0, 3]], "mode": "SYMMETRIC"}),
    ("image.resize_bilinear", {"images": X4, "size": [4, 9], "half_pixel_centers": True}),
    ("image.resize_nearest_neighbor", {"images": X4, "size": [9, 4], "align_corners": True}),
]


def wrapper_record(api: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The node TF's TF1 API builds (name, type, attrs), its static shape and its values."""
    graph = tf.Graph()
    with graph.as_default():
        fn: Any = tf.compat.v1
        for part in api.split("."):
            fn = getattr(fn, part)
        feed = {}
        args = {}
        for k, v in kwargs.items():
            if isinstance(v, np.ndarray):
                args[k] = tf.compat.v1.placeholder(tf.as_dtype(v.dtype), v.shape, name=k)
                feed[args[k]] = v
            else:
                args[k] = v
        out = fn(**args)
        first = out[0] if isinstance(out, tuple) else out
        with tf.compat.v1.Session(graph=graph) as sess:
            values = sess.run(list(out) if isinstance(out, tuple) else [out], feed)
        op = first.op
        return {
            "api": api,
            "args": {
                k: base.encode_array(v) if isinstance(v, np.ndarray) else v
                for k, v in kwargs.items()
            },
            "name": op.name,
            "type": op.type,
            "attrs": {
                k: base64.b64encode(v.SerializeToString()).decode()
                for k, v in sorted(op.node_def.attr.items())
            },
            "shape": first.shape.as_list(),
            "outputs": [base.encode_array(v) for v in values],
        }


# --------------------------------------------------------------------------- running


def static_record(op_type: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """TF's inferred output shapes (or graph-construction error) with static input shapes."""
    graph = tf.Graph()
    with graph.as_default():
        args: dict[str, Any] = {}
        for k, v in kwargs.items():
            if not base._is_value_input(v):
                args[k] = v
            elif k in CONFIG_INPUTS:
                args[k] = tf.constant(v)
            else:
                dtype = tf.string if v.dtype.kind == "O" else tf.as_dtype(v.dtype)
                args[k] = tf.compat.v1.placeholder(dtype, shape=v.shape)
        try:
            out = getattr(tf.raw_ops, op_type)(**args)
        except ValueError as e:
            return {"static_error": str(e).split("\n")[0][:300]}
        op = out.op if hasattr(out, "op") else out[0].op
        return {
            "static_shapes": [
                t.shape.as_list() if t.shape.rank is not None else None for t in op.outputs
            ]
        }


def _attr_value(value: Any) -> Any:
    proto = attr_value_pb2.AttrValue()
    if isinstance(value, bool):
        proto.b = value
    elif isinstance(value, int):
        proto.i = value
    elif isinstance(value, float):
        proto.f = value
    elif isinstance(value, str):
        proto.s = value.encode()
    else:
        proto.list.i.extend(int(v) for v in value)
    return proto


def unbuilt_record(op_type: str, kwargs: dict[str, Any], message: str) -> dict[str, Any]:
    """A case TF refuses at graph construction: its inputs and given attrs, and TF's error."""
    op_def = op_def_registry.get(op_type)
    return {
        "op": op_type,
        "inputs": [base.encode_array(kwargs[arg.name]) for arg in op_def.input_arg],
        "attrs": {
            k: base64.b64encode(_attr_value(v).SerializeToString()).decode()
            for k, v in sorted(kwargs.items())
            if not base._is_value_input(v)
        },
        "construction_error": message,
    }


def main() -> None:
    records = []
    for i, (op_type, kwargs) in enumerate(CASES):
        try:
            rec = base.run_case(op_type, kwargs)
        except ValueError as e:  # attr errors surface at graph construction, even unshaped
            rec = unbuilt_record(op_type, kwargs, str(e).split("\n")[0][:300])
        except TypeError as e:  # the case itself is malformed: fix the table
            raise SystemExit(f"case {i} {op_type}: {e}") from e
        rec.update(static_record(op_type, kwargs))
        rec["id"] = f"{i:03d}-{op_type}"
        records.append(rec)
    wrappers = [wrapper_record(api, kwargs) for api, kwargs in WRAPPERS]
    with open(OUT, "w") as f:
        json.dump(
            {"tensorflow": tf.__version__, "cases": records, "wrappers": wrappers}, f, indent=0
        )
    errors = sum("error" in r for r in records)
    print(f"wrote {len(records)} cases ({errors} error cases) to {OUT}")


if __name__ == "__main__":
    main()
