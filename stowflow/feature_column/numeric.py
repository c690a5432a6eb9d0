"""``numeric_column`` and ``bucketized_column`` (TF's ``NumericColumn``/``BucketizedColumn``)."""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
from typing import Any

from stowflow import dtypes
from stowflow.feature_column import _sparse_util, base
from stowflow.graph import math_ops
from stowflow.graph.core import Tensor
from stowflow.graph.extra_ops import gen_op, one_hot
from stowflow.graph.parsing_ops import FixedLenFeature
from stowflow.graph.shape import TensorShape
from stowflow.graph.sparse import SparseTensor


def _is_nested(value: Any) -> bool:
    return isinstance(value, list | tuple)


def check_shape(shape: Any, key: str) -> tuple[int, ...]:
    """``shape`` as a tuple of positive ints (TF's ``_check_shape``).

    Raises:
        TypeError: for a non-integer dimension.
        ValueError: for a dimension below 1.
    """
    dims = tuple(shape) if _is_nested(shape) else (shape,)
    for dim in dims:
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise TypeError(f"shape dimensions must be integer. shape: {dims}, key: {key}")
        if dim < 1:
            raise ValueError(f"shape dimensions must be greater than 0. shape: {dims}, key: {key}")
    return dims


def _filled(shape: tuple[int, ...], value: Any) -> Any:
    return tuple(_filled(shape[1:], value) for _ in range(shape[0])) if shape else value


def _fits(value: Any, shape: tuple[int, ...]) -> bool:
    if _is_nested(value) != bool(shape):
        return False
    if not shape:
        return True
    return len(value) == shape[0] and all(_fits(v, shape[1:]) for v in value)


def _flatten(value: Any) -> list[Any]:
    return [x for v in value for x in _flatten(v)] if _is_nested(value) else [value]


def _as_tuple(value: Any) -> Any:
    return tuple(_as_tuple(v) for v in value) if _is_nested(value) else value


def check_default_value(
    shape: tuple[int, ...], default_value: Any, dtype: dtypes.DType, key: str
) -> Any:
    """``default_value`` as a nested tuple of ``shape`` (TF's ``check_default_value``).

    Raises:
        ValueError: if a nested value does not have ``shape``.
        TypeError: if the values do not fit ``dtype``.
    """
    if default_value is None:
        return None
    if isinstance(default_value, int) or (isinstance(default_value, float) and dtype.is_floating):
        return _filled(shape, default_value)
    if callable(getattr(default_value, "tolist", None)):
        default_value = default_value.tolist()
    if _is_nested(default_value):
        if not _fits(default_value, shape):
            raise ValueError(
                "The shape of default_value must be equal to given shape. "
                f"default_value: {default_value}, shape: {shape}, key: {key}"
            )
        flat = _flatten(default_value)
        if all(isinstance(v, int) for v in flat) or (
            any(isinstance(v, float) for v in flat) and dtype.is_floating
        ):
            return _as_tuple(default_value)
    raise TypeError(
        "default_value must be compatible with dtype. "
        f"default_value: {default_value}, dtype: {dtype}, key: {key}"
    )


