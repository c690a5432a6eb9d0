"""Static shape functions for the math, array, string and random ops stowflow runs.

Each function takes an ``Operation`` and returns one ``TensorShape`` per output, as TF's
C++ shape functions (tensorflow/core/ops/*.cc) do: dims that depend on a value input
(Reshape's shape, reduction axes, Tile multiples, slice bounds ...) are known when that
input is a ``Const`` (or a ``Shape`` of a fully known tensor, or a ``Pack`` of such
scalars), and left unknown (``None``) otherwise.

Example:
    >>> # a = placeholder([None, 3]); b = placeholder([3]); SHAPE_FNS["Add"](add_op)
    >>> # -> [TensorShape([None, 3])]
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stowflow import tensors
from stowflow.errors import OpError
from stowflow.graph.kernels.array_kernels import MASK_NAMES, strided_slice_plan
from stowflow.graph.kernels.registry import register_shape
from stowflow.graph.shape import TensorShape
from stowflow.graph.shape import unknown_shape as _unknown_shape

Dims = list[int | None]
UNKNOWN = TensorShape(None)
#: TF's ``TensorShape::MaxDimensions()``: no tensor has more dims.
MAX_RANK = 254


def unknown_shape(rank: int | None = None) -> TensorShape:
    """``shape.unknown_shape``; a rank above :data:`MAX_RANK` (read from a hostile file's
    dims: a shape vector of length 2**31) is left unknown instead of building 2**31 dims."""
    return _unknown_shape(None if rank is not None and rank > MAX_RANK else rank)


# --------------------------------------------------------------------------- errors and requests


class ShapeError(ValueError):
    """A shape function's complaint, in TF's words (``Shape must be rank 2 but is rank 3``).

    ``builder.infer_shapes`` appends TF's context (node summary, input shapes, the input
    tensors the function read) to make TF's graph-construction ``ValueError``.
    """


class BareShapeError(ShapeError):
    """A shape error TF reports without the node context (``Invalid value in tensor ...``)."""


@dataclass
class RequestLog:
    """The value inputs a shape function read (TF lists them in its error context)."""

    op: Any
    tensors: dict[int, str] = field(default_factory=dict)
    partial_shapes: dict[int, str] = field(default_factory=dict)


_ACTIVE = threading.local()


@contextlib.contextmanager
def requests(op: Any) -> Iterator[RequestLog]:
    """Records, while ``op``'s shape function runs, which inputs it read as values."""
    log = RequestLog(op)
    stack = _ACTIVE.__dict__.setdefault("stack", [])
    stack.append(log)
    try:
        yield log
    finally:
        stack.pop()


def _input_index(tensor: Any) -> tuple[RequestLog, int] | None:
    stack = _ACTIVE.__dict__.get("stack")
    if not stack:
        return None
    log = stack[-1]
    for i, t in enumerate(log.op.inputs):
        if t is tensor:
            return log, i
    return None


def _summarize_value(value: np.ndarray) -> str:
    flat = value.reshape(-1)[:256]
    items = [
        x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in flat.tolist()
    ]
    text = " ".join(items) + ("..." if value.size > 256 else "")
    return text if value.ndim <= 1 else "[" + text + "]"


def debug_string(shape: TensorShape) -> str:
    """TF's ``InferenceContext::DebugString``: ``[?,3]``, ``[]`` or ``?`` (unknown rank)."""
    if shape.ndims is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"


# --------------------------------------------------------------------------- TF's shape helpers


def with_rank(shape: TensorShape, rank: int) -> TensorShape:
    """``shape`` with rank ``rank`` (unknown rank becomes ``rank`` unknown dims).

    Raises:
        ShapeError: ``Shape must be rank R but is rank r``.
    """
    if shape.ndims is None:
        return unknown_shape(rank)
    if shape.ndims != rank:
        raise ShapeError(f"Shape must be rank {rank} but is rank {shape.ndims}")
    return shape


def with_rank_at_least(shape: TensorShape, rank: int) -> TensorShape:
    """Raises ShapeError ``Shape must be at least rank R but is rank r`` if ``shape`` is smaller."""
    if shape.ndims is not None and shape.ndims < rank:
        raise ShapeError(f"Shape must be at least rank {rank} but is rank {shape.ndims}")
    return shape


