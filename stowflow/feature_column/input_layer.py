"""``input_layer``: concatenates dense columns into one ``[batch, n]`` float tensor.

As TF1's ``tf.compat.v1.feature_column.input_layer``: a variable scope ``input_layer``, and
in it one variable scope per column (sorted by name) named after the column, so variables
are ``input_layer/<column>/...`` (``input_layer/<cat>_embedding/embedding_weights``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stowflow.feature_column import base
from stowflow.graph import array_ops, variables
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph


def weight_collections_with_defaults(weight_collections: Any) -> list[str]:
    """The caller's collections plus ``GLOBAL_VARIABLES`` and ``MODEL_VARIABLES``."""
    names = list(weight_collections or [])
    for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES):
        if key not in names:
            names.append(key)
    return names


def check_batch_sizes(tensors: list[Any], columns: list[base.FeatureColumn]) -> None:
    """Raises TF's ``ValueError`` when static batch sizes of the columns' outputs differ."""
    expected: int | None = None
    first = 0
    for i, tensor in enumerate(tensors):
        dims = tensor.shape.dims
        size = dims[0] if dims else None
        if size is None:
            continue
        if expected is None:
            expected, first = size, i
        elif size != expected:
            raise ValueError(
                "Batch size (first dimension) of each feature must be same. "
                f"Batch size of columns ({columns[first].name}, {columns[i].name}): "
                f"({expected}, {size})"
            )


def _dense_columns(feature_columns: Any) -> list[base.DenseColumn]:
    columns = base.normalize_columns(feature_columns)
    for column in columns:
        if not isinstance(column, base.DenseColumn):
            raise ValueError(
                "Items of feature_columns must be a _DenseColumn. You can wrap a categorical "
                f"column with an embedding_column or indicator_column. Given: {column}"
            )
    return columns  # type: ignore[return-value]


def flatten_per_example(
    tensor: Tensor, column: base.DenseColumn, cache: base.FeatureCache
) -> Tensor:
    """``tensor`` reshaped to ``[batch, num_elements]`` (static batch as TF infers it)."""
    num_elements = column.variable_shape.num_elements()
    batch_size = array_ops.shape(tensor)[0]
    output = array_ops.reshape(tensor, shape=(batch_size, num_elements))
    set_static_batch(output, cache, column)
    return output


def set_static_batch(tensor: Tensor, cache: base.FeatureCache, column: Any) -> None:
    """Sets dim 0 of a ``[batch, n]`` ``tensor`` when the column's features know it."""
    if tensor.shape.dims and tensor.shape.dims[0] is None:
        batch = base.static_batch_size(cache, column)
        if batch is not None:
            tensor.set_shape([batch, tensor.shape.dims[1]])


def _concat(tensors: list[Tensor]) -> Tensor:
    if len(tensors) > 1:
        return array_ops.concat(tensors, 1)
    # TF's concat of one tensor is an Identity inside a "concat" name scope.
    with get_default_graph().name_scope("concat"):
        return array_ops.identity(tensors[0], name="concat")


def input_layer(
    features: Mapping[Any, Any],
    feature_columns: Any,
    weight_collections: list[str] | None = None,
    trainable: bool = True,
    cols_to_vars: dict[Any, list[Any]] | None = None,
    cols_to_output_tensors: dict[Any, Tensor] | None = None,
) -> Tensor:
    """A ``[batch, sum of column widths]`` float tensor from dense columns.

    Args:
        features: ``{key: Tensor | SparseTensor}``; rank-1 features become ``[batch, 1]``.
        feature_columns: dense columns (numeric, bucketized, embedding, indicator).
        weight_collections: extra collections for the variables columns create.
        trainable: whether those variables are trainable.
        cols_to_vars: filled with ``{column: [variables]}`` when given.
        cols_to_output_tensors: filled with ``{column: [batch, n] tensor}`` when given.

    Returns:
        The columns' outputs (sorted by column name) concatenated along axis 1.

    Raises:
        ValueError: for a non-dense column, duplicate names, missing features or batch sizes
            that disagree (TF's messages).

    Example:
        >>> net = input_layer({"age": [[1.0], [2.0]]}, [numeric_column("age")])
    """
    columns = _dense_columns(feature_columns)
    collections = weight_collections_with_defaults(weight_collections)
    with variables.variable_scope(None, default_name="input_layer"):
        cache = base.FeatureCache(features)
        outputs: list[Tensor] = []
        ordered: list[base.DenseColumn] = []
        for column in sorted(columns, key=lambda c: c.name):
            ordered.append(column)
            with variables.variable_scope(None, default_name=column._var_scope_name):
                dense = column.get_dense_tensor(cache, collections, trainable)
                output = flatten_per_example(dense, column, cache)
                outputs.append(output)
                if cols_to_vars is not None:
                    scope_name = variables.get_variable_scope().name
                    cols_to_vars[column] = get_default_graph().get_collection(
                        GraphKeys.GLOBAL_VARIABLES, scope=scope_name
                    )
                if cols_to_output_tensors is not None:
                    cols_to_output_tensors[column] = output
        check_batch_sizes(outputs, ordered)
        return _concat(outputs)
