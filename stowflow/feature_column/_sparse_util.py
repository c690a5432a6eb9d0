"""Sparse helpers the feature columns need, built as TF's Python wrappers build them.

Dense -> sparse conversion (``_to_sparse_input_and_drop_ignore_values``), ``embedding_lookup_sparse`` and
``safe_embedding_lookup_sparse`` (``tensorflow/python/ops/embedding_ops.py``), on the
``tf.sparse`` ops of ``graph/sparse_ops.py``. A partitioned
table is read as the concatenation of its parts, which is TF's ``'div'`` strategy (the
default of ``safe_embedding_lookup_sparse``).
"""

from __future__ import annotations

from typing import Any

from stowflow import dtypes
from stowflow.graph import array_ops, extra_ops, math_ops
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph
from stowflow.graph.extra_ops import gen_op
from stowflow.graph.partitioned import PartitionedVariable
from stowflow.graph.shape import TensorShape
from stowflow.graph.sparse import SparseTensor
from stowflow.graph.sparse_ops import sparse_fill_empty_rows, sparse_reshape, sparse_retain

COMBINERS = ("sum", "mean", "sqrtn")


def sparse_rows(sp: SparseTensor) -> Tensor:
    """``tf.shape(sp)[0]``: a SparseTensor's batch size as int32, as TF computes it."""
    return math_ops.cast(sp.dense_shape, dtypes.int32)[0]


def to_sparse_input(value: Any, ignore_value: Any = None) -> Any:
    """A SparseTensor as is; a dense tensor without its ``ignore_value`` cells as sparse.

    ``ignore_value`` defaults to ``''`` for strings, ``-1`` for integers, else zero.
    """
    if isinstance(value, SparseTensor):
        return value
    graph = get_default_graph()
    with graph.name_scope("to_sparse_input"):
        tensor = convert_to_tensor(value)
        dtype = tensor.dtype.base_dtype
        if ignore_value is None:
            ignore_value = b"" if dtype == dtypes.string else (-1 if dtype.is_integer else 0)
        ignore = math_ops.cast(
            convert_to_tensor(ignore_value, dtype=dtype if dtype == dtypes.string else None),
            dtype,
            name="ignore_value",
        )
        indices = array_ops.where(math_ops.not_equal(tensor, ignore), name="indices")
        values = extra_ops.gather_nd(tensor, indices, name="values")
        dense_shape = array_ops.shape(tensor, out_type=dtypes.int64, name="dense_shape")
        return SparseTensor(indices, values, dense_shape)


def bucket_ids_to_sparse(buckets: Tensor, column: Any) -> SparseTensor:
    """A bucketized column's ids: element ``j`` of a row maps to ``bucket + j * per_elem``."""
    batch_size = array_ops.shape(buckets)[0]
    width = int(column.source_column.shape[0])
    per_element = len(column.boundaries) + 1
    rows = array_ops.reshape(
        array_ops.tile(array_ops.expand_dims(array_ops.range(0, batch_size), 1), [1, width]),
        (-1,),
    )
    cols = array_ops.tile(array_ops.range(0, width), [batch_size])
    ids = array_ops.reshape(buckets, (-1,)) + per_element * cols
    indices = math_ops.cast(array_ops.transpose(array_ops.stack((rows, cols))), dtypes.int64)
    dense_shape = math_ops.cast(array_ops.stack([batch_size, width]), dtypes.int64)
    return SparseTensor(indices, ids, dense_shape)


def _segment_combine(
    embeddings: Tensor,
    idx: Tensor,
    segment_ids: Tensor,
    combiner: str,
    name: str | None,
    sparse_gradient: bool,
) -> Tensor:
    op_type = {
        "sum": "SparseSegmentSum",
        "mean": "SparseSegmentMean",
        "sqrtn": "SparseSegmentSqrtN",
    }[combiner]
    return gen_op(
        op_type,
        {"data": embeddings, "indices": idx, "segment_ids": segment_ids},
        {"sparse_gradient": sparse_gradient},
        name or op_type,
    )[0]


def _weighted_combine(
    embeddings: Tensor, weights: Tensor, segment_ids: Tensor, combiner: str, name: str | None
) -> Tensor:
    # Broadcast the [n] weights over the embedding dims, then reduce per segment.
    ones = array_ops.fill(array_ops.expand_dims(array_ops.rank(embeddings) - 1, 0), 1)
    shape = array_ops.concat([array_ops.shape(weights), ones], 0)
    weights = array_ops.reshape(weights, shape)
    embeddings = embeddings * weights
    if combiner == "sum":
        return extra_ops.segment_sum(embeddings, segment_ids, name=name)
    summed = extra_ops.segment_sum(embeddings, segment_ids)
    if combiner == "mean":
        weight_sum = extra_ops.segment_sum(weights, segment_ids)
        return extra_ops.div_no_nan(summed, weight_sum, name=name)
    weight_sum = extra_ops.segment_sum(math_ops.pow(weights, 2), segment_ids)
    return extra_ops.div_no_nan(summed, math_ops.sqrt(weight_sum), name=name)