def merge_dim(a: int | None, b: int | None) -> int | None:
    """The known one of two dims. Raises ShapeError ``Dimensions must be equal``."""
    if a is not None and b is not None and a != b:
        raise ShapeError(f"Dimensions must be equal, but are {a} and {b}")
    return a if a is not None else b


def merge_shapes(a: TensorShape, b: TensorShape) -> TensorShape:
    """TF's ``InferenceContext::Merge`` of two shapes, with its messages."""
    if a.ndims is None:
        return b
    if b.ndims is None:
        return a
    if a.ndims != b.ndims:
        raise ShapeError(f"Shapes must be equal rank, but are {a.ndims} and {b.ndims}")
    out: Dims = []
    for i, (x, y) in enumerate(zip(a.as_list(), b.as_list(), strict=True)):
        if x is not None and y is not None and x != y:
            raise ShapeError(
                f"Dimension {i} in both shapes must be equal, but are {x} and {y}. "
                f"Shapes are {debug_string(a)} and {debug_string(b)}."
            )
        out.append(x if x is not None else y)
    return TensorShape(out)


# --------------------------------------------------------------------------- constant values


def constant_value(tensor: Any) -> np.ndarray | None:
    """The value of ``tensor`` when it is statically known, else None.

    Inside a shape function, reading an input records it for TF's error context.
    """
    value = _constant_value(tensor)
    found = _input_index(tensor) if value is not None else None
    if found is not None and value is not None:
        found[0].tensors[found[1]] = _summarize_value(value)
    return value


def _constant_value(tensor: Any) -> np.ndarray | None:
    op = tensor.op
    if op.type == "Const":
        return cheap_const_value(op)
    if op.type == "Shape" and op.inputs[0].shape.is_fully_defined():
        return np.asarray(op.inputs[0].shape.as_list(), np.int64)
    if op.type == "Identity":
        return _constant_value(op.inputs[0])
    return None


def cheap_const_value(op: Any) -> np.ndarray | None:
    """A Const op's value if decoding it is cheap (``tensors.is_cheap``), else None.

    Shape inference never materialises a Const that is larger than its encoding allows
    (a fill from one value): to it, such a value is unknown, like any non-constant input.
    A value that does not decode is unknown too; running the Const reports it.
    """
    proto = _value_proto(op)
    if proto is None:  # an op whose attrs are already decoded values
        return np.asarray(op.get_attr("value"))
    if not tensors.is_cheap(proto):
        return None
    try:
        return np.asarray(tensors.make_ndarray(proto))
    except OpError:
        return None


def _value_proto(op: Any) -> Any:
    """The TensorProto of a Const's ``value`` attr (None if the op holds no AttrValue)."""
    return getattr(op._attrs.get("value"), "tensor", None)


def shape_from_tensor(tensor: Any) -> TensorShape:
    """The shape a 1-D shape tensor describes (TF's MakeShapeFromShapeTensor); -1 is unknown.

    Raises:
        ShapeError: for a value below -1 (TF's message).
    """
    shape = _shape_from_tensor(tensor)
    found = _input_index(tensor)
    if found is not None and shape.ndims is not None:
        found[0].partial_shapes[found[1]] = debug_string(shape)
    return shape


def _shape_from_tensor(tensor: Any) -> TensorShape:
    value = _constant_value(tensor)
    if value is not None:
        if value.ndim > 1:
            raise ShapeError(
                f"Input tensor must be rank 1, or if its rank 0 it must have value -1 (saw rank {value.ndim})"
            )
        dims = [int(d) for d in value.reshape(-1)]
        bad = [d for d in dims if d < -1]
        if bad:
            raise BareShapeError(f"Invalid value in tensor used for shape: {bad[0]}")
        return TensorShape(dims)
    if tensor.op.type == "Pack":
        out: Dims = []
        for part in tensor.op.inputs:
            v = _constant_value(part)
            out.append(
                None if v is None or v.size != 1 or int(v.reshape(())) < 0 else int(v.reshape(()))
            )
        return TensorShape(out)
    if tensor.op.type == "Shape":
        return tensor.op.inputs[0].shape
    length = tensor.shape[0] if tensor.shape.ndims == 1 else None
    return unknown_shape(length)


def _const_ints(tensor: Any) -> list[int] | None:
    value = constant_value(tensor)
    return None if value is None else [int(v) for v in value.reshape(-1)]