class NumericColumn(
    base.DenseColumn,
    collections.namedtuple(
        "NumericColumn", ("key", "shape", "default_value", "dtype", "normalizer_fn")
    ),
):
    """See :func:`numeric_column`."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """The feature key."""
        return str(self.key)

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        """A ``FixedLenFeature(shape, dtype, default_value)``."""
        return {self.key: FixedLenFeature(self.shape, self.dtype, self.default_value)}

    def transform(self, cache: base.FeatureCache) -> Tensor:
        """The raw feature through ``normalizer_fn``, cast to float32.

        Raises:
            ValueError: for a SparseTensor input.
        """
        value = cache.get(self.key)
        if isinstance(value, SparseTensor):
            raise ValueError(
                "The corresponding Tensor of numerical column must be a Tensor. "
                f"SparseTensor is not supported. key: {self.key}"
            )
        if self.normalizer_fn is not None:
            value = self.normalizer_fn(value)
        return math_ops.cast(value, dtypes.float32)

    @property
    def variable_shape(self) -> TensorShape:
        """``TensorShape(shape)``."""
        return TensorShape(list(self.shape))

    def get_dense_tensor(
        self, cache: base.FeatureCache, weight_collections: list[str] | None, trainable: bool
    ) -> Tensor:
        """The transformed feature."""
        return cache.get(self)  # type: ignore[no-any-return]

    @property
    def parents(self) -> list[Any]:
        """``[key]``."""
        return [self.key]


def numeric_column(
    key: str,
    shape: Any = (1,),
    default_value: Any = None,
    dtype: Any = dtypes.float32,
    normalizer_fn: Callable[[Any], Any] | None = None,
) -> NumericColumn:
    """Dense numeric input (``tf.feature_column.numeric_column``).

    Args:
        key: feature name.
        shape: per-example shape (an int or a sequence of ints).
        default_value: value used by parsing when the feature is missing.
        dtype: an integer or floating dtype of the raw feature.
        normalizer_fn: applied to the raw tensor before the cast to float32.

    Returns:
        A ``NumericColumn``.

    Raises:
        TypeError / ValueError: TF's messages for a bad shape, default or dtype.

    Example:
        >>> numeric_column("age").variable_shape
        TensorShape([1])
    """
    dims = check_shape(shape, key)
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype}, key: {key}")
    default = check_default_value(dims, default_value, dtype, key)
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    base.check_key(key)
    return NumericColumn(key, dims, default, dtype, normalizer_fn)


class BucketizedColumn(
    base.DenseColumn,
    base.CategoricalColumn,
    collections.namedtuple("BucketizedColumn", ("source_column", "boundaries")),
):
    """See :func:`bucketized_column`."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """``<source>_bucketized``."""
        return f"{self.source_column.name}_bucketized"

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        """The source column's spec."""
        return self.source_column.parse_example_spec  # type: ignore[no-any-return]

    def transform(self, cache: base.FeatureCache) -> Tensor:
        """``Bucketize`` of the source's dense tensor (int32 bucket per element)."""
        source = cache.get(self.source_column)
        return gen_op(
            "Bucketize",
            {"input": source},
            {"boundaries": [float(b) for b in self.boundaries]},
            "Bucketize",
        )[0]

    @property
    def variable_shape(self) -> TensorShape:
        """``source shape + [len(boundaries) + 1]``."""
        return TensorShape(list(self.source_column.shape) + [len(self.boundaries) + 1])

    def get_dense_tensor(
        self, cache: base.FeatureCache, weight_collections: list[str] | None, trainable: bool
    ) -> Tensor:
        """One-hot of the bucket ids."""
        ids = math_ops.cast(cache.get(self), dtypes.int64)
        return one_hot(ids, depth=len(self.boundaries) + 1, on_value=1.0, off_value=0.0)

    @property
    def num_buckets(self) -> int:
        """``source width * (len(boundaries) + 1)`` (the source is 1-D)."""
        return int(self.source_column.shape[0]) * (len(self.boundaries) + 1)

    def get_sparse_tensors(
        self, cache: base.FeatureCache, weight_collections: list[str] | None, trainable: bool
    ) -> base.IdWeightPair:
        """Sparse ids ``bucket + element_index * (len(boundaries) + 1)``."""
        ids = cache.get(self)
        return base.IdWeightPair(_sparse_util.bucket_ids_to_sparse(ids, self), None)

    @property
    def parents(self) -> list[Any]:
        """``[source_column]``."""
        return [self.source_column]


def bucketized_column(source_column: Any, boundaries: Sequence[float]) -> BucketizedColumn:
    """Buckets a 1-D-or-more numeric column (``tf.feature_column.bucketized_column``).

    Buckets include their left boundary: ``[0., 1.]`` gives ``(-inf, 0)``, ``[0, 1)``,
    ``[1, +inf)``.

    Raises:
        ValueError: TF's messages for a non-numeric source or unsorted/empty boundaries.
    """
    if not isinstance(source_column, NumericColumn):
        raise ValueError(
            "source_column must be a column generated with numeric_column(). "
            f"Given: {source_column}"
        )
    if len(source_column.shape) > 1:
        raise ValueError(f"source_column must be one-dimensional column. Given: {source_column}")
    if not boundaries:
        raise ValueError("boundaries must not be empty.")
    if not isinstance(boundaries, list | tuple):
        raise ValueError("boundaries must be a sorted list.")
    for i in range(len(boundaries) - 1):
        if boundaries[i] >= boundaries[i + 1]:
            raise ValueError("boundaries must be a sorted list.")
    return BucketizedColumn(source_column, tuple(boundaries))
