"""NumPy kernels for TensorFlow's sparse, ragged and feature-column ops.

SparseReshape, SparseFillEmptyRows, SparseSegmentSum/Mean/SqrtN (and their
``WithNumSegments`` forms), SparseTensorDenseMatMul, Bucketize, RaggedTensorToTensor,
RaggedBincount and
the crosses SparseCross, SparseCrossHashed, SparseCrossV2 (hashes bit-exact with TF's
FingerprintCat64 / SipHash: see ``fingerprint``). Semantics, including validation order
and error texts, follow TF's CPU kernels (sparse_cross_op.cc, segment_reduction_ops_impl.h,
sparse_fill_empty_rows_op.cc, reshape_util.cc, ragged_tensor_to_tensor_op.cc).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow.graph.kernels import fingerprint
from stowflow.graph.kernels.math_kernels import invalid, scalar_int, shape_str
from stowflow.graph.kernels.registry import register_kernel, register_shape
from stowflow.graph.shape import TensorShape, unknown_shape

Array = np.ndarray
Attrs = dict[str, Any]
_INT64_MAX = np.uint64(2**63 - 1)
_DT_STRING, _DT_INT64 = 7, 9  # TF's DataType enum values, as its messages print them


def _object_array(values: list[Any], shape: tuple[int, ...]) -> Array:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


# --------------------------------------------------------------------------- SparseReshape


@register_kernel("SparseReshape")
def _sparse_reshape(inputs: list[Any], attrs: Attrs) -> list[Any]:
    indices = np.asarray(inputs[0], dtype=np.int64)
    in_shape = np.asarray(inputs[1], dtype=np.int64)
    target = [int(d) for d in np.asarray(inputs[2]).reshape(-1)]
    if indices.ndim != 2:
        raise invalid(
            f"Input indices should be a matrix but received shape {shape_str(indices.shape)}"
        )
    if indices.shape[1] != in_shape.size:
        raise invalid("Input tensor rank must match input shape length.")
    dense_size = int(np.prod(in_shape, dtype=np.int64))
    out_shape = _resolve_shape(target, dense_size, in_shape)
    if indices.shape[0] == 0:
        return [np.zeros((0, len(out_shape)), np.int64), np.array(out_shape, np.int64)]
    strides = _strides(in_shape.tolist())
    linear = indices @ np.asarray(strides, dtype=np.int64)
    out_strides = np.asarray(_strides(out_shape), dtype=np.int64)
    new_indices = (linear[:, None] // np.maximum(out_strides, 1)) % np.maximum(
        np.asarray(out_shape, dtype=np.int64), 1
    )
    return [new_indices.astype(np.int64), np.array(out_shape, np.int64)]


def _strides(shape: list[int]) -> list[int]:
    strides, acc = [], 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= d
    return strides[::-1]


def _resolve_shape(target: list[int], dense_size: int, in_shape: Array) -> list[int]:
    unknown, product = -1, 1
    for i, d in enumerate(target):
        if d == -1:
            if unknown != -1:
                raise invalid(f"only one output dimension may be -1, not both {unknown} and {i}")
            unknown = i
        elif d < 0:
            raise invalid(f"size {i} must be non-negative, not {d}")
        else:
            product *= d
    out = list(target)
    shown = "[" + ",".join(str(1 if d == -1 else d) for d in target) + "]"
    where = f"input_shape={shape_str(in_shape)} output_shape={shown}"
    if unknown != -1:
        if product == 0:
            raise invalid(
                "reshape cannot infer the missing input size for an empty tensor unless all "
                "specified input sizes are non-zero"
            )
        if dense_size % product:
            raise invalid(
                f"Input to reshape is a SparseTensor with {dense_size} dense values, but the "
                f"requested shape requires a multiple of {product}. {where}"
            )
        out[unknown] = dense_size // product
    elif product != dense_size:
        raise invalid(
            f"Input to reshape is a tensor with {dense_size} dense values, but the requested "
            f"shape has {product}. {where}"
        )
    return out


# --------------------------------------------------------------------------- SparseFillEmptyRows


@register_kernel("SparseFillEmptyRows")
def _fill_empty_rows(inputs: list[Any], attrs: Attrs) -> list[Any]:
    indices = np.asarray(inputs[0], dtype=np.int64)
    values, dense_shape = np.asarray(inputs[1]), np.asarray(inputs[2], dtype=np.int64)
    default = np.asarray(inputs[3])
    if default.ndim:
        raise invalid(f"default_value must be a scalar, saw: {shape_str(default.shape)}")
    if indices.ndim != 2:
        raise invalid(f"indices must be a matrix, saw: {shape_str(indices.shape)}")
    if values.ndim != 1:
        raise invalid(f"values must be a vector, saw: {shape_str(values.shape)}")
    if dense_shape.ndim != 1:
        raise invalid(f"dense_shape must be a vector, saw: {shape_str(dense_shape.shape)}")
    if indices.shape[0] != values.shape[0]:
        raise invalid(
            f"The length of `values` ({values.shape[0]}) must match the first dimension of "
            f"`indices` ({indices.shape[0]})."
        )
    n_rows = int(dense_shape[0]) if dense_shape.size else 0
    rows = indices[:, 0] if indices.shape[0] else np.zeros(0, np.int64)
    bad = np.flatnonzero((rows < 0) | (rows >= n_rows))
    if bad.size:
        i = int(bad[0])
        raise invalid(f"indices({i}, 0) is invalid: {int(rows[i])} >= {n_rows}")
    counts = np.bincount(rows, minlength=n_rows) if n_rows else np.zeros(0, np.int64)
    empty = counts == 0
    sizes = np.maximum(counts, 1)
    offsets = np.cumsum(sizes) - sizes
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    first = np.searchsorted(sorted_rows, sorted_rows, side="left")
    reverse = np.empty(len(rows), dtype=np.int64)
    reverse[order] = offsets[sorted_rows] + (np.arange(len(rows)) - first)
    total = int(sizes.sum()) if n_rows else 0
    out_indices = np.zeros((total, indices.shape[1]), dtype=np.int64)
    out_values = np.empty(total, dtype=values.dtype)
    out_indices[reverse] = indices
    out_values[reverse] = values
    empty_rows = np.flatnonzero(empty)
    out_indices[offsets[empty_rows], 0] = empty_rows
    out_values[offsets[empty_rows]] = default.item() if values.dtype == object else default
    return [out_indices, out_values, empty, reverse]


# --------------------------------------------------------------------------- segment reductions


def _segment_kernel(kind: str, with_num: bool) -> Any:
    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        data = np.asarray(inputs[0])
        indices = np.asarray(inputs[1]).astype(np.int64).reshape(-1)
        ids = np.asarray(inputs[2]).astype(np.int64).reshape(-1)
        if indices.size != ids.size:
            raise invalid("segment_ids and indices should have same size.")
        if with_num:
            rows = scalar_int(inputs[3], "num_segments")
            if ids.size and ids[-1] >= rows:
                raise invalid("segment ids must be < num_segments")
        else:
            rows = int(ids[-1]) + 1 if ids.size else 0
        if rows < 0:
            raise invalid("segment ids must be >= 0")
        _check_segments(ids, indices, rows, data.shape[0] if data.ndim else 0)
        return [_segment_reduce(data, indices, ids, rows, kind)]

    return kernel


def _check_segments(ids: Array, indices: Array, rows: int, n_data: int) -> None:
    """TF's checks, in the order its loop over segments meets them."""
    if not ids.size:
        return
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    seg_ids = ids[starts]
    decreasing = np.r_[seg_ids[1:] < seg_ids[:-1], False]
    out_of_range = (seg_ids < 0) | (seg_ids >= rows)
    bad_index = (indices < 0) | (indices >= n_data)
    bad_segment = np.zeros(len(starts), dtype=bool)
    if bad_index.any():
        bad_segment[np.searchsorted(starts, np.flatnonzero(bad_index), side="right") - 1] = True
    failing = np.flatnonzero(decreasing | out_of_range | bad_segment)
    if not failing.size:
        return
    k = int(failing[0])
    if decreasing[k]:
        raise invalid("segment ids are not increasing")
    if out_of_range[k]:
        raise invalid(
            f"Segment id {int(seg_ids[k])} out of range [0, {rows}), possibly because "
            "'segment_ids' input is not sorted."
        )
    end = int(starts[k + 1]) if k + 1 < len(starts) else len(ids)
    i = int(starts[k]) + int(np.flatnonzero(bad_index[starts[k] : end])[0])
    raise invalid(f"Bad: indices[{i}] == {int(indices[i])} out of range [0, {n_data})")