def _dims(shape: TensorShape) -> Dims | None:
    return None if shape.ndims is None else shape.as_list()


# --------------------------------------------------------------------------- element-wise


def broadcast(*shapes: TensorShape) -> TensorShape:
    """The broadcast of static shapes; unknown dims stay unknown unless another side fixes them.

    Raises:
        ShapeError: for known, incompatible dims (TF's ``Dimensions must be equal``).
    """
    if any(s.ndims is None for s in shapes):
        return UNKNOWN
    out = shapes[0]
    for other in shapes[1:]:
        out = _broadcast_pair(out, other)
    return out


def _broadcast_pair(x: TensorShape, y: TensorShape) -> TensorShape:
    rank = max(x.ndims or 0, y.ndims or 0)
    xs = [1] * (rank - (x.ndims or 0)) + x.as_list()
    ys = [1] * (rank - (y.ndims or 0)) + y.as_list()
    out: Dims = []
    for a, b in zip(xs, ys, strict=True):
        if a == 1:
            out.append(b)
        elif b == 1:
            out.append(a)
        elif a is None or b is None:
            out.append(a if b is None else b)
        elif a != b:
            raise ShapeError(f"Dimensions must be equal, but are {a} and {b}")
        else:
            out.append(a)
    return TensorShape(out)


def _same_as_input(op: Any) -> list[TensorShape]:
    return [op.inputs[0].shape]


def _binary(op: Any) -> list[TensorShape]:
    return [broadcast(op.inputs[0].shape, op.inputs[1].shape)]


def merge_inputs(shapes: list[TensorShape]) -> TensorShape:
    """TF's merge of all input shapes, last to first, with its ``From merging`` context."""
    if not shapes:
        return UNKNOWN
    merged = shapes[-1]
    for i in range(len(shapes) - 2, -1, -1):
        try:
            merged = merge_shapes(shapes[i], merged)
        except ShapeError as e:
            raise ShapeError(f"{e}\n\tFrom merging shape {i} with other shapes.") from None
    return merged


def _merge_all(op: Any) -> list[TensorShape]:
    return [merge_inputs([t.shape for t in op.inputs])]


def _at_least_rank_1(op: Any) -> list[TensorShape]:
    return [with_rank_at_least(op.inputs[0].shape, 1)]


@register_shape("BiasAdd")
def _bias_add(op: Any) -> list[TensorShape]:
    value, bias = op.inputs[0].shape, with_rank(op.inputs[1].shape, 1)
    nchw = op.get_attr("data_format") in ("NCHW", b"NCHW")
    value = with_rank_at_least(value, 3 if nchw else 2)
    if value.ndims is None:
        return [UNKNOWN]
    dims = value.as_list()
    channel = -3 if nchw and len(dims) >= 3 else -1
    dims[channel] = merge_dim(dims[channel], bias[0])
    return [TensorShape(dims)]


@register_shape("Const")
def _const(op: Any) -> list[TensorShape]:
    proto = _value_proto(op)  # the shape, without decoding the values
    if proto is None:
        return [TensorShape(list(np.shape(op.get_attr("value"))))]
    if any(d.size < 0 for d in proto.tensor_shape.dim):
        return [UNKNOWN]
    return [TensorShape([d.size for d in proto.tensor_shape.dim])]


@register_shape("Placeholder", "VariableV2", "VarHandleOp")
def _shape_attr(op: Any) -> list[TensorShape]:
    shape = op.get_attr("shape")
    if op.type == "VarHandleOp":
        return [TensorShape([])]
    return [shape if isinstance(shape, TensorShape) else TensorShape(shape)]


@register_shape("PlaceholderWithDefault")
def _placeholder_with_default(op: Any) -> list[TensorShape]:
    shape = op.get_attr("shape")
    declared = shape if isinstance(shape, TensorShape) else TensorShape(shape)
    merge_shapes(op.inputs[0].shape, declared)
    return [declared]


@register_shape("ReadVariableOp")
def _read_variable(op: Any) -> list[TensorShape]:
    handle = op.inputs[0].op
    if handle.type == "VarHandleOp":
        shape = handle.get_attr("shape")
        return [shape if isinstance(shape, TensorShape) else TensorShape(shape)]
    return [UNKNOWN]


