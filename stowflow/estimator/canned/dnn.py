"""``DNNClassifier`` and ``DNNRegressor`` (TF1 ``tf.compat.v1.estimator``): a feed-forward net.

Graph as tensorflow_estimator's v1 ``_dnn_model_fn``: in variable scope ``dnn`` (one
partition per variable), ``input_from_feature_columns/input_layer`` from the columns, then
per hidden layer ``hiddenlayer_<i>`` a dense layer (``kernel`` glorot-uniform, ``bias``
zeros, ``activation_fn``, dropout in training), then ``logits`` (no activation); the head
turns the logits into predictions, loss, metrics and the train op. The optimizer defaults
to Adagrad with learning rate 0.05.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stowflow.estimator.canned import _summaries, _variables
from stowflow.estimator.canned import head as head_lib
from stowflow.estimator.canned.optimizers import get_optimizer_instance
from stowflow.estimator.estimator import Estimator, EstimatorSpec, ModeKeys, RunConfig
from stowflow.feature_column import input_layer
from stowflow.graph import initializers, math_ops, nn_ops, variables
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph
from stowflow.losses import Reduction

LEARNING_RATE = 0.05


def check_features(features: Any) -> None:
    """Canned estimators take a dict of features (TF's message)."""
    if not isinstance(features, dict):
        raise ValueError(
            f"features should be a dictionary of `Tensor`s. Given type: {type(features)}"
        )


def dense(inputs: Tensor, units: int, activation: Callable[..., Tensor] | None) -> Tensor:
    """``tf.compat.v1.layers.Dense`` in the current variable scope: ``kernel``, ``bias``."""
    width = inputs.shape.as_list()[-1]
    if width is None:
        raise ValueError(
            "The last dimension of the inputs to `Dense` should be defined. Found `None`."
        )
    kernel = variables.get_variable(
        "kernel", shape=[width, units], initializer=initializers.GlorotUniform()
    )
    bias = variables.get_variable("bias", shape=[units], initializer=initializers.Zeros())
    outputs = math_ops.matmul(inputs, _variables.read(kernel), name="MatMul")
    outputs = math_ops.bias_add(outputs, _variables.read(bias), name="BiasAdd")
    return activation(outputs) if activation is not None else outputs


def dnn_logits(
    features: dict[str, Any],
    mode: str,
    units: int,
    hidden_units: list[int],
    feature_columns: Any,
    activation_fn: Callable[..., Tensor] | None,
    dropout: float | None,
    input_layer_partitioner: Any = None,
) -> Tensor:
    """The DNN tower's logits, built in the current (``dnn``) variable scope."""
    with variables.variable_scope(
        "input_from_feature_columns", partitioner=input_layer_partitioner
    ):
        net = input_layer(features, list(feature_columns))
    for layer_id, num_units in enumerate(hidden_units):
        with variables.variable_scope(f"hiddenlayer_{layer_id}") as scope:
            net = dense(net, num_units, activation_fn)
        if dropout is not None and mode == ModeKeys.TRAIN:
            net = nn_ops.dropout(net, rate=dropout, name="dropout")
        _summaries.add_layer_summary(net, scope.name)
    with variables.variable_scope("logits") as scope:
        logits = dense(net, units, None)
    _summaries.add_layer_summary(logits, scope.name)
    return logits


def dnn_model_fn(
    features: Any,
    labels: Any,
    mode: str,
    head: Any,
    hidden_units: list[int],
    feature_columns: Any,
    optimizer: Any = "Adagrad",
    activation_fn: Callable[..., Tensor] | None = math_ops.relu,
    dropout: float | None = None,
    batch_norm: bool = False,
    input_layer_partitioner: Any = None,
) -> EstimatorSpec:
    """TF's v1 ``_dnn_model_fn``.

    Raises:
        ValueError: for non-dict features or bad optimizer arguments (TF's messages).
        NotImplementedError: for ``batch_norm=True``.
    """
    if batch_norm:
        raise NotImplementedError("batch_norm=True is not supported by stowflow yet")
    opt = get_optimizer_instance(optimizer, learning_rate=LEARNING_RATE)
    check_features(features)
    with variables.variable_scope("dnn", partitioner=_variables.one_partition):
        logits = dnn_logits(
            features,
            mode,
            head.logits_dimension,
            hidden_units,
            feature_columns,
            activation_fn,
            dropout,
            input_layer_partitioner,
        )
        spec = head.create_estimator_spec(
            features=features, mode=mode, labels=labels, optimizer=opt, logits=logits
        )
        if mode == ModeKeys.TRAIN:
            trainable = get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES)
            _variables.name_slots_as_tf(opt, trainable)
    return spec  # type: ignore[no-any-return]


class DNNClassifier(Estimator):
    """A classifier for TF1 DNN models (``tf.compat.v1.estimator.DNNClassifier``).

    Example:
        >>> est = DNNClassifier(hidden_units=[4, 3], feature_columns=[numeric_column("x")])
    """

    def __init__(
        self,
        hidden_units: list[int],
        feature_columns: Any,
        model_dir: str | None = None,
        n_classes: int = 2,
        weight_column: Any = None,
        label_vocabulary: Any = None,
        optimizer: Any = "Adagrad",
        activation_fn: Callable[..., Tensor] | None = math_ops.relu,
        dropout: float | None = None,
        input_layer_partitioner: Any = None,
        config: RunConfig | None = None,
        warm_start_from: Any = None,
        loss_reduction: str = Reduction.SUM,
        batch_norm: bool = False,
    ) -> None:
        head = head_lib.classification_head(
            n_classes, weight_column, label_vocabulary, loss_reduction
        )
        columns = tuple(feature_columns or [])

        def _model_fn(features: Any, labels: Any, mode: str) -> EstimatorSpec:
            return dnn_model_fn(
                features,
                labels,
                mode,
                head,
                hidden_units,
                columns,
                optimizer,
                activation_fn,
                dropout,
                batch_norm,
                input_layer_partitioner,
            )

        super().__init__(_model_fn, model_dir, config, warm_start_from=warm_start_from)


class DNNRegressor(Estimator):
    """A regressor for TF1 DNN models (``tf.compat.v1.estimator.DNNRegressor``).

    Example:
        >>> est = DNNRegressor(hidden_units=[3], feature_columns=[numeric_column("x")])
    """

    def __init__(
        self,
        hidden_units: list[int],
        feature_columns: Any,
        model_dir: str | None = None,
        label_dimension: int = 1,
        weight_column: Any = None,
        optimizer: Any = "Adagrad",
        activation_fn: Callable[..., Tensor] | None = math_ops.relu,
        dropout: float | None = None,
        input_layer_partitioner: Any = None,
        config: RunConfig | None = None,
        warm_start_from: Any = None,
        loss_reduction: str = Reduction.SUM,
        batch_norm: bool = False,
    ) -> None:
        head = head_lib.regression_head(weight_column, label_dimension, loss_reduction)
        columns = tuple(feature_columns or [])

        def _model_fn(features: Any, labels: Any, mode: str) -> EstimatorSpec:
            return dnn_model_fn(
                features,
                labels,
                mode,
                head,
                hidden_units,
                columns,
                optimizer,
                activation_fn,
                dropout,
                batch_norm,
                input_layer_partitioner,
            )

        super().__init__(_model_fn, model_dir, config, warm_start_from=warm_start_from)