def _segment_reduce(data: Array, indices: Array, ids: Array, rows: int, kind: str) -> Array:
    out_dtype = data.dtype
    work = data.astype(np.float32) if out_dtype.name in ("float16", "bfloat16") else data
    out = np.zeros((rows, *data.shape[1:]), dtype=work.dtype)
    if ids.size:
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        sums = np.add.reduceat(work[indices], starts, axis=0)
        counts = np.diff(np.r_[starts, len(ids)]).astype(work.dtype)
        shape = (-1,) + (1,) * (data.ndim - 1)
        if kind == "mean":
            sums = sums / counts.reshape(shape)
        elif kind == "sqrtn":
            sums = sums / np.sqrt(counts).reshape(shape)
        out[ids[starts]] = sums
    return out.astype(out_dtype)


for _kind, _name in (("sum", "Sum"), ("mean", "Mean"), ("sqrtn", "SqrtN")):
    register_kernel(f"SparseSegment{_name}")(_segment_kernel(_kind, False))
    register_kernel(f"SparseSegment{_name}WithNumSegments")(_segment_kernel(_kind, True))


# --------------------------------------------------------------------------- matmul, bucketize


@register_kernel("SparseTensorDenseMatMul")
def _sparse_dense_matmul(inputs: list[Any], attrs: Attrs) -> list[Any]:
    idx, vals = np.asarray(inputs[0]).astype(np.int64), np.asarray(inputs[1])
    a_shape, b = np.asarray(inputs[2], dtype=np.int64).reshape(-1), np.asarray(inputs[3])
    adj_a, adj_b = bool(attrs.get("adjoint_a")), bool(attrs.get("adjoint_b"))
    if a_shape.size != 2:
        raise invalid(f"Tensor 'a_shape' is not a vector of size 2, saw: {a_shape.size}")
    if b.ndim != 2:
        raise invalid("Tensor 'b' is not a matrix")
    if idx.ndim != 2 or vals.ndim != 1 or idx.shape[0] != vals.shape[0]:
        raise invalid("Number of rows of a_indices does not match number of entries in a_values")
    rows_a, inner_a = (
        (int(a_shape[1]), int(a_shape[0])) if adj_a else (int(a_shape[0]), int(a_shape[1]))
    )
    bm = np.conj(b.T) if adj_b else b
    if inner_a != bm.shape[0]:
        raise invalid(
            "Cannot multiply A and B because inner dimension does not match: "
            f"{inner_a} vs. {bm.shape[0]}.  Did you forget a transpose?  Dimensions of A: "
            f"[{int(a_shape[0])}, {int(a_shape[1])}).  Dimensions of B: {shape_str(b.shape)}"
        )
    lhs, rhs = (1, 0) if adj_a else (0, 1)
    m, k = (idx[:, lhs], idx[:, rhs]) if idx.size else (np.zeros(0, np.int64),) * 2
    bad_k, bad_m = (k < 0) | (k >= inner_a), (m < 0) | (m >= rows_a)
    bad = np.flatnonzero(bad_k | bad_m)
    if bad.size:
        i = int(bad[0])
        if bad_k[i]:
            raise invalid(f"k ({k[i]}) from index[{i},{rhs}] out of bounds (>={inner_a})")
        raise invalid(f"m ({m[i]}) from index[{i},{lhs}] out of bounds (>={rows_a})")
    a_vals = np.conj(vals) if adj_a else vals
    out = np.zeros((rows_a, bm.shape[1]), dtype=np.result_type(vals.dtype, b.dtype))
    np.add.at(out, m, a_vals[:, None] * bm[k])
    return [out.astype(b.dtype)]


