"""Dense wrappers of categorical columns: ``embedding_column`` and ``indicator_column``."""

from __future__ import annotations

import collections
import math
from typing import Any

from stowflow import dtypes
from stowflow.feature_column import _sparse_util, base
from stowflow.feature_column.categorical import WeightedCategoricalColumn
from stowflow.graph import extra_ops, initializers, math_ops, parsing_ops, variables
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph
from stowflow.graph.extra_ops import gen_op
from stowflow.graph.shape import TensorShape
from stowflow.graph.sparse import SparseTensor


class EmbeddingColumn(
    base.DenseColumn,
    collections.namedtuple(
        "EmbeddingColumn",
        (
            "categorical_column",
            "dimension",
            "combiner",
            "initializer",
            "ckpt_to_load_from",
            "tensor_name_in_ckpt",
            "max_norm",
            "trainable",
            "use_safe_embedding_lookup",
        ),
    ),
):
    """See :func:`embedding_column`."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """``<categorical>_embedding``."""
        return f"{self.categorical_column.name}_embedding"

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        """The categorical column's spec."""
        return self.categorical_column.parse_example_spec  # type: ignore[no-any-return]

    def transform(self, cache: base.FeatureCache) -> Any:
        """The categorical column's transformation."""
        return cache.get(self.categorical_column)

    @property
    def variable_shape(self) -> TensorShape:
        """``[dimension]``."""
        return TensorShape([self.dimension])

    def get_dense_tensor(
        self, cache: base.FeatureCache, weight_collections: list[str] | None, trainable: bool
    ) -> Tensor:
        """Looks the ids up in ``embedding_weights`` (created in the current variable scope)
        and combines each example's rows with ``combiner``."""
        pair = self.categorical_column.get_sparse_tensors(cache, weight_collections, trainable)
        collections_ = list(weight_collections) if weight_collections else None
        if collections_ and GraphKeys.GLOBAL_VARIABLES not in collections_:
            collections_.append(GraphKeys.GLOBAL_VARIABLES)
        weights = variables.get_variable(
            name="embedding_weights",
            shape=(self.categorical_column.num_buckets, self.dimension),
            dtype=dtypes.float32,
            initializer=self.initializer,
            trainable=self.trainable and trainable,
            collections=collections_,
        )
        return _sparse_util.safe_embedding_lookup_sparse(
            weights,
            pair.id_tensor,
            pair.weight_tensor,
            combiner=self.combiner,
            name=f"{self.name}_weights",
        )

    @property
    def parents(self) -> list[Any]:
        """``[categorical_column]``."""
        return [self.categorical_column]


def embedding_column(
    categorical_column: base.CategoricalColumn,
    dimension: int,
    combiner: str = "mean",
    initializer: Any = None,
    ckpt_to_load_from: str | None = None,
    tensor_name_in_ckpt: str | None = None,
    max_norm: float | None = None,
    trainable: bool = True,
    use_safe_embedding_lookup: bool = True,
) -> EmbeddingColumn:
    """A ``dimension``-wide trainable embedding of a categorical column.

    The table is ``<scope>/<categorical>_embedding/embedding_weights`` of shape
    ``[num_buckets, dimension]``, initialised by default with
    ``truncated_normal(stddev=1/sqrt(dimension))``.

    Raises:
        ValueError: TF's messages for a bad dimension or initializer, or only one of
            ``ckpt_to_load_from``/``tensor_name_in_ckpt``.
        NotImplementedError: for ``ckpt_to_load_from`` or ``max_norm`` (not built yet).
    """
    if dimension is None or dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
        raise ValueError(
            "Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or none of them."
        )
    if initializer is not None and not callable(initializer):
        raise ValueError(
            "initializer must be callable if specified. Embedding of column_name: "
            f"{categorical_column.name}"
        )
    if combiner not in _sparse_util.COMBINERS:
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner}")
    if ckpt_to_load_from is not None or max_norm is not None:
        raise NotImplementedError(
            "embedding_column with ckpt_to_load_from or max_norm is not supported by stowflow"
        )
    if initializer is None:
        initializer = initializers.TruncatedNormal(mean=0.0, stddev=1 / math.sqrt(dimension))
    return EmbeddingColumn(
        categorical_column,
        dimension,
        combiner,
        initializer,
        ckpt_to_load_from,
        tensor_name_in_ckpt,
        max_norm,
        trainable,
        use_safe_embedding_lookup,
    )


