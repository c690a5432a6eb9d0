"""Makes shape_table.json: TF's static output shapes (or build-time errors) per op and inputs.

NEEDS TENSORFLOW. Run with the TF venv from the repository root:

    "$(scripts/tf_venv)" tests/golden/fidelity/make_shape_table.py

Each case builds one op with ``tf.raw_ops.<Op>`` in a TF1 graph (TF1 shape printing,
``disable_v2_tensorshape``) from placeholders of given static shapes (``p0``, ``p1``...)
and constants (``c0``...), and records ``str(shape)`` of every output, or the error class
and message TF raises at graph construction (its C++ shape function or OpDef type check).
tests/graph/test_tf1_shapes.py builds the same op through stowflow's generic builder.

Input specs: ``["ph", dtype, shape-or-null]``, ``["c", dtype, value]``, ``["list", [...]]``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_v2_behavior()
tf1.disable_v2_tensorshape()

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "shape_table.json")

F, I32, I64, B, S = "float32", "int32", "int64", "bool", "string"


def ph(shape: Any, dtype: str = F) -> list[Any]:
    return ["ph", dtype, shape]


def c(value: Any, dtype: str = I32) -> list[Any]:
    return ["c", dtype, value]


def lst(*items: Any) -> list[Any]:
    return ["list", list(items)]


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = []


def case(op: str, inputs: dict[str, Any], **attrs: Any) -> None:
    CASES.append((op, inputs, attrs))


UNARY = [
    "Abs",
    "Neg",
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
    "ZerosLike",
    "OnesLike",
    "StopGradient",
    "Identity",
]
for op in UNARY:
    case(
        op,
        {
            "x"
            if op not in ("Relu", "Relu6", "Elu", "Identity", "StopGradient")
            else ("features" if op.startswith(("Relu", "Elu")) else "input"): ph([None, 3])
        },
    )
case("Sqrt", {"x": ph([2], I32)})
case("LogicalNot", {"x": ph([None, 2], B)})
case("Cast", {"x": ph([None, 3])}, DstT="int32")
for op in ["Softmax", "LogSoftmax"]:
    case(op, {"logits": ph([None, 4])})
    case(op, {"logits": ph([])})
    case(op, {"logits": ph(None)})

BINARY = [
    "Add",
    "AddV2",
    "Sub",
    "Mul",
    "RealDiv",
    "Div",
    "FloorDiv",
    "FloorMod",
    "Pow",
    "Maximum",
    "Minimum",
    "Equal",
    "NotEqual",
    "Less",
    "LessEqual",
    "Greater",
    "GreaterEqual",
]
PAIRS = [
    ([None, 3], [3]),
    ([None, 1], [2, 1, 4]),
    (None, [3]),
    ([2], [3]),
    ([1], [None]),
    ([None], [None]),
    ([5, 1], [1, 7]),
    ([], [2, 2]),
]
for op in BINARY:
    for a, b in PAIRS[:3] if op not in ("Add", "AddV2", "Mul") else PAIRS:
        case(op, {"x": ph(a), "y": ph(b)})
case("AddV2", {"x": ph([2]), "y": ph([2], I32)})
case("LogicalAnd", {"x": ph([None, 3], B), "y": ph([3], B)})
case("LogicalOr", {"x": ph([2], B), "y": ph([3], B)})
case("AddN", {"inputs": lst(ph([None, 3]), ph([2, None]))})
case("AddN", {"inputs": lst(ph([2, 3]), ph([2, 4]))})
case("AddN", {"inputs": lst(ph([2, 3]), ph([2, 3], I32))})
case("Size", {"input": ph([None, 3])})
case("Rank", {"input": ph(None)})
case("Shape", {"input": ph([None, 3])})
case("Shape", {"input": ph(None)})

for ta in (False, True):
    for tb in (False, True):
        case(
            "MatMul",
            {"a": ph([None, 3]), "b": ph([3, 5] if not tb else [5, 3])},
            transpose_a=ta,
            transpose_b=tb,
        )
case("MatMul", {"a": ph([None, 3]), "b": ph([4, 4])})
case("MatMul", {"a": ph([2, 2, 3]), "b": ph([3, 4])})
case("MatMul", {"a": ph(None), "b": ph([3, 4])})
case("BatchMatMulV2", {"x": ph([7, 1, 2, 3]), "y": ph([4, 3, 6])})
case("BatchMatMulV2", {"x": ph([None, 2, 3]), "y": ph([3, 6])}, adj_x=False, adj_y=False)
case("BatchMatMulV2", {"x": ph([2, 3, 2]), "y": ph([2, 4, 4])})
case("BatchMatMulV2", {"x": ph([3]), "y": ph([3, 4])})

for op in ["Sum", "Mean", "Max", "Min", "Prod"]:
    case(op, {"input": ph([2, None, 4]), "axis": c([-1])}, keep_dims=False)
    case(op, {"input": ph([2, None, 4]), "axis": c(0)}, keep_dims=True)
case("Sum", {"input": ph([2, None, 4]), "axis": ph([1], I32)}, keep_dims=True)
case("Sum", {"input": ph([2, None, 4]), "axis": ph([1], I32)}, keep_dims=False)
case("Sum", {"input": ph([2, 3]), "axis": c(5)}, keep_dims=False)
case("Sum", {"input": ph([2, 3]), "axis": c([0, -3])}, keep_dims=False)
case("Sum", {"input": ph(None), "axis": c([0])}, keep_dims=True)
case("Sum", {"input": ph([2, 3]), "axis": c([], I32)}, keep_dims=False)
case("All", {"input": ph([2, 3], B), "axis": c([1])}, keep_dims=False)
case("Any", {"input": ph([2, 3], B), "axis": c([0, 1])}, keep_dims=True)
for op in ["ArgMax", "ArgMin"]:
    case(op, {"input": ph([2, None, 4]), "dimension": c(2)})
    case(op, {"input": ph([2, 3]), "dimension": c(2)})
    case(op, {"input": ph([2, 3]), "dimension": ph([], I32)})

case("Reshape", {"tensor": ph([2, 6]), "shape": c([-1, 4])})
case("Reshape", {"tensor": ph([None, 6]), "shape": c([-1, 4])})
case("Reshape", {"tensor": ph([2, 6]), "shape": ph([3], I32)})
case("Reshape", {"tensor": ph([2, 3]), "shape": c([4])})
case("Reshape", {"tensor": ph([2, 3]), "shape": c([4, -1])})
case("Reshape", {"tensor": ph([None, 3]), "shape": c([4, 2, 1])})
case("Reshape", {"tensor": ph([None, 3]), "shape": c([-1, 3])})
case("Reshape", {"tensor": ph([None, 3]), "shape": c([-1, 6])})
case("Reshape", {"tensor": ph(None), "shape": c([-1, 6])})
case("Reshape", {"tensor": ph([2, 3]), "shape": c([2, -3])})
case("Reshape", {"tensor": ph([0, 3]), "shape": c([-1, 0])})

case("Fill", {"dims": c([2, 3]), "value": ph([])})
case("Fill", {"dims": ph([2], I32), "value": ph([])})
case("BroadcastTo", {"input": ph([3]), "shape": c([2, 3])})
case("RandomUniform", {"shape": c([2, 3])}, dtype="float32")
case("RandomStandardNormal", {"shape": ph([3], I32)}, dtype="float32")
case("TruncatedNormal", {"shape": c([4])}, dtype="float32")

case("ConcatV2", {"values": lst(ph([2, 3]), ph([2, None])), "axis": c(-1)})
case("ConcatV2", {"values": lst(ph([2, 3]), ph([2, None])), "axis": c(0)})
case("ConcatV2", {"values": lst(ph([None, 3]), ph([2, 2, 2])), "axis": c(0)})
case("ConcatV2", {"values": lst(ph([None, 3]), ph([2, 2])), "axis": c(0)})
case("ConcatV2", {"values": lst(ph([None, 3]), ph([2, 3])), "axis": ph([], I32)})
case("ConcatV2", {"values": lst(ph(None), ph([2, 3])), "axis": c(1)})
case("ConcatV2", {"values": lst(ph([2, 3]), ph([2, 3])), "axis": c(2)})
case("Pack", {"values": lst(ph([2]), ph([None]))}, axis=-1)
case("Pack", {"values": lst(ph([None, 3]), ph([2, 2]))}, axis=0)
case("Pack", {"values": lst(ph([None, 3]), ph([2, 3]))}, axis=1)
case("Pack", {"values": lst(ph([3]), ph([3]))}, axis=3)
case("Unpack", {"value": ph([None, 3])}, num=3, axis=1)
case("Unpack", {"value": ph([4, 3])}, num=2, axis=1)

case("Transpose", {"x": ph([None, 3]), "perm": c([1, 0])})
case("Transpose", {"x": ph([None, 3]), "perm": ph([2], I32)})
case("Transpose", {"x": ph([4, 4]), "perm": ph([2], I32)})
case("Transpose", {"x": ph([None, 3]), "perm": c([0, 1, 2])})
case("Transpose", {"x": ph(None), "perm": c([2, 0, 1])})
case("Transpose", {"x": ph([2, 3, 4]), "perm": c([2, 0, 1])})

case("ExpandDims", {"input": ph([2, 3]), "axis": c(-1)})
case("ExpandDims", {"input": ph([2, 3]), "axis": c(5)})
case("ExpandDims", {"input": ph([2, 3]), "axis": ph([], I32)})
case("Squeeze", {"input": ph([1, 3, 1])}, axis=[])
case("Squeeze", {"input": ph([1, None])}, axis=[])
case("Squeeze", {"input": ph([None, 3])}, axis=[1])
case("Squeeze", {"input": ph([None, 1, 2])}, axis=[0, 1])
case("Squeeze", {"input": ph([1, 2])}, axis=[4])
case("Tile", {"input": ph([2, None]), "multiples": c([3, 2])})
case("Tile", {"input": ph([None, 3]), "multiples": c([1, 2, 3])})
case("Tile", {"input": ph([None, 3]), "multiples": ph([2], I32)})

case("Range", {"start": c(0), "limit": c(10), "delta": c(3)})
case("Range", {"start": c(0.0, F), "limit": ph([], F), "delta": c(1.0, F)})
case("Range", {"start": c(5), "limit": c(1), "delta": c(-2)})
case("Slice", {"input": ph([5, None, 4]), "begin": c([1, 0, 1]), "size": c([-1, 2, -1])})
case("Slice", {"input": ph([5, None, 4]), "begin": ph([3], I32), "size": c([-1, 2, -1])})
case("Slice", {"input": ph([2, 3]), "begin": c([0, 0]), "size": c([3, 1])})
case("Slice", {"input": ph([2, 3]), "begin": c([0, 0]), "size": ph([2], I32)})
case(
    "StridedSlice",
    {"input": ph([5, None, 4]), "begin": c([1, 0]), "end": c([2, 0]), "strides": c([1, 1])},
    begin_mask=0,
    end_mask=2,
    ellipsis_mask=0,
    new_axis_mask=0,
    shrink_axis_mask=1,
)
case(
    "StridedSlice",
    {"input": ph([5, None, 4]), "begin": c([0, 0]), "end": c([0, 0]), "strides": c([1, 1])},
    begin_mask=0,
    end_mask=0,
    ellipsis_mask=2,
    new_axis_mask=1,
    shrink_axis_mask=0,
)
case(
    "StridedSlice",
    {"input": ph([2, 3]), "begin": c([5]), "end": c([6]), "strides": c([1])},
    shrink_axis_mask=1,
)
case(
    "StridedSlice",
    {"input": ph([None, 3]), "begin": ph([1], I32), "end": c([6]), "strides": c([1])},
    shrink_axis_mask=1,
)
case("GatherV2", {"params": ph([5, 6, 7]), "indices": ph([None, 2], I32), "axis": c(1)}, batch_dims=0)
case("GatherV2", {"params": ph([None, 3]), "indices": c([0]), "axis": c(3)}, batch_dims=0)
case("GatherV2", {"params": ph([None, 3]), "indices": c([0]), "axis": ph([], I32)}, batch_dims=0)
case("Select", {"condition": ph([2], B), "x": ph([3]), "y": ph([3])})
case("Select", {"condition": ph([None], B), "x": ph([None, 3]), "y": ph([4, None])})
case("Select", {"condition": ph([], B), "x": ph([None, 3]), "y": ph([4, None])})
case("SelectV2", {"condition": ph([2, 1], B), "t": ph([3]), "e": ph([])})
case("BiasAdd", {"value": ph([None, 3]), "bias": ph([4])})
case("BiasAdd", {"value": ph([None, 3]), "bias": ph([None])})
case("BiasAdd", {"value": ph([None, 3, 5, 5]), "bias": ph([3])}, data_format="NCHW")
case("StringJoin", {"inputs": lst(ph([], S), ph([None, 2], S))})
case("IdentityN", {"input": lst(ph([2]), ph(None, I32))})
case("StaticRegexFullMatch", {"input": ph([None], S)}, pattern="a.*")
case("ShardedFilename", {"basename": ph([], S), "shard": ph([], I32), "num_shards": ph([], I32)})
case("ShardedFilespec", {"basename": ph([], S), "num_shards": ph([], I32)})
case("Where", {"condition": ph([None, 3], B)})
case("Where", {"condition": ph(None, B)})
case("TruncateMod", {"x": ph([None, 3], I32), "y": ph([3], I32)})
case("TruncateDiv", {"x": ph([2], I32), "y": ph([3], I32)})
case("PlaceholderWithDefault", {"input": c([[1.0, 2.0]], F)}, shape=[None, 2])
case("PlaceholderWithDefault", {"input": c([[1.0, 2.0]], F)}, shape=[None, 3])


def build(spec: Any, counters: dict[str, int]) -> Any:
    kind = spec[0]
    if kind == "list":
        return [build(s, counters) for s in spec[1]]
    n = counters[kind]
    counters[kind] += 1
    if kind == "ph":
        return tf1.placeholder(tf.as_dtype(spec[1]), spec[2], name=f"p{n}")
    return tf1.constant(
        np.array(spec[2], dtype=np.dtype(spec[1]) if spec[1] != S else object),
        dtype=tf.as_dtype(spec[1]),
        name=f"c{n}",
    )


def attr_value(key: str, value: Any) -> Any:
    if key in ("DstT", "dtype", "out_type", "T", "Tidx") and isinstance(value, str):
        return tf.as_dtype(value)
    return value


def run(op: str, inputs: dict[str, Any], attrs: dict[str, Any]) -> dict[str, Any]:
    g = tf1.Graph()
    with g.as_default():
        counters = {"ph": 0, "c": 0}
        args = {k: build(v, counters) for k, v in inputs.items()}
        try:
            out = getattr(tf.raw_ops, op)(**args, **{k: attr_value(k, v) for k, v in attrs.items()})
        except Exception as e:  # noqa: BLE001 - recording TF's error is the point
            return {"error": [type(e).__name__, str(e)]}
        outs = out if isinstance(out, list | tuple) else [out]
        return {"shapes": [str(t.shape) for t in outs]}


def main() -> None:
    rows = [
        {"op": op, "inputs": inputs, "attrs": attrs, **run(op, inputs, attrs)}
        for op, inputs, attrs in CASES
    ]
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"cases": rows}, f, indent=0)
        f.write("\n")
    print(f"wrote {OUT}: {len(rows)} cases")


if __name__ == "__main__":
    main()