@register_kernel("Bucketize")
def _bucketize(inputs: list[Any], attrs: Attrs) -> list[Any]:
    x = np.asarray(inputs[0])
    bounds = np.asarray(attrs.get("boundaries") or [], dtype=np.float32)
    if np.any(bounds[1:] < bounds[:-1]):
        raise invalid("Expected sorted boundaries")
    work = x.astype(np.float64) if x.dtype != np.float32 else x
    return [np.searchsorted(bounds.astype(work.dtype), work, side="right").astype(np.int32)]


# --------------------------------------------------------------------------- RaggedTensorToTensor


def _partition_children(kind: str, tensor: Array, n_parents: int) -> tuple[Array, Array, int]:
    """(parent of each child, position of each child in its row, max row length)."""
    if kind == "ROW_SPLITS":
        splits = tensor.astype(np.int64).reshape(-1)
        if splits.size == 0 or splits[0] != 0 or np.any(np.diff(splits) < 0):
            raise invalid("Invalid row_splits: must start at 0 and be non-decreasing")
        lengths = np.diff(splits)
        parents = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    else:
        parents = tensor.astype(np.int64).reshape(-1)
        if np.any(np.diff(parents) < 0) or (
            parents.size and (parents[0] < 0 or parents[-1] >= n_parents)
        ):
            raise invalid("Invalid value_rowids: must be sorted and in [0, nrows)")
        lengths = np.bincount(parents, minlength=n_parents) if n_parents else np.zeros(0, np.int64)
    starts = np.cumsum(lengths) - lengths
    positions = (
        np.arange(len(parents), dtype=np.int64) - starts[parents] if parents.size else parents
    )
    return parents, positions, int(lengths.max()) if lengths.size else 0