def _weighted_indicator(ids: SparseTensor, weights: SparseTensor, size: int) -> Tensor:
    merged = parsing_ops.sparse_merge(ids, weights, size)
    # TF slices to the dense shape (dropping out-of-range ids), then scatters (summing).
    inside = math_ops.logical_and(
        math_ops.greater_equal(merged.indices[:, 1], 0),
        math_ops.less(merged.indices[:, 1], size),
    )
    merged = _sparse_util.sparse_retain(merged, inside)
    return extra_ops.scatter_nd(merged.indices, merged.values, merged.dense_shape)


class IndicatorColumn(
    base.DenseColumn,
    collections.namedtuple("IndicatorColumn", ("categorical_column",)),
):
    """See :func:`indicator_column`."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """``<categorical>_indicator``."""
        return f"{self.categorical_column.name}_indicator"

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        """The categorical column's spec."""
        return self.categorical_column.parse_example_spec  # type: ignore[no-any-return]

    @property
    def variable_shape(self) -> TensorShape:
        """``[1, num_buckets]``."""
        return TensorShape([1, self.categorical_column.num_buckets])

    def transform(self, cache: base.FeatureCache) -> Tensor:
        """Multi-hot counts (or summed weights) per bucket: ``[batch, num_buckets]``."""
        pair = self.categorical_column.get_sparse_tensors(cache, None, True)
        size = int(self.categorical_column.num_buckets)
        if pair.weight_tensor is not None:
            return _weighted_indicator(pair.id_tensor, pair.weight_tensor, size)
        ids = pair.id_tensor
        with ids.graph.name_scope("SparseToDense") as scope:
            dense_ids = gen_op(
                "SparseToDense",
                {
                    "sparse_indices": ids.indices,
                    "output_shape": ids.dense_shape,
                    "sparse_values": ids.values,
                    "default_value": _scalar(-1, ids.dtype),
                },
                {"validate_indices": True},
                scope,
            )[0]
        one_hot = extra_ops.one_hot(dense_ids, depth=size, on_value=1.0, off_value=0.0)
        return math_ops.reduce_sum(one_hot, axis=[-2])

    def get_dense_tensor(
        self, cache: base.FeatureCache, weight_collections: list[str] | None, trainable: bool
    ) -> Tensor:
        """The multi-hot tensor."""
        return cache.get(self)  # type: ignore[no-any-return]

    @property
    def parents(self) -> list[Any]:
        """``[categorical_column]``."""
        return [self.categorical_column]


def _scalar(value: Any, dtype: dtypes.DType) -> Tensor:
    return convert_to_tensor(value, dtype=dtype.base_dtype)


def indicator_column(categorical_column: base.CategoricalColumn) -> IndicatorColumn:
    """A multi-hot ``[batch, num_buckets]`` view of a categorical column.

    Raises:
        ValueError: if the argument is not a categorical column.
    """
    if not isinstance(categorical_column, base.CategoricalColumn):
        raise ValueError(
            "Unsupported input type. Input must be a CategoricalColumn. "
            f"Given: {categorical_column}"
        )
    return IndicatorColumn(categorical_column)


class SharedEmbeddingColumn(
    base.DenseColumn,
    collections.namedtuple(
        "_SharedEmbeddingColumn",
        (
            "categorical_column",
            "dimension",
            "combiner",
            "initializer",
            "shared_embedding_collection_name",
            "ckpt_to_load_from",
            "tensor_name_in_ckpt",
            "max_norm",
            "trainable",
            "use_safe_embedding_lookup",
        ),
    ),
):
    """See :func:`shared_embedding_columns`."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """``<categorical>_shared_embedding``."""
        return f"{self.categorical_column.name}_shared_embedding"

    @property
    def _var_scope_name(self) -> str:
        return str(self.shared_embedding_collection_name)

    @property
    def parse_example_spec(self) -> dict[str, Any]:
        """The categorical column's spec."""
        return self.categorical_column.parse_example_spec  # type: ignore[no-any-return]

    def transform(self, cache: base.FeatureCache) -> Any:
        """The categorical column's transformation."""
        return cache.get(self.categorical_column)

    @property
    def variable_shape(self) -> TensorShape:
        """``[dimension]``."""
        return TensorShape([self.dimension])

    def _table(self, weight_collections: list[str] | None, trainable: bool) -> Any:
        """The table the first column of the group creates; later ones take it from the
        collection named ``shared_embedding_collection_name``.

        Raises:
            ValueError: TF's messages for a collection with several or mis-shaped variables.
        """
        graph = get_default_graph()
        shape = (self.categorical_column.num_buckets, self.dimension)
        found = graph.get_collection(self.shared_embedding_collection_name)
        if len(found) > 1:
            raise ValueError(
                f"Collection {found} can only contain one variable. Suggested fix A: Choose a "
                "unique name for this collection. Suggested fix B: Do not add any variables "
                "to this collection. The feature_column library already adds a variable "
                "under the hood."
            )
        if found:
            table = found[0]
            if table.get_shape() != TensorShape(list(shape)):
                raise ValueError(
                    f"Shared embedding collection {self.shared_embedding_collection_name} "
                    f"contains variable {table.name} of unexpected shape {table.get_shape()}. "
                    f"Expected shape is {shape}. Suggested fix A: Choose a unique name for "
                    "this collection. Suggested fix B: Do not add any variables to this "
                    "collection. The feature_column library already adds a variable under the "
                    "hood."
                )
            return table
        table = variables.get_variable(
            name="embedding_weights",
            shape=shape,
            dtype=dtypes.float32,
            initializer=self.initializer,
            trainable=self.trainable and trainable,
            collections=weight_collections,
        )
        graph.add_to_collection(self.shared_embedding_collection_name, table)
        return table

    def get_dense_tensor(
        self, cache: base.FeatureCache, weight_collections: list[str] | None, trainable: bool
    ) -> Tensor:
        """Looks the ids up in the shared table and combines them with ``combiner``."""
        with get_default_graph().name_scope(self.name):
            pair = self.categorical_column.get_sparse_tensors(cache, weight_collections, trainable)
            table = self._table(weight_collections, trainable)
            return _sparse_util.safe_embedding_lookup_sparse(
                table,
                pair.id_tensor,
                pair.weight_tensor,
                combiner=self.combiner,
                name=f"{self.name}_weights",
            )

    @property
    def parents(self) -> list[Any]:
        """``[categorical_column]``."""
        return [self.categorical_column]


