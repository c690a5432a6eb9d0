"""NumPy kernels for TF's segment, scan, bincount, top-k, one-hot and einsum ops.

Covers UnsortedSegmentSum/Max, SegmentSum, Cumsum/Cumprod (``exclusive``, ``reverse``),
DenseBincount (``binary_output``, weights), TopKV2, OneHot and Einsum.

TF facts these follow (tensorflow/core/kernels/segment_reduction_ops_impl.h, scan_ops.h,
bincount_op.cc, topk_op.cc, one_hot_op.cc, linalg/einsum_op_impl.h):
- Unsorted segment ops drop negative ids and reject ids ``>= num_segments``; an empty
  ``UnsortedSegmentMax`` segment holds the dtype's lowest finite value (``-FLT_MAX``).
- ``SegmentSum`` needs sorted, non-negative ids; ids skipped by a gap give zero rows.
- ``TopKV2`` breaks ties by the lower index. With ``sorted=False`` TF's order is
  unspecified (a heap's order); stowflow returns the sorted order. Where NaNs are
  compared TF's order depends on its selection algorithm; stowflow's may differ.
- ``UnsortedSegmentMax`` keeps TF's NaN rule: ``out = data < out ? out : data`` in row
  order, so a NaN survives only if no later row of its segment follows it.
- ``OneHot`` writes ``off_value`` for indices outside ``[0, depth)``, negative ones included.
- ``DenseBincount`` ignores values ``>= size``; negative values are an error.
- ``Einsum`` takes one or two operands; labels repeated in an input take its diagonal,
  ``...`` broadcasts. Repeated output labels (TF inflates a diagonal) are unimplemented.

Example:
    >>> import numpy as np
    >>> from stowflow.graph.kernels.registry import KERNELS
    >>> KERNELS["TopKV2"]([np.array([1, 3, 3], np.int32), np.array(2)], {})[1]
    array([1, 2], dtype=int32)
"""

from __future__ import annotations

import re
import string
from typing import Any

import ml_dtypes
import numpy as np

from stowflow.errors import UnimplementedError
from stowflow.graph import shape_fns
from stowflow.graph.kernels.math_extra_kernels import (
    COMPLEX_TYPES,
    FLOAT_TYPES,
    NUMBER_TYPES,
    REAL_TYPES,
    require_kernel_type,
)
from stowflow.graph.kernels.math_kernels import invalid, shape_str
from stowflow.graph.kernels.registry import register_kernel, register_shape
from stowflow.graph.shape import TensorShape, unknown_shape

Array = np.ndarray
Attrs = dict[str, Any]


def _np_type(attrs: Attrs, key: str, default: Any) -> Any:
    value = attrs.get(key)
    return default if value is None else value.as_numpy_dtype


def lowest(dtype: np.dtype) -> Any:
    """The lowest finite value of ``dtype`` (C++ ``numeric_limits::lowest``)."""
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    return -ml_dtypes.finfo(dtype).max  # ml_dtypes.finfo knows bfloat16 too


# --------------------------------------------------------------------------- scatter-reduce


