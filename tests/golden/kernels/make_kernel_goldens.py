"""Makes kernel_goldens.json: TF's outputs (or error class) for a table of kernel cases.

NEEDS TENSORFLOW. Run with the TF venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/kernels/make_kernel_goldens.py

Each case builds one op with ``tf.raw_ops.<Op>`` in a TF1 graph whose value inputs are
placeholders of unknown shape (so only the kernel, never graph-time shape inference, judges
them), runs it in a ``tf.compat.v1.Session`` (twice for random ops) and records:
inputs in OpDef input order (a list-typed input is a JSON list of arrays), every attr of
the NodeDef as a base64 ``AttrValue`` proto, and the outputs or the error class name.
Arrays are ``{"dtype", "shape", "data"}`` with base64 raw little-endian bytes (strings:
a list of base64 items). No pickle.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import numpy as np
import tensorflow as tf

tf.compat.v1.disable_eager_execution()

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "kernel_goldens.json")

f32, f64, i32, i64, bl = np.float32, np.float64, np.int32, np.int64, np.bool_
RNG = np.random.default_rng(0)


def a(values: Any, dtype: Any = f32) -> np.ndarray:
    return np.array(values, dtype=dtype)


def s(*values: Any) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [v.encode() if isinstance(v, str) else v for v in values]
    return out


def sc(value: str) -> np.ndarray:
    return np.array(value.encode(), dtype=object)


def rnd(*shape: int, dtype: Any = f32) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


NAN = float("nan")
INF = float("inf")


# (op, kwargs of tf.raw_ops.<op>: arrays become placeholders, other values are attrs)
CASES: list[tuple[str, dict[str, Any]]] = []


def case(op: str, **kwargs: Any) -> None:
    CASES.append((op, kwargs))


# ---- binary arithmetic
for op in ("Add", "AddV2", "Sub", "Mul"):
    for dt in (f32, f64, i32, i64):
        case(op, x=a([[1, -2, 3], [4, 5, -6]], dt), y=a([7, -8, 9], dt))
    case(op, x=a([], f32), y=a([], f32))
    case(op, x=a([1, 2], f32), y=a([1, 2, 3], f32))  # incompatible shapes
    case(op, x=a(5, i32), y=a([[1], [2]], i32))
case("Add", x=s("ab", "c"), y=sc("Z"))
case("AddV2", x=a([2**31 - 1], i32), y=a([1], i32))  # wraps
case("Mul", x=rnd(2, 1, 3), y=rnd(4, 1))
for dt in (f32, f64):
    case("RealDiv", x=a([1, -1, 0, 7.5], dt), y=a([0, 0, 0, -2], dt))
    case("Div", x=a([1, -1, 0, 7.5], dt), y=a([0, 0, 0, -2], dt))
    case("FloorDiv", x=a([7, -7, 7, -7, 1, 0.5], dt), y=a([2, 2, -2, -2, 0, 0.1], dt))
    case("FloorMod", x=a([7.5, -7.5, 7, -7, 1, 5], dt), y=a([2, 2, -2, -2, 0, 5], dt))
for dt in (i32, i64):
    case("Div", x=a([7, -7, 7, -7, 0, 1], dt), y=a([2, 2, -2, -2, 3, 5], dt))
    case("FloorDiv", x=a([7, -7, 7, -7, 0, 1], dt), y=a([2, 2, -2, -2, 3, -5], dt))
    case("FloorMod", x=a([7, -7, 7, -7, 0, 1], dt), y=a([2, 2, -2, -2, 3, -5], dt))
    case("Div", x=a([7], dt), y=a([0], dt))
    case("FloorDiv", x=a([7], dt), y=a([0], dt))
    case("FloorMod", x=a([7], dt), y=a([0], dt))
    case("Pow", x=a([2, -2, 3, 0], dt), y=a([3, 3, 0, 5], dt))
    case("Pow", x=a([2], dt), y=a([-1], dt))
for dt in (f32, f64):
    case("Pow", x=a([2, -2, 4, 0, -8], dt), y=a([0.5, 2, -0.5, -1, 1 / 3], dt))
    for op in ("Maximum", "Minimum"):
        case(op, x=a([NAN, 1, 3, -INF], dt), y=a([1, NAN, 2, 0], dt))
for op in ("Maximum", "Minimum"):
    case(op, x=a([[1, 5], [7, -2]], i32), y=a([3, 3], i32))
    case(op, x=a([1, 5], i64), y=a(3, i64))

# ---- comparisons and logic
for op in ("Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual"):
    case(op, x=a([1, 2, NAN, 4], f32), y=a([1, 3, NAN, 2], f32))
    case(op, x=a([[1], [5]], i64), y=a([1, 5, 7], i64))
    case(op, x=a([1, 2], i32), y=a([1, 2, 3], i32))
for op in ("Equal", "NotEqual"):
    case(op, x=s("a", "b"), y=sc("a"))
    case(op, x=a([True, False], bl), y=a([True, True], bl))
    case(op, x=a([1, 2], i32), y=a([1, 2, 3], i32), incompatible_shape_error=False)
for op in ("LogicalAnd", "LogicalOr"):
    case(op, x=a([True, True, False, False], bl), y=a([True, False, True, False], bl))
    case(op, x=a([[True], [False]], bl), y=a([True, False], bl))
case("LogicalNot", x=a([True, False], bl))

# ---- AddN
case("AddN", inputs=[a([1, 2], f32), a([3, 4], f32), a([5, 6], f32)])
case("AddN", inputs=[a([[1, 2]], i64)])
case("AddN", inputs=[a([1, 2], i32), a([3, 4, 5], i32)])

# ---- unary
UNARY_X = a([-2.5, -1, -0.0, 0, 0.5, 3, 100, NAN, INF, -INF])
for op in (
    "Neg",
    "Abs",
    "Square",
    "Sqrt",
    "Rsqrt",
    "Exp",
    "Log",
    "Floor",
    "Relu",
    "Relu6",
    "Elu",
    "Sigmoid",
    "Tanh",
):
    case(op, x=UNARY_X) if op not in ("Relu", "Relu6", "Elu") else case(op, features=UNARY_X)
    if op in ("Neg", "Abs", "Square"):
        case(op, x=a([-3, 0, 7, -(2**31)], i32))
        case(op, x=a([[-3, 4]], i64))
    if op in ("Relu", "Relu6"):
        case(op, features=a([-3, 0, 5, 9], i32))
    if op in ("Exp", "Tanh", "Sigmoid", "Sqrt", "Log"):
        case(op, x=rnd(3, 4, dtype=f64))
for op in ("Softmax", "LogSoftmax"):
    case(op, logits=rnd(3, 5))
    case(op, logits=a([[1000, 0, -1000], [1, 1, 1]], f64))
    case(op, logits=a([1, 2, 3], f32))
    case(op, logits=a(1, f32))

# ---- linear algebra
case("MatMul", a=rnd(2, 3), b=rnd(3, 4))
case("MatMul", a=rnd(3, 2, dtype=f64), b=rnd(4, 3, dtype=f64), transpose_a=True, transpose_b=True)
case("MatMul", a=a([[1, 2], [3, 4]], i32), b=a([[5], [6]], i32))
case("MatMul", a=rnd(2, 3), b=rnd(4, 3))
case("MatMul", a=rnd(3), b=rnd(3, 4))
case("MatMul", a=rnd(0, 3), b=rnd(3, 2))
case("BatchMatMulV2", x=rnd(2, 2, 3), y=rnd(3, 4))
case("BatchMatMulV2", x=rnd(2, 1, 3, 2), y=rnd(3, 4, 3), adj_x=True)
case("BatchMatMulV2", x=rnd(2, 3, 2, dtype=f64), y=rnd(2, 4, 2, dtype=f64), adj_y=True)
case("BatchMatMulV2", x=rnd(2, 2, 3), y=rnd(3, 4, 2))
case("BatchMatMulV2", x=rnd(2, 2, 3), y=rnd(2, 4, 2))
case("BatchMatMulV2", x=rnd(3), y=rnd(3, 2))
case("BiasAdd", value=rnd(2, 3), bias=rnd(3))
case("BiasAdd", value=rnd(2, 3, 4, 5), bias=rnd(5))
case("BiasAdd", value=rnd(2, 3, 4, 5), bias=rnd(3), data_format="NCHW")
case("BiasAdd", value=a([[1, 2]], i32), bias=a([10, 20], i32))
case("BiasAdd", value=rnd(2, 3), bias=rnd(4))
case("BiasAdd", value=rnd(3), bias=rnd(3))

# ---- reductions
X = a([[1, -2, 3], [4, 5, -6]], f32)
for op in ("Sum", "Mean", "Max", "Min", "Prod"):
    case(op, input=X, axis=a(0, i32))
    case(op, input=X, axis=a([-1], i32), keep_dims=True)
    case(op, input=X, axis=a([0, 1], i64))
    case(op, input=X, axis=a([], i32))
    case(op, input=a([[1, -2, 3], [4, 5, -6]], i32), axis=a(1, i32))
    case(op, input=a([[7, -2, 3], [4, 5, -9]], i64), axis=a([0], i32), keep_dims=True)
    case(op, input=rnd(2, 3, 4, dtype=f64), axis=a([0, 2], i32))
    case(op, input=X, axis=a(2, i32))
    case(op, input=a(np.zeros((0, 3)), f32), axis=a(0, i32))
case("Mean", input=a([-1, -2], i32), axis=a(0, i32))
case("Mean", input=a([[-7, 3, 1]], i32), axis=a(1, i32))
case("Max", input=a([1, NAN, 3], f32), axis=a(0, i32))
case("Sum", input=a(np.zeros((0,)), i32), axis=a(0, i32))
for op in ("ArgMax", "ArgMin"):
    case(op, input=a([[1, 9, 3], [9, 2, 2]], f32), dimension=a(1, i32))
    case(op, input=a([[1, 9, 3], [9, 2, 2]], i64), dimension=a(-2, i32), output_type=tf.int32)
    case(op, input=rnd(2, 3, 4, dtype=f64), dimension=a(2, i64))
    case(op, input=a([3, 1, 3, 1], i32), dimension=a(0, i32))
    case(op, input=rnd(2, 3), dimension=a(2, i32))
    case(op, input=a(np.zeros((2, 0)), f32), dimension=a(1, i32))

# ---- Cast
FLOATS = a([1.7, -1.7, 0.5, -0.5, NAN, 3e9, -3e9, 255.9, 256, -129])
for dst in (
    tf.int32,
    tf.int64,
    tf.uint8,
    tf.int8,
    tf.int16,
    tf.bool,
    tf.float64,
    tf.float16,
    tf.bfloat16,
):
    case("Cast", x=FLOATS, DstT=dst)
case("Cast", x=FLOATS, DstT=tf.bfloat16, Truncate=True)
for dst in (tf.float32, tf.int32, tf.uint8, tf.bool, tf.int64):
    case("Cast", x=a([0, 1, -1, 2**40, -(2**40) - 3], i64), DstT=dst)
case("Cast", x=a([True, False], bl), DstT=tf.float32)
case("Cast", x=a([True, False], bl), DstT=tf.int64)
case("Cast", x=a([1e300, -1e-300, 0.1], f64), DstT=tf.float32)
case("Cast", x=s("1"), DstT=tf.float32)

# ---- shape ops
case("Reshape", tensor=a(np.arange(6), i32), shape=a([-1, 2], i32))
case("Reshape", tensor=rnd(2, 3), shape=a([3, 2], i64))
case("Reshape", tensor=a(7, f32), shape=a([1, 1], i32))
case("Reshape", tensor=rnd(1, 1), shape=a([], i32))
case("Reshape", tensor=rnd(0, 3), shape=a([3, 0], i32))
case("Reshape", tensor=rnd(2, 3), shape=a([4, -1], i32))
case("Reshape", tensor=rnd(2, 3), shape=a([-1, -1], i32))
case("Reshape", tensor=rnd(0, 3), shape=a([-1, 0], i32))
case("Reshape", tensor=s("a", "b"), shape=a([2, 1], i32))
for op in ("Shape", "Size"):
    case(op, input=rnd(2, 3, 0))
    case(op, input=s("a", "b"), out_type=tf.int64)
    case(op, input=a(3, i32))
case("Rank", input=rnd(2, 3, 1))
case("Rank", input=a(3, i32))
case("Fill", dims=a([2, 3], i32), value=a(1.5, f32))
case("Fill", dims=a([2, 0], i64), value=a(7, i64))
case("Fill", dims=a([], i32), value=a(True, bl))
case("Fill", dims=a([2], i32), value=sc("x"))
case("Fill", dims=a([2], i32), value=a([1, 2], i32))
case("Fill", dims=a([-1], i32), value=a(1, i32))
for op in ("ZerosLike", "OnesLike"):
    case(op, x=rnd(2, 3))
    case(op, x=a([1, 2], i64))
    case(op, x=a([True, False], bl))
case("ZerosLike", x=s("a", "b"))

# ---- concat / pack
case("ConcatV2", values=[rnd(2, 3), rnd(2, 1)], axis=a(1, i32))
case("ConcatV2", values=[rnd(2, 3), rnd(1, 3), rnd(0, 3)], axis=a(-2, i64))
case("ConcatV2", values=[s("a"), s("b", "c")], axis=a(0, i32))
case("ConcatV2", values=[rnd(2, 3), rnd(2, 4)], axis=a(0, i32))
case("ConcatV2", values=[rnd(2, 3), rnd(3)], axis=a(0, i32))
case("ConcatV2", values=[rnd(2, 3), rnd(2, 3)], axis=a(2, i32))
case("ConcatV2", values=[a(1, f32), a(2, f32)], axis=a(0, i32))
case("Pack", values=[a([1, 2], i32), a([3, 4], i32), a([5, 6], i32)])
case("Pack", values=[rnd(2, 3), rnd(2, 3)], axis=-1)
case("Pack", values=[a(1, f32), a(2, f32)])
case("Pack", values=[a([1, 2], i32), a([3, 4, 5], i32)])
case("Pack", values=[a([1, 2], i32), a([3, 4], i32)], axis=3)
case("Unpack", value=rnd(3, 2), num=3)
case("Unpack", value=a([[1, 2, 3], [4, 5, 6]], i64), num=3, axis=-1)
case("Unpack", value=rnd(3, 2), num=2)

# ---- permute / expand / squeeze / tile
case("Transpose", x=rnd(2, 3, 4), perm=a([2, 0, 1], i32))
case("Transpose", x=s("a", "b"), perm=a([0], i64))
case("Transpose", x=rnd(2, 3), perm=a([0, 1, 2], i32))
case("Transpose", x=rnd(2, 3), perm=a([1, 1], i32))
case("Transpose", x=rnd(2, 3), perm=a([0, 5], i32))
case("ExpandDims", input=rnd(2, 3), axis=a(0, i32))
case("ExpandDims", input=rnd(2, 3), axis=a(-1, i64))
case("ExpandDims", input=a(5, i32), axis=a([0], i32))
case("ExpandDims", input=rnd(2, 3), axis=a(4, i32))
case("Squeeze", input=rnd(1, 2, 1, 3, 1))
case("Squeeze", input=rnd(1, 2, 1, 3, 1), axis=[0, -1])
case("Squeeze", input=rnd(1, 2), axis=[1])
case("Squeeze", input=rnd(1, 2), axis=[2])
case("Tile", input=a([[1, 2], [3, 4]], i32), multiples=a([2, 3], i32))
case("Tile", input=rnd(2, 1), multiples=a([0, 2], i64))
case("Tile", input=s("a", "b"), multiples=a([2], i32))
case("Tile", input=rnd(2, 1), multiples=a([2], i32))
case("BroadcastTo", input=a([1, 2, 3], i32), shape=a([2, 3], i32))
case("BroadcastTo", input=rnd(2, 1), shape=a([2, 2, 4], i64))
case("BroadcastTo", input=a([1, 2, 3], i32), shape=a([2, 4], i32))

# ---- slicing
M = a(np.arange(24).reshape(2, 3, 4), i32)
case("Slice", input=M, begin=a([0, 1, 1], i32), size=a([2, -1, 2], i32))
case("Slice", input=M, begin=a([1, 0, 0], i64), size=a([1, 0, -1], i64))
case("Slice", input=M, begin=a([0, 2, 0], i32), size=a([1, 2, 1], i32))
case("Slice", input=M, begin=a([0, 4, 0], i32), size=a([1, 0, 1], i32))
SS = dict(begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0)


def ss(begin: list[int], end: list[int], strides: list[int], x: Any = M, **masks: int) -> None:
    case(
        "StridedSlice",
        input=x,
        begin=a(begin, i32),
        end=a(end, i32),
        strides=a(strides, i32),
        **{**SS, **masks},
    )


ss([0, 1, 0], [2, 3, 4], [1, 1, 2])
ss([1, -1, -1], [0, 0, 0], [-1, -1, -1], begin_mask=1, end_mask=6)
ss([0], [1], [1], shrink_axis_mask=1)
ss([-1, 0], [0, 0], [1, 1], shrink_axis_mask=1, end_mask=2)
ss([0, 0], [0, 2], [1, 1], ellipsis_mask=1)
ss([0, 0, 1], [0, 0, 3], [1, 1, 1], new_axis_mask=1, ellipsis_mask=2)
ss([0, 1, 0], [0, 2, 0], [1, 1, 1], new_axis_mask=5, ellipsis_mask=0)
ss([1, 0, 0, 2], [2, 0, 0, 3], [1, 1, 1, 1], ellipsis_mask=2, new_axis_mask=4, shrink_axis_mask=9)
ss([-100, 100], [100, -100], [1, -1])
ss([0, 0], [2, 3], [2, 2], begin_mask=3, end_mask=3)
ss([3], [4], [1], shrink_axis_mask=1)
ss([0], [1], [0])
ss([0, 0], [1, 1], [1, 1], ellipsis_mask=3)
ss([0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1])
ss([2], [-5], [-1], x=a([1, 2, 3, 4, 5], i64))
ss([0], [0], [1], x=s("a", "b", "c"), end_mask=1)
ss([0, 0], [0, 0], [1, 1], x=a(np.zeros((0, 2)), f32), end_mask=3)
ss([0], [1], [1], x=a(7, f32), new_axis_mask=1)

# ---- gather
P = a(np.arange(12).reshape(3, 4), f32)
case("GatherV2", params=P, indices=a([2, 0], i32), axis=a(0, i32))
case("GatherV2", params=P, indices=a([[1, 3], [0, 0]], i64), axis=a(-1, i64))
case("GatherV2", params=P, indices=a(1, i32), axis=a(1, i32))
case(
    "GatherV2",
    params=a(np.arange(24).reshape(2, 3, 4), i32),
    indices=a([[0, 2], [1, 1]], i32),
    axis=a(1, i32),
    batch_dims=1,
)
case(
    "GatherV2",
    params=a(np.arange(24).reshape(2, 3, 4), i32),
    indices=a([[0, 3], [1, 2]], i32),
    axis=a(2, i32),
    batch_dims=-1,
)
case("GatherV2", params=s("a", "b", "c"), indices=a([2, 2], i32), axis=a(0, i32))
case("GatherV2", params=P, indices=a([3], i32), axis=a(0, i32))
case("GatherV2", params=P, indices=a([-1], i32), axis=a(0, i32))
case("GatherV2", params=P, indices=a([], i32), axis=a(1, i32))

# ---- range / select
case("Range", start=a(0, i32), limit=a(10, i32), delta=a(3, i32))
case("Range", start=a(10, i64), limit=a(-3, i64), delta=a(-4, i64))
case("Range", start=a(0.1, f32), limit=a(1.0, f32), delta=a(0.1, f32))
case("Range", start=a(0.0, f64), limit=a(1.0, f64), delta=a(0.3, f64))
case("Range", start=a(5, i32), limit=a(5, i32), delta=a(1, i32))
case("Range", start=a(0, i32), limit=a(5, i32), delta=a(0, i32))
case("Range", start=a(5, i32), limit=a(0, i32), delta=a(1, i32))
case("Select", condition=a([True, False, True], bl), x=a([1, 2, 3], i32), y=a([4, 5, 6], i32))
case("Select", condition=a([True, False], bl), x=rnd(2, 3), y=rnd(2, 3))
case("Select", condition=a(False, bl), x=s("a", "b"), y=s("c", "d"))
case("Select", condition=a([True, False], bl), x=rnd(3, 2), y=rnd(3, 2))
case("Select", condition=a([True], bl), x=rnd(2), y=rnd(3))
case("SelectV2", condition=a([[True], [False]], bl), t=a([1, 2, 3], i64), e=a(0, i64))
case("SelectV2", condition=a(True, bl), t=rnd(2, 2), e=rnd(2, 1))
case("SelectV2", condition=a([True, False], bl), t=rnd(3), e=rnd(3))

# ---- identity
case("Identity", input=rnd(2, 2))
case("Identity", input=s("a"))
case("StopGradient", input=a([1, 2], i64))
case("IdentityN", input=[rnd(2), a([1], i32), s("q")])

# ---- strings
case("StringJoin", inputs=[s("a", "b"), sc("-"), s("x", "y")])
case("StringJoin", inputs=[s("a", "b"), s("c", "d")], separator=", ")
case("StringJoin", inputs=[sc("a"), sc("b")], separator="/")
case("StringJoin", inputs=[s("a", "b"), s("c", "d", "e")])
case("StaticRegexFullMatch", input=s("abc", "abd", "xabc", ""), pattern="ab[cd]")
case("StaticRegexFullMatch", input=sc("model.ckpt-100"), pattern=r".*-\d+")
case("StaticRegexFullMatch", input=s("a\nb", "A"), pattern="a.b|[[:upper:]]")
case("ShardedFilename", basename=sc("/tmp/model"), shard=a(3, i32), num_shards=a(10, i32))
case("ShardedFilename", basename=sc("x"), shard=a(0, i32), num_shards=a(123456, i32))
case("ShardedFilespec", basename=sc("/tmp/model"), num_shards=a(2, i32))

# ---- random (run twice in one session)
RANDOM_OPS = ("RandomUniform", "RandomStandardNormal", "TruncatedNormal")
for op in RANDOM_OPS:
    for dt in (tf.float32, tf.float64):
        case(op, shape=a([3, 5], i32), dtype=dt, seed=7, seed2=42)
        case(op, shape=a([7], i64), dtype=dt, seed=1, seed2=0)
    case(op, shape=a([2, 0], i32), dtype=tf.float32, seed=3, seed2=4)
    case(op, shape=a([1001], i32), dtype=tf.float32, seed=0, seed2=5)
case("RandomUniform", shape=a([-1], i32), dtype=tf.float32, seed=1, seed2=1)


# --------------------------------------------------------------------------- encoding


def encode_array(x: Any) -> dict[str, Any]:
    x = np.asarray(x)
    if x.dtype.kind in "OSU":
        items = [v if isinstance(v, bytes) else str(v).encode() for v in x.reshape(-1)]
        return {
            "dtype": "string",
            "shape": list(x.shape),
            "data": [base64.b64encode(v).decode() for v in items],
        }
    name = x.dtype.name
    raw = np.ascontiguousarray(x).astype(x.dtype.newbyteorder("<")).tobytes()
    return {"dtype": name, "shape": list(x.shape), "data": base64.b64encode(raw).decode()}


def _placeholders(value: Any) -> Any:
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    arr = np.asarray(value)
    dtype = tf.string if arr.dtype.kind == "O" else tf.as_dtype(arr.dtype)
    return tf.compat.v1.placeholder(dtype, shape=None)


def _feeds(ph: Any, value: Any, feed: dict[Any, Any]) -> None:
    if isinstance(ph, list):
        for p, v in zip(ph, value, strict=True):
            _feeds(p, v, feed)
    else:
        feed[ph] = value


def _is_value_input(v: Any) -> bool:
    if isinstance(v, list):
        return bool(v) and all(isinstance(x, np.ndarray) for x in v)
    return isinstance(v, np.ndarray)


def run_case(op_type: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    graph = tf.Graph()
    with graph.as_default():
        arrays = {k: v for k, v in kwargs.items() if _is_value_input(v)}
        attrs = {k: v for k, v in kwargs.items() if k not in arrays}
        phs = {k: _placeholders(v) for k, v in arrays.items()}
        out = getattr(tf.raw_ops, op_type)(**phs, **attrs)
        op = out.op if hasattr(out, "op") else out[0].op
        feed: dict[Any, Any] = {}
        for k, ph in phs.items():
            _feeds(ph, arrays[k], feed)
        record: dict[str, Any] = {
            "op": op_type,
            "inputs": _inputs_in_opdef_order(op, feed),
            "attrs": {
                k: base64.b64encode(v.SerializeToString()).decode()
                for k, v in sorted(op.node_def.attr.items())
            },
        }
        fetch = list(op.outputs)
        with tf.compat.v1.Session(graph=graph) as sess:
            runs = 2 if op_type in RANDOM_OPS else 1
            try:
                record["outputs"] = [
                    [encode_array(v) for v in sess.run(fetch, feed)] for _ in range(runs)
                ]
            except tf.errors.OpError as e:
                record["error"] = type(e).__name__
                record["message"] = _core_message(e.message)
    return record


def _core_message(message: str) -> str:
    """The kernel's own words, without graph-execution and node-trace boilerplate."""
    lines = message.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("\t [[") and i:
            return lines[i - 1][:300]
    return lines[-1][:300]


def _inputs_in_opdef_order(op: Any, feed: dict[Any, Any]) -> list[Any]:
    flat = [feed[t] for t in op.inputs]
    out: list[Any] = []
    pos = 0
    for arg in op.op_def.input_arg:
        if arg.number_attr or arg.type_list_attr:
            count = (
                op.get_attr(arg.number_attr)
                if arg.number_attr
                else len(op.get_attr(arg.type_list_attr))
            )
            out.append([encode_array(v) for v in flat[pos : pos + count]])
            pos += count
        else:
            out.append(encode_array(flat[pos]))
            pos += 1
    return out


def main() -> None:
    records = []
    for i, (op_type, kwargs) in enumerate(CASES):
        try:
            rec = run_case(op_type, kwargs)
        except (TypeError, ValueError) as e:  # the case itself is malformed: fix the table
            raise SystemExit(f"case {i} {op_type}: {e}") from e
        rec["id"] = f"{i:03d}-{op_type}"
        records.append(rec)
    with open(OUT, "w") as f:
        json.dump({"tensorflow": tf.__version__, "cases": records}, f, indent=0)
    errors = sum("error" in r for r in records)
    print(f"wrote {len(records)} cases ({errors} error cases) to {OUT}")


if __name__ == "__main__":
    main()
