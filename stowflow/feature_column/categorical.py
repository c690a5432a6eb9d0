"""Categorical columns: hash bucket, vocabulary list/file, identity and weighted.

Each turns its raw feature (a SparseTensor, or a dense tensor whose ``''``/``-1`` cells
are dropped) into sparse int64 ids in ``[0, num_buckets)``, as TF's
``feature_column_v2`` columns do in a TF1 graph.
"""

from __future__ import annotations

import collections
import logging
import os
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.feature_column import _lookup, _sparse_util, base
from stowflow.graph import array_ops, math_ops, string_ops
from stowflow.graph.parsing_ops import VarLenFeature
from stowflow.graph.sparse import SparseTensor

_log = logging.getLogger("tensorflow")


def assert_string_or_int(dtype: dtypes.DType, prefix: str) -> None:
    """TF's check that ids come from strings or integers.

    Raises:
        ValueError: otherwise.
    """
    if dtype != dtypes.string and not dtype.is_integer:
        raise ValueError(f"{prefix} dtype must be string or integer. dtype: {dtype}.")


def _check_compatible(key: str, column_dtype: dtypes.DType, tensor: Any) -> None:
    if column_dtype.is_integer != tensor.dtype.is_integer:
        raise ValueError(
            "Column dtype and SparseTensors dtype must be compatible. "
            f"key: {key}, column dtype: {column_dtype}, tensor dtype: {tensor.dtype}"
        )


