"""``LinearClassifier`` and ``LinearRegressor`` (TF1 ``tf.compat.v1.estimator``).

Graph as tensorflow_estimator's v1 ``_linear_model_fn``: in variable scope ``linear`` (one
partition per variable) the feature columns' ``linear_model`` (``linear_model/<column>/weights``
and ``linear_model/bias_weights``, zeros), whose output are the logits; the optimizer
defaults to ``'Ftrl'``: FTRL with learning rate 0.2 (a falsy ``optimizer`` gets
``min(0.2, 1 / sqrt(number of columns))``, as TF).
"""

from __future__ import annotations

import math
from typing import Any

from stowflow.estimator.canned import _summaries, _variables
from stowflow.estimator.canned import head as head_lib
from stowflow.estimator.canned.dnn import check_features
from stowflow.estimator.canned.optimizers import get_optimizer_instance
from stowflow.estimator.estimator import Estimator, EstimatorSpec, ModeKeys, RunConfig
from stowflow.feature_column import linear_model
from stowflow.graph import variables
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph
from stowflow.losses import Reduction
from stowflow.training.adaptive_optimizers import FtrlOptimizer

LEARNING_RATE = 0.2


def default_optimizer(feature_columns: Any) -> FtrlOptimizer:
    """FTRL with TF's default learning rate for ``len(feature_columns)`` columns."""
    return FtrlOptimizer(learning_rate=min(LEARNING_RATE, 1.0 / math.sqrt(len(feature_columns))))


def linear_logits(
    features: dict[str, Any], units: int, feature_columns: Any, sparse_combiner: str
) -> Tensor:
    """The weighted sum of the columns plus the bias, in the current variable scope."""
    cols_to_vars: dict[Any, list[Any]] = {}
    logits = linear_model(
        features,
        list(feature_columns),
        units=units,
        sparse_combiner=sparse_combiner,
        cols_to_vars=cols_to_vars,
    )
    _summaries.add_linear_summaries(cols_to_vars, units)
    return logits


def linear_model_fn(
    features: Any,
    labels: Any,
    mode: str,
    head: Any,
    feature_columns: Any,
    optimizer: Any,
    sparse_combiner: str = "sum",
    partitioner: Any = None,
) -> EstimatorSpec:
    """TF's v1 ``_linear_model_fn``.

    Raises:
        ValueError: for non-dict features or bad optimizer arguments (TF's messages).
    """
    check_features(features)
    with variables.variable_scope("linear", partitioner=partitioner or _variables.one_partition):
        logits = linear_logits(features, head.logits_dimension, feature_columns, sparse_combiner)
        opt = get_optimizer_instance(
            optimizer or default_optimizer(feature_columns), learning_rate=LEARNING_RATE
        )
        spec = head.create_estimator_spec(
            features=features, mode=mode, labels=labels, optimizer=opt, logits=logits
        )
        if mode == ModeKeys.TRAIN:
            trainable = get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES)
            _variables.name_slots_as_tf(opt, trainable)
    return spec  # type: ignore[no-any-return]


class LinearClassifier(Estimator):
    """Linear classifier (``tf.compat.v1.estimator.LinearClassifier``).

    Example:
        >>> est = LinearClassifier(feature_columns=[numeric_column("x")])
    """

    def __init__(
        self,
        feature_columns: Any,
        model_dir: str | None = None,
        n_classes: int = 2,
        weight_column: Any = None,
        label_vocabulary: Any = None,
        optimizer: Any = "Ftrl",
        config: RunConfig | None = None,
        partitioner: Any = None,
        warm_start_from: Any = None,
        loss_reduction: str = Reduction.SUM,
        sparse_combiner: str = "sum",
    ) -> None:
        head = head_lib.classification_head(
            n_classes, weight_column, label_vocabulary, loss_reduction
        )
        columns = tuple(feature_columns or [])

        def _model_fn(features: Any, labels: Any, mode: str) -> EstimatorSpec:
            return linear_model_fn(
                features,
                labels,
                mode,
                head,
                columns,
                optimizer,
                sparse_combiner,
                partitioner,
            )

        super().__init__(_model_fn, model_dir, config, warm_start_from=warm_start_from)


class LinearRegressor(Estimator):
    """Linear regressor (``tf.compat.v1.estimator.LinearRegressor``).

    Example:
        >>> est = LinearRegressor(feature_columns=[numeric_column("x")])
    """

    def __init__(
        self,
        feature_columns: Any,
        model_dir: str | None = None,
        label_dimension: int = 1,
        weight_column: Any = None,
        optimizer: Any = "Ftrl",
        config: RunConfig | None = None,
        partitioner: Any = None,
        warm_start_from: Any = None,
        loss_reduction: str = Reduction.SUM,
        sparse_combiner: str = "sum",
    ) -> None:
        head = head_lib.regression_head(weight_column, label_dimension, loss_reduction)
        columns = tuple(feature_columns or [])

        def _model_fn(features: Any, labels: Any, mode: str) -> EstimatorSpec:
            return linear_model_fn(
                features,
                labels,
                mode,
                head,
                columns,
                optimizer,
                sparse_combiner,
                partitioner,
            )

        super().__init__(_model_fn, model_dir, config, warm_start_from=warm_start_from)
