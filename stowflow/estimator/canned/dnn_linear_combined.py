"""``DNNLinearCombinedClassifier``/``Regressor`` (TF1): wide (linear) + deep (DNN) logits.

As tensorflow_estimator's v1 ``_dnn_linear_combined_model_fn``: the DNN tower in variable
scope ``dnn`` (Adagrad, learning rate 0.001 by default), the linear part in ``linear`` (FTRL,
``min(0.005, 1 / sqrt(number of linear columns))``), logits summed; the train op applies
each optimizer to its own scope's trainable variables, then increments ``global_step``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from stowflow.estimator.canned import _summaries, _variables
from stowflow.estimator.canned import head as head_lib
from stowflow.estimator.canned.dnn import check_features, dnn_logits
from stowflow.estimator.canned.linear import linear_logits
from stowflow.estimator.canned.optimizers import get_optimizer_instance
from stowflow.estimator.estimator import Estimator, EstimatorSpec, RunConfig
from stowflow.graph import array_ops, math_ops, variables
from stowflow.graph.core import GraphKeys, Operation, Tensor, get_default_graph
from stowflow.losses import Reduction
from stowflow.training.optimizer import get_or_create_global_step

DNN_LEARNING_RATE = 0.001
LINEAR_LEARNING_RATE = 0.005


def _validate_columns(linear_feature_columns: Any, dnn_feature_columns: Any) -> None:
    if not linear_feature_columns and not dnn_feature_columns:
        raise ValueError("Either linear_feature_columns or dnn_feature_columns must be defined.")


def _scope_variables(scope: str) -> list[Any]:
    graph = get_default_graph()
    return list(graph.get_collection(GraphKeys.TRAINABLE_VARIABLES, scope=scope))


def combined_model_fn(
    features: Any,
    labels: Any,
    mode: str,
    head: Any,
    linear_feature_columns: Any,
    linear_optimizer: Any,
    dnn_feature_columns: Any,
    dnn_optimizer: Any,
    dnn_hidden_units: list[int] | None,
    dnn_activation_fn: Callable[..., Tensor] | None,
    dnn_dropout: float | None,
    batch_norm: bool,
    linear_sparse_combiner: str,
    input_layer_partitioner: Any = None,
) -> EstimatorSpec:
    """TF's v1 ``_dnn_linear_combined_model_fn``.

    Raises:
        ValueError: for non-dict features, no columns, DNN columns without hidden units
            (TF's messages).
    """
    check_features(features)
    _validate_columns(linear_feature_columns, dnn_feature_columns)
    if batch_norm:
        raise NotImplementedError("batch_norm=True is not supported by stowflow yet")
    parts: list[tuple[str, Any, Tensor]] = []
    if dnn_feature_columns:
        dnn_opt = get_optimizer_instance(dnn_optimizer, learning_rate=DNN_LEARNING_RATE)
        if not dnn_hidden_units:
            raise ValueError(
                "dnn_hidden_units must be defined when dnn_feature_columns is specified."
            )
        with variables.variable_scope("dnn", partitioner=_variables.one_partition):
            logits = dnn_logits(
                features,
                mode,
                head.logits_dimension,
                list(dnn_hidden_units),
                dnn_feature_columns,
                dnn_activation_fn,
                dnn_dropout,
                input_layer_partitioner,
            )
        parts.append(("dnn", dnn_opt, logits))
    if linear_feature_columns:
        rate = min(LINEAR_LEARNING_RATE, 1.0 / math.sqrt(len(linear_feature_columns)))
        linear_opt = get_optimizer_instance(linear_optimizer, learning_rate=rate)
        linear_partitioner = input_layer_partitioner or _variables.one_partition
        with variables.variable_scope("linear", partitioner=linear_partitioner) as scope:
            logits = linear_logits(
                features, head.logits_dimension, linear_feature_columns, linear_sparse_combiner
            )
            _summaries.add_layer_summary(logits, scope.name)
        parts.append(("linear", linear_opt, logits))
    all_logits = [logits for _, _, logits in parts]
    logits = all_logits[0] if len(all_logits) == 1 else math_ops.add(*all_logits)

    def _train_op_fn(loss: Tensor) -> Operation:
        global_step = get_or_create_global_step()
        train_ops = []
        for scope, opt, _ in parts:
            var_list = _scope_variables(scope)
            train_ops.append(opt.minimize(loss, var_list=var_list))
            _variables.name_slots_as_tf(opt, var_list)
        train_op = array_ops.group(*train_ops)
        with get_default_graph().control_dependencies([train_op]):
            return variables.assign_add(global_step, 1).op  # type: ignore[no-any-return]

    return head.create_estimator_spec(  # type: ignore[no-any-return]
        features=features, mode=mode, labels=labels, train_op_fn=_train_op_fn, logits=logits
    )


class DNNLinearCombinedClassifier(Estimator):
    """Wide & deep classifier (``tf.compat.v1.estimator.DNNLinearCombinedClassifier``).

    Example:
        >>> est = DNNLinearCombinedClassifier(
        ...     linear_feature_columns=[numeric_column("x")],
        ...     dnn_feature_columns=[numeric_column("x")], dnn_hidden_units=[3])
    """

    def __init__(
        self,
        model_dir: str | None = None,
        linear_feature_columns: Any = None,
        linear_optimizer: Any = "Ftrl",
        dnn_feature_columns: Any = None,
        dnn_optimizer: Any = "Adagrad",
        dnn_hidden_units: list[int] | None = None,
        dnn_activation_fn: Callable[..., Tensor] | None = math_ops.relu,
        dnn_dropout: float | None = None,
        n_classes: int = 2,
        weight_column: Any = None,
        label_vocabulary: Any = None,
        input_layer_partitioner: Any = None,
        config: RunConfig | None = None,
        warm_start_from: Any = None,
        loss_reduction: str = Reduction.SUM,
        batch_norm: bool = False,
        linear_sparse_combiner: str = "sum",
    ) -> None:
        _validate_columns(linear_feature_columns, dnn_feature_columns)
        head = head_lib.classification_head(
            n_classes, weight_column, label_vocabulary, loss_reduction
        )

        def _model_fn(features: Any, labels: Any, mode: str) -> EstimatorSpec:
            return combined_model_fn(
                features,
                labels,
                mode,
                head,
                linear_feature_columns,
                linear_optimizer,
                dnn_feature_columns,
                dnn_optimizer,
                dnn_hidden_units,
                dnn_activation_fn,
                dnn_dropout,
                batch_norm,
                linear_sparse_combiner,
                input_layer_partitioner,
            )

        super().__init__(_model_fn, model_dir, config, warm_start_from=warm_start_from)


class DNNLinearCombinedRegressor(Estimator):
    """Wide & deep regressor (``tf.compat.v1.estimator.DNNLinearCombinedRegressor``).

    Example:
        >>> est = DNNLinearCombinedRegressor(
        ...     linear_feature_columns=[numeric_column("x")],
        ...     dnn_feature_columns=[numeric_column("x")], dnn_hidden_units=[3])
    """

    def __init__(
        self,
        model_dir: str | None = None,
        linear_feature_columns: Any = None,
        linear_optimizer: Any = "Ftrl",
        dnn_feature_columns: Any = None,
        dnn_optimizer: Any = "Adagrad",
        dnn_hidden_units: list[int] | None = None,
        dnn_activation_fn: Callable[..., Tensor] | None = math_ops.relu,
        dnn_dropout: float | None = None,
        label_dimension: int = 1,
        weight_column: Any = None,
        input_layer_partitioner: Any = None,
        config: RunConfig | None = None,
        warm_start_from: Any = None,
        loss_reduction: str = Reduction.SUM,
        batch_norm: bool = False,
        linear_sparse_combiner: str = "sum",
    ) -> None:
        _validate_columns(linear_feature_columns, dnn_feature_columns)
        head = head_lib.regression_head(weight_column, label_dimension, loss_reduction)

        def _model_fn(features: Any, labels: Any, mode: str) -> EstimatorSpec:
            return combined_model_fn(
                features,
                labels,
                mode,
                head,
                linear_feature_columns,
                linear_optimizer,
                dnn_feature_columns,
                dnn_optimizer,
                dnn_hidden_units,
                dnn_activation_fn,
                dnn_dropout,
                batch_norm,
                linear_sparse_combiner,
                input_layer_partitioner,
            )

        super().__init__(_model_fn, model_dir, config, warm_start_from=warm_start_from)