@register_kernel("RaggedTensorToTensor")
def _ragged_to_tensor(inputs: list[Any], attrs: Attrs) -> list[Any]:
    shape_in, values, default = (np.asarray(v) for v in inputs[:3])
    partitions = [np.asarray(p) for p in inputs[3]]
    kinds = [k.decode() if isinstance(k, bytes) else str(k) for k in attrs["row_partition_types"]]
    if default.ndim >= values.ndim and values.ndim:
        raise invalid(
            f"default_value.shape={shape_str(default.shape)} and rt_input.flat_values.shape="
            f"{shape_str(values.shape)} are incompatible: default_value.rank = {default.ndim}  "
            f"must be less than rt_input.flat_values.rank = {values.ndim}"
        )
    if kinds[0] == "FIRST_DIM_SIZE":
        n_rows = int(partitions[0].reshape(()))
        levels = list(zip(kinds[1:], partitions[1:], strict=True))
    else:
        n_rows = int(partitions[0].size) - 1
        levels = list(zip(kinds, partitions, strict=True))
    # coords[k]: the output coordinate along ragged dim k of every current item
    coords: list[Array] = [np.arange(n_rows, dtype=np.int64)]
    dims = [n_rows]
    n_items = n_rows
    for kind, tensor in levels:
        parents, positions, width = _partition_children(kind, tensor, n_items)
        coords = [c[parents] for c in coords] + [positions]
        dims.append(width)
        n_items = len(parents)
    if n_items != values.shape[0]:
        raise invalid(
            f"Invalid row partitions: they describe {n_items} values, but flat_values has "
            f"{values.shape[0]}"
        )
    inner = list(values.shape[1:])
    out_shape = _ragged_out_shape(shape_in, dims + inner)
    fill = np.broadcast_to(default, out_shape[len(dims) :])
    out = np.empty(out_shape, dtype=values.dtype)
    out[...] = fill
    ragged_shape = out_shape[: len(dims)]
    keep = np.ones(n_items, dtype=bool)
    for c, d in zip(coords, ragged_shape, strict=True):
        keep &= c < d
    inner_slices = tuple(slice(0, min(a, b)) for a, b in zip(out_shape[len(dims) :], inner))
    target = tuple(c[keep] for c in coords)
    out[target + inner_slices] = values[keep][(slice(None),) + inner_slices]
    return [out]


