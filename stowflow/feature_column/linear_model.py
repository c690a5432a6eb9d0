"""``linear_model``: a weighted sum of feature columns plus a bias (TF1's canned linear part).

Variables as TF1's ``tf.compat.v1.feature_column.linear_model`` names them:
``linear_model/<column>/weights`` (``[width or num_buckets, units]``) and
``linear_model/bias_weights`` (``[units]``), all zero-initialised, in ``GLOBAL_VARIABLES``,
``MODEL_VARIABLES`` and any ``weight_collections``. Categorical columns are summed as
indicator columns (``safe_embedding_lookup_sparse`` with ``sparse_combiner``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stowflow.feature_column import _sparse_util, base
from stowflow.feature_column.input_layer import (
    check_batch_sizes,
    flatten_per_example,
    set_static_batch,
    weight_collections_with_defaults,
)
from stowflow.graph import array_ops, initializers, math_ops, variables
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph
from stowflow.graph.partitioned import PartitionedVariable


def _add_to_collections(var: Any, collections: list[str]) -> None:
    graph = get_default_graph()
    for name in collections:
        if name == GraphKeys.GLOBAL_VARIABLES:
            continue
        parts = list(var) if isinstance(var, PartitionedVariable) else [var]
        for part in parts:
            if part not in graph.get_collection(name):
                graph.add_to_collection(name, part)


def _weights(shape: list[int], trainable: bool, collections: list[str]) -> Any:
    var = variables.get_variable(
        "weights", shape=shape, initializer=initializers.Zeros(), trainable=trainable
    )
    _add_to_collections(var, collections)
    return var


def _categorical_sum(
    column: base.CategoricalColumn,
    cache: base.FeatureCache,
    units: int,
    sparse_combiner: str,
    collections: list[str],
    trainable: bool,
) -> tuple[Tensor, Any]:
    # TF's layer builds (creates its weights) before it calls (transforms the features).
    var = _weights([column.num_buckets, units], trainable, collections)
    pair = column.get_sparse_tensors(cache, collections, trainable)
    ids = pair.id_tensor
    ids = _sparse_util.sparse_reshape(ids, [_sparse_util.sparse_rows(ids), -1])
    weights = pair.weight_tensor
    if weights is not None:
        weights = _sparse_util.sparse_reshape(weights, [_sparse_util.sparse_rows(weights), -1])
    result = _sparse_util.safe_embedding_lookup_sparse(
        var, ids, weights, combiner=sparse_combiner, name="weighted_sum"
    )
    return result, var


def _dense_sum(
    column: base.DenseColumn,
    cache: base.FeatureCache,
    units: int,
    collections: list[str],
    trainable: bool,
) -> tuple[Tensor, Any]:
    var = _weights([column.variable_shape.num_elements(), units], trainable, collections)
    tensor = flatten_per_example(
        column.get_dense_tensor(cache, collections, trainable), column, cache
    )
    return math_ops.matmul(tensor, var, name="weighted_sum"), var


def _unique_scope_name(default_name: str) -> str:
    """Opens and closes a default-named variable scope to reserve a unique name (as TF)."""
    with variables.variable_scope(None, default_name=default_name) as scope:
        return scope.name.rsplit("/", 1)[-1]


def linear_model(
    features: Mapping[Any, Any],
    feature_columns: Any,
    units: int = 1,
    sparse_combiner: str = "sum",
    weight_collections: list[str] | None = None,
    trainable: bool = True,
    cols_to_vars: dict[Any, list[Any]] | None = None,
) -> Tensor:
    """``[batch, units]`` predictions: ``sum_c (column c) @ weights_c + bias``.

    Args:
        features: ``{key: Tensor | SparseTensor}``.
        feature_columns: dense or categorical columns.
        units: output width.
        sparse_combiner: ``'sum'``, ``'mean'`` or ``'sqrtn'`` over a row's categorical ids.
        weight_collections: extra collections for the variables.
        trainable: whether the variables are trainable.
        cols_to_vars: filled with ``{column: [weights], 'bias': [bias_weights]}``.

    Returns:
        The float32 logits, op ``.../weighted_sum``.

    Raises:
        ValueError: for a column neither dense nor categorical, duplicate names or batch
            sizes that disagree (TF's messages).

    Example:
        >>> logits = linear_model({"age": [[1.0]]}, [numeric_column("age")])
    """
    columns = base.normalize_columns(feature_columns)
    if sparse_combiner not in _sparse_util.COMBINERS:
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {sparse_combiner}")
    collections = weight_collections_with_defaults(weight_collections)
    model_name = _unique_scope_name("linear_model")
    layer_names = {
        column: _unique_scope_name(column._var_scope_name)
        for column in sorted(columns, key=lambda c: c.name)
    }
    results: dict[Any, list[Any]] = {}
    # TF's Keras-style layer opens its own name scope (``linear_model_1``), then its call
    # re-enters the variable scope (``linear_model``) inside it.
    with get_default_graph().name_scope(model_name), variables.variable_scope(model_name):
        for column in columns:
            if not isinstance(column, base.DenseColumn | base.CategoricalColumn):
                raise ValueError(
                    "Items of feature_columns must be either a _DenseColumn or "
                    f"_CategoricalColumn. Given: {column}"
                )
        cache = base.FeatureCache(features)
        sums: list[Tensor] = []
        ordered = sorted(columns, key=lambda c: layer_names[c])
        for column in ordered:
            with variables.variable_scope(layer_names[column]):
                if isinstance(column, base.CategoricalColumn):
                    total, _ = _categorical_sum(
                        column, cache, units, sparse_combiner, collections, trainable
                    )
                else:
                    total, _ = _dense_sum(column, cache, units, collections, trainable)  # type: ignore[arg-type]
                # TF lists every variable of the column's scope (an embedding's table too).
                scope_name = variables.get_variable_scope().name
            set_static_batch(total, cache, column)
            sums.append(total)
            results[column] = get_default_graph().get_collection(
                GraphKeys.GLOBAL_VARIABLES, scope=scope_name
            )
        check_batch_sizes(sums, ordered)  # type: ignore[arg-type]
        no_bias = (
            math_ops.add_n(sums, name="weighted_sum_no_bias")
            if len(sums) > 1
            else array_ops.identity(sums[0], name="weighted_sum_no_bias")
        )
        bias = variables.get_variable(
            "bias_weights", shape=[units], initializer=initializers.Zeros(), trainable=trainable
        )
        _add_to_collections(bias, collections)
        predictions = math_ops.bias_add(no_bias, bias, name="weighted_sum")
    results["bias"] = list(bias) if isinstance(bias, PartitionedVariable) else [bias]
    if cols_to_vars is not None:
        cols_to_vars.update(results)
    return predictions
