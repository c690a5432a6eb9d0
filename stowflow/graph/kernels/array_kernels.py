"""NumPy kernels for TensorFlow's array, selection and string ops, with TF's CPU semantics.

Covers Reshape, Shape/Size/Rank, Fill, ZerosLike/OnesLike, ConcatV2, Pack/Unpack,
Transpose, ExpandDims, Squeeze, Slice, StridedSlice (all five masks), GatherV2
(``batch_dims``), Tile, Range, Select (TF1 row selection)/SelectV2, BroadcastTo,
Identity/IdentityN/StopGradient and the string ops StringJoin, StaticRegexFullMatch,
ShardedFilename and ShardedFilespec. Strings are NumPy object arrays of ``bytes``.

``StaticRegexFullMatch`` uses Python's ``re.fullmatch`` where TF uses RE2: the common
syntax agrees and POSIX classes (``[[:upper:]]``) are translated, but RE2 rejects
backreferences and lookaround (Python accepts them), Unicode classes (``\\pL``) and
``\\C`` are unsupported, and RE2 matches UTF-8 characters where we match bytes.

Example:
    >>> import numpy as np
    >>> from stowflow.graph.kernels.registry import KERNELS
    >>> KERNELS["Reshape"]([np.arange(6), np.array([-1, 2])], {})[0].shape
    (3, 2)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from stowflow.graph.kernels.math_kernels import (
    broadcast_shape,
    invalid,
    normalize_axis,
    scalar_int,
    shape_str,
)
from stowflow.graph.kernels.registry import register_kernel

Array = np.ndarray
Attrs = dict[str, Any]


def _vector(x: Any, what: str) -> list[int]:
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise invalid(f"{what} must be a vector, got shape {shape_str(arr.shape)}")
    return [int(v) for v in arr.tolist()]


def _np_type(attrs: Attrs, key: str, default: Any) -> Any:
    value = attrs.get(key)
    return default if value is None else value.as_numpy_dtype


# --------------------------------------------------------------------------- shapes


def infer_reshape(input_shape: tuple[int, ...], requested: list[int]) -> list[int]:
    """Resolves one ``-1`` in ``requested`` for a tensor of ``input_shape`` (reshape_op.h).

    When ``requested`` has a zero size, zero dims of the input are left out of the count,
    so ``[0, 3] -> [-1, 0]`` gives ``[3, 0]`` as in TF.

    Raises:
        InvalidArgumentError: with TF's messages for two -1s, negative sizes, a mismatch.
    """
    unknown = -1
    product = 1
    for i, d in enumerate(requested):
        if d == -1:
            if unknown != -1:
                raise invalid(f"Only one input size may be -1, not both {unknown} and {i}")
            unknown = i
        elif d < 0:
            raise invalid(f"Size {i} must be non-negative, not {d}")
        elif d:
            product *= d
    num_elements = int(np.prod(input_shape, dtype=np.int64))
    out = list(requested)
    if unknown == -1:
        if 0 in requested:
            product = 0
        if product != num_elements:
            raise _reshape_mismatch(num_elements, f"has {product}")
        return out
    has_zero = 0 in requested
    counted = [d for d in input_shape if d > 0 or not has_zero]
    count = int(np.prod(counted, dtype=np.int64))
    if len(counted) == len(input_shape) and count % product:
        raise _reshape_mismatch(num_elements, f"requires a multiple of {product}")
    out[unknown] = count // product
    return out


def _reshape_mismatch(num_elements: int, requirement: str) -> Exception:
    return invalid(
        f"Input to reshape is a tensor with {num_elements} values, but the requested shape "
        f"{requirement}"
    )


@register_kernel("Reshape")
def _reshape(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    requested = np.asarray(inputs[1]).reshape(-1).tolist() if np.ndim(inputs[1]) <= 1 else None
    if requested is None:
        raise invalid(f"sizes input must be 1-D, not {shape_str(np.shape(inputs[1]))}")
    return [x.reshape(infer_reshape(x.shape, [int(d) for d in requested]))]


@register_kernel("Shape")
def _shape(inputs: list[Any], attrs: Attrs) -> list[Any]:
    return [np.asarray(np.shape(inputs[0]), _np_type(attrs, "out_type", np.int32))]


@register_kernel("Size")
def _size(inputs: list[Any], attrs: Attrs) -> list[Any]:
    return [np.asarray(np.size(inputs[0]), _np_type(attrs, "out_type", np.int32))]


@register_kernel("Rank")
def _rank(inputs: list[Any], attrs: Attrs) -> list[Any]:
    return [np.asarray(np.ndim(inputs[0]), np.int32)]


def _dims(value: Any, what: str) -> list[int]:
    dims = _vector(value, what)
    for d in dims:
        if d < 0:
            raise invalid(f"Dimension {d} must be >= 0")
    return dims


@register_kernel("Fill")
def _fill(inputs: list[Any], attrs: Attrs) -> list[Any]:
    value = np.asarray(inputs[1])
    if value.ndim != 0:
        raise invalid(f"value must represent a scalar, got shape {shape_str(value.shape)}")
    dims = _dims(inputs[0], "dims")
    return [np.full(dims, value, dtype=value.dtype)]


def _like(fill: Any) -> Callable[[list[Any], Attrs], list[Any]]:
    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        x = np.asarray(inputs[0])
        value = (b"" if fill == 0 else b"1") if x.dtype.kind == "O" else fill
        return [np.full(x.shape, value, dtype=x.dtype)]

    return kernel


register_kernel("ZerosLike")(_like(0))
register_kernel("OnesLike")(_like(1))


@register_kernel("Identity", "StopGradient", "Snapshot", "PreventGradient")
def _identity(inputs: list[Any], attrs: Attrs) -> list[Any]:
    return [inputs[0]]


@register_kernel("IdentityN")
def _identity_n(inputs: list[Any], attrs: Attrs) -> list[Any]:
    return list(inputs[0])


# --------------------------------------------------------------------------- join / split


@register_kernel("ConcatV2")
def _concat(inputs: list[Any], attrs: Attrs) -> list[Any]:
    values = [np.asarray(v) for v in inputs[0]]
    first = values[0]
    if first.ndim == 0:
        raise invalid("ConcatOp : Can't concatenate scalars (use tf.stack instead)")
    axis = scalar_int(inputs[1], "axis")
    if not -first.ndim <= axis < first.ndim:
        raise invalid(
            f"ConcatOp : Expected concatenating dimensions in the range "
            f"[{-first.ndim}, {first.ndim}), but got {axis}"
        )
    axis %= first.ndim
    for i, v in enumerate(values[1:], start=1):
        _check_concat_shape(first, v, i, axis)
    return [np.concatenate(values, axis=axis)]


def _check_concat_shape(first: Array, other: Array, index: int, axis: int) -> None:
    shapes = f"shape[0] = {shape_str(first.shape)} vs. shape[{index}] = {shape_str(other.shape)}"
    if other.ndim != first.ndim:
        raise invalid(f"ConcatOp : Ranks of all input tensors should match: {shapes}")
    for d, (a, b) in enumerate(zip(first.shape, other.shape, strict=True)):
        if d != axis and a != b:
            raise invalid(f"ConcatOp : Dimension {d} in both shapes must be equal: {shapes}")


@register_kernel("Pack")
def _pack(inputs: list[Any], attrs: Attrs) -> list[Any]:
    values = [np.asarray(v) for v in inputs[0]]
    rank = values[0].ndim + 1
    axis = int(attrs.get("axis", 0))
    if not -rank <= axis < rank:
        raise invalid(f"axis = {axis} not in [{-rank}, {rank})")
    for i, v in enumerate(values[1:], start=1):
        if v.shape != values[0].shape:
            raise invalid(
                f"Shapes of all inputs must match: values[0].shape = "
                f"{shape_str(values[0].shape)} != values[{i}].shape = {shape_str(v.shape)}"
            )
    return [np.stack(values, axis=axis % rank)]


@register_kernel("Unpack")
def _unpack(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    axis = int(attrs.get("axis", 0))
    if not -x.ndim <= axis < x.ndim:
        raise invalid(f"axis = {axis} not in [{-x.ndim}, {x.ndim})")
    axis %= x.ndim
    num = int(attrs.get("num") if attrs.get("num") is not None else x.shape[axis])
    if x.shape[axis] != num:
        raise invalid(f"Input shape axis {axis} must equal {num}, got shape {shape_str(x.shape)}")
    return [np.take(x, i, axis=axis) for i in range(num)]


# --------------------------------------------------------------------------- permute / reshape


@register_kernel("Transpose")
def _transpose(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    perm = _vector(inputs[1], "perm")
    if len(perm) != x.ndim:
        raise invalid(
            f"transpose expects a vector of size {x.ndim}. But input(1) is a vector of size "
            f"{len(perm)}"
        )
    seen = set()
    for p in perm:
        if not 0 <= p < x.ndim:
            raise invalid(f"{p} is out of range [0 .. {x.ndim})")
        seen.add(p)
    for d in range(x.ndim):
        if d not in seen:
            raise invalid(f"{d} is missing from {{{','.join(str(p) for p in perm)}}}.")
    return [np.ascontiguousarray(np.transpose(x, perm))]


@register_kernel("ExpandDims")
def _expand_dims(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    dim_arr = np.asarray(inputs[1])
    if dim_arr.size != 1:
        raise invalid(f"'dim' must be a tensor with a single value, got {shape_str(dim_arr.shape)}")
    dim = int(dim_arr.reshape(()))
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise invalid(f"Tried to expand dim index {dim} for tensor with {x.ndim} dimensions.")
    return [np.expand_dims(x, dim if dim >= 0 else dim + x.ndim + 1)]


@register_kernel("Squeeze")
def _squeeze(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    dims = list(attrs.get("squeeze_dims") or attrs.get("axis") or [])
    if not dims:
        return [x.reshape([d for d in x.shape if d != 1])]
    wanted = set()
    for d in dims:
        if not -x.ndim <= d < x.ndim:
            raise invalid(f"Tried to squeeze dim index {d} for tensor with {x.ndim} dimensions.")
        d %= x.ndim
        if x.shape[d] != 1:
            raise invalid(f"Can not squeeze dim[{d}], expected a dimension of 1, got {x.shape[d]}")
        wanted.add(d)
    return [x.reshape([s for i, s in enumerate(x.shape) if i not in wanted])]


@register_kernel("Tile")
def _tile(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    multiples = _vector(inputs[1], "multiples")
    if len(multiples) != x.ndim:
        raise invalid(
            f"Expected multiples argument to be a vector of length {x.ndim} but got length "
            f"{len(multiples)}"
        )
    for i, m in enumerate(multiples):
        if m < 0:
            raise invalid(f"Expected multiples[{i}] >= 0, but got {m}")
    return [np.tile(x, multiples) if x.ndim else x.copy()]


@register_kernel("BroadcastTo")
def _broadcast_to(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    shape = _dims(inputs[1], "shape")
    broadcast_shape(x.shape, tuple(shape))
    try:
        return [np.ascontiguousarray(np.broadcast_to(x, shape))]
    except ValueError:
        raise invalid(
            f"Unable to broadcast tensor of shape {shape_str(x.shape)} to tensor of shape "
            f"{shape_str(shape)}"
        ) from None


# --------------------------------------------------------------------------- slicing


@register_kernel("Slice")
def _slice(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    begin, size = _vector(inputs[1], "begin"), _vector(inputs[2], "size")
    if len(begin) != x.ndim or len(size) != x.ndim:
        raise invalid(
            f"Expected begin and size arguments to be 1-D tensors of size {x.ndim}, but got "
            f"shapes [{len(begin)}] and [{len(size)}] instead."
        )
    index = []
    for i, (b, s, dim) in enumerate(zip(begin, size, x.shape, strict=True)):
        s = dim - b if s == -1 else s
        if not 0 <= b <= dim:
            raise invalid(f"Expected begin[{i}] in [0, {dim}], but got {b}")
        if not 0 <= s <= dim - b:
            raise invalid(f"Expected size[{i}] in [0, {dim - b}], but got {s}")
        index.append(slice(b, b + s))
    return [x[tuple(index)].copy()]


@dataclass(frozen=True)
class SliceSpec:
    """One output-producing entry of a StridedSlice, after masks are resolved.

    ``kind`` is ``"new"`` (a new axis of size 1), ``"shrink"`` (index ``begin`` of input
    dim ``dim``, which vanishes) or ``"range"`` (``begin:end:stride`` of input dim ``dim``;
    ``begin``/``end`` are None when the dim is unknown).
    """

    kind: str
    dim: int = -1
    begin: int | None = None
    end: int | None = None
    stride: int = 1
    size: int | None = None


def _bit(mask: int, i: int) -> bool:
    return bool(mask >> i & 1)


def _sparse_entries(n: int, masks: dict[str, int], rank: int) -> list[tuple[str, int]]:
    """(kind, sparse index) per dense input dim or new axis (TF's BuildDenseSpec)."""
    ellipsis = masks["ellipsis_mask"]
    if ellipsis & (ellipsis - 1):
        raise invalid("Multiple ellipses in slice spec not allowed")
    if not ellipsis:
        ellipsis, n = 1 << n, n + 1  # an implicit trailing ellipsis
    entries: list[tuple[str, int]] = []
    for i in range(n):
        if _bit(ellipsis, i):
            new_after = sum(_bit(masks["new_axis_mask"], j) for j in range(i + 1, n))
            consumed = sum(1 for kind, _ in entries if kind != "new")
            full = max(0, min(rank - (n - 1 - i - new_after), rank) - consumed)
            entries.extend(("ellipsis", i) for _ in range(full))
        elif _bit(masks["new_axis_mask"], i):
            entries.append(("new", i))
        else:
            entries.append(("dim", i))
    return entries


def _canonical(x: int, masked: bool, stride: int, dim: int, is_end: bool) -> int:
    lo, hi = (0, dim) if stride > 0 else (-1, dim - 1)
    if masked:
        return (hi if is_end else lo) if stride > 0 else (lo if is_end else hi)
    x = x + dim if x < 0 else x
    return min(max(x, lo), hi)


def _range_spec(
    dim_index: int, dim: int | None, b: int, e: int, s: int, masked: tuple[bool, bool]
) -> SliceSpec:
    if dim is None:
        return SliceSpec("range", dim_index, None, None, s, None)
    begin = _canonical(b, masked[0], s, dim, False)
    end = _canonical(e, masked[1], s, dim, True)
    span = end - begin
    size = max(0, (span + s - 1) // s if s > 0 else (span + s + 1) // s)
    return SliceSpec("range", dim_index, begin, end, s, size)


def _shrink_spec(dim_index: int, dim: int | None, b: int) -> SliceSpec:
    if dim is None:
        return SliceSpec("shrink", dim_index, None, None, 1, 1)
    index = b + dim if b < 0 else b
    if not 0 <= index < dim:
        raise invalid(f"slice index {b} of dimension {dim_index} out of bounds.")
    return SliceSpec("shrink", dim_index, index, index + 1, 1, 1)


def strided_slice_plan(
    shape: list[int | None],
    begin: list[int],
    end: list[int],
    strides: list[int],
    masks: dict[str, int],
) -> list[SliceSpec]:
    """The resolved StridedSlice over an input of ``shape`` (dims may be None).

    Raises:
        InvalidArgumentError: for unequal spec lengths, a zero stride, two ellipses, too
            many indices, or a shrink index out of bounds.
    """
    if not len(begin) == len(end) == len(strides):
        raise invalid(
            "Expected begin, end, and strides to be 1D equal size tensors, but got shapes "
            f"[{len(begin)}], [{len(end)}], and [{len(strides)}] instead."
        )
    plan: list[SliceSpec] = []
    dense = 0
    for kind, i in _sparse_entries(len(begin), masks, len(shape)):
        if kind == "new":
            plan.append(SliceSpec("new", size=1))
            continue
        if dense >= len(shape):
            raise invalid(
                f"Index out of range using input dim {dense}; input has only {len(shape)} dims"
            )
        dim = shape[dense]
        if kind == "ellipsis":
            plan.append(_range_spec(dense, dim, 0, 0, 1, (True, True)))
        else:
            plan.append(_dim_spec(dense, dim, begin[i], end[i], strides[i], masks, i))
        dense += 1
    plan.extend(_range_spec(d, shape[d], 0, 0, 1, (True, True)) for d in range(dense, len(shape)))
    return plan


def _dim_spec(
    dense: int, dim: int | None, b: int, e: int, s: int, masks: dict[str, int], i: int
) -> SliceSpec:
    if s == 0:
        raise invalid(f"strides[{i}] must be non-zero")
    if _bit(masks["shrink_axis_mask"], i):
        if s < 0:
            raise invalid("only stride 1 allowed on non-range indexing.")
        return _shrink_spec(dense, dim, b)
    masked = (_bit(masks["begin_mask"], i), _bit(masks["end_mask"], i))
    return _range_spec(dense, dim, b, e, s, masked)


def _numpy_index(spec: SliceSpec) -> Any:
    if spec.kind == "new":
        return np.newaxis
    if spec.kind == "shrink":
        return spec.begin
    end = None if spec.end == -1 and spec.stride < 0 else spec.end
    return slice(spec.begin, end, spec.stride)


MASK_NAMES = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


@register_kernel("StridedSlice")
def _strided_slice(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    begin, end = _vector(inputs[1], "begin"), _vector(inputs[2], "end")
    strides = _vector(inputs[3], "strides")
    masks = {name: int(attrs.get(name, 0)) for name in MASK_NAMES}
    plan = strided_slice_plan(list(x.shape), begin, end, strides, masks)
    return [np.array(x[tuple(_numpy_index(s) for s in plan)])]


@register_kernel("GatherV2")
def _gather(inputs: list[Any], attrs: Attrs) -> list[Any]:
    params, indices = np.asarray(inputs[0]), np.asarray(inputs[1])
    axis = scalar_int(inputs[2], "axis")
    batch_dims = int(attrs.get("batch_dims", 0))
    batch_dims = batch_dims + indices.ndim if batch_dims < 0 else batch_dims
    axis = normalize_axis(axis, max(params.ndim, 1), "axis")
    if batch_dims > axis or batch_dims > indices.ndim:
        raise invalid(
            f"batch_dims ({batch_dims}) must be less than or equal to axis ({axis}) and "
            f"the rank of indices ({indices.ndim})."
        )
    limit = params.shape[axis]
    bad = (indices < 0) | (indices >= limit)
    if np.any(bad):
        where = np.unravel_index(int(np.argmax(bad.reshape(-1))), indices.shape)
        loc = ",".join(str(int(w)) for w in where)
        raise invalid(f"indices[{loc}] = {int(indices[where])} is not in [0, {limit})")
    return [_gather_batched(params, indices, axis, batch_dims)]


def _gather_batched(params: Array, indices: Array, axis: int, batch_dims: int) -> Array:
    if batch_dims == 0:
        return np.take(params, indices, axis=axis)
    batch_shape = params.shape[:batch_dims]
    if params.shape[:batch_dims] != indices.shape[:batch_dims]:
        raise invalid(
            f"params.shape[:{batch_dims}] should equal indices.shape[:{batch_dims}], got "
            f"{shape_str(params.shape)} and {shape_str(indices.shape)}"
        )
    out_shape = params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis + 1 :]
    n = int(np.prod(batch_shape, dtype=np.int64))
    p = params.reshape((n,) + params.shape[batch_dims:])
    ix = indices.reshape((n,) + indices.shape[batch_dims:])
    parts = [np.take(p[b], ix[b], axis=axis - batch_dims) for b in range(n)]
    if not parts:
        return np.zeros(out_shape, params.dtype)
    return np.stack(parts).reshape(out_shape)


# --------------------------------------------------------------------------- Range / Select


def _range_size(start: Any, limit: Any, delta: Any) -> int:
    if delta == 0:
        raise invalid(f"Requires delta != 0: {delta}")
    if delta > 0 and start > limit:
        raise invalid(f"Requires start <= limit when delta > 0: {start}/{limit}")
    if delta < 0 and start < limit:
        raise invalid(f"Requires start >= limit when delta < 0: {start}/{limit}")
    if isinstance(start, (int, np.integer)):
        return int((abs(int(limit) - int(start)) + abs(int(delta)) - 1) // abs(int(delta)))
    return int(np.ceil(abs((float(limit) - float(start)) / float(delta))))


@register_kernel("Range")
def _range(inputs: list[Any], attrs: Attrs) -> list[Any]:
    start, limit, delta = (np.asarray(v) for v in inputs)
    for name, v in (("start", start), ("limit", limit), ("delta", delta)):
        if v.ndim != 0:
            raise invalid(f"{name} must be a scalar, not shape {shape_str(v.shape)}")
    size = _range_size(start.item(), limit.item(), delta.item())
    # TF accumulates: out[i] = start + delta + ... + delta (range_sampler_ops / RangeOp).
    steps = np.full(size, delta, dtype=start.dtype)
    if size:
        steps[0] = start
    with np.errstate(all="ignore"):
        return [np.add.accumulate(steps, dtype=start.dtype)]


@register_kernel("Select")
def _select(inputs: list[Any], attrs: Attrs) -> list[Any]:
    """TF1 Select: cond is a scalar, a vector picking rows of ``t``/``e``, or ``t``'s shape."""
    cond, t, e = (np.asarray(v) for v in inputs)
    if cond.ndim == 0:
        _check_same(t, e, "'then' and 'else' must have the same size.  but received:")
        return [(t if cond else e).copy()]
    if cond.ndim == 1 and t.ndim != 1:
        if t.ndim == 0:
            raise invalid(f"'then' must be at least a vector, but saw shape: {shape_str(t.shape)}")
        if t.shape[0] != cond.shape[0]:
            raise invalid(
                "Number of batches of 'then' must match size of 'cond', but saw: "
                f"{t.shape[0]} vs. {cond.shape[0]}"
            )
        _check_same(t, e, "'then' and 'else' must have the same shape.  but received:")
        return [np.where(cond.reshape((-1,) + (1,) * (t.ndim - 1)), t, e)]
    for i, other in ((1, t), (2, e)):
        if other.shape != cond.shape:
            raise invalid(
                "Inputs to operation Select of type Select must have the same size and shape.  "
                f"Input 0: {shape_str(cond.shape)} != input {i}: {shape_str(other.shape)}"
            )
    return [np.where(cond, t, e)]


def _check_same(t: Array, e: Array, prefix: str) -> None:
    if t.shape != e.shape:
        raise invalid(f"{prefix} {shape_str(t.shape)} vs. {shape_str(e.shape)}")


@register_kernel("SelectV2")
def _select_v2(inputs: list[Any], attrs: Attrs) -> list[Any]:
    cond, t, e = (np.asarray(v) for v in inputs)
    try:
        np.broadcast_shapes(cond.shape, t.shape, e.shape)
    except ValueError:
        raise invalid(
            f"condition {shape_str(cond.shape)}, then {shape_str(t.shape)}, and else "
            f"{shape_str(e.shape)} must be broadcastable"
        ) from None
    return [np.asarray(np.where(cond, t, e), dtype=t.dtype)]


# --------------------------------------------------------------------------- strings


def _as_bytes(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def _object_array(values: list[Any], shape: tuple[int, ...]) -> Array:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


@register_kernel("StringJoin")
def _string_join(inputs: list[Any], attrs: Attrs) -> list[Any]:
    parts = [np.asarray(v, dtype=object) for v in inputs[0]]
    sep = _as_bytes(attrs.get("separator", b""))
    shapes = {p.shape for p in parts if p.ndim}
    if len(shapes) > 1:
        listed = " vs. ".join(shape_str(s) for s in sorted(shapes))
        raise invalid(f"Input shapes do not match: {listed}")
    shape = shapes.pop() if shapes else ()
    columns = [np.broadcast_to(p, shape).reshape(-1) for p in parts]
    size = int(np.prod(shape, dtype=np.int64))
    joined = [sep.join(_as_bytes(c[i]) for c in columns) for i in range(size)]
    return [_object_array(joined, shape)]


# RE2's POSIX classes (valid only inside brackets), spelled for Python's re.
_POSIX_CLASSES = {
    b"[:alnum:]": b"0-9A-Za-z",
    b"[:alpha:]": b"A-Za-z",
    b"[:ascii:]": b"\\x00-\\x7f",
    b"[:blank:]": b"\\t ",
    b"[:cntrl:]": b"\\x00-\\x1f\\x7f",
    b"[:digit:]": b"0-9",
    b"[:graph:]": b"!-~",
    b"[:lower:]": b"a-z",
    b"[:print:]": b" -~",
    b"[:punct:]": b"!-/:-@\\[-`{-~",
    b"[:space:]": b"\\t\\n\\v\\f\\r ",
    b"[:upper:]": b"A-Z",
    b"[:word:]": b"0-9A-Za-z_",
    b"[:xdigit:]": b"0-9A-Fa-f",
}


def re2_to_python(pattern: bytes) -> bytes:
    """An RE2 pattern in Python ``re`` syntax (POSIX bracket classes; ``.`` skips newline)."""
    for posix, python in _POSIX_CLASSES.items():
        pattern = pattern.replace(posix, python)
    return pattern


@register_kernel("StaticRegexFullMatch")
def _regex_full_match(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0], dtype=object)
    try:
        pattern = re.compile(re2_to_python(_as_bytes(attrs["pattern"])))
    except re.error as e:
        raise invalid(f"Invalid pattern: {attrs['pattern']!r}, error: {e}") from None
    flat = [pattern.fullmatch(_as_bytes(s)) is not None for s in x.reshape(-1)]
    return [np.array(flat, dtype=np.bool_).reshape(x.shape)]


def _format_all(fmt: Callable[..., bytes], *arrays: Any) -> Array:
    arrs = [np.asarray(a, dtype=object) for a in arrays]
    shape = broadcast_shape(*(a.shape for a in arrs))
    cols = [np.broadcast_to(a, shape).reshape(-1) for a in arrs]
    size = int(np.prod(shape, dtype=np.int64))
    return _object_array([fmt(*(c[i] for c in cols)) for i in range(size)], shape)


@register_kernel("ShardedFilename")
def _sharded_filename(inputs: list[Any], attrs: Attrs) -> list[Any]:
    def fmt(base: Any, shard: Any, num: Any) -> bytes:
        return b"%s-%05d-of-%05d" % (_as_bytes(base), int(shard), int(num))

    return [_format_all(fmt, *inputs)]


@register_kernel("ShardedFilespec")
def _sharded_filespec(inputs: list[Any], attrs: Attrs) -> list[Any]:
    def fmt(base: Any, num: Any) -> bytes:
        return b"%s-?????-of-%05d" % (_as_bytes(base), int(num))

    return [_format_all(fmt, *inputs)]