def _ragged_out_shape(shape_in: Array, natural: list[int]) -> list[int]:
    if shape_in.ndim == 0 or shape_in.size == 0:
        return natural
    wanted = [int(d) for d in shape_in.reshape(-1)]
    if len(wanted) != len(natural):
        raise invalid(
            f"rt_input.shape and shape={shape_str(wanted)} are incompatible: "
            f"rt_input.rank = {len(natural)} but shape.rank = {len(wanted)}"
        )
    return [n if w < 0 else w for w, n in zip(wanted, natural, strict=True)]


@register_kernel("RaggedBincount")
def _ragged_bincount(inputs: list[Any], attrs: Attrs) -> list[Any]:
    splits = np.asarray(inputs[0]).astype(np.int64).reshape(-1)
    values = np.asarray(inputs[1]).astype(np.int64).reshape(-1)
    size = scalar_int(inputs[2], "size")
    weights = np.asarray(inputs[3])
    if size < 0:
        raise invalid(f"size ({size}) must be non-negative")
    if splits.size == 0:
        raise invalid("Splits must be non-empty")
    if splits[0] != 0:
        raise invalid(f"Splits must start with 0, not with {int(splits[0])}")
    if splits[-1] != values.size:
        raise invalid(
            f"Splits must end with the number of values, got {int(splits[-1])} instead of "
            f"{values.size}"
        )
    use_weights = weights.size > 0
    if use_weights and weights.shape != np.asarray(inputs[1]).shape:
        raise invalid(
            f"Weights and values must have the same shape. Weight shape: "
            f"{shape_str(weights.shape)}; values shape: {shape_str(np.asarray(inputs[1]).shape)}"
        )
    if np.any(values < 0):
        raise invalid("Input must be non-negative")
    rows = np.repeat(np.arange(splits.size - 1), np.diff(splits))
    keep = values < size
    out = np.zeros((splits.size - 1, size), dtype=weights.dtype)
    if attrs.get("binary_output"):
        out[rows[keep], values[keep]] = 1
    else:
        np.add.at(out, (rows[keep], values[keep]), weights[keep] if use_weights else 1)
    return [out]


@register_shape("RaggedBincount")
def _ragged_bincount_shape(op: Any) -> list[TensorShape]:
    splits = op.inputs[0].shape
    rows = splits[0] - 1 if splits.ndims == 1 and splits[0] is not None else None
    size = _shape_fns()[0](op.inputs[2])
    return [TensorShape([rows, None if size is None else int(size.reshape(()))])]


# --------------------------------------------------------------------------- crosses


class _Column:
    """One cross input: per-row feature counts and starts into its flat values."""

    def __init__(self, values: Array, counts: Array, starts: Array, dense: bool) -> None:
        self.values, self.counts, self.starts, self.dense = values, counts, starts, dense

    @property
    def is_string(self) -> bool:
        return self.values.dtype == object


def _columns(inputs: list[Any], internal_type: int | None) -> tuple[list[_Column], int]:
    indices = [np.asarray(t) for t in inputs[0]]
    values = [np.asarray(t) for t in inputs[1]]
    shapes = [np.asarray(t) for t in inputs[2]]
    dense = [np.asarray(t) for t in inputs[3]]
    _validate_cross(indices, values, shapes, dense, internal_type)
    batch = int(shapes[0].reshape(-1)[0]) if shapes else dense[0].shape[0] if dense else 0
    for i, s in enumerate(shapes):
        if int(s.reshape(-1)[0]) != batch:
            raise invalid(
                f"Expected batch size {batch} got {int(s.reshape(-1)[0])} at position {i}"
            )
    for i, d in enumerate(dense):
        if d.shape[0] != batch:
            raise invalid(f"Expected batch size {batch} got {d.shape[0]} at dense tensor {i}")
    columns = []
    for idx, vals in zip(indices, values, strict=True):
        counts, starts = _row_runs(idx[:, 0] if idx.size else np.zeros(0, np.int64), batch)
        columns.append(_Column(vals, counts, starts, dense=False))
    for d in dense:
        width = d.shape[1]
        counts = np.full(batch, width, dtype=np.int64)
        columns.append(
            _Column(d.reshape(-1), counts, np.arange(batch, dtype=np.int64) * width, True)
        )
    return columns, batch


