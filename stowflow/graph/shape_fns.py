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

from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow.graph.kernels.array_kernels import MASK_NAMES, strided_slice_plan
from stowflow.graph.kernels.registry import register_shape
from stowflow.graph.shape import TensorShape, unknown_shape

Dims = list[int | None]
UNKNOWN = TensorShape(None)


# --------------------------------------------------------------------------- constant values


def constant_value(tensor: Any) -> np.ndarray | None:
    """The value of ``tensor`` when it is statically known, else None."""
    op = tensor.op
    if op.type == "Const":
        return np.asarray(op.get_attr("value"))
    if op.type == "Shape" and op.inputs[0].shape.is_fully_defined():
        return np.asarray(op.inputs[0].shape.as_list(), np.int64)
    if op.type == "Identity":
        return constant_value(op.inputs[0])
    return None


def shape_from_tensor(tensor: Any) -> TensorShape:
    """The shape a 1-D shape tensor describes (TF's MakeShapeFromShapeTensor); -1 is unknown."""
    value = constant_value(tensor)
    if value is not None:
        return TensorShape([int(d) for d in value.reshape(-1)])
    if tensor.op.type == "Pack":
        dims: Dims = []
        for part in tensor.op.inputs:
            v = constant_value(part)
            dims.append(None if v is None or v.size != 1 else int(v.reshape(())))
        return TensorShape(dims)
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
        ValueError: for known, incompatible dims (as TF's graph construction does).
    """
    if any(s.ndims is None for s in shapes):
        return UNKNOWN
    rank = max(s.ndims or 0 for s in shapes)
    out: Dims = []
    for i in range(rank):
        dims = [_dim_from_end(s, rank - i) for s in shapes if rank - i <= (s.ndims or 0)]
        out.append(_broadcast_dim(dims, shapes))
    return TensorShape(out)


def _dim_from_end(shape: TensorShape, k: int) -> int | None:
    return shape.as_list()[-k]


def _broadcast_dim(dims: list[int | None], shapes: tuple[TensorShape, ...]) -> int | None:
    known = {d for d in dims if d is not None and d != 1}
    if len(known) > 1:
        listed = " vs. ".join(str(s) for s in shapes)
        raise ValueError(f"Dimensions must be equal, but are {sorted(known)} for {listed}")
    if known:
        return known.pop()
    return 1 if all(d == 1 for d in dims) else None


def _same_as_input(op: Any) -> list[TensorShape]:
    return [op.inputs[0].shape]


def _binary(op: Any) -> list[TensorShape]:
    return [broadcast(op.inputs[0].shape, op.inputs[1].shape)]


def _merge_all(op: Any) -> list[TensorShape]:
    merged = UNKNOWN
    for t in op.inputs:
        merged = merged.merge_with(t.shape)
    return [merged]


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
    "Softmax",
    "LogSoftmax",
    "Cast",
    "ZerosLike",
    "OnesLike",
    "StopGradient",
    "Identity",
    "StaticRegexFullMatch",
    "BiasAdd",
    "LogicalNot",
)(_same_as_input)
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
)(_binary)
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
    return [op.inputs[1].shape.merge_with(op.inputs[2].shape)]


@register_shape("SelectV2")
def _select_v2(op: Any) -> list[TensorShape]:
    return [broadcast(*(t.shape for t in op.inputs))]


# --------------------------------------------------------------------------- linear algebra


@register_shape("MatMul")
def _mat_mul(op: Any) -> list[TensorShape]:
    a, b = (_dims(t.shape) for t in op.inputs[:2])
    if a is None or b is None:
        return [unknown_shape(2)]
    rows = a[1] if op.get_attr("transpose_a") else a[0]
    cols = b[0] if op.get_attr("transpose_b") else b[1]
    return [TensorShape([rows, cols])]


@register_shape("BatchMatMulV2")
def _batch_mat_mul(op: Any) -> list[TensorShape]:
    x, y = (t.shape for t in op.inputs[:2])
    if x.ndims is None or y.ndims is None:
        return [UNKNOWN]
    rows = x[-1] if op.get_attr("adj_x") else x[-2]
    cols = y[-2] if op.get_attr("adj_y") else y[-1]
    batch = broadcast(x[:-2], y[:-2])
    return [TensorShape(batch.as_list() + [rows, cols])]


# --------------------------------------------------------------------------- reductions


def _reduce(op: Any) -> list[TensorShape]:
    shape, keep = op.inputs[0].shape, bool(op.get_attr("keep_dims"))
    axes = _const_ints(op.inputs[1])
    if shape.ndims is None:
        return [UNKNOWN]
    if axes is None:
        return [unknown_shape(shape.ndims) if keep else UNKNOWN]
    wanted = {a % shape.ndims for a in axes} if shape.ndims else set()
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
        return [unknown_shape(max(shape.ndims - 1, 0))]
    a = axis[0] % shape.ndims
    return [TensorShape([d for i, d in enumerate(shape.as_list()) if i != a])]


# --------------------------------------------------------------------------- shapes


@register_shape("Reshape")
def _reshape(op: Any) -> list[TensorShape]:
    target = shape_from_tensor(op.inputs[1])
    dims = _dims(target)
    n = op.inputs[0].shape.num_elements()
    if dims is None or n is None or dims.count(None) != 1:
        return [target]
    known = int(np.prod([d for d in dims if d is not None], dtype=np.int64))
    if known and n % known == 0:
        return [TensorShape([n // known if d is None else d for d in dims])]
    return [target]


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
    values = op.inputs[: op.get_attr("N")]
    axis = _const_ints(op.inputs[-1])
    ranks = {t.shape.ndims for t in values} - {None}
    if not ranks:
        return [UNKNOWN]
    rank = ranks.pop()
    if axis is None:
        return [unknown_shape(rank)]
    a = axis[0] % rank
    out: Dims = []
    for d in range(rank):
        column = [t.shape[d] if t.shape.ndims is not None else None for t in values]
        out.append(_concat_dim(column) if d == a else _first_known(column))
    return [TensorShape(out)]


def _concat_dim(column: list[int | None]) -> int | None:
    return None if None in column else sum(column)  # type: ignore[arg-type]


def _first_known(column: list[int | None]) -> int | None:
    return next((d for d in column if d is not None), None)


@register_shape("Pack")
def _pack(op: Any) -> list[TensorShape]:
    merged = _merge_all(op)[0]
    if merged.ndims is None:
        return [UNKNOWN]
    dims = merged.as_list()
    axis = op.get_attr("axis") % (len(dims) + 1)
    return [TensorShape(dims[:axis] + [len(op.inputs)] + dims[axis:])]


@register_shape("Unpack")
def _unpack(op: Any) -> list[TensorShape]:
    num, shape = op.get_attr("num"), op.inputs[0].shape
    if shape.ndims is None:
        return [UNKNOWN] * num
    dims = shape.as_list()
    axis = op.get_attr("axis") % len(dims)
    return [TensorShape(dims[:axis] + dims[axis + 1 :])] * num


@register_shape("Transpose")
def _transpose(op: Any) -> list[TensorShape]:
    shape, perm = op.inputs[0].shape, _const_ints(op.inputs[1])
    if perm is None:
        rank = shape.ndims if shape.ndims is not None else op.inputs[1].shape[0]
        return [unknown_shape(rank)]
    if shape.ndims is None:
        return [unknown_shape(len(perm))]
    return [TensorShape([shape[p] for p in perm])]


@register_shape("ExpandDims")
def _expand_dims(op: Any) -> list[TensorShape]:
    shape, dim = op.inputs[0].shape, _const_ints(op.inputs[1])
    if shape.ndims is None:
        return [UNKNOWN]
    if dim is None:
        return [unknown_shape(shape.ndims + 1)]
    d = dim[0] if dim[0] >= 0 else dim[0] + shape.ndims + 1
    dims = shape.as_list()
    return [TensorShape(dims[:d] + [1] + dims[d:])]


@register_shape("Squeeze")
def _squeeze(op: Any) -> list[TensorShape]:
    shape = op.inputs[0].shape
    if shape.ndims is None:
        return [UNKNOWN]
    dims = shape.as_list()
    wanted = {d % len(dims) for d in op.get_attr("squeeze_dims")} if dims else set()
    if not wanted:
        if None in dims:
            return [UNKNOWN]
        return [TensorShape([d for d in dims if d != 1])]
    return [TensorShape([d for i, d in enumerate(dims) if i not in wanted])]


@register_shape("Tile")
def _tile(op: Any) -> list[TensorShape]:
    shape, multiples = op.inputs[0].shape, _const_ints(op.inputs[1])
    if multiples is None:
        rank = shape.ndims if shape.ndims is not None else op.inputs[1].shape[0]
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
    if shape.ndims is None or any(s is None for s in spec):
        return [UNKNOWN]
    masks = {name: int(op.get_attr(name)) for name in MASK_NAMES}
    begin, end, strides = spec
    plan = strided_slice_plan(shape.as_list(), begin, end, strides, masks)  # type: ignore[arg-type]
    return [TensorShape([s.size for s in plan if s.kind != "shrink"])]


@register_shape("GatherV2")
def _gather(op: Any) -> list[TensorShape]:
    params, indices = op.inputs[0].shape, op.inputs[1].shape
    axis = _const_ints(op.inputs[2])
    if axis is None or params.ndims is None or indices.ndims is None:
        return [UNKNOWN]
    batch_dims = op.get_attr("batch_dims")
    batch_dims = batch_dims + indices.ndims if batch_dims < 0 else batch_dims
    a = axis[0] % max(params.ndims, 1)
    p, ix = params.as_list(), indices.as_list()
    return [TensorShape(p[:a] + ix[batch_dims:] + p[a + 1 :])]


SHAPE_HELPERS: dict[str, Callable[..., Any]] = {
    "broadcast": broadcast,
    "constant_value": constant_value,
    "shape_from_tensor": shape_from_tensor,
}