@register_shape("VarIsInitializedOp", "IsVariableInitialized")
def _scalar_out(op: Any) -> list[TensorShape]:
    return [TensorShape([])]


@register_shape("Assign", "AssignAdd", "AssignSub")
def _assign(op: Any) -> list[TensorShape]:
    if op.type == "Assign" and not op.get_attr("validate_shape"):
        return [op.inputs[1].shape]
    return [merge_shapes(op.inputs[0].shape, op.inputs[1].shape)]


def _scalar(op: Any) -> list[TensorShape]:
    return [TensorShape([])]


register_shape(
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
    "Cast",
    "ZerosLike",
    "OnesLike",
    "StopGradient",
    "Identity",
    "StaticRegexFullMatch",
    "LogicalNot",
)(_same_as_input)
register_shape("Softmax", "LogSoftmax")(_at_least_rank_1)
register_shape(
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
    "LogicalAnd",
    "LogicalOr",
    "TruncateMod",
    "TruncateDiv",
)(_binary)


@register_shape("Where")
def _where(op: Any) -> list[TensorShape]:
    rank = op.inputs[0].shape.ndims
    return [TensorShape([None, rank])]


register_shape("AddN")(_merge_all)
register_shape("Size", "Rank", "ShardedFilespec")(_scalar)


@register_shape("ShardedFilename")
def _sharded_filename(op: Any) -> list[TensorShape]:
    return [broadcast(*(t.shape for t in op.inputs))]


@register_shape("StringJoin")
def _string_join(op: Any) -> list[TensorShape]:
    merged = TensorShape([])
    for t in op.inputs:
        if t.shape.ndims != 0:
            merged = t.shape if merged.ndims == 0 else merged.merge_with(t.shape)
    return [merged]


@register_shape("IdentityN")
def _identity_n(op: Any) -> list[TensorShape]:
    return [t.shape for t in op.inputs]


@register_shape("Select")
def _select(op: Any) -> list[TensorShape]:
    cond = op.inputs[0].shape
    out = merge_shapes(op.inputs[1].shape, op.inputs[2].shape)
    if cond.ndims is None or out.ndims is None or cond.ndims == 0:
        return [out]
    if cond.ndims == 1 and out.ndims > 1:
        dims = out.as_list()
        dims[0] = merge_dim(cond[0], dims[0])
        return [TensorShape(dims)]
    return [merge_shapes(cond, out)]


@register_shape("SelectV2")
def _select_v2(op: Any) -> list[TensorShape]:
    return [broadcast(*(t.shape for t in op.inputs))]


# --------------------------------------------------------------------------- linear algebra


@register_shape("MatMul")
def _mat_mul(op: Any) -> list[TensorShape]:
    a = with_rank(op.inputs[0].shape, 2).as_list()
    b = with_rank(op.inputs[1].shape, 2).as_list()
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    merge_dim(a[0] if ta else a[1], b[1] if tb else b[0])
    return [TensorShape([a[1] if ta else a[0], b[0] if tb else b[1]])]


@register_shape("BatchMatMulV2")
def _batch_mat_mul(op: Any) -> list[TensorShape]:
    x = with_rank_at_least(op.inputs[0].shape, 2)
    y = with_rank_at_least(op.inputs[1].shape, 2)
    if x.ndims is None or y.ndims is None:
        return [UNKNOWN]
    adj_x, adj_y = op.get_attr("adj_x"), op.get_attr("adj_y")
    rows = x[-1] if adj_x else x[-2]
    cols = y[-2] if adj_y else y[-1]
    merge_dim(x[-2] if adj_x else x[-1], y[-1] if adj_y else y[-2])
    batch = broadcast(x[:-2], y[:-2])
    return [TensorShape(batch.as_list() + [rows, cols])]


# --------------------------------------------------------------------------- reductions


def _reduce(op: Any) -> list[TensorShape]:
    shape, keep = op.inputs[0].shape, bool(op.get_attr("keep_dims"))
    axes = _const_ints(op.inputs[1])
    if axes is None or shape.ndims is None:
        return [unknown_shape(shape.ndims) if keep and shape.ndims is not None else UNKNOWN]
    rank = shape.ndims
    for a in axes:
        if a < -rank or a >= rank:
            raise ShapeError(f"Invalid reduction dimension {a} for input with {rank} dimensions.")
    wanted = {a % rank for a in axes}
    dims = shape.as_list()
    if keep:
        return [TensorShape([1 if i in wanted else d for i, d in enumerate(dims)])]
    return [TensorShape([d for i, d in enumerate(dims) if i not in wanted])]


