"""TF ops the real-model families need beyond the core table: comparisons and logic,
selection, shape arithmetic (Shape, Fill, Range, Tile, Pack, Split, Slice, ...), Einsum,
ArgMax and resource reads (a frozen resource is its value, see ``graphs.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.convert.onnx.builder import OnnxBuilder, require_const, text_attr
from stowflow.convert.onnx.ops import converts
from stowflow.errors import InvalidArgumentError


def _in(op: Any, i: int = 0) -> str:
    return str(op.inputs[i].name)


def _out(op: Any, i: int = 0) -> list[str]:
    return [str(op.outputs[i].name)]


def _int64(b: OnnxBuilder, name: str) -> str:
    return b.node("Cast", [name], to=b.onnx.TensorProto.INT64)[0]


def _cast_to(b: OnnxBuilder, name: str, op: Any, i: int = 0) -> None:
    """``Cast`` to the dtype of ``op.outputs[i]``, into that output."""
    b.node("Cast", [name], _out(op, i), to=b.tensor_type(op.outputs[i].dtype))


_BINARY = {"Less": "Less", "Greater": "Greater", "Equal": "Equal", "LessEqual": "LessOrEqual",
           "GreaterEqual": "GreaterOrEqual", "LogicalAnd": "And", "LogicalOr": "Or"}  # fmt: skip


@converts(*_BINARY)
def _binary(b: OnnxBuilder, op: Any) -> None:
    b.node(_BINARY[op.type], [_in(op, 0), _in(op, 1)], _out(op))


@converts("NotEqual")
def _not_equal(b: OnnxBuilder, op: Any) -> None:
    b.node("Not", b.node("Equal", [_in(op, 0), _in(op, 1)]), _out(op))


@converts("LogicalNot")
def _logical_not(b: OnnxBuilder, op: Any) -> None:
    b.node("Not", [_in(op)], _out(op))


@converts("Erfc")
def _erfc(b: OnnxBuilder, op: Any) -> None:
    one = b.const(np.array(1, op.inputs[0].dtype.as_numpy_dtype), "one")
    b.node("Sub", [one, b.node("Erf", [_in(op)])[0]], _out(op))


@converts("AddN")
def _add_n(b: OnnxBuilder, op: Any) -> None:
    b.node("Sum", [str(t.name) for t in op.inputs], _out(op))


@converts("SelectV2")
def _select_v2(b: OnnxBuilder, op: Any) -> None:
    b.node("Where", [_in(op, 0), _in(op, 1), _in(op, 2)], _out(op))


@converts("Select")
def _select(b: OnnxBuilder, op: Any) -> None:
    """TF1 Select: a vector condition picks rows of higher-rank operands."""
    cond = _in(op, 0)
    cond_rank, rank = op.inputs[0].shape.ndims, op.inputs[1].shape.ndims
    if cond_rank == 1 and rank is not None and rank > 1:
        cond = b.node("Unsqueeze", [cond, b.int64s(list(range(1, rank)), "axes")])[0]
    elif cond_rank is None or (cond_rank not in (0, rank)):
        raise InvalidArgumentError(None, None, f"{op.name}: Select needs known condition rank")
    b.node("Where", [cond, _in(op, 1), _in(op, 2)], _out(op))


@converts("Shape", "Size")
def _shape(b: OnnxBuilder, op: Any) -> None:
    _cast_to(b, b.node(op.type, [_in(op)])[0], op)


@converts("Fill")
def _fill(b: OnnxBuilder, op: Any) -> None:
    b.node("Expand", [_in(op, 1), _int64(b, _in(op, 0))], _out(op))


@converts("BroadcastTo")
def _broadcast_to(b: OnnxBuilder, op: Any) -> None:
    b.node("Expand", [_in(op, 0), _int64(b, _in(op, 1))], _out(op))


@converts("ZerosLike", "OnesLike")
def _zeros_like(b: OnnxBuilder, op: Any) -> None:
    np_type = op.inputs[0].dtype.as_numpy_dtype
    value = np.array([0 if op.type == "ZerosLike" else 1], np_type)
    fill = b.onnx.numpy_helper.from_array(value)
    b.node("ConstantOfShape", b.node("Shape", [_in(op)]), _out(op), value=fill)


@converts("Tile")
def _tile(b: OnnxBuilder, op: Any) -> None:
    b.node("Tile", [_in(op, 0), _int64(b, _in(op, 1))], _out(op))


@converts("Range")
def _range(b: OnnxBuilder, op: Any) -> None:
    b.node("Range", [_in(op, 0), _in(op, 1), _in(op, 2)], _out(op))


@converts("Pack")
def _pack(b: OnnxBuilder, op: Any) -> None:
    axis = int(op.get_attr("axis"))
    rank = op.inputs[0].shape.ndims
    if axis < 0:
        if rank is None:
            raise InvalidArgumentError(None, None, f"{op.name}: Pack needs a known rank")
        axis += rank + 1
    axes = b.int64s([axis], "axes")
    parts = [b.node("Unsqueeze", [str(t.name), axes])[0] for t in op.inputs]
    b.node("Concat", parts, _out(op), axis=axis)


@converts("Unpack")
def _unpack(b: OnnxBuilder, op: Any) -> None:
    axis = int(op.get_attr("axis"))
    parts = b.node("Split", [_in(op)], [b.fresh("part") for _ in op.outputs], axis=axis)
    axes = b.int64s([axis], "axes")
    for i, part in enumerate(parts):
        b.node("Squeeze", [part, axes], _out(op, i))


@converts("Split")
def _split(b: OnnxBuilder, op: Any) -> None:
    axis = int(require_const(op.inputs[0], "axis", op))
    b.node("Split", [_in(op, 1)], [str(t.name) for t in op.outputs], axis=axis)


@converts("SplitV")
def _split_v(b: OnnxBuilder, op: Any) -> None:
    sizes = require_const(op.inputs[1], "size_splits", op).astype(np.int64)
    axis = int(require_const(op.inputs[2], "axis", op))
    if (sizes < 0).any():
        raise InvalidArgumentError(
            None, None, f"{op.name}: SplitV with a -1 size is not exportable"
        )
    b.node("Split", [_in(op), b.int64s(sizes)], [str(t.name) for t in op.outputs], axis=axis)


@converts("ReverseV2")
def _reverse(b: OnnxBuilder, op: Any) -> None:
    axes = [int(a) for a in np.atleast_1d(require_const(op.inputs[1], "axis", op))]
    n = len(axes)
    inputs = [
        _in(op),
        b.int64s([-1] * n, "starts"),
        b.int64s([np.iinfo(np.int64).min] * n, "ends"),
        b.int64s(axes, "axes"),
        b.int64s([-1] * n, "steps"),
    ]
    b.node("Slice", inputs, _out(op))


@converts("Slice")
def _slice(b: OnnxBuilder, op: Any) -> None:
    """TF ``Slice(begin, size)``: a size of -1 runs to the end."""
    begin, size = _int64(b, _in(op, 1)), _int64(b, _in(op, 2))
    end = b.node("Add", [begin, size])[0]
    to_end = b.node("Equal", [size, b.int64s(-1, "minus_one")])[0]
    end = b.node("Where", [to_end, b.int64s(np.iinfo(np.int64).max, "int_max"), end])[0]
    b.node("Slice", [_in(op), begin, end], _out(op))


@converts("ArgMax", "ArgMin")
def _arg_max(b: OnnxBuilder, op: Any) -> None:
    axis = int(require_const(op.inputs[1], "dimension", op))
    found = b.node(op.type, [_in(op)], axis=axis, keepdims=0)[0]
    _cast_to(b, found, op)


@converts("Cumsum")
def _cumsum(b: OnnxBuilder, op: Any) -> None:
    attrs = {"exclusive": int(op.get_attr("exclusive")), "reverse": int(op.get_attr("reverse"))}
    b.node("CumSum", [_in(op, 0), _in(op, 1)], _out(op), **attrs)


@converts("Where")
def _where(b: OnnxBuilder, op: Any) -> None:
    """``tf.where(cond)``: coordinates of the true elements, ``[count, rank]`` int64."""
    found = b.node("NonZero", [_in(op)])[0]
    b.node("Transpose", [found], _out(op), perm=[1, 0])


@converts("OneHot")
def _one_hot(b: OnnxBuilder, op: Any) -> None:
    values = b.node("Concat", [
        b.node("Unsqueeze", [_in(op, 3), b.int64s([0], "axes")])[0],
        b.node("Unsqueeze", [_in(op, 2), b.int64s([0], "axes")])[0],
    ], axis=0)[0]  # fmt: skip
    b.node("OneHot", [_in(op, 0), _in(op, 1), values], _out(op), axis=int(op.get_attr("axis")))


@converts("Einsum")
def _einsum(b: OnnxBuilder, op: Any) -> None:
    equation = text_attr(op, "equation")
    b.node("Einsum", [str(t.name) for t in op.inputs], _out(op), equation=equation)


@converts("ReadVariableOp")
def _read_variable(b: OnnxBuilder, op: Any) -> None:
    """A frozen resource is its value (``graphs.freeze_resources``)."""
    b.node("Identity", [_in(op)], _out(op))


@converts("ResourceGather")
def _resource_gather(b: OnnxBuilder, op: Any) -> None:
    if op.get_attr("batch_dims"):
        raise InvalidArgumentError(None, None, f"{op.name}: batch_dims != 0 is not exportable")
    b.node("Gather", [_in(op, 0), _in(op, 1)], _out(op), axis=0)


@converts("Gather")
def _gather_v1(b: OnnxBuilder, op: Any) -> None:
    b.node("Gather", [_in(op, 0), _in(op, 1)], _out(op), axis=0)


@converts("Floor", "Ceil", "Round", "Reciprocal", "Softplus", "Sign", "Sin", "Cos")
def _unary(b: OnnxBuilder, op: Any) -> None:
    b.node(op.type, [_in(op)], _out(op))


@converts("LeakyRelu")
def _leaky_relu(b: OnnxBuilder, op: Any) -> None:
    b.node("LeakyRelu", [_in(op)], _out(op), alpha=float(op.get_attr("alpha")))


@converts("Elu", "Selu")
def _elu(b: OnnxBuilder, op: Any) -> None:
    b.node(op.type, [_in(op)], _out(op))