class _KeyedColumn(base.CategoricalColumn):
    """A categorical column read from one raw feature ``key`` (a VarLenFeature)."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """The feature key."""
        return str(self.key)  # type: ignore[attr-defined]

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        """``{key: VarLenFeature(dtype)}``."""
        return {self.key: VarLenFeature(self.dtype)}  # type: ignore[attr-defined]

    @property
    def parents(self) -> list[Any]:
        """``[key]``."""
        return [self.key]  # type: ignore[attr-defined]

    def _sparse_input(self, cache: base.FeatureCache) -> SparseTensor:
        return _sparse_util.to_sparse_input(cache.get(self.key))  # type: ignore[attr-defined,no-any-return]


class HashedCategoricalColumn(
    _KeyedColumn,
    collections.namedtuple("HashedCategoricalColumn", ("key", "hash_bucket_size", "dtype")),
):
    """See :func:`categorical_column_with_hash_bucket`."""

    __slots__ = ()

    @property
    def num_buckets(self) -> int:
        """``hash_bucket_size``."""
        return int(self.hash_bucket_size)

    def transform(self, cache: base.FeatureCache) -> SparseTensor:
        """``StringToHashBucketFast`` of the values (integers as decimal strings).

        Raises:
            ValueError: for a dense input after conversion, or incompatible dtypes.
        """
        sp = self._sparse_input(cache)
        if not isinstance(sp, SparseTensor):
            raise ValueError("SparseColumn input must be a SparseTensor.")
        assert_string_or_int(sp.dtype, f"column_name: {self.key} input_tensor")
        _check_compatible(self.key, self.dtype, sp)
        text = sp.values if self.dtype == dtypes.string else string_ops.as_string(sp.values)
        ids = string_ops.to_hash_bucket_fast(text, self.hash_bucket_size, name="lookup")
        return SparseTensor(sp.indices, ids, sp.dense_shape)


def categorical_column_with_hash_bucket(
    key: str, hash_bucket_size: int, dtype: Any = dtypes.string
) -> HashedCategoricalColumn:
    """Ids by hashing: ``Fingerprint64(value) % hash_bucket_size``.

    Raises:
        ValueError: for a missing/too-small bucket count, a non-string key, a bad dtype.

    Example:
        >>> categorical_column_with_hash_bucket("city", 100).num_buckets
        100
    """
    if hash_bucket_size is None:
        raise ValueError(f"hash_bucket_size must be set. key: {key}")
    if hash_bucket_size < 1:
        raise ValueError(
            f"hash_bucket_size must be at least 1. hash_bucket_size: {hash_bucket_size}, key: {key}"
        )
    base.check_key(key)
    dtype = dtypes.as_dtype(dtype)
    assert_string_or_int(dtype, f"column_name: {key}")
    return HashedCategoricalColumn(key, hash_bucket_size, dtype)


def _lookup_keys(key: str, column_dtype: dtypes.DType, sp: SparseTensor) -> tuple[Any, Any]:
    """The table key dtype and the (int64-cast) sparse input of a vocabulary lookup."""
    _check_compatible(key, column_dtype, sp)
    assert_string_or_int(sp.dtype, f"column_name: {key} input_tensor")
    if not sp.dtype.is_integer:
        return column_dtype, sp
    values = math_ops.cast(sp.values, dtypes.int64)
    return dtypes.int64, SparseTensor(sp.indices, values, sp.dense_shape)


class VocabularyListCategoricalColumn(
    _KeyedColumn,
    collections.namedtuple(
        "VocabularyListCategoricalColumn",
        ("key", "vocabulary_list", "dtype", "default_value", "num_oov_buckets"),
    ),
):
    """See :func:`categorical_column_with_vocabulary_list`."""

    __slots__ = ()

    @property
    def num_buckets(self) -> int:
        """Vocabulary size plus OOV buckets."""
        return len(self.vocabulary_list) + int(self.num_oov_buckets)

    def transform(self, cache: base.FeatureCache) -> SparseTensor:
        """A table lookup of the values (table initialised by ``tables_initializer``)."""
        key_dtype, sp = _lookup_keys(self.key, self.dtype, self._sparse_input(cache))
        table = _lookup.index_table_from_tensor(
            tuple(self.vocabulary_list),
            self.num_oov_buckets,
            self.default_value,
            key_dtype,
            f"{self.key}_lookup",
        )
        return table.lookup(sp)


def categorical_column_with_vocabulary_list(
    key: str,
    vocabulary_list: Any,
    dtype: Any = None,
    default_value: int = -1,
    num_oov_buckets: int = 0,
) -> VocabularyListCategoricalColumn:
    """Ids by position in an in-memory vocabulary; others get ``default_value`` or an OOV
    bucket.

    Raises:
        ValueError: TF's messages for an empty/duplicated vocabulary, both OOV buckets and a
            default, or mismatched dtypes.

    Example:
        >>> categorical_column_with_vocabulary_list("color", ["r", "g", "b"]).num_buckets
        3
    """
    if vocabulary_list is None or len(vocabulary_list) < 1:
        raise ValueError(f"vocabulary_list {vocabulary_list} must be non-empty, column_name: {key}")
    if len(set(vocabulary_list)) != len(vocabulary_list):
        raise ValueError(f"Duplicate keys in vocabulary_list {vocabulary_list}, column_name: {key}")
    array = np.array(vocabulary_list)
    vocab_dtype = dtypes.string if array.dtype.kind in "USO" else dtypes.as_dtype(array.dtype)
    if num_oov_buckets:
        if default_value != -1:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    assert_string_or_int(vocab_dtype, f"column_name: {key} vocabulary")
    if dtype is None:
        dtype = vocab_dtype
    else:
        dtype = dtypes.as_dtype(dtype)
        if dtype.is_integer != vocab_dtype.is_integer:
            raise ValueError(
                f"dtype {dtype} and vocabulary dtype {vocab_dtype} do not match, column_name: {key}"
            )
    assert_string_or_int(dtype, f"column_name: {key}")
    base.check_key(key)
    return VocabularyListCategoricalColumn(
        key, tuple(vocabulary_list), dtype, default_value, num_oov_buckets
    )


class VocabularyFileCategoricalColumn(
    _KeyedColumn,
    collections.namedtuple(
        "VocabularyFileCategoricalColumn",
        (
            "key",
            "vocabulary_file",
            "vocabulary_size",
            "num_oov_buckets",
            "dtype",
            "default_value",
            "file_format",
        ),
    ),
):
    """See :func:`categorical_column_with_vocabulary_file`."""

    __slots__ = ()

    @property
    def num_buckets(self) -> int:
        """Vocabulary size plus OOV buckets."""
        return int(self.vocabulary_size) + int(self.num_oov_buckets)

    def transform(self, cache: base.FeatureCache) -> SparseTensor:
        """A lookup in the table read from the file (by ``tables_initializer``)."""
        key_dtype, sp = _lookup_keys(self.key, self.dtype, self._sparse_input(cache))
        table = _lookup.index_table_from_file(
            self.vocabulary_file,
            self.num_oov_buckets,
            self.vocabulary_size,
            self.default_value,
            key_dtype,
            f"{self.key}_lookup",
        )
        return table.lookup(sp)


def _count_lines(path: str) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def categorical_column_with_vocabulary_file(
    key: str,
    vocabulary_file: str,
    vocabulary_size: int | None = None,
    num_oov_buckets: int = 0,
    default_value: int | None = None,
    dtype: Any = dtypes.string,
) -> VocabularyFileCategoricalColumn:
    """Ids by line number in a vocabulary file (one entry per line).

    Raises:
        ValueError: TF's messages for a missing file, a bad size, or both OOV buckets and
            a default.
    """
    if not vocabulary_file:
        raise ValueError(f"Missing vocabulary_file in {key}.")
    if vocabulary_file.endswith("tfrecord.gz"):
        raise NotImplementedError("tfrecord_gzip vocabulary files are not supported by stowflow")
    if vocabulary_size is None:
        if not os.path.exists(vocabulary_file):
            raise ValueError(f"vocabulary_file in {key} does not exist.")
        vocabulary_size = _count_lines(vocabulary_file)
        _log.info(
            "vocabulary_size = %d in %s is inferred from the number of elements in the "
            "vocabulary_file %s.",
            vocabulary_size,
            key,
            vocabulary_file,
        )
    if vocabulary_size < 1:
        raise ValueError(f"Invalid vocabulary_size in {key}.")
    if num_oov_buckets:
        if default_value is not None:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    dtype = dtypes.as_dtype(dtype)
    assert_string_or_int(dtype, f"column_name: {key}")
    base.check_key(key)
    return VocabularyFileCategoricalColumn(
        key,
        vocabulary_file,
        vocabulary_size,
        0 if num_oov_buckets is None else num_oov_buckets,
        dtype,
        -1 if default_value is None else default_value,
        None,
    )


class IdentityCategoricalColumn(
    _KeyedColumn,
    collections.namedtuple("IdentityCategoricalColumn", ("key", "number_buckets", "default_value")),
):
    """See :func:`categorical_column_with_identity`."""

    __slots__ = ()

    @property
    def dtype(self) -> dtypes.DType:
        """Always int64."""
        return dtypes.int64

    @property
    def num_buckets(self) -> int:
        """``number_buckets``."""
        return int(self.number_buckets)

    def transform(self, cache: base.FeatureCache) -> SparseTensor:
        """The integer values as ids; out-of-range ones become ``default_value`` if set.

        Raises:
            ValueError: for a non-integer input.
        """
        sp = self._sparse_input(cache)
        if not sp.dtype.is_integer:
            raise ValueError(f"Invalid input, not integer. key: {self.key} dtype: {sp.dtype}")
        values = sp.values
        if values.dtype.base_dtype != dtypes.int64:
            values = math_ops.cast(values, dtypes.int64, name="values")
        if self.default_value is not None:
            values = math_ops.cast(sp.values, dtypes.int64, name="values")
            limit = math_ops.cast(self.num_buckets, dtypes.int64, name="num_buckets")
            zero = math_ops.cast(0, dtypes.int64, name="zero")
            out_of_range = math_ops.logical_or(
                math_ops.less(values, zero),
                math_ops.greater_equal(values, limit),
                name="out_of_range",
            )
            defaults = array_ops.fill(
                array_ops.shape(values),
                math_ops.cast(self.default_value, dtypes.int64),
                name="default_values",
            )
            values = array_ops.where_v2(out_of_range, defaults, values)
        return SparseTensor(sp.indices, values, sp.dense_shape)


def categorical_column_with_identity(
    key: str, num_buckets: int, default_value: int | None = None
) -> IdentityCategoricalColumn:
    """Integer inputs used as ids directly (``[0, num_buckets)``).

    Raises:
        ValueError: TF's messages for ``num_buckets < 1`` or a default out of range.
    """
    if num_buckets < 1:
        raise ValueError(f"num_buckets {num_buckets} < 1, column_name {key}")
    if default_value is not None and (default_value < 0 or default_value >= num_buckets):
        raise ValueError(
            f"default_value {default_value} not in range [0, {num_buckets}), column_name {key}"
        )
    base.check_key(key)
    return IdentityCategoricalColumn(key, num_buckets, default_value)


class WeightedCategoricalColumn(
    base.CategoricalColumn,
    collections.namedtuple(
        "WeightedCategoricalColumn", ("categorical_column", "weight_feature_key", "dtype")
    ),
):
    """See :func:`weighted_categorical_column`."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """``<column>_weighted_by_<weight key>``."""
        return f"{self.categorical_column.name}_weighted_by_{self.weight_feature_key}"

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        """The column's spec plus ``VarLenFeature(dtype)`` for the weights.

        Raises:
            ValueError: if the column's spec already has the weight key.
        """
        config = dict(self.categorical_column.parse_example_spec)
        if self.weight_feature_key in config:
            raise ValueError(
                f"Parse config {config[self.weight_feature_key]} already exists for "
                f"{self.weight_feature_key}."
            )
        config[self.weight_feature_key] = VarLenFeature(self.dtype)
        return config

    @property
    def num_buckets(self) -> int:
        """The wrapped column's."""
        return int(self.categorical_column.num_buckets)

    def _weights(self, weights: Any) -> SparseTensor:
        if weights is None:
            raise ValueError(f"Missing weights {self.weight_feature_key}.")
        weights = base.to_tensor_or_sparse(weights)
        if self.dtype != weights.dtype.base_dtype:
            raise ValueError(f"Bad dtype, expected {self.dtype}, but got {weights.dtype}.")
        if not isinstance(weights, SparseTensor):
            weights = _sparse_util.to_sparse_input(weights, ignore_value=0.0)
        if not weights.dtype.is_floating:
            weights = SparseTensor(
                weights.indices, math_ops.cast(weights.values, dtypes.float32), weights.dense_shape
            )
        return weights  # type: ignore[no-any-return]

    def transform(self, cache: base.FeatureCache) -> tuple[Any, SparseTensor]:
        """(the wrapped column's ids, the sparse weights)."""
        weights = self._weights(cache.get(self.weight_feature_key))
        return cache.get(self.categorical_column), weights

    def get_sparse_tensors(
        self, cache: base.FeatureCache, weight_collections: list[str] | None, trainable: bool
    ) -> base.IdWeightPair:
        """The ids and the weights."""
        ids, weights = cache.get(self)
        return base.IdWeightPair(ids, weights)

    @property
    def parents(self) -> list[Any]:
        """``[categorical_column, weight_feature_key]``."""
        return [self.categorical_column, self.weight_feature_key]


def weighted_categorical_column(
    categorical_column: base.CategoricalColumn,
    weight_feature_key: str,
    dtype: Any = dtypes.float32,
) -> WeightedCategoricalColumn:
    """Pairs each id of ``categorical_column`` with a weight from ``weight_feature_key``.

    Raises:
        ValueError: for a dtype not convertible to float.
    """
    dtype = dtypes.as_dtype(dtype) if dtype is not None else None
    if dtype is None or not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype {dtype} is not convertible to float.")
    return WeightedCategoricalColumn(categorical_column, weight_feature_key, dtype)