register_shape("Sum", "Mean", "Max", "Min", "Prod", "All", "Any")(_reduce)


@register_shape("ArgMax", "ArgMin")
def _arg(op: Any) -> list[TensorShape]:
    shape = op.inputs[0].shape
    axis = _const_ints(op.inputs[1])
    if shape.ndims is None:
        return [UNKNOWN]
    if axis is None:
        return [unknown_shape(shape.ndims - 1) if shape.ndims else UNKNOWN]
    rank = shape.ndims
    a = axis[0]
    if a < -rank or a >= rank:
        raise ShapeError(
            f"Dimension ({a}) must be in the range [{-rank}, {rank}), where {rank} is the "
            "number of dimensions in the input."
        )
    a %= rank
    return [TensorShape([d for i, d in enumerate(shape.as_list()) if i != a])]


# --------------------------------------------------------------------------- shapes


@register_shape("Reshape")
def _reshape(op: Any) -> list[TensorShape]:
    source = op.inputs[0].shape
    target = shape_from_tensor(op.inputs[1])
    if target.ndims is None or source.ndims is None:
        return [target]
    out, src = target.as_list(), source.as_list()
    out_known, out_unknown = _known_product(out)
    in_known, in_unknown = _known_product(src)
    if len(out_unknown) > 1 or len(in_unknown) > 1:
        return [target]
    if not in_unknown and not out_unknown:
        if in_known != out_known:
            raise ShapeError(
                f"Cannot reshape a tensor with {in_known} elements to shape "
                f"{debug_string(target)} ({out_known} elements)"
            )
    elif not in_unknown and out_known > 0:
        out[out_unknown[0]] = _divide(in_known, out_known)
    elif in_unknown and not out_unknown and in_known != 0:
        _divide(out_known, in_known)
    elif in_unknown and out_unknown and in_known == out_known:
        out[out_unknown[0]] = None
    return [TensorShape(out)]


def _known_product(dims: Dims) -> tuple[int, list[int]]:
    product, unknown = 1, []
    for i, d in enumerate(dims):
        if d is None:
            unknown.append(i)
        else:
            product *= d
    return product, unknown


def _divide(dividend: int, divisor: int) -> int:
    if dividend % divisor:
        raise ShapeError(f"Dimension size must be evenly divisible by {divisor} but is {dividend}")
    return dividend // divisor


@register_shape("Shape")
def _shape(op: Any) -> list[TensorShape]:
    return [TensorShape([op.inputs[0].shape.ndims])]


@register_shape("Fill")
def _fill(op: Any) -> list[TensorShape]:
    return [shape_from_tensor(op.inputs[0])]


@register_shape("BroadcastTo")
def _broadcast_to(op: Any) -> list[TensorShape]:
    return [shape_from_tensor(op.inputs[1])]


@register_shape("RandomUniform", "RandomStandardNormal", "TruncatedNormal")
def _random(op: Any) -> list[TensorShape]:
    return [shape_from_tensor(op.inputs[0])]


@register_shape("ConcatV2")
def _concat(op: Any) -> list[TensorShape]:
    values = [t.shape for t in op.inputs[: op.get_attr("N")]]
    with_rank(op.inputs[-1].shape, 0)
    rank = next((v.ndims for v in values if v.ndims is not None), None)
    if rank == 0:
        raise ShapeError("Can't concatenate scalars (use tf.stack instead)")
    for v in values:
        if rank is not None:
            with_rank(v, rank)
    axis = _const_ints(op.inputs[-1])
    if axis is None:
        return [UNKNOWN if rank is None else unknown_shape(rank)]
    a = axis[0]
    for v in reversed(values):
        with_rank_at_least(v, a + 1 if a >= 0 else -a)
    if rank is None:
        return [UNKNOWN]
    a %= rank
    last = values[-1].as_list() if values[-1].ndims is not None else [None] * rank
    before, middle, after = TensorShape(last[:a]), last[a], TensorShape(last[a + 1 :])
    for v in reversed(values[:-1]):
        dims = v.as_list() if v.ndims is not None else [None] * rank
        before = merge_shapes(TensorShape(dims[:a]), before)
        middle = None if middle is None or dims[a] is None else middle + dims[a]
        after = merge_shapes(TensorShape(dims[a + 1 :]), after)
    return [TensorShape(before.as_list() + [middle] + after.as_list())]


