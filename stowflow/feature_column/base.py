"""Feature column base classes and the per-call transformation cache (TF's ``_LazyBuilder``).

Mirrors ``tensorflow/python/feature_column/feature_column.py`` (TF1 graph mode): a column
knows its ``name``, the parse spec of its raw inputs and how to transform them; dense columns
produce a ``[batch, ...]`` float tensor, categorical ones an ``IdWeightPair`` of sparse ids
(and optional weights) with ``num_buckets`` possible ids.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from stowflow import dtypes
from stowflow.graph import array_ops
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import Tensor
from stowflow.graph.shape import TensorShape
from stowflow.graph.sparse import SparseTensor, SparseTensorValue


class FeatureColumn:
    """Base of every feature column: a name, a parse spec and a transformation."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """The column's name (also its variable scope name)."""
        raise NotImplementedError

    @property
    def _var_scope_name(self) -> str:
        return self.name

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        """``{feature key: FixedLenFeature | VarLenFeature}`` of the raw inputs."""
        raise NotImplementedError

    @property
    def _parse_example_spec(self) -> dict[str, Any]:
        return self.parse_example_spec

    def transform(self, cache: FeatureCache) -> Any:
        """Builds the column's transformed tensor(s) from the features in ``cache``."""
        raise NotImplementedError

    @property
    def parents(self) -> list[Any]:
        """The raw feature keys or columns this column is built from."""
        raise NotImplementedError


class DenseColumn(FeatureColumn):
    """A column that yields a dense ``[batch] + variable_shape`` float tensor."""

    __slots__ = ()

    @property
    def variable_shape(self) -> TensorShape:
        """The per-example shape of the dense tensor."""
        raise NotImplementedError

    def get_dense_tensor(
        self, cache: FeatureCache, weight_collections: list[str] | None, trainable: bool
    ) -> Tensor:
        """The dense tensor; variables it needs are created in the current variable scope."""
        raise NotImplementedError


IdWeightPair = collections.namedtuple("IdWeightPair", ("id_tensor", "weight_tensor"))


class CategoricalColumn(FeatureColumn):
    """A column that yields sparse ids in ``[0, num_buckets)``."""

    __slots__ = ()

    @property
    def num_buckets(self) -> int:
        """How many distinct ids the column yields."""
        raise NotImplementedError

    def get_sparse_tensors(
        self, cache: FeatureCache, weight_collections: list[str] | None, trainable: bool
    ) -> IdWeightPair:
        """The ids (and weights or ``None``) as SparseTensors."""
        return IdWeightPair(cache.get(self), None)


class FeatureCache:
    """Transforms each raw feature or column once per ``input_layer``/``linear_model`` call.

    Args:
        features: ``{key: Tensor | SparseTensor | array-like}``.
    """

    def __init__(self, features: Mapping[Any, Any]) -> None:
        self._features = dict(features)
        self._done: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        """The raw feature (rank 1 expanded to ``[batch, 1]``) or a column's transformation.

        Raises:
            ValueError: for a missing feature key or a rank-0 feature.
            TypeError: for a key that is neither a string nor a column.
        """
        if key in self._done:
            return self._done[key]
        if key in self._features:
            value = self._raw(key)
        elif isinstance(key, str):
            raise ValueError(f"Feature {key} is not in features dictionary.")
        elif not isinstance(key, FeatureColumn):
            raise TypeError(f'"key" must be either a "str" or "_FeatureColumn". Provided: {key}')
        else:
            value = key.transform(self)
        self._done[key] = value
        return value

    def _raw(self, key: str) -> Any:
        value = to_tensor_or_sparse(self._features[key])
        rank = value.get_shape().ndims
        if rank is None:
            # TF wraps this in a runtime cond; every graph we build has a static rank.
            raise ValueError(f"Feature (key: {key}) must have a known rank. Given: {value}")
        if rank == 0:
            raise ValueError(f"Feature (key: {key}) cannot have rank 0. Given: {value}")
        if rank != 1:
            return value
        if isinstance(value, SparseTensor):
            from stowflow.feature_column import _sparse_util

            return _sparse_util.sparse_reshape(value, [_sparse_util.sparse_rows(value), 1])
        return array_ops.expand_dims(value, -1)


def leaf_keys(column: Any) -> list[str]:
    """The raw feature keys a column reads, through all its parents."""
    if isinstance(column, str):
        return [column]
    return [key for parent in column.parents for key in leaf_keys(parent)]


def static_batch_size(cache: FeatureCache, column: FeatureColumn) -> int | None:
    """The first statically known batch size among the column's raw features.

    TF's shape inference evaluates the shape arithmetic between a raw feature and a column's
    output when the feature's shape is static; this recovers the same batch dimension.
    """
    for key in leaf_keys(column):
        dims = cache.get(key).get_shape().dims
        if dims and dims[0] is not None:
            return int(dims[0])
    return None


def to_tensor_or_sparse(value: Any) -> Any:
    """A Tensor or SparseTensor for ``value`` (``SparseTensorValue`` becomes constants)."""
    if isinstance(value, SparseTensor):
        return value
    if isinstance(value, SparseTensorValue):
        return SparseTensor.from_value(value)
    return convert_to_tensor(value)


def normalize_columns(feature_columns: Any) -> list[FeatureColumn]:
    """A list of columns, checked as TF checks it (non-empty, columns, unique names).

    Raises:
        ValueError: TF's messages for a dict, a non-column, an empty list or a duplicate name.
    """
    if isinstance(feature_columns, FeatureColumn):
        feature_columns = [feature_columns]
    if isinstance(feature_columns, Iterator):
        feature_columns = list(feature_columns)
    if isinstance(feature_columns, dict):
        raise ValueError("Expected feature_columns to be iterable, found dict.")
    columns = list(feature_columns) if isinstance(feature_columns, Iterable) else [feature_columns]
    for column in columns:
        if not isinstance(column, FeatureColumn):
            raise ValueError(
                "Items of feature_columns must be a _FeatureColumn. "
                f"Given (type {type(column)}): {column}."
            )
    if not columns:
        raise ValueError("feature_columns must not be empty.")
    seen: dict[str, FeatureColumn] = {}
    for column in columns:
        if column.name in seen:
            raise ValueError(
                f"Duplicate feature column name found for columns: {column} and "
                f"{seen[column.name]}. This usually means that these columns refer to same "
                "base feature. Either one must be discarded or a duplicated but renamed item "
                "must be inserted in features dict."
            )
        seen[column.name] = column
    return columns


def check_key(key: Any) -> None:
    """Raises ``ValueError`` unless ``key`` is a string (TF's ``assert_key_is_string``)."""
    if not isinstance(key, str):
        raise ValueError(f"key must be a string. Got: type {type(key)}. Given key: {key}.")


def is_integer_or_string(dtype: dtypes.DType) -> bool:
    """Whether ``dtype`` can hold categorical ids or vocabulary strings."""
    return dtype == dtypes.string or dtype.is_integer
