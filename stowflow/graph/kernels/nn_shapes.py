"""Static shape functions of the nn ops (conv, pool, batch norm, pad, resize).

They follow TF's C++ shape functions (tensorflow/core/framework/common_shape_fns.cc,
tensorflow/core/ops/nn_ops.cc, image_ops.cc, array_ops.cc): unknown dims stay ``None``,
configuration inputs (paddings, sizes, ksize) count when they are constants, and
incompatible known shapes raise ``ValueError`` with TF's wording.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.graph.kernels.nn_common import text
from stowflow.graph.kernels.registry import register_shape
from stowflow.graph.shape import TensorShape, unknown_shape

Dims = list[int | None]
UNKNOWN = TensorShape(None)
_CHANNELS_FIRST = ("NCHW", "NCDHW")


def constant_value(tensor: Any) -> np.ndarray | None:
    """The value of a ``Const`` tensor (through Identity ops), else None.

    (shape_fns has a richer one, but importing it here would be circular: shape_fns
    imports the kernels package.)
    """
    op = tensor.op
    if op.type == "Identity":
        return constant_value(op.inputs[0])
    return np.asarray(op.get_attr("value")) if op.type == "Const" else None


def _with_rank(shape: TensorShape, rank: int) -> Dims:
    if shape.ndims is None:
        return [None] * rank
    if shape.ndims != rank:
        raise ValueError(f"Shape must be rank {rank} but is rank {shape.ndims}")
    return shape.as_list()


def _merge(a: int | None, b: int | None) -> int | None:
    if a is not None and b is not None and a != b:
        raise ValueError(f"Dimensions must be equal, but are {a} and {b}")
    return a if a is not None else b


def _out_dim(
    size: int | None, k: int | None, stride: int, dilation: int, padding: str, pads: tuple[int, int]
) -> int | None:
    if size is None or k is None:
        return None
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        return -(-size // stride)
    size += sum(pads) if padding == "EXPLICIT" else 0
    if size < eff:
        raise ValueError(f"Negative dimension size caused by subtracting {eff} from {size}")
    return (size - eff) // stride + 1


def _ints_attr(op: Any, name: str, rank: int, fmt: str, what: str) -> list[int]:
    try:
        values = [int(v) for v in op.get_attr(name)]
    except (KeyError, ValueError):
        values = [1] * rank
    if not values and name == "dilations":
        values = [1] * rank
    if len(values) != rank:
        raise ValueError(
            f"{op.type} on data format {fmt} requires the {what} attribute to contain {rank} "
            f"values, but got: {len(values)}"
        )
    return values


def _explicit(op: Any, rank: int) -> list[tuple[int, int]]:
    try:
        flat = [int(p) for p in op.get_attr("explicit_paddings")]
    except (KeyError, ValueError):
        flat = []
    if any(p < 0 for p in flat):
        raise ValueError("All elements of explicit_paddings must be nonnegative")
    if len(flat) != 2 * rank:
        return [(0, 0)] * rank
    return [(flat[2 * i], flat[2 * i + 1]) for i in range(rank)]


def _layout(fmt: str, rank: int) -> tuple[int, list[int]]:
    """The channel axis and the spatial axes of a data format."""
    if fmt in _CHANNELS_FIRST:
        return 1, list(range(2, rank))
    return rank - 1, list(range(1, rank - 1))


def _assemble(fmt: str, batch: int | None, spatial: Dims, channels: int | None) -> TensorShape:
    if fmt in _CHANNELS_FIRST:
        return TensorShape([batch, channels, *spatial])
    return TensorShape([batch, *spatial, channels])


# --------------------------------------------------------------------------- convolutions


def _conv(op: Any, rank: int, depthwise: bool = False) -> list[TensorShape]:
    fmt = text(op.get_attr("data_format"), "NHWC")
    strides = _ints_attr(op, "strides", rank, fmt, "stride")
    dilations = _ints_attr(op, "dilations", rank, fmt, "dilation")
    explicit = _explicit(op, rank) if rank == 4 else [(0, 0)] * rank
    x = _with_rank(op.inputs[0].shape, rank)
    w = _with_rank(op.inputs[1].shape, rank)
    c_axis, s_axes = _layout(fmt, rank)
    in_depth, w_depth, w_out = x[c_axis], w[rank - 2], w[rank - 1]
    if depthwise:
        _merge(in_depth, w_depth)
        out_depth = None if in_depth is None or w_out is None else in_depth * w_out
    else:
        _check_groups(in_depth, w_depth, w_out)
        out_depth = w_out
    padding = text(op.get_attr("padding"))
    if rank == 5:  # TF's Conv3D shape function reads the row/column dilations swapped
        dilations = [dilations[0], dilations[1], dilations[3], dilations[2], dilations[4]]
    spatial = [
        _out_dim(x[a], w[i], strides[a], dilations[a], padding, explicit[a])
        for i, a in enumerate(s_axes)
    ]
    return [_assemble(fmt, x[0], spatial, out_depth)]


def _check_groups(in_depth: int | None, w_depth: int | None, w_out: int | None) -> None:
    if w_depth == 0:
        raise ValueError("Depth of filter must not be 0")
    if in_depth is None or w_depth is None:
        return
    if in_depth % w_depth:
        raise ValueError(
            f"Depth of input ({in_depth}) is not a multiple of input depth of filter ({w_depth})"
        )
    groups = in_depth // w_depth
    if w_out is not None and w_out % groups:
        raise ValueError(
            f"Depth of output ({w_out}) is not a multiple of the number of groups ({groups})"
        )


register_shape("Conv2D")(lambda op: _conv(op, 4))
register_shape("Conv3D")(lambda op: _conv(op, 5))
register_shape("DepthwiseConv2dNative")(lambda op: _conv(op, 4, depthwise=True))


@register_shape("Conv2DBackpropInput")
def _conv2d_backprop_input(op: Any) -> list[TensorShape]:
    sizes = constant_value(op.inputs[0])
    if sizes is None:
        return [unknown_shape(4)]
    dims = [int(v) for v in sizes.reshape(-1)]
    if len(dims) == 4:
        return [TensorShape(dims)]
    fmt = text(op.get_attr("data_format"), "NHWC")
    w = _with_rank(op.inputs[1].shape, 4)
    dy = _with_rank(op.inputs[2].shape, 4)
    return [_assemble(fmt, dy[0], dims, w[2])]


# --------------------------------------------------------------------------- pooling


def _pool(op: Any, ksize: list[int] | None, strides: list[int] | None) -> list[TensorShape]:
    x = _with_rank(op.inputs[0].shape, 4)
    if ksize is None or strides is None:
        return [unknown_shape(4)]
    if any(s <= 0 for s in strides):
        raise ValueError(f"Stride must be > 0, but got {min(strides)}")
    fmt = text(op.get_attr("data_format"), "NHWC")
    c_axis, s_axes = _layout(fmt, 4)
    padding = text(op.get_attr("padding"))
    explicit = _explicit(op, 4) if op.type == "MaxPool" else [(0, 0)] * 4
    spatial = [_out_dim(x[a], ksize[a], strides[a], 1, padding, explicit[a]) for a in s_axes]
    depth = x[c_axis]
    if depth is not None and ksize[c_axis] > 1 and op.type != "AvgPool":
        depth //= ksize[c_axis]
    return [_assemble(fmt, x[0], spatial, depth)]


def _attr_window(op: Any, name: str) -> list[int]:
    values = [int(v) for v in op.get_attr(name)]
    if len(values) < 4:
        raise ValueError(
            f"Attr '{name}' of '{op.type}' Op passed list of length {len(values)} less than "
            "minimum 4."
        )
    return values


@register_shape("MaxPool", "AvgPool")
def _pool_attrs(op: Any) -> list[TensorShape]:
    return _pool(op, _attr_window(op, "ksize"), _attr_window(op, "strides"))


@register_shape("MaxPoolV2")
def _max_pool_v2(op: Any) -> list[TensorShape]:
    windows = []
    for t in op.inputs[1:3]:
        length = t.shape[0] if t.shape.ndims == 1 else None
        if length is not None and length != 4:
            raise ValueError(f"Dimension must be 4 but is {length}")
        value = constant_value(t)
        windows.append(None if value is None else [int(v) for v in value.reshape(-1)])
    return _pool(op, windows[0], windows[1])


# --------------------------------------------------------------------------- batch norm


def _batch_norm(op: Any) -> list[TensorShape]:
    fmt = text(op.get_attr("data_format"), "NHWC")
    rank = 5 if fmt in ("NDHWC", "NCDHW") else 4
    x = _with_rank(op.inputs[0].shape, rank)
    c_axis = 1 if fmt in _CHANNELS_FIRST else rank - 1
    training = bool(op.get_attr("is_training"))
    try:
        factor = float(op.get_attr("exponential_avg_factor"))
    except (KeyError, ValueError):
        factor = 1.0
    checked = 2 if training and factor == 1.0 else 4  # scale, offset (, mean, variance)
    depth = x[c_axis]
    for i, t in enumerate(op.inputs[1:5]):
        vec = _with_rank(t.shape, 1)
        if i < checked:
            depth = _merge(depth, vec[0])
    x[c_axis] = depth
    outputs = [TensorShape(x)] + [TensorShape([depth])] * 4
    if op.type == "FusedBatchNormV3":
        outputs.append(UNKNOWN)
    return outputs


register_shape("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")(_batch_norm)


# --------------------------------------------------------------------------- pad / resize


def _pad(op: Any) -> list[TensorShape]:
    x, paddings = op.inputs[0].shape, op.inputs[1]
    p_dims = _with_rank(paddings.shape, 2)
    if p_dims[1] is not None and p_dims[1] != 2:
        raise ValueError(f"Dimension must be 2 but is {p_dims[1]}")
    rank = p_dims[0] if p_dims[0] is not None else x.ndims
    dims = _with_rank(x, rank) if rank is not None else None
    value = constant_value(paddings)
    if dims is None:
        return [UNKNOWN if value is None else unknown_shape(len(value))]
    if value is None:
        return [unknown_shape(len(dims))]
    if (value < 0).any():
        raise ValueError("Paddings must be non-negative")
    return [
        TensorShape(
            [
                None if d is None else d + int(b) + int(a)
                for d, (b, a) in zip(dims, value, strict=True)
            ]
        )
    ]


register_shape("Pad", "PadV2", "MirrorPad")(_pad)


@register_shape("ResizeBilinear", "ResizeNearestNeighbor")
def _resize(op: Any) -> list[TensorShape]:
    x = _with_rank(op.inputs[0].shape, 4)
    size = op.inputs[1]
    s_dims = _with_rank(size.shape, 1)
    if s_dims[0] is not None and s_dims[0] != 2:
        raise ValueError(f"Dimension must be 2 but is {s_dims[0]}")
    value = constant_value(size)
    hw: Dims = [None, None] if value is None else [int(v) if v >= 0 else None for v in value]
    return [TensorShape([x[0], *hw, x[3]])]