@register_shape("Pack")
def _pack(op: Any) -> list[TensorShape]:
    merged = merge_inputs([t.shape for t in op.inputs])
    if merged.ndims is None:
        return [UNKNOWN]
    dims = merged.as_list()
    rank = len(dims) + 1
    axis = op.get_attr("axis")
    if axis < -rank or axis >= rank:
        raise ShapeError(f"Invalid axis: {axis}; must be in [{-rank},{rank})")
    axis %= rank
    return [TensorShape(dims[:axis] + [len(op.inputs)] + dims[axis:])]


@register_shape("Unpack")
def _unpack(op: Any) -> list[TensorShape]:
    num, shape = op.get_attr("num"), op.inputs[0].shape
    if shape.ndims is None:
        return [UNKNOWN] * num
    dims = shape.as_list()
    rank = len(dims)
    axis = op.get_attr("axis")
    if axis < -rank or axis >= rank:
        raise ShapeError(f"Invalid axis: {axis}; must be in [{-rank},{rank})")
    axis %= rank
    if dims[axis] is not None and dims[axis] != num:
        raise ShapeError(f"Dimension must be {num} but is {dims[axis]}")
    return [TensorShape(dims[:axis] + dims[axis + 1 :])] * num


@register_shape("Transpose")
def _transpose(op: Any) -> list[TensorShape]:
    shape, perm_shape = op.inputs[0].shape, with_rank(op.inputs[1].shape, 1)
    rank = shape.ndims if shape.ndims is not None else perm_shape[0]
    if shape.ndims is not None and perm_shape[0] is not None and perm_shape[0] != shape.ndims:
        raise ShapeError(f"Dimension must be {shape.ndims} but is {perm_shape[0]}")
    perm = _const_ints(op.inputs[1])
    if perm is None:
        return [shape if shape.ndims is not None and shape.ndims <= 1 else unknown_shape(rank)]
    if shape.ndims is None:
        return [unknown_shape(len(perm))]
    dims = shape.as_list()
    for p in perm:
        if p < -len(dims) or p >= len(dims):
            raise ShapeError(f"perm dim {p} is out of range of input rank {len(dims)}")
    return [TensorShape([dims[p] for p in perm])]


@register_shape("ExpandDims")
def _expand_dims(op: Any) -> list[TensorShape]:
    shape, dim = op.inputs[0].shape, _const_ints(op.inputs[1])
    if dim is None or shape.ndims is None:
        return [UNKNOWN]
    if len(dim) != 1:
        raise ShapeError(
            f"'dim' input must be a tensor with a single value, but got {len(dim)} values"
        )
    rank = shape.ndims
    d = dim[0]
    if d < -1 - rank or d > rank:
        raise ShapeError(f"dim {d} not in the interval [{-1 - rank}, {rank}].")
    if d < 0:
        d += rank + 1
    dims = shape.as_list()
    return [TensorShape(dims[:d] + [1] + dims[d:])]


@register_shape("Squeeze")
def _squeeze(op: Any) -> list[TensorShape]:
    shape = op.inputs[0].shape
    if shape.ndims is None:
        return [UNKNOWN]
    dims = shape.as_list()
    rank = len(dims)
    wanted: set[int] = set()
    for d in op.get_attr("squeeze_dims"):
        if d < -rank or d >= rank:
            raise ShapeError(f"squeeze_dims[{len(wanted)}] not in [{-rank},{rank}).")
        wanted.add(d % rank)
    out: Dims = []
    for i, d in enumerate(dims):
        if wanted and i in wanted:
            if d is not None and d != 1:
                raise ShapeError(f"Can not squeeze dim[{i}], expected a dimension of 1, got {d}")
            continue
        if not wanted and d is None:
            return [UNKNOWN]
        if not wanted and d == 1:
            continue
        out.append(d)
    return [TensorShape(out)]