def scatter_reduce(ufunc: np.ufunc, out: Array, index: Array, rows: Array) -> Array:
    """``out[index[j]] = ufunc(out[index[j]], rows[j])`` for every j, in order of j.

    Vectorised as a stable sort by target plus ``ufunc.reduceat``: each target's rows are
    combined in their original order, as TF's CPU loops combine them, and several times
    faster than ``ufunc.at``. ``index`` holds valid row numbers of ``out``.
    """
    if index.size == 0:
        return out
    order = np.argsort(index, kind="stable")
    ordered = index[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    targets = ordered[starts]
    with np.errstate(all="ignore"):
        reduced = ufunc.reduceat(np.take(rows, order, axis=0), starts, axis=0)
        out[targets] = ufunc(out[targets], reduced)
    return out


# --------------------------------------------------------------------------- unsorted segments


def _num_segments(value: Any) -> int:
    arr = np.asarray(value)
    if arr.ndim != 0:
        raise invalid(f"num_segments should be a scalar, not shape {shape_str(arr.shape)}")
    n = int(arr)
    if n < 0:
        raise invalid(f"Input num_segments == {n} must not be negative.")
    return n


def _segment_rows(data: Array, ids: Array, num: int) -> tuple[Array, Array, tuple[int, ...]]:
    """(rows of ``data`` with a valid id, those ids, the output shape); validates ids."""
    if data.shape[: ids.ndim] != ids.shape:
        raise invalid(
            f"data.shape = {shape_str(data.shape)} does not start with segment_ids.shape = "
            f"{shape_str(ids.shape)}"
        )
    flat_ids = ids.reshape(-1).astype(np.int64)
    bad = np.flatnonzero(flat_ids >= num)
    if bad.size:
        i = int(bad[0])
        raise invalid(f"segment_ids[{i}] = {flat_ids[i]} is out of range [0, {num})")
    inner = data.shape[ids.ndim :]
    rows = data.reshape((flat_ids.size,) + inner)
    keep = flat_ids >= 0
    return rows[keep], flat_ids[keep], (num,) + inner


@register_kernel("UnsortedSegmentSum")
def _unsorted_segment_sum(inputs: list[Any], attrs: Attrs) -> list[Any]:
    data, ids = np.asarray(inputs[0]), np.asarray(inputs[1])
    require_kernel_type("UnsortedSegmentSum", data, NUMBER_TYPES)
    rows, seg, shape = _segment_rows(data, ids, _num_segments(inputs[2]))
    return [scatter_reduce(np.add, np.zeros(shape, data.dtype), seg, rows)]


@register_kernel("UnsortedSegmentMax")
def _unsorted_segment_max(inputs: list[Any], attrs: Attrs) -> list[Any]:
    data, ids = np.asarray(inputs[0]), np.asarray(inputs[1])
    require_kernel_type("UnsortedSegmentMax", data, REAL_TYPES)
    rows, seg, shape = _segment_rows(data, ids, _num_segments(inputs[2]))
    low = np.asarray(lowest(data.dtype), data.dtype)
    out = np.full(shape, low, data.dtype)
    nan = np.isnan(rows) if data.dtype.kind == "f" or data.dtype in FLOAT_TYPES else None
    if nan is None or not nan.any():
        return [scatter_reduce(np.maximum, out, seg, rows)]
    return [_segment_max_with_nan(out, seg, rows, nan, low)]


def _segment_max_with_nan(out: Array, seg: Array, rows: Array, nan: Array, low: Array) -> Array:
    """TF's sequential ``out = data < out ? out : data``: a NaN is kept only until a later
    value of its segment replaces it, so each segment's max starts after its last NaN."""
    index_shape = (-1,) + (1,) * (rows.ndim - 1)
    position = np.broadcast_to(np.arange(rows.shape[0]).reshape(index_shape), rows.shape)
    last_nan = np.full(out.shape, -1, np.int64)
    scatter_reduce(np.maximum, last_nan, seg, np.where(nan, position, -1))
    after = position > last_nan[seg]
    scatter_reduce(np.maximum, out, seg, np.where(after, rows, low))
    followed = scatter_reduce(np.add, np.zeros(out.shape, np.int64), seg, after.astype(np.int64))
    return np.where((last_nan >= 0) & (followed == 0), np.asarray(np.nan, out.dtype), out)


@register_kernel("SegmentSum")
def _segment_sum(inputs: list[Any], attrs: Attrs) -> list[Any]:
    data, ids = np.asarray(inputs[0]), np.asarray(inputs[1])
    require_kernel_type("SegmentSum", data, NUMBER_TYPES)
    if ids.ndim != 1:
        raise invalid("segment_ids should be a vector.")
    if data.ndim == 0 or ids.shape[0] != data.shape[0]:
        raise invalid("segment_ids should be the same size as dimension 0 of input.")
    ids = ids.astype(np.int64)
    num = int(ids[-1]) + 1 if ids.size else 0
    _check_sorted_ids(ids, num)
    return [scatter_reduce(np.add, np.zeros((num,) + data.shape[1:], data.dtype), ids, data)]


def _check_sorted_ids(ids: Array, num: int) -> None:
    """TF's sorted-segment checks, reporting whichever violation comes first in ``ids``."""
    decreasing = np.flatnonzero(ids[1:] < ids[:-1])
    negative = np.flatnonzero(ids < 0)
    first_decreasing = int(decreasing[0]) + 1 if decreasing.size else ids.size
    first_negative = int(negative[0]) if negative.size else ids.size
    if first_negative < first_decreasing:
        raise invalid(
            f"Segment id {ids[first_negative]} out of range [0, {num}), possibly because "
            "'segment_ids' input is not sorted."
        )
    if decreasing.size:
        raise invalid("segment ids are not increasing")


# --------------------------------------------------------------------------- scans


def _scan_kernel(op_type: str) -> Any:
    accumulate = np.cumsum if op_type == "Cumsum" else np.cumprod
    identity = 0 if op_type == "Cumsum" else 1

    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        x, axis_in = np.asarray(inputs[0]), np.asarray(inputs[1])
        require_kernel_type(op_type, x, NUMBER_TYPES)
        if axis_in.ndim != 0:
            raise invalid(f"ScanOp: axis must be a scalar, not {shape_str(axis_in.shape)}")
        axis = int(axis_in)
        axis = axis + x.ndim if axis < 0 else axis
        if not 0 <= axis < x.ndim:
            raise invalid(
                f"ScanOp: Expected scan axis in the range [{-x.ndim}, {x.ndim}), but got {axis}"
            )
        reverse, exclusive = bool(attrs.get("reverse")), bool(attrs.get("exclusive"))
        src = np.flip(x, axis) if reverse else x
        if exclusive and src.shape[axis]:
            pad = np.full_like(np.take(src, [0], axis=axis), identity)
            src = np.concatenate(
                [pad, np.take(src, np.arange(src.shape[axis] - 1), axis=axis)], axis
            )
        with np.errstate(all="ignore"):
            out = accumulate(src, axis=axis, dtype=x.dtype)
        return [np.ascontiguousarray(np.flip(out, axis) if reverse else out)]

    return kernel


register_kernel("Cumsum")(_scan_kernel("Cumsum"))
register_kernel("Cumprod")(_scan_kernel("Cumprod"))


# --------------------------------------------------------------------------- TopKV2


@register_kernel("TopKV2")
def _top_k(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x, k_in = np.asarray(inputs[0]), np.asarray(inputs[1])
    require_kernel_type("TopKV2", x, REAL_TYPES)
    if k_in.ndim != 0:
        raise invalid(f"k must be scalar, got shape {shape_str(k_in.shape)}")
    k = int(k_in)
    if k < 0:
        raise invalid(f"Need k >= 0, got {k}")
    if x.ndim < 1:
        raise invalid(f"input must be >= 1-D, got shape {shape_str(x.shape)}")
    n = x.shape[-1]
    if n < k:
        raise invalid(f"input must have at least k columns. Had {n}, needed {k}")
    index_type = _np_type(attrs, "index_type", np.int32)
    rows = x.reshape(int(np.prod(x.shape[:-1], dtype=np.int64)), n)
    if 0 < 2 * k <= n and not (rows.dtype in FLOAT_TYPES and np.isnan(rows).any()):
        chosen = _top_k_candidates(rows, k)
    else:
        chosen = np.broadcast_to(np.arange(n), rows.shape)
    picked = np.take_along_axis(rows, chosen, axis=-1)
    order = _descending_stable(picked)[:, :k]
    indices = np.take_along_axis(chosen, order, axis=-1)
    values = np.take_along_axis(rows, indices, axis=-1)
    shape = x.shape[:-1] + (k,)
    return [values.reshape(shape), indices.astype(index_type).reshape(shape)]


def _descending_stable(rows: Array) -> Array:
    """Per-row argsort, largest first, lower index first among equal values.

    A stable ascending sort of the reversed row, read backwards, gives that order without
    negating (which unsigned ints cannot do).
    """
    n = rows.shape[-1]
    return n - 1 - np.argsort(rows[:, ::-1], axis=-1, kind="stable")[:, ::-1]


def _top_k_candidates(rows: Array, k: int) -> Array:
    """Ascending column numbers of each row's top ``k`` (ties: lowest columns), in O(n).

    Everything above the k-th largest value is in; of the values equal to it, the
    lowest-numbered columns fill the remaining places, as TF's tie order wants.
    """
    n = rows.shape[-1]
    kth = np.partition(rows, n - k, axis=-1)[:, n - k : n - k + 1]
    above = rows > kth
    ties = rows == kth
    room = k - above.sum(axis=-1, keepdims=True)
    keep = above | (ties & (np.cumsum(ties, axis=-1) <= room))
    return np.nonzero(keep)[1].reshape(rows.shape[0], k)


# --------------------------------------------------------------------------- OneHot


def _scalar_input(value: Any, what: str) -> Array:
    arr = np.asarray(value)
    if arr.ndim != 0:
        raise invalid(f"{what} must be a scalar, but got: {shape_str(arr.shape)}")
    return arr


@register_kernel("OneHot")
def _one_hot(inputs: list[Any], attrs: Attrs) -> list[Any]:
    indices = np.asarray(inputs[0])
    depth = int(_scalar_input(inputs[1], "depth"))
    on = _scalar_input(inputs[2], "on_value")
    off = _scalar_input(inputs[3], "off_value")
    axis = int(attrs.get("axis", -1))
    rank = indices.ndim + 1
    if not (axis == -1 or 0 <= axis < rank):
        raise invalid(f"Expected axis to be -1 or between [0, {rank}).  But received: {axis}")
    if depth < 0:
        raise invalid(f"depth must be non-negative, got: {depth}")
    flat = indices.reshape(-1).astype(np.int64)
    out = np.full((flat.size, depth), off, dtype=on.dtype)
    hit = np.flatnonzero((flat >= 0) & (flat < depth))
    out[hit, flat[hit]] = on
    out = out.reshape(indices.shape + (depth,))
    if axis != -1:
        out = np.ascontiguousarray(np.moveaxis(out, -1, axis))
    return [out]


# --------------------------------------------------------------------------- DenseBincount


@register_kernel("DenseBincount")
def _dense_bincount(inputs: list[Any], attrs: Attrs) -> list[Any]:
    values, size_in, weights = (np.asarray(v) for v in inputs)
    if size_in.ndim != 0:
        raise invalid(f"Shape must be rank 0 but is rank {size_in.ndim}")
    size = int(size_in)
    if size < 0:
        raise invalid(f"size ({size}) must be non-negative")
    if values.ndim > 2:
        raise invalid(f"Shape must be at most rank 2 but is rank {values.ndim}")
    if weights.size and weights.shape != values.shape:
        raise invalid(
            "`weights` must be the same shape as `arr` or a length-0 `Tensor`, in which case "
            f"it acts as all weights equal to 1. Received {shape_str(weights.shape)}"
        )
    if values.size and values.min() < 0:
        if values.ndim <= 1:
            raise invalid("Input arr must be non-negative!")
        raise invalid(
            f"Input 'in' must be non-negative! Negative input value found: {values.min()}"
        )
    binary = bool(attrs.get("binary_output"))
    rows = values.reshape(-1, values.shape[-1]) if values.ndim == 2 else values.reshape(1, -1)
    w = weights.reshape(rows.shape) if weights.size else None
    out = _bincount_rows(rows.astype(np.int64), w, size, binary, weights.dtype)
    return [out if values.ndim == 2 else out.reshape(size)]


def _bincount_rows(rows: Array, w: Array | None, size: int, binary: bool, dtype: Any) -> Array:
    """Per-row bincount of ``rows`` (values >= ``size`` dropped) as a [rows, size] array."""
    keep = rows < size
    flat = (np.arange(rows.shape[0])[:, None] * size + rows)[keep]
    total = rows.shape[0] * size
    if binary:
        out = np.zeros(total, dtype)
        out[flat] = 1
    elif w is None:
        out = np.bincount(flat, minlength=total).astype(dtype)
    elif np.dtype(dtype).kind == "f":  # TF's bincount sums per thread too: order is free
        out = np.bincount(flat, weights=w[keep], minlength=total).astype(dtype)
    else:
        out = scatter_reduce(np.add, np.zeros(total, dtype), flat, w[keep])
    return out.reshape(rows.shape[0], size)


# --------------------------------------------------------------------------- Einsum

_EINSUM_TYPES = FLOAT_TYPES | COMPLEX_TYPES | {np.dtype(np.int32), np.dtype(np.int64)}
_SUBSCRIPT = re.compile(r"^(?:[A-Za-z]|\.\.\.)*$")


def parse_einsum(equation: str, num_inputs: int | None = None) -> tuple[list[str], str]:
    """Splits an Einsum op's equation into input and output subscripts, as TF validates it.

    Raises:
        InvalidArgumentError: for a missing ``->``, a bad operand count or bad characters.
    """
    if equation.count("->") != 1:
        raise invalid(f"Expecting exactly one '->' in einsum equation: {equation}")
    lhs, output = equation.replace(" ", "").split("->")
    subscripts = lhs.split(",")
    if len(subscripts) not in (1, 2) or (num_inputs is not None and num_inputs != len(subscripts)):
        raise invalid(
            f"Expecting 1 or 2 input subscripts in equation '{equation}' but got: {len(subscripts)}"
        )
    for part in subscripts + [output]:
        if not _SUBSCRIPT.match(part) or part.count("...") > 1:
            raise invalid(f"Invalid einsum subscript '{part}' in equation '{equation}'")
    return subscripts, output


def _labels(subscript: str) -> list[str]:
    return ["..." if p == "." else p for p in subscript.replace("...", ".")]


def _check_einsum_dims(subscripts: list[str], operands: list[Array]) -> None:
    sizes: dict[str, int] = {}
    for i, (sub, x) in enumerate(zip(subscripts, operands, strict=True)):
        labels = _labels(sub)
        named = [lab for lab in labels if lab != "..."]
        if "..." not in labels and x.ndim != len(labels):
            raise invalid(f"Expected input {i} to have rank {len(labels)} but got: {x.ndim}")
        if "..." in labels and x.ndim < len(named):
            raise invalid(
                f"Expected input {i} to have rank at least {len(named)} but got: {x.ndim}"
            )
        bcast = x.ndim - len(named)
        axis = 0
        for lab in labels:
            if lab == "...":
                axis += bcast
                continue
            if sizes.get(lab, x.shape[axis]) != x.shape[axis]:
                raise invalid(
                    f"Expected dimension {sizes[lab]} at axis {axis} of the input shaped "
                    f"{shape_str(x.shape)} but got dimension {x.shape[axis]}"
                )
            sizes[lab] = x.shape[axis]
            axis += 1


def _ellipsis_dims(subscripts: list[str], operands: list[Array]) -> list[tuple[int, ...]]:
    out = []
    for sub, x in zip(subscripts, operands, strict=True):
        labels = _labels(sub)
        if "..." not in labels:
            continue
        start = labels.index("...")
        out.append(x.shape[start : start + x.ndim - len(labels) + 1])
    return out


# TF's label kinds (einsum_op_impl.h DimensionType), in its sort order.
_BROADCAST, _BATCH, _FREE, _CONTRACT, _REDUCE = range(5)


def _contraction_shapes(
    subscripts: list[str], output: str, operands: list[Array]
) -> list[tuple[int, ...]]:
    """The [batch..., free, contract] shapes TF's Einsum contracts (named in its errors)."""
    ids: dict[str, int] = {}
    for lab in [c for part in subscripts + [output] for c in _labels(part) if c != "..."]:
        ids.setdefault(lab, len(ids))
    kinds = {}
    for lab, i in ids.items():
        removed = lab not in output
        unique = len(subscripts) == 1 or any(lab not in sub for sub in subscripts)
        kinds[i] = (
            (_CONTRACT if not unique else _REDUCE) if removed else (_BATCH if not unique else _FREE)
        )
    shapes = []
    for sub, x in zip(subscripts, operands, strict=True):
        labels: list[int] = []
        width = x.ndim - len([c for c in _labels(sub) if c != "..."])
        for lab in _labels(sub):
            labels.extend(range(len(ids), len(ids) + width) if lab == "..." else [ids[lab]])
        kind = {**kinds, **{i: _BROADCAST for i in labels if i >= len(ids)}}
        shapes.append(_reduced_shape(labels, kind, x.shape))
    return shapes


def _reduced_shape(
    labels: list[int], kind: dict[int, int], dims: tuple[int, ...]
) -> tuple[int, ...]:
    remap = {_BROADCAST: 0, _BATCH: 1, _FREE: 3, _CONTRACT: 2, _REDUCE: 4}
    keys = [(remap[kind[lab]], lab) for lab in labels]
    swap = all(a <= b for a, b in zip(keys, keys[1:]))
    order = (
        range(len(labels))
        if swap
        else sorted(range(len(labels)), key=lambda i: (kind[labels[i]], labels[i]))
    )
    out: list[int] = []
    size = {_FREE: 1, _CONTRACT: 1}
    previous = None
    for i in order:
        lab = labels[i]
        if lab == previous:  # a repeated label (its diagonal) counts once
            continue
        previous = lab
        if kind[lab] in (_BROADCAST, _BATCH):
            out.append(dims[i])
        elif kind[lab] in size:
            size[kind[lab]] *= dims[i]
    pair = [size[_CONTRACT], size[_FREE]] if swap else [size[_FREE], size[_CONTRACT]]
    return tuple(out + pair)


@register_kernel("Einsum")
def _einsum(inputs: list[Any], attrs: Attrs) -> list[Any]:
    operands = [np.asarray(v) for v in inputs[0]]
    equation = attrs["equation"]
    equation = equation.decode() if isinstance(equation, bytes) else str(equation)
    for x in operands:
        require_kernel_type("Einsum", x, _EINSUM_TYPES)
    subscripts, output = parse_einsum(equation, len(operands))
    _check_einsum_dims(subscripts, operands)
    bcast = _ellipsis_dims(subscripts, operands)
    try:
        np.broadcast_shapes(*bcast)
    except ValueError:
        listed = " vs. ".join(
            shape_str(s) for s in _contraction_shapes(subscripts, output, operands)
        )
        raise invalid(f"Invalid broadcasting dimensions: {listed}") from None
    if any(output.count(c) > 1 for c in set(output) - {"."}):
        raise UnimplementedError(
            None, None, f"Einsum with repeated output labels is not supported: '{equation}'"
        )
    widest = max([len(b) for b in bcast], default=0)
    if widest and "..." not in output:
        raise invalid(
            f"Output contains {widest} broadcasting dimension(s) but no "
            "ellipsis (...) was found in the output subscripts."
        )
    dtype = operands[0].dtype
    # Half-precision products accumulate in float32, as Eigen's contractions do.
    work = [x.astype(np.float32) if x.dtype in _HALF_TYPES else x for x in operands]
    subscripts, output = _name_ellipsis(subscripts, output, work)
    with np.errstate(all="ignore"):
        if len(work) == 1:
            result = np.einsum(f"{subscripts[0]}->{output}", work[0])
        else:
            result = _contract_pair(subscripts, work, output)
    return [np.array(result, dtype=dtype, order="C")]


_HALF_TYPES = frozenset(t for t in FLOAT_TYPES if t.itemsize == 2)


def _name_ellipsis(
    subscripts: list[str], output: str, operands: list[Array]
) -> tuple[list[str], str]:
    """Subscripts with each ``...`` replaced by unused letters, right-aligned as broadcast."""
    used = set("".join(subscripts) + output)
    spare = [c for c in string.ascii_letters if c not in used]
    widths = [x.ndim - len(sub.replace("...", "")) for sub, x in zip(subscripts, operands)]
    most = max([w for sub, w in zip(subscripts, widths) if "..." in sub], default=0)
    letters = "".join(spare[:most])
    named = [
        sub.replace("...", letters[most - w :]) if "..." in sub else sub
        for sub, w in zip(subscripts, widths)
    ]
    return named, output.replace("...", letters)


def _squeeze_labels(sub: str, x: Array, keep: str) -> tuple[str, Array]:
    """Takes the diagonal of repeated labels and sums labels not in ``keep``."""
    target = "".join(c for c in dict.fromkeys(sub) if c in keep)
    if target == sub:
        return sub, x
    return target, np.einsum(f"{sub}->{target}", x)


def _contract_pair(subscripts: list[str], operands: list[Array], output: str) -> Array:
    """Two-operand einsum as one batched ``np.matmul`` ([batch, free, contract] layout)."""
    (sa, a), (sb, b) = (
        _squeeze_labels(sub, x, other + output)
        for sub, x, other in (
            (subscripts[0], operands[0], subscripts[1]),
            (subscripts[1], operands[1], subscripts[0]),
        )
    )
    batch = [c for c in output if c in sa and c in sb]
    contract = [c for c in sa if c in sb and c not in output]
    free_a = [c for c in sa if c not in sb]
    free_b = [c for c in sb if c not in sa]
    a = a.transpose([sa.index(c) for c in batch + free_a + contract])
    b = b.transpose([sb.index(c) for c in batch + contract + free_b])
    nb, fa, nc = len(batch), len(free_a), len(contract)
    dims_a, dims_b = a.shape[nb : nb + fa], b.shape[nb + nc :]
    size = _prod(a.shape[nb + fa :])
    lhs = a.reshape(a.shape[:nb] + (_prod(dims_a), size))
    rhs = b.reshape(b.shape[:nb] + (size, _prod(dims_b)))
    product = np.matmul(lhs, rhs)
    dims = product.shape[:nb] + dims_a + dims_b
    labels = batch + free_a + free_b
    return product.reshape(dims).transpose([labels.index(c) for c in output])


def _prod(dims: tuple[int, ...]) -> int:
    return int(np.prod(dims, dtype=np.int64))


# --------------------------------------------------------------------------- shape functions


def _const_int(tensor: Any) -> int | None:
    value = shape_fns.constant_value(tensor)
    return None if value is None or value.size != 1 else int(value.reshape(()))


def _dims(shape: TensorShape) -> list[int | None] | None:
    return None if shape.ndims is None else shape.as_list()


@register_shape("UnsortedSegmentSum", "UnsortedSegmentMax")
def _unsorted_segment_shape(op: Any) -> list[TensorShape]:
    data, ids = _dims(op.inputs[0].shape), op.inputs[1].shape.ndims
    num = _const_int(op.inputs[2])
    if data is None or ids is None:
        return [TensorShape(None)]
    return [TensorShape([num] + data[ids:])]


@register_shape("SegmentSum")
def _segment_sum_shape(op: Any) -> list[TensorShape]:
    data = _dims(op.inputs[0].shape)
    return [TensorShape(None) if data is None else TensorShape([None] + data[1:])]


@register_shape("Cumsum", "Cumprod")
def _scan_shape(op: Any) -> list[TensorShape]:
    return [op.inputs[0].shape]


@register_shape("TopKV2")
def _top_k_shape(op: Any) -> list[TensorShape]:
    dims, k = _dims(op.inputs[0].shape), _const_int(op.inputs[1])
    if dims is None:
        return [TensorShape(None)] * 2
    if not dims:
        raise ValueError("Shape must be at least rank 1 but is rank 0")
    last = dims[-1]
    if k is not None and last is not None and last < k:
        raise ValueError(f"input must have last dimension >= k = {k} but is {last}")
    out = TensorShape(dims[:-1] + [k])
    return [out, out]


@register_shape("OneHot")
def _one_hot_shape(op: Any) -> list[TensorShape]:
    axis = op.get_attr("axis")
    if axis < -1:
        raise ValueError("axis must be >= -1")
    dims, depth = _dims(op.inputs[0].shape), _const_int(op.inputs[1])
    if dims is None:
        return [TensorShape(None)]
    at = len(dims) if axis == -1 else axis
    return [TensorShape(dims[:at] + [depth] + dims[at:])]


@register_shape("DenseBincount")
def _dense_bincount_shape(op: Any) -> list[TensorShape]:
    dims, size = _dims(op.inputs[0].shape), _const_int(op.inputs[1])
    if dims is None:
        return [TensorShape(None)]
    if len(dims) > 2:
        raise ValueError(f"Shape must be at most rank 2 but is rank {len(dims)}")
    return [TensorShape([size] if len(dims) <= 1 else [dims[0], size])]


@register_shape("Einsum")
def _einsum_shape(op: Any) -> list[TensorShape]:
    equation = op.get_attr("equation")
    equation = equation.decode() if isinstance(equation, bytes) else str(equation)
    try:
        subscripts, output = parse_einsum(equation, len(op.inputs))
    except Exception as e:  # graph-construction errors are ValueErrors
        raise ValueError(getattr(e, "message", str(e))) from None
    shapes = [_dims(t.shape) for t in op.inputs]
    sizes: dict[str, int | None] = {}
    bcast: list[TensorShape] = []
    for sub, dims in zip(subscripts, shapes, strict=True):
        labels = _labels(sub)
        if dims is None:
            if "..." in labels:
                bcast.append(TensorShape(None))
            continue
        named = len([lab for lab in labels if lab != "..."])
        axis = 0
        for lab in labels:
            if lab == "...":
                width = len(dims) - named
                bcast.append(TensorShape(dims[axis : axis + width]))
                axis += width
                continue
            if sizes.get(lab) is None:
                sizes[lab] = dims[axis]
            axis += 1
    inputs_labels = set("".join(subscripts))
    out: list[int | None] = []
    for lab in _labels(output):
        if lab == "...":
            merged = shape_fns.broadcast(*bcast) if bcast else TensorShape([])
            if merged.ndims is None:
                return [unknown_shape()]
            out.extend(merged.as_list())
        elif lab not in inputs_labels:
            raise ValueError(
                f"Einsum output subscripts for equation '{equation}' has label '{lab}' which "
                "is not present in the input subscripts"
            )
        else:
            out.append(sizes.get(lab))
    return [TensorShape(out)]