def _row_runs(rows: Array, batch: int) -> tuple[Array, Array]:
    """TF's ExtractFeatureData: row b's features are the run of ``rows == b`` met in order."""
    rows = np.asarray(rows, dtype=np.int64)
    if not rows.size or (np.all(rows[1:] >= rows[:-1]) and rows[0] >= 0 and rows[-1] < batch):
        counts = np.bincount(rows, minlength=batch)[:batch].astype(np.int64)
        return counts, np.cumsum(counts) - counts
    counts = np.zeros(batch, dtype=np.int64)  # unsorted rows: TF's sequential walk
    starts = np.zeros(batch, dtype=np.int64)
    pos, n = 0, len(rows)
    for b in range(batch):
        starts[b] = pos
        while pos < n and rows[pos] == b:
            pos += 1
        counts[b] = pos - starts[b]
    return counts, starts


def _validate_cross(
    indices: list[Array],
    values: list[Array],
    shapes: list[Array],
    dense: list[Array],
    internal_type: int | None,
) -> None:
    for i, t in enumerate(indices):
        if t.ndim != 2:
            raise invalid(
                f"Input indices should be a matrix but received shape {shape_str(t.shape)} "
                f"at position {i}"
            )
        if t.shape[1] != 2:
            raise invalid(f"Expected D2 of index to be 2 got {t.shape[1]} at position {i}")
    for i, v in enumerate(values):
        if internal_type == _DT_STRING and v.dtype != object:
            raise invalid(
                f"Input values should be of internal type {_DT_STRING} but received {_DT_INT64}"
            )
        if v.ndim != 1:
            raise invalid(
                f"Input values should be a vector but received shape {shape_str(v.shape)} "
                f"at position {i}"
            )
        if indices[i].shape[0] != v.shape[0]:
            raise invalid(
                f"Expected size of values to be {indices[i].shape[0]} got {v.shape[0]} "
                f"at position {i}"
            )
    for i, s in enumerate(shapes):
        if s.ndim != 1:
            raise invalid(
                f"Input shapes should be a vector but received shape {shape_str(s.shape)} "
                f"at position {i}"
            )
        if s.size != 2:
            raise invalid(
                f"shape should imply a 2D tensor, but got {shape_str(s.shape)} at position {i}"
            )
    for i, d in enumerate(dense):
        if internal_type == _DT_STRING and d.dtype != object:
            raise invalid(
                f"Dense inputs should be of internal type {_DT_STRING} but received {_DT_INT64}"
            )
        if d.ndim != 2:
            raise invalid(
                f"Dense inputs should be a matrix but received shape {shape_str(d.shape)} "
                f"at position {i}"
            )


