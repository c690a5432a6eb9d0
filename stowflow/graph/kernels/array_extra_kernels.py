"""NumPy kernels for TF's split, reverse, roll, gather/scatter-nd and shape utility ops.

Covers Split, SplitV (one ``-1`` size), ReverseV2, Roll, GatherNd, ScatterNd,
TensorScatterUpdate/TensorScatterAdd, Unique, ShapeN, BroadcastArgs, EnsureShape and
CheckNumerics.

TF facts these follow (tensorflow/core/kernels/split_op.cc, split_v_op.cc, reverse_op.cc,
roll_op.cc, gather_nd_op.cc, scatter_nd_op.cc, unique_op.cc, check_numerics_op.cc):
- ``ScatterNd`` adds duplicate updates (a ``bool`` "add" is OR, strings concatenate);
  ``TensorScatterUpdate`` applies them in order, so the last one wins.
- ``Roll`` adds the shifts of an axis named twice.
- ``Unique`` keeps first-occurrence order and treats ``-0.0 == 0.0``.
- ``CheckNumerics`` says "<message> : Tensor had NaN values" ("Inf values",
  "Inf and NaN values").
- TF also names the node (GatherNd) or the input tensor (EnsureShape) in some messages;
  a kernel does not know those names, so stowflow's messages leave them out (the Session
  adds the node name to every error).

Example:
    >>> import numpy as np
    >>> from stowflow.graph.kernels.registry import KERNELS
    >>> KERNELS["Unique"]([np.array([3, 1, 3])], {})[0]
    array([3, 1])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.graph import shape_fns
from stowflow.graph.kernels.math_extra_kernels import (
    FLOAT_TYPES,
    NUMBER_TYPES,
    REAL_TYPES,
    require_kernel_type,
)
from stowflow.graph.kernels.math_kernels import invalid, shape_str
from stowflow.graph.kernels.registry import register_kernel, register_shape
from stowflow.graph.kernels.segment_kernels import scatter_reduce
from stowflow.graph.shape import TensorShape, as_shape, unknown_shape

Array = np.ndarray
Attrs = dict[str, Any]

_BOOL_STRING = frozenset({np.dtype(np.bool_), np.dtype(object)})


def _np_type(attrs: Attrs, key: str, default: Any) -> Any:
    value = attrs.get(key)
    return default if value is None else value.as_numpy_dtype


def _split_axis(axis_in: Any, rank: int) -> int:
    axis_arr = np.asarray(axis_in)
    axis = int(axis_arr.reshape(-1)[0]) if axis_arr.size == 1 else 0
    if not -rank <= axis < rank:
        raise invalid(f"-input rank(-{rank}) <= split_dim < input rank ({rank}), but got {axis}")
    return axis % rank


# --------------------------------------------------------------------------- Split / SplitV


@register_kernel("Split")
def _split(inputs: list[Any], attrs: Attrs) -> list[Any]:
    value = np.asarray(inputs[1])
    num = int(attrs["num_split"])
    axis = _split_axis(inputs[0], value.ndim)
    size = value.shape[axis]
    if size % num:
        raise invalid(
            "Number of ways to split should evenly divide the split dimension, but got "
            f"split_dim {axis} (size = {size}) and num_split {num}"
        )
    return [part.copy() for part in np.split(value, num, axis=axis)]


@register_kernel("SplitV")
def _split_v(inputs: list[Any], attrs: Attrs) -> list[Any]:
    value, sizes_in = np.asarray(inputs[0]), np.asarray(inputs[1])
    num = int(attrs["num_split"])
    axis = _split_axis(inputs[2], value.ndim)
    sizes = [int(v) for v in sizes_in.reshape(-1)]
    if sizes_in.ndim != 1 or len(sizes) != num:
        raise invalid(
            f"Length of size_splits should be equal to the value of num_split: {len(sizes)} "
            f"vs. {num}"
        )
    sizes = _resolve_sizes(sizes, value.shape[axis])
    bounds = np.cumsum(sizes)[:-1]
    return [part.copy() for part in np.split(value, bounds, axis=axis)]


def _resolve_sizes(sizes: list[int], dim: int) -> list[int]:
    """``sizes`` with its one ``-1`` filled in so they sum to ``dim`` (TF's checks)."""
    unknown = -1
    for i, size in enumerate(sizes):
        if size == -1:
            if unknown != -1:
                raise invalid("There can only be one -1 in the input.")
            unknown = i
        elif size < 0:
            raise invalid(f"Split size at index {i} must be >= 0. Got: {size}")
    known = sum(s for s in sizes if s != -1)
    if (unknown == -1 and known != dim) or (unknown != -1 and known > dim):
        raise invalid(
            "Determined shape must either match input shape along split_dim exactly if fully "
            "specified, or be less than the size of the input along split_dim if not fully "
            f"specified.  Got: {known}"
        )
    if unknown != -1:
        sizes = sizes[:unknown] + [dim - known] + sizes[unknown + 1 :]
    return sizes


# --------------------------------------------------------------------------- ReverseV2 / Roll


@register_kernel("ReverseV2")
def _reverse_v2(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x, axes_in = np.asarray(inputs[0]), np.asarray(inputs[1])
    require_kernel_type("ReverseV2", x, NUMBER_TYPES | _BOOL_STRING)
    if axes_in.ndim != 1:
        raise invalid(f"'dims' must be 1-dimension, not {axes_in.ndim}")
    seen: set[int] = set()
    for i, a in enumerate(int(v) for v in axes_in):
        if not -x.ndim <= a < x.ndim:
            # TF's message really ends without the closing parenthesis.
            raise invalid(f"'axis'[{i}] = {a} is out of valid range [0, {x.ndim - 1}")
        a %= x.ndim
        if a in seen:
            raise invalid(f"axis {a} specified more than once.")
        seen.add(a)
    return [np.flip(x, tuple(sorted(seen))).copy() if seen else x.copy()]


def _vector_or_scalar(value: Any, what: str) -> list[int]:
    arr = np.asarray(value)
    if arr.ndim > 1:
        raise invalid(f"{what} must be a scalar or a 1-D vector. Found: {shape_str(arr.shape)}")
    return [int(v) for v in arr.reshape(-1)]


@register_kernel("Roll")
def _roll(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    if x.ndim < 1:
        raise invalid("input must be 1-D or higher")
    shifts = _vector_or_scalar(inputs[1], "shift")
    axes = _vector_or_scalar(inputs[2], "axis")
    if len(shifts) != len(axes):
        raise invalid("shift and axis must have the same size")
    total = [0] * x.ndim
    for shift, axis in zip(shifts, axes, strict=True):
        if not -x.ndim <= axis < x.ndim:
            raise invalid(f"axis {axis} is out of range")
        total[axis % x.ndim] += shift
    moved = [a for a in range(x.ndim) if total[a] and x.shape[a]]
    if not moved:
        return [x.copy()]
    return [np.roll(x, [total[a] for a in moved], axis=moved)]


# --------------------------------------------------------------------------- GatherNd


def _index_str(index: Array) -> str:
    return "[" + ", ".join(str(int(v)) for v in index) + "]"


@register_kernel("GatherNd")
def _gather_nd(inputs: list[Any], attrs: Attrs) -> list[Any]:
    params, indices = np.asarray(inputs[0]), np.asarray(inputs[1])
    if params.ndim < 1:
        raise invalid("params must be at least a vector")
    if indices.ndim < 1:
        raise invalid("indices must be at least a vector")
    depth = indices.shape[-1]
    if depth > params.ndim:
        raise invalid(
            "index innermost dimension length must be <= params rank; saw: "
            f"{depth} vs. {params.ndim}"
        )
    outer = indices.shape[:-1]
    flat = indices.reshape(int(np.prod(outer, dtype=np.int64)), depth).astype(np.int64)
    if flat.shape[0] and params.size == 0:
        raise invalid(
            "Requested more than 0 entries, but params is empty.  Params shape: "
            f"{shape_str(params.shape)}"
        )
    _check_in_range(flat, params.shape[:depth], "param shape", params.shape)
    gathered = (
        params[tuple(flat.T)] if depth else np.broadcast_to(params, (flat.shape[0],) + params.shape)
    )
    return [np.ascontiguousarray(gathered).reshape(outer + params.shape[depth:])]


def _check_in_range(
    flat: Array, bounds: tuple[int, ...], what: str, shape: tuple[int, ...]
) -> None:
    bad = np.flatnonzero(np.any((flat < 0) | (flat >= np.asarray(bounds, np.int64)), axis=1))
    if bad.size:
        i = int(bad[0])
        raise invalid(
            f"indices[{i}] = {_index_str(flat[i])} does not index into {what} {shape_str(shape)}"
        )


# --------------------------------------------------------------------------- scatter


_SCATTER_TYPES = NUMBER_TYPES | _BOOL_STRING


def _scatter_plan(indices: Array, updates: Array, shape: tuple[int, ...], op: str) -> Array:
    """Validates a scatter and returns the [n, depth] int64 index rows."""
    if indices.ndim < 1:
        raise invalid(
            f"Indices shape must have rank at least one. Found:{shape_str(indices.shape)}"
        )
    depth = indices.shape[-1]
    batch = indices.ndim - 1
    if updates.shape[:batch] != indices.shape[:batch]:
        raise invalid(
            f"Dimensions [0,{batch}) of indices[shape={shape_str(indices.shape)}] must match "
            f"dimensions [0,{batch}) of updates[shape={shape_str(updates.shape)}]"
        )
    if depth > len(shape):
        raise invalid(
            f"Dimensions [{depth},{len(shape)}) of input[shape={shape_str(shape)}] must match "
            f"dimensions [{batch},{updates.ndim}) of updates[shape={shape_str(updates.shape)}]"
        )
    if updates.shape[batch:] != tuple(shape[depth:]):
        if op == "ScatterNd":
            raise invalid(
                f"Dimensions [{depth},{len(shape)}) of input[shape={shape_str(shape)}] must "
                f"match dimensions [{batch},{updates.ndim}) of updates[shape="
                f"{shape_str(updates.shape)}]"
            )
        inner = len(shape) - depth
        raise invalid(
            f"The inner {inner} dimensions of output.shape={shape_str(shape)} must match "
            f"the inner {updates.ndim - batch} dimensions of updates.shape="
            f"{shape_str(updates.shape)}"
        )
    flat = indices.reshape(int(np.prod(indices.shape[:-1], dtype=np.int64)), depth)
    flat = flat.astype(np.int64)
    if flat.shape[0] and int(np.prod(shape, dtype=np.int64)) == 0:
        raise invalid(
            "Indices and updates specified for empty output.  indices shape: "
            f"{shape_str(indices.shape)}"
        )
    if flat.shape[0] and depth == 0:
        raise invalid("Indices and updates specified for empty output shape")
    _check_in_range(flat, tuple(shape[:depth]), "shape", tuple(shape))
    return flat


def _scatter_add(out: Array, flat: Array, updates: Array) -> Array:
    depth = flat.shape[1]
    rows = updates.reshape((flat.shape[0],) + out.shape[depth:])
    outer = out.reshape((-1,) + out.shape[depth:])
    if flat.shape[0] == 0:
        return out
    target = np.ravel_multi_index(tuple(flat.T), out.shape[:depth])
    ufunc = np.logical_or if out.dtype == np.bool_ else np.add
    return scatter_reduce(ufunc, outer, target, rows).reshape(out.shape)


@register_kernel("ScatterNd")
def _scatter_nd(inputs: list[Any], attrs: Attrs) -> list[Any]:
    indices, updates, shape_in = (np.asarray(v) for v in inputs)
    require_kernel_type("ScatterNd", updates, _SCATTER_TYPES)
    shape = tuple(int(d) for d in shape_in.reshape(-1))
    flat = _scatter_plan(indices, updates, shape, "ScatterNd")
    out = np.zeros(shape, updates.dtype) if updates.dtype.kind != "O" else _empty_strings(shape)
    return [_scatter_add(out, flat, updates)]


def _empty_strings(shape: tuple[int, ...]) -> Array:
    out = np.empty(shape, dtype=object)
    out.fill(b"")
    return out


@register_kernel("TensorScatterUpdate")
def _tensor_scatter_update(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tensor, indices, updates = (np.asarray(v) for v in inputs)
    require_kernel_type("TensorScatterUpdate", tensor, _SCATTER_TYPES)
    flat = _scatter_plan(indices, updates, tensor.shape, "TensorScatterUpdate")
    out = tensor.copy()
    rows = updates.reshape((flat.shape[0],) + tensor.shape[flat.shape[1] :])
    out[tuple(flat.T)] = rows  # NumPy assigns in order: the last duplicate wins, as in TF
    return [out]


@register_kernel("TensorScatterAdd")
def _tensor_scatter_add(inputs: list[Any], attrs: Attrs) -> list[Any]:
    tensor, indices, updates = (np.asarray(v) for v in inputs)
    require_kernel_type("TensorScatterAdd", tensor, NUMBER_TYPES)
    flat = _scatter_plan(indices, updates, tensor.shape, "TensorScatterAdd")
    return [_scatter_add(tensor.copy(), flat, updates)]


# --------------------------------------------------------------------------- Unique


@register_kernel("Unique")
def _unique(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    require_kernel_type("Unique", x, REAL_TYPES | _BOOL_STRING)
    if x.ndim != 1:
        raise invalid("unique expects a 1D vector.")
    out_idx = _np_type(attrs, "out_idx", np.int32)
    if x.size == 0:
        return [x.copy(), np.zeros(0, out_idx)]
    # equal_nan=False: TF's hash map never finds a NaN equal to another, so each is unique.
    _, first, inverse = np.unique(x, return_index=True, return_inverse=True, equal_nan=False)
    # np.unique sorts; TF keeps first-occurrence order: renumber the sorted groups.
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return [x[first[order]], rank[inverse.reshape(-1)].astype(out_idx)]


# --------------------------------------------------------------------------- shapes


@register_kernel("ShapeN")
def _shape_n(inputs: list[Any], attrs: Attrs) -> list[Any]:
    out_type = _np_type(attrs, "out_type", np.int32)
    return [np.asarray(np.shape(v), dtype=out_type) for v in inputs[0]]


@register_kernel("BroadcastArgs")
def _broadcast_args(inputs: list[Any], attrs: Attrs) -> list[Any]:
    s0, s1 = np.asarray(inputs[0]), np.asarray(inputs[1])
    for i, s in enumerate((s0, s1)):
        if s.ndim != 1:
            raise invalid(f"In[{i}] must be a vector.{shape_str(s.shape)}")
    a, b = tuple(int(d) for d in s0), tuple(int(d) for d in s1)
    try:
        shape = np.broadcast_shapes(a, b)
    except ValueError:
        raise invalid(f"Incompatible shapes: {shape_str(a)} vs. {shape_str(b)}") from None
    return [np.asarray(shape, dtype=s0.dtype).reshape(-1)]


@register_kernel("EnsureShape")
def _ensure_shape(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    expected = as_shape(attrs.get("shape"))
    if not expected.is_compatible_with(TensorShape(list(x.shape))):
        raise invalid(
            f"Shape of tensor {shape_str(x.shape)} is not compatible with expected shape "
            f"{_debug_string(expected)}."
        )
    return [x]


def _debug_string(shape: TensorShape) -> str:
    """TF's TensorShape DebugString: ``[2,?]``, or ``<unknown>`` for an unknown rank."""
    if shape.ndims is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"


@register_kernel("CheckNumerics")
def _check_numerics(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    require_kernel_type("CheckNumerics", x, FLOAT_TYPES)
    has_nan = bool(np.isnan(x).any())
    has_inf = bool(np.isinf(x).any())
    if has_nan or has_inf:
        message = attrs.get("message", "")
        message = message.decode() if isinstance(message, bytes) else str(message)
        what = " and ".join(w for w, bad in (("Inf", has_inf), ("NaN", has_nan)) if bad)
        raise invalid(f"{message} : Tensor had {what} values")
    return [x]


# --------------------------------------------------------------------------- shape functions


def _dims(shape: TensorShape) -> list[int | None] | None:
    return None if shape.ndims is None else shape.as_list()


def _const_ints(tensor: Any) -> list[int] | None:
    value = shape_fns.constant_value(tensor)
    return None if value is None else [int(v) for v in value.reshape(-1)]


@register_shape("Split")
def _split_shape(op: Any) -> list[TensorShape]:
    num = op.get_attr("num_split")
    dims, axis = _dims(op.inputs[1].shape), _const_ints(op.inputs[0])
    if dims is None:
        return [TensorShape(None)] * num
    if axis is None:
        return [unknown_shape(len(dims))] * num
    a = axis[0] % len(dims)
    d = dims[a]
    if d is not None and d % num:
        raise ValueError(f"Dimension size must be evenly divisible by {num} but is {d}")
    part = dims[:a] + [None if d is None else d // num] + dims[a + 1 :]
    return [TensorShape(part)] * num


@register_shape("SplitV")
def _split_v_shape(op: Any) -> list[TensorShape]:
    num = op.get_attr("num_split")
    dims = _dims(op.inputs[0].shape)
    sizes, axis = _const_ints(op.inputs[1]), _const_ints(op.inputs[2])
    if dims is None:
        return [TensorShape(None)] * num
    if axis is None:
        return [unknown_shape(len(dims))] * num
    a = axis[0] % len(dims)
    if sizes is None:
        return [TensorShape(dims[:a] + [None] + dims[a + 1 :])] * num
    d = dims[a]
    if -1 in sizes and d is not None:
        sizes = [d - (sum(sizes) + 1) if s == -1 else s for s in sizes]
    return [TensorShape(dims[:a] + [None if s == -1 else s] + dims[a + 1 :]) for s in sizes]


@register_shape(
    "ReverseV2",
    "Roll",
    "TensorScatterUpdate",
    "TensorScatterAdd",
    "CheckNumerics",
)
def _same_as_input(op: Any) -> list[TensorShape]:
    return [op.inputs[0].shape]


@register_shape("EnsureShape")
def _ensure_shape_shape(op: Any) -> list[TensorShape]:
    expected = as_shape(op.get_attr("shape"))
    return [op.inputs[0].shape.merge_with(expected)]


@register_shape("GatherNd")
def _gather_nd_shape(op: Any) -> list[TensorShape]:
    params, indices = _dims(op.inputs[0].shape), _dims(op.inputs[1].shape)
    if params is None or indices is None or not indices or indices[-1] is None:
        return [TensorShape(None)]
    depth = indices[-1]
    if depth > len(params):
        raise ValueError(
            f"index innermost dimension length must be <= params rank; saw: {depth} vs. "
            f"{len(params)}"
        )
    return [TensorShape(indices[:-1] + params[depth:])]


@register_shape("ScatterNd")
def _scatter_nd_shape(op: Any) -> list[TensorShape]:
    return [shape_fns.shape_from_tensor(op.inputs[2])]


@register_shape("Unique")
def _unique_shape(op: Any) -> list[TensorShape]:
    dims = _dims(op.inputs[0].shape)
    return [unknown_shape(1), TensorShape([dims[0] if dims else None])]


@register_shape("ShapeN")
def _shape_n_shape(op: Any) -> list[TensorShape]:
    return [TensorShape([t.shape.ndims]) for t in op.inputs]


@register_shape("BroadcastArgs")
def _broadcast_args_shape(op: Any) -> list[TensorShape]:
    a, b = (_const_ints(t) for t in op.inputs)
    if a is not None and b is not None:
        return [TensorShape([max(len(a), len(b))])]
    lengths = [t.shape[0] if t.shape.ndims == 1 else None for t in op.inputs]
    if None in lengths:
        return [unknown_shape(1)]
    return [TensorShape([max(lengths)])]  # type: ignore[type-var]
