"""``crossed_column``: hashed conjunctions of categorical features (``SparseCrossHashed``)."""

from __future__ import annotations

import collections
from typing import Any

from stowflow import dtypes
from stowflow.feature_column import base
from stowflow.feature_column.categorical import HashedCategoricalColumn
from stowflow.graph import math_ops
from stowflow.graph.core import Tensor
from stowflow.graph.extra_ops import gen_op
from stowflow.graph.parsing_ops import VarLenFeature
from stowflow.graph.sparse import SparseTensor

DEFAULT_HASH_KEY = 0xDECAFCAFFE  # TF's sparse_ops._DEFAULT_HASH_KEY


def leaf_keys(cross: CrossedColumn) -> list[Any]:
    """The string keys and non-cross columns under ``cross``, nested crosses expanded."""
    leaves: list[Any] = []
    for key in cross.keys:
        leaves.extend(leaf_keys(key) if isinstance(key, CrossedColumn) else [key])
    return leaves


def sparse_cross_hashed(
    inputs: list[Any], num_buckets: int, hash_key: int | None, name: str | None = None
) -> SparseTensor:
    """``tf.sparse.cross_hashed``: fingerprint-hashed crosses of sparse and dense inputs.

    Raises:
        TypeError: for an input that is neither a Tensor nor a SparseTensor.
    """
    if not all(isinstance(i, SparseTensor | Tensor) for i in inputs):
        raise TypeError("All inputs must be SparseTensors")
    sparse = [i for i in inputs if isinstance(i, SparseTensor)]
    dense = [i for i in inputs if not isinstance(i, SparseTensor)]
    internal = dtypes.string
    values = []
    for sp in sparse:
        value = sp.values
        if value.dtype != dtypes.string:
            value, internal = math_ops.cast(value, dtypes.int64), dtypes.int64
        values.append(value)
    dense_inputs = []
    for tensor in dense:
        if tensor.dtype != dtypes.string:
            tensor, internal = math_ops.cast(tensor, dtypes.int64), dtypes.int64
        dense_inputs.append(tensor)
    indices, out_values, shape = gen_op(
        "SparseCross",
        {
            "indices": [sp.indices for sp in sparse],
            "values": values,
            "shapes": [sp.dense_shape for sp in sparse],
            "dense_inputs": dense_inputs,
        },
        {
            "hashed_output": True,
            "num_buckets": num_buckets,
            "hash_key": hash_key or DEFAULT_HASH_KEY,
            "out_type": dtypes.int64,
            "internal_type": internal,
            "sparse_types": [v.dtype.base_dtype for v in values],
            "dense_types": [t.dtype.base_dtype for t in dense_inputs],
            "N": len(sparse),
        },
        name or "SparseCross",
    )
    return SparseTensor(indices, out_values, shape)


class CrossedColumn(
    base.CategoricalColumn,
    collections.namedtuple("CrossedColumn", ("keys", "hash_bucket_size", "hash_key")),
):
    """See :func:`crossed_column`."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """The sorted leaf names joined by ``_X_``."""
        names = [k.name if isinstance(k, base.FeatureColumn) else k for k in leaf_keys(self)]
        return "_X_".join(sorted(names))

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        """The keys' specs; a string key is ``VarLenFeature(tf.string)``."""
        config: dict[str, Any] = {}
        for key in self.keys:
            if isinstance(key, base.FeatureColumn):
                config.update(key.parse_example_spec)
            else:
                config[key] = VarLenFeature(dtypes.string)
        return config

    @property
    def num_buckets(self) -> int:
        """``hash_bucket_size``."""
        return int(self.hash_bucket_size)

    def transform(self, cache: base.FeatureCache) -> SparseTensor:
        """Crosses the leaves' raw features / sparse ids.

        Raises:
            ValueError: for a leaf column with weights.
        """
        tensors = []
        for key in leaf_keys(self):
            if isinstance(key, str):
                tensors.append(cache.get(key))
                continue
            pair = key.get_sparse_tensors(cache, None, True)
            if pair.weight_tensor is not None:
                raise ValueError(
                    "crossed_column does not support weight_tensor, but the given column "
                    f"populates weight_tensor. Given column: {key.name}"
                )
            tensors.append(pair.id_tensor)
        return sparse_cross_hashed(tensors, self.hash_bucket_size, self.hash_key)

    @property
    def parents(self) -> list[Any]:
        """The keys."""
        return list(self.keys)


def crossed_column(keys: Any, hash_bucket_size: int, hash_key: int | None = None) -> CrossedColumn:
    """Crosses string features and categorical columns into ``hash_bucket_size`` buckets.

    Raises:
        ValueError: TF's messages for a bad bucket count, fewer than two keys, an unsupported
            key or a hashed categorical column.

    Example:
        >>> crossed_column(["a", "b"], 10).name
        'a_X_b'
    """
    if not hash_bucket_size or hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be > 1. hash_bucket_size: {hash_bucket_size}")
    if not keys or len(keys) < 2:
        raise ValueError(f"keys must be a list with length > 1. Given: {keys}")
    for key in keys:
        if not isinstance(key, str | base.CategoricalColumn):
            raise ValueError(
                "Unsupported key type. All keys must be either string, or categorical column "
                f"except HashedCategoricalColumn. Given: {key}"
            )
        if isinstance(key, HashedCategoricalColumn):
            raise ValueError(
                "categorical_column_with_hash_bucket is not supported for crossing. Hashing "
                "before crossing will increase probability of collision. Instead, use the "
                f"feature name as a string. Given: {key}"
            )
    return CrossedColumn(tuple(keys), hash_bucket_size, hash_key)
