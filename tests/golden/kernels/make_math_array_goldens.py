"""Makes math_array_goldens.json: TF's outputs (or errors) for the extra math/array kernels.

NEEDS TENSORFLOW. Run with the TF 2.21 oracle venv from the repository root:

    ~/.cache/stowflow/tf-2.21.0/bin/python tests/golden/kernels/make_math_array_goldens.py

Covers the ops of issue 7's "math and nn" and "array" lists that stowflow's kernels in
``segment_kernels``, ``math_extra_kernels`` and ``array_extra_kernels`` implement. Cases are
recorded exactly like ``make_kernel_goldens.py`` (whose ``run_case`` and encoders this
script reuses): placeholders of unknown shape, one op per graph, inputs in OpDef order,
attrs as base64 ``AttrValue`` protos, outputs or the error class and TF's message.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import make_kernel_goldens as base  # noqa: E402 - sibling generator, needs TF
import tensorflow as tf  # noqa: E402

OUT = os.path.join(HERE, "math_array_goldens.json")

f16, f32, f64, i8, i16, i32, i64 = (
    np.float16,
    np.float32,
    np.float64,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
)
u8, u16, u32, u64, c64, c128, bl = (
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.complex64,
    np.complex128,
    np.bool_,
)
bf16 = tf.bfloat16.as_numpy_dtype
a, s, sc = base.a, base.s, base.sc
NAN, INF = float("nan"), float("inf")
RNG = np.random.default_rng(7)

FLOATS = (f16, bf16, f32, f64)
INTS = (i8, i16, i32, i64, u8, u16, u32, u64)

CASES: list[tuple[str, dict[str, Any]]] = []


def case(op: str, **kwargs: Any) -> None:
    CASES.append((op, kwargs))


def rnd(*shape: int, dtype: Any = f32) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def ints(*shape: int, low: int = -5, high: int = 6, dtype: Any = i32) -> np.ndarray:
    return RNG.integers(low, high, size=shape).astype(dtype)


# --------------------------------------------------------------------------- math: element-wise
SPECIAL = [-2.5, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 2.5, 3.7, -3.7, NAN, INF, -INF]
for dt in FLOATS + (i32, i64, c64, c128):
    x = a([[1, -2, 3], [4, 5, -6]], dt)
    case("SquaredDifference", x=x, y=a([7, -8, 9], dt))
case("SquaredDifference", x=a([1 + 2j, 3], c64), y=a([2 - 1j, 1j], c64))
case("SquaredDifference", x=a([], f32), y=a(2, f32))
case("SquaredDifference", x=a([1, 2], f32), y=a([1, 2, 3], f32))

for dt in FLOATS:
    case("Softplus", features=a([-100, -20, -15, -13, -10, 0, 1, 10, 13, 15, 20, 100, NAN], dt))
    case("Selu", features=a([-100, -3, -1, -0.5, 0, 0.5, 2, NAN, -INF, INF], dt))
    case("LeakyRelu", features=a([-3, -1, 0, 2, NAN, -INF], dt))
    case("Ceil", x=a(SPECIAL, dt))
    case("Round", x=a(SPECIAL, dt))
    case("Sign", x=a(SPECIAL, dt))
    case("Reciprocal", x=a([2, -4, 0, -0.0, 0.1, NAN, INF], dt))
    case("Inv", x=a([2, -4, 0], dt))
    case("IsNan", x=a(SPECIAL, dt))
    case("IsFinite", x=a(SPECIAL, dt))
    case("Sin", x=a([0, 0.5, -1, 3.14159, 100, NAN, INF], dt))
    case("Cos", x=a([0, 0.5, -1, 3.14159, 100, NAN, INF], dt))
    case("L2Loss", t=a([[1, -2], [3, 0.5]], dt))
case("Softplus", features=rnd(3, 4, dtype=f64) * 20)
case("LeakyRelu", features=rnd(2, 3, dtype=f64), alpha=0.3)
case("LeakyRelu", features=a([-2, 4], f32), alpha=-1.5)
for dt in (i8, i16, i32, i64):
    case("Sign", x=a([-5, 0, 7], dt))
for dt in (i32, i64, i8):
    case("Round", x=a([-5, 0, 7], dt))
case("Round", x=a([1.5 + 2.5j], c64))
for dt in (c64, c128):
    case("Sign", x=a([3 + 4j, 0, -2j, complex(NAN, 1)], dt))
    case("Reciprocal", x=a([1 + 1j, 2j, 0], dt))
    case("Sin", x=a([1 + 1j, -2j], dt))
    case("Cos", x=a([1 + 1j, -2j], dt))
case("Reciprocal", x=a([2, 0], i32))
case("Sin", x=rnd(50, dtype=f32) * 10)
case("Cos", x=rnd(50, dtype=f64) * 10)
case("Ceil", x=a([[]], f32))
case("L2Loss", t=a([], f32))
case("L2Loss", t=rnd(5, 7, dtype=f32))
case("L2Loss", t=a(3, f64))

# ---- ClipByValue
case("ClipByValue", t=a([NAN, -5, 5, 1], f32), clip_value_min=a(0, f32), clip_value_max=a(2, f32))
case("ClipByValue", t=a([-5, 5, 1], f32), clip_value_min=a(NAN, f32), clip_value_max=a(2, f32))
case("ClipByValue", t=a([-5, 5, 1], f32), clip_value_min=a(0, f32), clip_value_max=a(NAN, f32))
case("ClipByValue", t=a([-5, 5, 1], f32), clip_value_min=a(3, f32), clip_value_max=a(2, f32))
case(
    "ClipByValue",
    t=a([[1, 5], [-3, 4]], i32),
    clip_value_min=a([[0, 2], [-1, 5]], i32),
    clip_value_max=a([[3, 3], [0, 9]], i32),
)
case(
    "ClipByValue",
    t=a([[1, 5], [-3, 4]], i64),
    clip_value_min=a(0, i64),
    clip_value_max=a([[3, 3], [0, 9]], i64),
)
case("ClipByValue", t=a([-5, 5, 1], f32), clip_value_min=a([1, 2], f32), clip_value_max=a(2, f32))
case("ClipByValue", t=a([-5, 5, 1], f32), clip_value_min=a(0, f32), clip_value_max=a([1], f32))
for dt in FLOATS + (i8, i16, i32, i64, u8, u16):
    case("ClipByValue", t=a([0, 3, 9, 100], dt), clip_value_min=a(2, dt), clip_value_max=a(50, dt))
case("ClipByValue", t=a([0, 3], u32), clip_value_min=a(1, u32), clip_value_max=a(2, u32))
case("ClipByValue", t=a([], f32), clip_value_min=a(1, f32), clip_value_max=a(2, f32))
case(
    "ClipByValue",
    t=a([1 + 5j, 3 - 1j, -2 + 0j], c64),
    clip_value_min=a(0 + 1j, c64),
    clip_value_max=a(2 + 0j, c64),
)

# ---- DivNoNan
for dt in FLOATS:
    case("DivNoNan", x=a([1, NAN, 1, 0, -4, INF], dt), y=a([0, 0, NAN, 0, 2, 0], dt))
case("DivNoNan", x=a([[1], [2]], f64), y=a([0, 4, -0.0], f64))
for dt in (c64, c128):
    case("DivNoNan", x=a([1 + 1j, 2, 3j], dt), y=a([0, 1j, 2], dt))
case("DivNoNan", x=a([1, 2], f32), y=a([1, 2, 3], f32))

# ---- MatrixBandPart
M = a(np.arange(1, 13).reshape(3, 4), f32)
for lo, hi in ((0, -1), (-1, 0), (1, 1), (0, 0), (-1, -1), (2, 0), (3, 4)):
    case("MatrixBandPart", input=M, num_lower=a(lo, i64), num_upper=a(hi, i64))
case("MatrixBandPart", input=ints(2, 3, 3, dtype=i32), num_lower=a(1, i32), num_upper=a(0, i32))
case("MatrixBandPart", input=a(np.ones((2, 2)), bl), num_lower=a(0, i64), num_upper=a(0, i64))
case(
    "MatrixBandPart", input=a([[1 + 1j, 2], [3, 4]], c64), num_lower=a(0, i64), num_upper=a(-1, i64)
)
case("MatrixBandPart", input=a(np.zeros((0, 2, 2)), f64), num_lower=a(0, i64), num_upper=a(0, i64))
case("MatrixBandPart", input=M, num_lower=a(4, i64), num_upper=a(0, i64))
case("MatrixBandPart", input=M, num_lower=a(0, i64), num_upper=a(5, i64))
case("MatrixBandPart", input=M, num_lower=a([0], i64), num_upper=a(0, i64))
case("MatrixBandPart", input=a([1, 2], f32), num_lower=a(0, i64), num_upper=a(0, i64))
case("MatrixBandPart", input=a([[1, 2]], u32), num_lower=a(0, i64), num_upper=a(0, i64))

# ---- InTopKV2
P = a([[0.1, 0.9, 0.5, 0.5], [1, 1, 1, 1], [NAN, 0, 1, 2], [0, INF, 1, 2], [3, 2, 1, 0]], f32)
for k in (0, 1, 2, 3, 5):
    case("InTopKV2", predictions=P, targets=a([2, 3, 3, 0, 3], i32), k=a(k, i32))
case("InTopKV2", predictions=P, targets=a([4, -1, 2, 2, 1], i64), k=a(2, i64))
case("InTopKV2", predictions=P, targets=a([4, -1, 2, 2], i32), k=a(2, i32))
case("InTopKV2", predictions=a([[1, -INF, 0]], f32), targets=a([0], i32), k=a(2, i32))
case("InTopKV2", predictions=a([1, 2], f32), targets=a([0], i32), k=a(1, i32))
case("InTopKV2", predictions=P, targets=a([2, 3, 3, 0, 3], i32), k=a([1], i32))
case("InTopKV2", predictions=a(np.zeros((0, 3)), f32), targets=a([], i32), k=a(1, i32))

# --------------------------------------------------------------------------- scans
X = a([[1, 2, 3], [4, 5, 6]], f32)
for op in ("Cumsum", "Cumprod"):
    for exclusive in (False, True):
        for reverse in (False, True):
            case(op, x=X, axis=a(1, i32), exclusive=exclusive, reverse=reverse)
            case(
                op,
                x=ints(2, 3, 4, low=1, high=4),
                axis=a(-3, i64),
                exclusive=exclusive,
                reverse=reverse,
            )
    for dt in FLOATS + INTS + (c64, c128):
        case(op, x=a([[1, 2], [3, 1]], dt), axis=a(0, i32))
    case(op, x=a([1, NAN, 2], f32), axis=a(0, i32))
    case(op, x=a([[]], f32), axis=a(1, i32), exclusive=True)
    case(op, x=X, axis=a(2, i32))
    case(op, x=X, axis=a(-3, i32))
    case(op, x=a(3, f32), axis=a(0, i32))
    case(op, x=X, axis=a([1], i32))
    case(op, x=a([100, 100, 100], i8), axis=a(0, i32))

# --------------------------------------------------------------------------- TopKV2
# No NaN: TF's comparator-based selection gives NaN-dependent orders (unspecified).
T5 = a([[3, 1, 3, 2, 1], [0, 0, 0, 0, 0], [5, -1, -INF, 2, 5]], f32)
for k in (0, 1, 2, 3, 5):
    case("TopKV2", input=T5, k=a(k, i32))
case("TopKV2", input=T5, k=a(3, i32), sorted=False)
case("TopKV2", input=rnd(2, 3, 40), k=a(7, i32), sorted=False)
case("TopKV2", input=rnd(2, 3, 40), k=a(7, i32))
case("TopKV2", input=rnd(100, dtype=f64), k=a(40, i64))
for dt in FLOATS + INTS:
    case("TopKV2", input=a([3, 1, 4, 1, 5, 9, 2, 6], dt), k=a(3, i32))
case("TopKV2", input=a([3, 1, 4], i32), k=a(2, i32), index_type=tf.int64)
case("TopKV2", input=a([3, 1, 4], i32), k=a(2, i16), index_type=tf.int16)
case("TopKV2", input=a([3, 1, 4], f32), k=a(4, i32))
case("TopKV2", input=a([3, 1, 4], f32), k=a(-1, i32))
case("TopKV2", input=a(3, f32), k=a(1, i32))
case("TopKV2", input=a([3, 1, 4], f32), k=a([1], i32))
case("TopKV2", input=a(np.zeros((0, 4)), f32), k=a(2, i32))

# --------------------------------------------------------------------------- OneHot
IDX = a([[0, 2], [-1, 5]], i32)
for axis in (-1, 0, 1, 2):
    case(
        "OneHot", indices=IDX, depth=a(3, i32), on_value=a(5, f32), off_value=a(-1, f32), axis=axis
    )
case(
    "OneHot", indices=a([1, 0], i64), depth=a(2, i32), on_value=a(True, bl), off_value=a(False, bl)
)
case("OneHot", indices=a([1, 0, 200], u8), depth=a(3, i32), on_value=sc("on"), off_value=sc("off"))
case("OneHot", indices=a([1, -3], i8), depth=a(2, i32), on_value=a(1, i64), off_value=a(0, i64))
case("OneHot", indices=a(1, i32), depth=a(4, i32), on_value=a(1, f64), off_value=a(0, f64))
case("OneHot", indices=a([1], i32), depth=a(0, i32), on_value=a(1, f32), off_value=a(0, f32))
case("OneHot", indices=a([], i32), depth=a(3, i32), on_value=a(1, f32), off_value=a(0, f32))
case("OneHot", indices=a([1], i32), depth=a(-1, i32), on_value=a(1, f32), off_value=a(0, f32))
case("OneHot", indices=a([1], i32), depth=a(2, i32), on_value=a([1], f32), off_value=a(0, f32))
case("OneHot", indices=a([1], i32), depth=a([2], i32), on_value=a(1, f32), off_value=a(0, f32))
case("OneHot", indices=a([1], i32), depth=a(2, i32), on_value=a(1, f32), off_value=a([0], f32))
for dt in (f16, bf16, i8, u16, c64):
    case("OneHot", indices=a([1, 0], i32), depth=a(2, i32), on_value=a(3, dt), off_value=a(1, dt))

# --------------------------------------------------------------------------- DenseBincount
case("DenseBincount", input=a([1, 1, 3, 0, 7], i32), size=a(5, i32), weights=a([], f32))
case("DenseBincount", input=a([1, 1, 3, 0, 7], i64), size=a(5, i64), weights=a([], i64))
case(
    "DenseBincount",
    input=a([1, 1, 3, 0], i32),
    size=a(4, i32),
    weights=a([0.5, 2, 1, 3], f64),
)
case(
    "DenseBincount",
    input=a([1, 1, 3, 0], i32),
    size=a(4, i32),
    weights=a([5, 2, 1, 3], i32),
    binary_output=True,
)
case(
    "DenseBincount",
    input=a([1, 1, 3, 0], i32),
    size=a(4, i32),
    weights=a([], f32),
    binary_output=True,
)
case(
    "DenseBincount",
    input=a([[1, 1, 3], [0, 0, 9]], i32),
    size=a(4, i32),
    weights=a([[1, 2, 3], [4, 5, 6]], f32),
)
case("DenseBincount", input=a([[1, 1, 3], [0, 0, 2]], i64), size=a(3, i64), weights=a([], f64))
case(
    "DenseBincount",
    input=a([[1, 1, 3], [0, 0, 2]], i32),
    size=a(4, i32),
    weights=a([], i32),
    binary_output=True,
)
case("DenseBincount", input=a([1, 2], i32), size=a(0, i32), weights=a([], f32))
case("DenseBincount", input=a([], i32), size=a(3, i32), weights=a([], f32))
case("DenseBincount", input=a([1, -1], i32), size=a(3, i32), weights=a([], f32))
case("DenseBincount", input=a([[1, -1]], i32), size=a(3, i32), weights=a([], f32))
case("DenseBincount", input=a([1, 2], i32), size=a(-1, i32), weights=a([], f32))
case("DenseBincount", input=a([1, 2], i32), size=a([3], i32), weights=a([], f32))
case("DenseBincount", input=a([1, 2], i32), size=a(3, i32), weights=a([1, 2, 3], f32))
case("DenseBincount", input=a([[[1]]], i32), size=a(3, i32), weights=a([], f32))

# --------------------------------------------------------------------------- segments
D = a([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]], f32)
for dt in FLOATS + INTS + (c64, c128):
    case(
        "UnsortedSegmentSum",
        data=a([1, 2, 3, 4], dt),
        segment_ids=a([0, 2, 0, 1], i32),
        num_segments=a(3, i32),
    )
for dt in FLOATS + INTS:
    case(
        "UnsortedSegmentMax",
        data=a([1, 2, 3, 4], dt),
        segment_ids=a([0, 3, 0, 1], i32),
        num_segments=a(4, i32),
    )
for dt in FLOATS + INTS + (c64,):
    case("SegmentSum", data=a([1, 2, 3, 4], dt), segment_ids=a([0, 0, 2, 3], i32))
for op in ("UnsortedSegmentSum", "UnsortedSegmentMax"):
    case(op, data=D, segment_ids=a([1, -1, 1, 0], i64), num_segments=a(3, i64))
    case(op, data=D, segment_ids=a([[0, 1], [1, 0]], i32), num_segments=a(2, i32))
    case(op, data=D, segment_ids=a([0, 5, 1, 0], i32), num_segments=a(3, i32))
    case(op, data=D, segment_ids=a([0, 1, 1], i32), num_segments=a(3, i32))
    case(op, data=D, segment_ids=a([0, 1, 1, 0], i32), num_segments=a(-1, i32))
    case(op, data=D, segment_ids=a([0, 1, 1, 0], i32), num_segments=a(0, i32))
    case(op, data=D, segment_ids=a([0, 1, 1, 0], i32), num_segments=a([2], i32))
    case(op, data=a(np.zeros((0, 3)), f32), segment_ids=a([], i32), num_segments=a(2, i32))
    case(
        op,
        data=a([1, NAN, 3, 2, 5], f32),
        segment_ids=a([0, 0, 1, 1, 0], i32),
        num_segments=a(2, i32),
    )
    ids_type = i16 if op == "UnsortedSegmentSum" else i64
    case(op, data=ints(4, 2, 3), segment_ids=a([3, 2, 3, 0], ids_type), num_segments=a(5, i32))
case("SegmentSum", data=D, segment_ids=a([0, 0, 1, 3], i64))
case("SegmentSum", data=D, segment_ids=a([0, 1, 0, 2], i32))
case("SegmentSum", data=D, segment_ids=a([-1, 0, 0, 1], i32))
case("SegmentSum", data=D, segment_ids=a([0, 0, 1], i32))
case("SegmentSum", data=D, segment_ids=a([[0, 0], [1, 1]], i32))
case("SegmentSum", data=a(np.zeros((0, 3)), f32), segment_ids=a([], i32))
case("SegmentSum", data=D, segment_ids=a([2, 2, 3, 3], i32))

# --------------------------------------------------------------------------- Einsum
EINSUM = [
    ("ij,jk->ik", [rnd(2, 3), rnd(3, 4)]),
    ("bij,bjk->bik", [rnd(2, 2, 3), rnd(2, 3, 4)]),
    ("ij->ji", [rnd(2, 3)]),
    ("ij->", [rnd(2, 3)]),
    ("ii->i", [rnd(3, 3)]),
    ("ij,ij->i", [rnd(2, 3), rnd(2, 3)]),
    ("i,j->ij", [rnd(2), rnd(3)]),
    ("...ij,...jk->...ik", [rnd(2, 1, 2, 3), rnd(4, 3, 5)]),
    ("ij...,jk...->ik...", [rnd(2, 3, 4), rnd(3, 5, 4)]),
    ("...j,j->...", [rnd(2, 3, 4), rnd(4)]),
    ("bqhd,bkhd->bhqk", [rnd(2, 3, 2, 4), rnd(2, 5, 2, 4)]),
    ("abc,cd->abd", [rnd(2, 3, 4), rnd(4, 5)]),
    ("ba,ab->", [rnd(3, 2), rnd(2, 3)]),
    ("ij,jk->ik", [ints(2, 3), ints(3, 2)]),
    ("ij,jk->ik", [ints(2, 3, dtype=i64), ints(3, 2, dtype=i64)]),
    ("ij,jk->ik", [rnd(2, 3, dtype=f64), rnd(3, 2, dtype=f64)]),
    ("ij,jk->ik", [rnd(2, 3, dtype=f16), rnd(3, 2, dtype=f16)]),
    ("ij,jk->ik", [a([[1j, 2]], c64), a([[1], [1j]], c64)]),
    ("ij,jk->ik", [rnd(0, 3), rnd(3, 2)]),
    ("ij,jk->ik", [rnd(2, 3), rnd(4, 2)]),
    ("ij,jk->ik", [rnd(2, 3, 1), rnd(3, 2)]),
    ("i,i->i", [rnd(2), rnd(1)]),
    ("...i,...i->...", [rnd(2, 3), rnd(4, 3)]),
    ("ij,jk->ik", [ints(2, 3, dtype=i8), ints(3, 2, dtype=i8)]),
    ("ij,jk->ik", [rnd(2, 3, dtype=bf16), rnd(3, 2, dtype=bf16)]),
    ("ij,kj->ik", [rnd(2, 3, dtype=c128), rnd(4, 3, dtype=c128)]),
]
for eq, operands in EINSUM:
    case("Einsum", inputs=operands, equation=eq)

# --------------------------------------------------------------------------- Split / SplitV
V = a(np.arange(24).reshape(2, 6, 2), i32)
case("Split", axis=a(1, i32), value=V, num_split=3)
case("Split", axis=a(-1, i32), value=V, num_split=2)
case("Split", axis=a(0, i32), value=V, num_split=1)
case("Split", axis=a(1, i32), value=V, num_split=4)
case("Split", axis=a(3, i32), value=V, num_split=2)
case("Split", axis=a(0, i32), value=s("a", "b", "c", "d"), num_split=2)
case("Split", axis=a(1, i32), value=a(np.zeros((2, 0)), f32), num_split=2)
case("SplitV", value=V, size_splits=a([1, -1, 2], i32), axis=a(1, i32), num_split=3)
case("SplitV", value=V, size_splits=a([1, 5], i64), axis=a(-2, i32), num_split=2)
case("SplitV", value=V, size_splits=a([2, 0], i8), axis=a(0, i32), num_split=2)
case("SplitV", value=V, size_splits=a([1, 2], i32), axis=a(1, i32), num_split=2)
case("SplitV", value=V, size_splits=a([-1, -1], i32), axis=a(1, i32), num_split=2)
case("SplitV", value=V, size_splits=a([1, 7, -1], i32), axis=a(1, i32), num_split=3)
case("SplitV", value=V, size_splits=a([6], i32), axis=a(1, i32), num_split=1)
case("SplitV", value=V, size_splits=a([2, 4], i32), axis=a(5, i32), num_split=2)
case("SplitV", value=V, size_splits=a([-2, 8], i32), axis=a(1, i32), num_split=2)

# --------------------------------------------------------------------------- ReverseV2 / Roll
R = a(np.arange(24).reshape(2, 3, 4), f32)
case("ReverseV2", tensor=R, axis=a([0, 2], i32))
case("ReverseV2", tensor=R, axis=a([-1], i64))
case("ReverseV2", tensor=R, axis=a([], i32))
case("ReverseV2", tensor=s("a", "b", "c"), axis=a([0], i32))
case("ReverseV2", tensor=R, axis=a([0, -3], i32))
case("ReverseV2", tensor=R, axis=a([3], i32))
case("ReverseV2", tensor=a(5, i32), axis=a([], i32))
case("ReverseV2", tensor=R, axis=a(0, i32))
case("ReverseV2", tensor=a([True, False], bl), axis=a([0], i32))
case("Roll", input=R, shift=a(1, i32), axis=a(2, i32))
case("Roll", input=R, shift=a([-1, 5], i64), axis=a([1, -1], i64))
case("Roll", input=R, shift=a([1, 2], i32), axis=a([2, 2], i32))
case("Roll", input=R, shift=a([1, 2], i32), axis=a([2], i32))
case("Roll", input=R, shift=a(1, i32), axis=a(3, i32))
case("Roll", input=a(5, i32), shift=a(1, i32), axis=a(0, i32))
case("Roll", input=s("a", "b", "c"), shift=a(-4, i32), axis=a(0, i32))
case("Roll", input=a(np.zeros((0, 3)), f32), shift=a(1, i32), axis=a(0, i32))
case("Roll", input=R, shift=a([[1]], i32), axis=a([[1]], i32))

# --------------------------------------------------------------------------- GatherNd / scatter
G = a(np.arange(24).reshape(2, 3, 4), f32)
case("GatherNd", params=G, indices=a([[0, 1], [1, 2]], i32))
case("GatherNd", params=G, indices=a([[1, 2, 3], [0, 0, 0]], i64))
case("GatherNd", params=G, indices=a([[[1]], [[0]]], i32))
case("GatherNd", params=G, indices=a([1, 0], i16))
case("GatherNd", params=G, indices=a(np.zeros((0, 2)), i32))
case("GatherNd", params=G, indices=a(np.zeros((2, 0)), i32))
case("GatherNd", params=s("a", "b", "c"), indices=a([[2], [0]], i32))
case("GatherNd", params=G, indices=a([[0, 3]], i32))
case("GatherNd", params=G, indices=a([[0, -1]], i32))
case("GatherNd", params=G, indices=a([[0, 0, 0, 0]], i32))
case("GatherNd", params=a(5, f32), indices=a([0], i32))
case("GatherNd", params=a(np.zeros((0, 2)), f32), indices=a([[0]], i32))
case("GatherNd", params=a(np.zeros((0, 2)), f32), indices=a(np.zeros((0, 1)), i32))
case(
    "ScatterNd",
    indices=a([[4], [3], [1], [7], [1]], i32),
    updates=a([9, 10, 11, 12, 1], f32),
    shape=a([8], i32),
)
case(
    "ScatterNd",
    indices=a([[0], [2], [0]], i64),
    updates=a(np.arange(24).reshape(3, 2, 4), i32),
    shape=a([4, 2, 4], i64),
)
case(
    "ScatterNd", indices=a([[1, 1], [0, 2]], i32), updates=a([1 + 1j, 2], c64), shape=a([2, 3], i32)
)
case("ScatterNd", indices=a([[1], [1]], i32), updates=a([True, True], bl), shape=a([3], i32))
case("ScatterNd", indices=a([[8]], i32), updates=a([1], f32), shape=a([8], i32))
case("ScatterNd", indices=a([[-1]], i32), updates=a([1], f32), shape=a([8], i32))
case("ScatterNd", indices=a([[1]], i32), updates=a([1, 2], f32), shape=a([8], i32))
case("ScatterNd", indices=a([[1]], i32), updates=a([[1, 2]], f32), shape=a([8, 3], i32))
case("ScatterNd", indices=a(np.zeros((0, 1)), i32), updates=a([], f32), shape=a([3], i32))
case("ScatterNd", indices=a([[1]], i32), updates=a([1], f32), shape=a([0], i32))
case("ScatterNd", indices=a([[0]], i32), updates=s("x"), shape=a([2], i32))
case(
    "ScatterNd",
    indices=a(np.zeros((2, 0)), i32),
    updates=a([[1, 2], [3, 4]], f32),
    shape=a([2], i32),
)
TSU = a(np.arange(8).reshape(4, 2), f32)
for op in ("TensorScatterUpdate", "TensorScatterAdd"):
    case(op, tensor=TSU, indices=a([[1], [3]], i32), updates=a([[9, 9], [7, 7]], f32))
    case(op, tensor=TSU, indices=a([[1, 0], [1, 0]], i64), updates=a([5, 6], f32))
    case(op, tensor=TSU, indices=a([[4]], i32), updates=a([[9, 9]], f32))
    case(op, tensor=TSU, indices=a([[1]], i32), updates=a([[9, 9, 9]], f32))
    case(op, tensor=TSU, indices=a(np.zeros((0, 1)), i32), updates=a(np.zeros((0, 2)), f32))
    case(op, tensor=a([1, 2, 3], i32), indices=a([[0], [2]], i32), updates=a([10, 20], i32))
case("TensorScatterUpdate", tensor=s("a", "b"), indices=a([[1]], i32), updates=s("z"))
case("TensorScatterUpdate", tensor=a([1, 2], bl), indices=a([[1]], i32), updates=a([False], bl))

# --------------------------------------------------------------------------- Unique, shapes
case("Unique", x=a([1, 1, 2, 4, 4, 4, 7, 8, 8], i32))
case("Unique", x=a([5, 3, 5, 1, 3], i64), out_idx=tf.int64)
case("Unique", x=a([0.5, -0.0, 0.0, 0.5, 2], f32))
case("Unique", x=s("b", "a", "b", "c"))
case("Unique", x=a([], f32))
case("Unique", x=a([NAN, 1, NAN, 1], f32))
case("Unique", x=a([[1, 2]], i32))
case("Unique", x=a([True, False, True], bl))
case("Unique", x=a([1, 2, 1], u8))
for dt in (f16, bf16, f64, i8, u64):
    case("Unique", x=a([3, 1, 3], dt))
case("ShapeN", input=[rnd(2, 3), rnd(), rnd(0)])
case("ShapeN", input=[rnd(2, 0, 1), rnd(4)], out_type=tf.int64)
case("BroadcastArgs", s0=a([2, 1, 3], i32), s1=a([4, 1], i32))
case("BroadcastArgs", s0=a([], i64), s1=a([5], i64))
case("BroadcastArgs", s0=a([0, 1], i32), s1=a([1], i32))
case("BroadcastArgs", s0=a([2, 3], i32), s1=a([4], i32))
case("BroadcastArgs", s0=a([[2]], i32), s1=a([4], i32))
case("EnsureShape", input=rnd(2, 3), shape=[2, 3])
case("EnsureShape", input=rnd(2, 3), shape=[None, 3])
case("EnsureShape", input=rnd(2, 3), shape=None)
case("EnsureShape", input=rnd(2, 3), shape=[3, 2])
case("EnsureShape", input=rnd(2, 3), shape=[None])
case("EnsureShape", input=s("a"), shape=[1])
case("EnsureShape", input=a(1, i32), shape=[])
for dt in FLOATS:
    case("CheckNumerics", tensor=a([1, 2], dt), message="ok")
    case("CheckNumerics", tensor=a([1, NAN], dt), message="bad values")
case("CheckNumerics", tensor=a([INF, 1], f32), message="inf here")
case("CheckNumerics", tensor=a([-INF, NAN], f64), message="both")
case("CheckNumerics", tensor=a([], f32), message="")


# --------------------------------------------------------------------------- TF1 graphs
# name -> builder of TF1 API calls on x = placeholder(float32, [2, 3], "x") and
# i = placeholder(int32, [4], "i"); tests/graph/test_math_array_kernels.py builds the same
# calls with stowflow and compares every node (name, op, inputs, attrs).
tf1 = tf.compat.v1
GRAPHS: dict[str, Any] = {
    "split": lambda x, i: tf1.split(x, 3, axis=1),
    "split_sizes": lambda x, i: tf1.split(x, [1, -1], 1),
    "reverse": lambda x, i: tf1.reverse(x, [-1]),
    "gather_nd": lambda x, i: tf1.gather_nd(x, [[0, 1]]),
    "scatter_nd": lambda x, i: tf1.scatter_nd([[1]], [5.0], [4]),
    "tensor_scatter_update": lambda x, i: tf1.tensor_scatter_update(x, [[1]], [[1.0, 2, 3]]),
    "tensor_scatter_add": lambda x, i: tf1.tensor_scatter_add(x, [[1]], [[1.0, 2, 3]]),
    "unique": lambda x, i: tf1.unique(i, out_idx=tf.int64),
    "roll": lambda x, i: tf1.roll(x, [1, 2], [0, 1]),
    "one_hot": lambda x, i: tf1.one_hot(i, 3),
    "one_hot_values": lambda x, i: tf1.one_hot(i, 3, 2.0, -1.0, axis=0, dtype=tf.float64),
    "top_k": lambda x, i: tf1.nn.top_k(x, 2, sorted=False),
    "in_top_k": lambda x, i: tf1.nn.in_top_k(x, [0, 1], 1),
    "in_top_k_named": lambda x, i: tf1.nn.in_top_k(x, [0, 1], 1, name="hits"),
    "einsum": lambda x, i: tf1.einsum("ij,kj->ik", x, x),
    "einsum_implicit": lambda x, i: tf1.einsum("ij,kj", x, x),
    "cumsum": lambda x, i: tf1.cumsum(x, axis=1, exclusive=True, reverse=True),
    "cumprod": lambda x, i: tf1.cumprod(x, name="cp"),
    "clip_by_value": lambda x, i: tf1.clip_by_value(x, 0.0, 1.0),
    "squared_difference": lambda x, i: tf1.math.squared_difference(x, 2.0),
    "softplus": lambda x, i: tf1.nn.softplus(x),
    "leaky_relu": lambda x, i: tf1.nn.leaky_relu(x, alpha=0.1),
    "leaky_relu_int": lambda x, i: tf1.nn.leaky_relu(i),
    "selu": lambda x, i: tf1.nn.selu(x),
    "unary": lambda x, i: [
        tf1.reciprocal(x),
        tf1.sign(x),
        tf1.round(x),
        tf1.round(i),
        tf1.ceil(x),
        tf1.sin(x),
        tf1.cos(x),
        tf1.is_nan(x),
        tf1.is_finite(x),
    ],
    "div_no_nan": lambda x, i: tf1.div_no_nan(x, 2.0),
    "l2_loss": lambda x, i: tf1.nn.l2_loss(x),
    "reduce_all": lambda x, i: tf1.reduce_all(tf1.is_nan(x), axis=1, keepdims=True),
    "reduce_any": lambda x, i: tf1.reduce_any(tf1.is_nan(x)),
    "unsorted_segment_sum": lambda x, i: tf1.unsorted_segment_sum(x, [0, 1], 3),
    "unsorted_segment_max": lambda x, i: tf1.unsorted_segment_max(x, [0, 1], 3),
    "segment_sum": lambda x, i: tf1.segment_sum(x, [0, 0]),
    "matrix_band_part": lambda x, i: tf1.matrix_band_part(x, 0, -1),
    "shape_n": lambda x, i: tf1.shape_n([x, x], out_type=tf.int64),
    "broadcast_dynamic_shape": lambda x, i: tf1.broadcast_dynamic_shape([2, 1], [3]),
    "ensure_shape": lambda x, i: tf1.ensure_shape(x, [None, 3]),
    "check_numerics": lambda x, i: tf1.check_numerics(x, "bad x"),
}


# The values fed to x and i when the graph cases run.
GRAPH_FEEDS = {"x": a([[0.5, -1, 2], [3, -0.25, 0]], f32), "i": a([0, 2, 1, 2], i32)}


def _flat(result: Any) -> list[Any]:
    if isinstance(result, list | tuple):
        return [t for item in result for t in _flat(item)]
    return [result]


def record_graph(build: Any) -> dict[str, Any]:
    """Every node of the graph ``build`` makes, and its outputs run on GRAPH_FEEDS."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf1.placeholder(tf.float32, [2, 3], name="x")
        i = tf1.placeholder(tf.int32, [4], name="i")
        fetches = _flat(build(x, i))
        with tf1.Session(graph=graph) as sess:
            values = sess.run(fetches, {x: GRAPH_FEEDS["x"], i: GRAPH_FEEDS["i"]})
    nodes = [
        {
            "name": n.name,
            "op": n.op,
            "input": list(n.input),
            "attr": {
                k: base64.b64encode(v.SerializeToString()).decode()
                for k, v in sorted(n.attr.items())
            },
        }
        for n in graph.as_graph_def().node
    ]
    return {
        "feeds": {k: base.encode_array(v) for k, v in GRAPH_FEEDS.items()},
        "nodes": nodes,
        "outputs": [base.encode_array(v) for v in values],
    }


def main() -> None:
    records, malformed = [], []
    for i, (op_type, kwargs) in enumerate(CASES):
        try:
            rec = base.run_case(op_type, kwargs)
        except (TypeError, ValueError) as e:  # the case itself is malformed: fix the table
            malformed.append(f"case {i} {op_type}: {str(e)[:150]}")
            continue
        rec["id"] = f"{i:03d}-{op_type}"
        records.append(rec)
    if malformed:
        raise SystemExit("\n".join(malformed))
    with open(OUT, "w") as f:
        graphs = {name: record_graph(build) for name, build in GRAPHS.items()}
        json.dump({"tensorflow": tf.__version__, "cases": records, "graphs": graphs}, f, indent=0)
    errors = sum("error" in r for r in records)
    print(f"wrote {len(records)} cases ({errors} error cases) to {OUT}")


if __name__ == "__main__":
    main()