@register_shape("Tile")
def _tile(op: Any) -> list[TensorShape]:
    shape = op.inputs[0].shape
    mult_shape = with_rank(op.inputs[1].shape, 1)
    if mult_shape[0] is not None and shape.ndims is not None and shape.ndims != mult_shape[0]:
        raise ShapeError(f"Shape must be rank {shape.ndims} but is rank {mult_shape[0]}")
    multiples = _const_ints(op.inputs[1])
    if multiples is None:
        rank = shape.ndims if shape.ndims is not None else mult_shape[0]
        return [unknown_shape(rank)]
    if shape.ndims is None:
        return [unknown_shape(len(multiples))]
    return [TensorShape([None if d is None else d * m for d, m in zip(shape, multiples)])]


@register_shape("Range")
def _range(op: Any) -> list[TensorShape]:
    values = [constant_value(t) for t in op.inputs]
    if any(v is None for v in values):
        return [unknown_shape(1)]
    start, limit, delta = (v.item() for v in values)  # type: ignore[union-attr]
    if delta == 0:
        return [unknown_shape(1)]
    if isinstance(start, int):
        size = max(0, -(-(abs(limit - start)) // abs(delta)))
    else:
        size = max(0, int(np.ceil(abs((limit - start) / delta))))
    return [TensorShape([size])]


@register_shape("Slice")
def _slice(op: Any) -> list[TensorShape]:
    shape = op.inputs[0].shape
    begin, size = _const_ints(op.inputs[1]), _const_ints(op.inputs[2])
    rank = shape.ndims
    if size is None:
        return [unknown_shape(rank if rank is not None else op.inputs[2].shape[0])]
    if begin is None:
        return [TensorShape([None if s == -1 else s for s in size])]
    dims = shape.as_list() if rank is not None else [None] * len(size)
    out: Dims = []
    for b, s, d in zip(begin, size, dims):
        out.append(s if s != -1 else (None if d is None else d - b))
    return [TensorShape(out)]


@register_shape("StridedSlice")
def _strided_slice(op: Any) -> list[TensorShape]:
    shape = op.inputs[0].shape
    spec = [_const_ints(t) for t in op.inputs[1:4]]
    masks = {name: int(op.get_attr(name)) for name in MASK_NAMES}
    if shape.ndims is None:
        return [UNKNOWN]
    if any(s is None for s in spec):
        return [_strided_slice_unknown_spec(shape, op.inputs[1].shape, masks)]
    begin, end, strides = spec
    plan = strided_slice_plan(shape.as_list(), begin, end, strides, masks)  # type: ignore[arg-type]
    return [TensorShape([s.size for s in plan if s.kind != "shrink"])]


def _strided_slice_unknown_spec(
    shape: TensorShape, begin_shape: TensorShape, masks: dict[str, int]
) -> TensorShape:
    """Rank and untouched dims when the slice bounds are not constant (no ellipsis/new axis)."""
    length = begin_shape[0] if begin_shape.ndims == 1 else None
    if length is None or masks["ellipsis_mask"] or masks["new_axis_mask"]:
        return UNKNOWN
    dims = shape.as_list()
    out: Dims = []
    for i, d in enumerate(dims):
        if i >= length:
            out.append(d)
        elif not masks["shrink_axis_mask"] & (1 << i):
            out.append(None)
    return TensorShape(out)


@register_shape("GatherV2")
def _gather(op: Any) -> list[TensorShape]:
    params, indices = op.inputs[0].shape, op.inputs[1].shape
    axis = _const_ints(op.inputs[2])
    if axis is not None:
        with_rank_at_least(params, axis[0] + 1 if axis[0] >= 0 else -axis[0])
    if params.ndims is None or indices.ndims is None:
        return [UNKNOWN]
    batch_dims = op.get_attr("batch_dims")
    if axis is None:
        return [unknown_shape(params.ndims + indices.ndims - 1 - batch_dims)]
    batch_dims = batch_dims + indices.ndims if batch_dims < 0 else batch_dims
    a = axis[0] % max(params.ndims, 1)
    p, ix = params.as_list(), indices.as_list()
    return [TensorShape(p[:a] + ix[batch_dims:] + p[a + 1 :])]


SHAPE_HELPERS: dict[str, Callable[..., Any]] = {
    "broadcast": broadcast,
    "constant_value": constant_value,
    "shape_from_tensor": shape_from_tensor,
}