def _unwrapped(column: Any) -> Any:
    while isinstance(column, WeightedCategoricalColumn):
        column = column.categorical_column
    return column


def shared_embedding_columns(
    categorical_columns: list[base.CategoricalColumn],
    dimension: int,
    combiner: str = "mean",
    initializer: Any = None,
    shared_embedding_collection_name: str | None = None,
    ckpt_to_load_from: str | None = None,
    tensor_name_in_ckpt: str | None = None,
    max_norm: float | None = None,
    trainable: bool = True,
    use_safe_embedding_lookup: bool = True,
) -> list[SharedEmbeddingColumn]:
    """Embedding columns of same-typed categorical columns that share one table.

    The table is ``<scope>/<a>_<b>_shared_embedding/embedding_weights`` (column names sorted),
    created by the first of the columns a model builds.

    Raises:
        ValueError: TF's messages for a bad dimension/initializer or columns of different
            types or bucket counts.
        NotImplementedError: for ``ckpt_to_load_from`` or ``max_norm``.
    """
    if dimension is None or dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
        raise ValueError(
            "Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or none of them."
        )
    if initializer is not None and not callable(initializer):
        raise ValueError("initializer must be callable if specified.")
    if ckpt_to_load_from is not None or max_norm is not None:
        raise NotImplementedError(
            "shared_embedding_columns with ckpt_to_load_from or max_norm is not supported"
        )
    if initializer is None:
        initializer = initializers.TruncatedNormal(mean=0.0, stddev=1.0 / math.sqrt(dimension))
    ordered = sorted(categorical_columns, key=lambda c: c.name)
    first = ordered[0]
    if not isinstance(first, base.CategoricalColumn):
        raise ValueError(
            "All categorical_columns must be subclasses of _CategoricalColumn. "
            f"Given: {first}, of type: {type(first)}"
        )
    num_buckets = first.num_buckets
    kind = _unwrapped(first)
    for column in ordered[1:]:
        inner = _unwrapped(column)
        if not isinstance(inner, type(kind)):
            raise ValueError(
                "To use shared_embedding_column, all categorical_columns must have the same "
                "type, or be weighted_categorical_column or sequence column of the same type. "
                f"Given column: {kind} of type: {type(kind)} does not match given column: "
                f"{inner} of type: {type(inner)}"
            )
        if num_buckets != column.num_buckets:
            raise ValueError(
                "To use shared_embedding_column, all categorical_columns must have the same "
                f"number of buckets. ven column: {kind} with buckets: {num_buckets} does  not "
                f"match column: {inner} with buckets: {column.num_buckets}"
            )
    name = shared_embedding_collection_name or (
        "_".join(c.name for c in ordered) + "_shared_embedding"
    )
    return [
        SharedEmbeddingColumn(
            column,
            dimension,
            combiner,
            initializer,
            name,
            ckpt_to_load_from,
            tensor_name_in_ckpt,
            max_norm,
            trainable,
            use_safe_embedding_lookup,
        )
        for column in categorical_columns
    ]