def _cross_plan(columns: list[_Column], batch: int) -> tuple[Array, Array, list[Array]]:
    """(row of each cross, ordinal within its row, flat feature index per column)."""
    counts = np.stack([c.counts for c in columns]) if columns else np.zeros((0, batch), np.int64)
    per_row = np.prod(counts, axis=0, dtype=np.int64) if columns else np.zeros(batch, np.int64)
    rows = np.repeat(np.arange(batch, dtype=np.int64), per_row)
    ordinal = np.arange(len(rows), dtype=np.int64) - np.repeat(
        np.cumsum(per_row) - per_row, per_row
    )
    picks = []
    stride = np.ones(len(rows), dtype=np.int64)
    for c in reversed(columns):  # the last column varies fastest
        n = c.counts[rows]
        picks.append(c.starts[rows] + (ordinal // stride) % np.maximum(n, 1))
        stride = stride * n
    return rows, ordinal, picks[::-1]


def _cross_output(rows: Array, ordinal: Array, values: Array, batch: int) -> list[Any]:
    per_row = np.bincount(rows, minlength=batch) if batch else np.zeros(0, np.int64)
    width = int(per_row.max()) if per_row.size else 0
    indices = np.stack([rows, ordinal], axis=1).reshape(-1, 2)
    return [indices, values, np.array([batch, width], dtype=np.int64)]


def _string_cross(columns: list[_Column], batch: int, sep: bytes) -> list[Any]:
    rows, ordinal, picks = _cross_plan(columns, batch)
    texts = [
        [_feature_text(v) for v in c.values.reshape(-1)[p].tolist()]
        for c, p in zip(columns, picks, strict=True)
    ]
    joined = [sep.join(parts) for parts in zip(*texts, strict=True)] if texts else []
    return _cross_output(rows, ordinal, _object_array(joined, (len(rows),)), batch)


def _feature_text(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(int(value)).encode()


FeatureHash = Callable[[_Column], Array]


def _legacy_feature_hash(c: _Column) -> Array:
    if c.is_string:
        return fingerprint.fingerprint64(c.values)
    return c.values.astype(np.int64).view(np.uint64)


def _keyed_feature_hash(key: tuple[int, int], strong: bool) -> FeatureHash:
    """SparseCrossHashed's per-feature hashes (int64 features hash their first 4 bytes,
    as TF's ``sizeof(values_.dtype())`` makes it)."""

    def low_bytes(c: _Column) -> Array:
        raw = c.values.astype("<i8").view(np.uint8).reshape(-1, 8)[:, :4]
        return _object_array([bytes(r) for r in raw], (len(raw),))

    def fn(c: _Column) -> Array:
        if strong:
            return fingerprint.siphash(c.values if c.is_string else low_bytes(c), key)
        if c.is_string:
            return fingerprint.fingerprint64(c.values)
        if c.dense:
            return c.values.astype(np.int64).view(np.uint64)
        return fingerprint.fingerprint64(low_bytes(c))

    return fn


def _hash_cross(
    columns: list[_Column],
    batch: int,
    feature_hash: FeatureHash,
    seed: int | None,
    num_buckets: int,
) -> list[Any]:
    rows, ordinal, picks = _cross_plan(columns, batch)
    hashes = [feature_hash(c).reshape(-1) for c in columns]
    if seed is None:
        out = hashes[0][picks[0]] if columns else np.zeros(0, np.uint64)
        rest = list(zip(hashes[1:], picks[1:], strict=True))
    else:
        out = np.full(len(rows), np.uint64(seed & (2**64 - 1)), dtype=np.uint64)
        rest = list(zip(hashes, picks, strict=True))
    for h, p in rest:
        out = fingerprint.fingerprint_cat64(out, h[p])
    modulus = np.uint64(num_buckets) if num_buckets > 0 else _INT64_MAX
    return _cross_output(rows, ordinal, (out % modulus).astype(np.int64), batch)


@register_kernel("SparseCross")
def _sparse_cross(inputs: list[Any], attrs: Attrs) -> list[Any]:
    internal = attrs.get("internal_type")
    internal_type = _DT_STRING if internal is not None and internal.name == "string" else _DT_INT64
    columns, batch = _columns(inputs, internal_type)
    if not attrs.get("hashed_output"):
        return _string_cross(columns, batch, b"_X_")
    return _hash_cross(
        columns,
        batch,
        _legacy_feature_hash,
        int(attrs.get("hash_key", 0)),
        int(attrs.get("num_buckets", 0)),
    )


@register_kernel("SparseCrossV2")
def _sparse_cross_v2(inputs: list[Any], attrs: Attrs) -> list[Any]:
    columns, batch = _columns(inputs, None)
    sep = np.asarray(inputs[4], dtype=object)
    if sep.ndim:
        raise invalid(f"Input separator should be a scalar. Received: {sep!r}")
    value = sep.item()
    return _string_cross(columns, batch, value if isinstance(value, bytes) else str(value).encode())


@register_kernel("SparseCrossHashed")
def _sparse_cross_hashed(inputs: list[Any], attrs: Attrs) -> list[Any]:
    columns, batch = _columns(inputs, None)
    num_buckets = int(np.asarray(inputs[4]).reshape(()))
    strong = bool(np.asarray(inputs[5]).reshape(()))
    salt = np.asarray(inputs[6]).reshape(-1)
    if salt.size != 2:
        raise invalid(f'Input "salt" must have length 2 but has length {salt.size}')
    key = (int(salt[0]) & (2**64 - 1), int(salt[1]) & (2**64 - 1))
    return _hash_cross(columns, batch, _keyed_feature_hash(key, strong), None, num_buckets)


# --------------------------------------------------------------------------- shapes


def _shape_fns() -> Any:
    from stowflow.graph.shape_fns import constant_value, shape_from_tensor

    return constant_value, shape_from_tensor


@register_shape("SparseReshape")
def _sparse_reshape_shape(op: Any) -> list[TensorShape]:
    rank = op.inputs[2].shape[0] if op.inputs[2].shape.ndims == 1 else None
    return [
        TensorShape([op.inputs[0].shape[0] if op.inputs[0].shape.ndims else None, rank]),
        TensorShape([rank]),
    ]


@register_shape("SparseFillEmptyRows")
def _fill_empty_rows_shape(op: Any) -> list[TensorShape]:
    idx = op.inputs[0].shape
    rank = idx[1] if idx.ndims == 2 else None
    n = op.inputs[0].shape[0] if idx.ndims == 2 else None
    return [TensorShape([None, rank]), TensorShape([None]), TensorShape([None]), TensorShape([n])]


def _segment_shape(op: Any) -> list[TensorShape]:
    data = op.inputs[0].shape
    if data.ndims is None:
        return [TensorShape(None)]
    first = None
    if len(op.inputs) > 3:
        value = _shape_fns()[0](op.inputs[3])
        first = None if value is None else int(value.reshape(()))
    return [TensorShape([first] + data.as_list()[1:])]


for _name in ("Sum", "Mean", "SqrtN"):
    register_shape(f"SparseSegment{_name}", f"SparseSegment{_name}WithNumSegments")(_segment_shape)


@register_shape("SparseTensorDenseMatMul")
def _sparse_matmul_shape(op: Any) -> list[TensorShape]:
    constant_value = _shape_fns()[0]
    a_shape, b = constant_value(op.inputs[2]), op.inputs[3].shape
    rows = None
    if a_shape is not None:
        rows = int(a_shape.reshape(-1)[1 if op.get_attr("adjoint_a") else 0])
    cols = None
    if b.ndims == 2:
        cols = b[0] if op.get_attr("adjoint_b") else b[1]
    return [TensorShape([rows, cols])]


@register_shape("Bucketize")
def _bucketize_shape(op: Any) -> list[TensorShape]:
    return [op.inputs[0].shape]


@register_shape("SparseCross", "SparseCrossV2", "SparseCrossHashed")
def _cross_shape(op: Any) -> list[TensorShape]:
    return [TensorShape([None, 2]), TensorShape([None]), TensorShape([2])]


@register_shape("RaggedTensorToTensor")
def _ragged_shape(op: Any) -> list[TensorShape]:
    shape_from_tensor = _shape_fns()[1]
    kinds = op.get_attr("row_partition_types")
    ragged_rank = len(kinds) - (
        1 if kinds and kinds[0] in (b"FIRST_DIM_SIZE", "FIRST_DIM_SIZE") else 0
    )
    values = op.inputs[1].shape
    if values.ndims is None:
        return [TensorShape(None)]
    rank = ragged_rank + values.ndims
    natural = [None] * (ragged_rank + 1) + values.as_list()[1:]
    shape_t = op.inputs[0]
    if shape_t.shape.ndims == 0:
        return [TensorShape(natural)]
    given = shape_from_tensor(shape_t)
    if given.ndims is None:
        return [unknown_shape(rank)]
    dims = given.as_list()
    return [TensorShape([n if d is None or d < 0 else d for d, n in zip(dims, natural)])]