def embedding_lookup_sparse(
    params: Any,
    sp_ids: SparseTensor,
    sp_weights: SparseTensor | None,
    combiner: str = "mean",
    name: str | None = None,
) -> Tensor:
    """``tf.nn.embedding_lookup_sparse`` for one table: combines each row's embeddings.

    Raises:
        ValueError: for an unknown combiner (TF's message).
    """
    from stowflow.graph import nn_ops

    if combiner not in COMBINERS:
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner}")
    with get_default_graph().name_scope(name or "embedding_lookup_sparse") as scope:
        segment_ids = array_ops.strided_slice_from_key(sp_ids.indices, (slice(None), 0))
        if sp_weights is None and not isinstance(params, PartitionedVariable):
            # TF 2.21's fast path: segment-reduce the table itself (a sparse gradient).
            table = convert_to_tensor(params, name="params")
            return _segment_combine(table, sp_ids.values, segment_ids, combiner, scope, True)
        unique = extra_ops.unique(sp_ids.values)
        embeddings = nn_ops.embedding_lookup(params, unique.y)
        if sp_weights is None:
            segment_ids = math_ops.cast(segment_ids, dtypes.int32)
            return _segment_combine(embeddings, unique.idx, segment_ids, combiner, scope, False)
        segment_ids = math_ops.cast(segment_ids, dtypes.int32)
        embeddings = array_ops.gather(embeddings, unique.idx)
        return _weighted_combine(embeddings, sp_weights.values, segment_ids, combiner, scope)


def _prune_invalid_ids(
    sp_ids: SparseTensor, sp_weights: SparseTensor | None
) -> tuple[SparseTensor, SparseTensor | None]:
    valid = math_ops.greater_equal(sp_ids.values, 0)
    if sp_weights is not None:
        valid = math_ops.logical_and(
            valid, array_ops.ones_like(sp_weights.values, dtype=dtypes.bool)
        )
    sp_ids = sparse_retain(sp_ids, valid)
    if sp_weights is not None:
        sp_weights = sparse_retain(sp_weights, valid)
    return sp_ids, sp_weights


def _prune_invalid_weights(
    sp_ids: SparseTensor, sp_weights: SparseTensor | None
) -> tuple[SparseTensor, SparseTensor | None]:
    if sp_weights is None:
        return sp_ids, sp_weights
    valid = math_ops.greater(sp_weights.values, 0)
    return sparse_retain(sp_ids, valid), sparse_retain(sp_weights, valid)


def safe_embedding_lookup_sparse(
    params: Any,
    sp_ids: SparseTensor,
    sp_weights: SparseTensor | None = None,
    combiner: str = "mean",
    name: str | None = None,
) -> Tensor:
    """``tf.nn.safe_embedding_lookup_sparse``: drops ids < 0 (and weights <= 0 unless
    ``combiner='sum'``); rows left empty come out as zeros. Ids of rank > 2 are flattened
    to rows and the result reshaped back.
    """
    with get_default_graph().name_scope(name or "embedding_lookup") as scope:
        original_shape = sp_ids.dense_shape
        rank_dim = original_shape.shape.dims[0] if original_shape.shape.dims else None
        rank: Any = rank_dim if rank_dim is not None else array_ops.size(original_shape)
        sp_ids = sparse_reshape(
            sp_ids,
            [
                math_ops.reduce_prod(array_ops.slice(original_shape, [0], [rank - 1])),
                array_ops.gather(original_shape, rank - 1),
            ],
        )
        if sp_weights is not None:
            sp_weights = SparseTensor(sp_ids.indices, sp_weights.values, sp_ids.dense_shape)
        sp_ids, sp_weights = _prune_invalid_ids(sp_ids, sp_weights)
        if combiner != "sum":
            sp_ids, sp_weights = _prune_invalid_weights(sp_ids, sp_weights)
        sp_ids, is_row_empty = sparse_fill_empty_rows(sp_ids, 0)
        if sp_weights is not None:
            sp_weights, _ = sparse_fill_empty_rows(sp_weights, 1.0)
        result = embedding_lookup_sparse(params, sp_ids, sp_weights, combiner=combiner)
        is_row_empty = array_ops.tile(
            array_ops.reshape(is_row_empty, [-1, 1]),
            array_ops.stack([1, array_ops.shape(result)[1]]),
        )
        result = array_ops.where(is_row_empty, array_ops.zeros_like(result), result, name=scope)
        final = array_ops.reshape(
            result,
            array_ops.concat(
                [
                    array_ops.slice(math_ops.cast(original_shape, dtypes.int32), [0], [rank - 1]),
                    array_ops.slice(array_ops.shape(result), [1], [-1]),
                ],
                0,
            ),
        )
        outer = [None] * (rank_dim - 1) if rank_dim is not None else None
        final.set_shape(TensorShape(outer).concatenate(result.shape[1:]))
        return final
