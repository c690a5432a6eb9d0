"""The v1 heads of tensorflow_estimator's ``canned/head.py``: logits -> EstimatorSpec.

- :func:`binary_classification_head` (``_binary_logistic_head_with_sigmoid_cross_entropy_loss``),
- :func:`multi_class_head` (``_multi_class_head_with_softmax_cross_entropy_loss``),
- :func:`regression_head` (``_regression_head``).

A head builds, under the name scope ``head``: the predictions dict (TF's keys), the loss
(``unreduced loss * weights`` reduced by ``loss_reduction``, SUM by default in TF1), the eval
metric ops, the train op (``optimizer.minimize`` or ``train_op_fn``), the summaries ``loss``
and ``average_loss``, and the export outputs (``serving_default``, ``classification``,
``regression``, ``predict``).

Differences from TF: the label range and shape checks TF runs in the graph (``Assert`` ops)
are done statically here when shapes are known; a label vocabulary is matched by comparison
with a constant, not through a hash table (same ids and class names).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from stowflow import dtypes, losses
from stowflow import metrics as metrics_lib
from stowflow.estimator import export as export_lib
from stowflow.estimator.estimator import EstimatorSpec, ModeKeys
from stowflow.feature_column import numeric_column
from stowflow.feature_column.base import DenseColumn, FeatureCache
from stowflow.graph import array_ops, math_ops, string_ops, xent_ops
from stowflow.graph.builder import constant, convert_to_tensor
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph
from stowflow.losses import Reduction
from stowflow.saved_model.signature_constants import DEFAULT_SERVING_SIGNATURE_DEF_KEY
from stowflow.summary import ops as summary_ops
from stowflow.training.optimizer import get_or_create_global_step

CLASSIFY_SERVING_KEY = "classification"
REGRESS_SERVING_KEY = "regression"
PREDICT_SERVING_KEY = "predict"


class LossSpec(NamedTuple):
    """What ``create_loss`` returns (TF's ``LossSpec``)."""

    training_loss: Tensor
    unreduced_loss: Tensor
    weights: Any
    processed_labels: Tensor


def _check_reduction(loss_reduction: str) -> None:
    if loss_reduction not in Reduction.all() or loss_reduction == Reduction.NONE:
        raise ValueError(f"Invalid loss_reduction: {loss_reduction}")


def _check_logits(logits: Any, dimension: int) -> Tensor:
    """Float32 logits whose static last dimension is ``dimension`` (TF's message)."""
    with get_default_graph().name_scope("logits"):
        logits = math_ops.cast(convert_to_tensor(logits), dtypes.float32)
    shape = logits.shape
    if shape.rank is not None and shape.rank < 2:
        raise ValueError(f"logits shape must be [D0, D1, ... DN, logits_dimension], got {shape}.")
    if shape.rank is not None and shape.as_list()[-1] not in (None, dimension):
        raise ValueError(
            f"logits shape must be [D0, D1, ... DN, logits_dimension={dimension}], got {shape}."
        )
    return logits


def _check_labels(labels: Any, logits: Tensor, dimension: int) -> Tensor:
    """Labels of shape ``logits.shape[:-1] + [dimension]`` (rank-1 labels are expanded)."""
    if labels is None:
        raise ValueError(
            "You must provide a labels Tensor. Given: None. Suggested troubleshooting steps: "
            "Check that your data contain your label feature. Check that your input_fn "
            "properly parses and returns labels."
        )
    graph = get_default_graph()
    with graph.name_scope("labels") as scope:
        labels = convert_to_tensor(labels)
        if hasattr(labels, "indices"):
            raise ValueError("SparseTensor labels are not supported.")
        if labels.shape.rank is not None and labels.shape.rank == logits.shape.rank - 1:
            labels = array_ops.expand_dims(labels, -1)
        last = labels.shape.as_list()[-1] if labels.shape.rank else None
        if last is not None and last != dimension:
            raise ValueError(
                f"Mismatched label shape. Expected labels dimension={dimension}.  Received "
                f"{last}. Suggested Fix:If your classifier expects one-hot encoding label,check "
                "your n_classes argument to the estimator and/or the shape of your label. "
                "Otherwise, check the shape of your label."
            )
        return array_ops.identity(labels, name=scope.rstrip("/"))


def _weights(features: dict[str, Any], weight_column: Any, logits: Tensor) -> Any:
    """1.0 without a weight column, else the float32 weights as ``[D0, ..., DN, 1]``."""
    graph = get_default_graph()
    with graph.name_scope("weights") as scope:
        if weight_column is None:
            return 1.0
        if isinstance(weight_column, str):
            weight_column = numeric_column(key=weight_column, shape=(1,))
        if not isinstance(weight_column, DenseColumn):
            raise TypeError(
                "Weight column must be either a string or _DenseColumn. Given type: "
                f"{type(weight_column)}."
            )
        weights = weight_column.get_dense_tensor(FeatureCache(features), None, True)
        if not (weights.dtype.is_floating or weights.dtype.is_integer):
            raise ValueError(
                f"Weight column should be castable to float. Given dtype: {weights.dtype}"
            )
        weights = math_ops.cast(weights, dtypes.float32, name="weights")
        if weights.shape.rank is not None and weights.shape.rank == logits.shape.rank - 1:
            return array_ops.expand_dims(weights, -1, name=scope.rstrip("/"))
        return array_ops.identity(weights, name=scope.rstrip("/"))


def _assert_range(labels: Tensor, n_classes: int) -> Tensor:
    """Labels unchanged (TF checks ``0 <= labels <= n_classes - 1`` at run time)."""
    del n_classes
    with get_default_graph().name_scope("assert_range"):
        return array_ops.identity(labels)


def _tiled_classes(logits: Tensor, n_classes: int, names: Tensor | None) -> Tensor:
    """``[batch, n_classes]``: the class ids, or their names, repeated per example.

    ``names``: the vocabulary; ``None`` -> the ids' strings ("0", "1", ...); a tensor -> it.
    """
    batch_size = array_ops.shape(logits)[0]
    ids = array_ops.range(n_classes)
    if names is not None:
        ids = names
    tiled = array_ops.tile(array_ops.expand_dims(ids, 0), array_ops.stack([batch_size, 1]))
    # TF's shape inference reads the partially constant multiples [?, 1]: [?, n_classes].
    tiled.set_shape([None, n_classes])
    return tiled


def _mean_metric(values: Tensor, weights: Any, name: str) -> Any:
    values = math_ops.cast(values, dtypes.float32)
    return metrics_lib.mean(values, weights=_broadcast(weights, values), name=name)


def _broadcast(weights: Any, values: Tensor) -> Any:
    if isinstance(weights, float):
        return None if weights == 1.0 else weights
    return math_ops.multiply(weights, array_ops.ones_like(values))


class _Head:
    """Shared ``create_estimator_spec`` flow; subclasses give predictions, loss and metrics."""

    logits_dimension: int

    def __init__(self, weight_column: Any, loss_reduction: str, name: str | None) -> None:
        _check_reduction(loss_reduction)
        self._weight_column = weight_column
        self._loss_reduction = loss_reduction
        self._name = name

    @property
    def name(self) -> str | None:
        """The head's name (None: no suffix on summary and metric keys)."""
        return self._name

    def _predictions(self, logits: Tensor) -> tuple[dict[str, Tensor], dict[str, Any]]:
        raise NotImplementedError

    def _unreduced_loss(self, labels: Tensor, logits: Tensor) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def _eval_metric_ops(self, predictions: dict[str, Tensor], loss: LossSpec) -> dict[str, Any]:
        raise NotImplementedError

    def create_loss(self, features: Any, mode: str, logits: Tensor, labels: Any) -> LossSpec:
        """The reduced training loss, the unreduced loss, the weights and processed labels."""
        del mode
        labels = _check_labels(labels, logits, self._label_dimension())
        labels, unreduced = self._unreduced_loss(labels, logits)
        weights = _weights(features, self._weight_column, logits)
        training_loss = losses.compute_weighted_loss(
            unreduced, weights=weights, reduction=self._loss_reduction
        )
        return LossSpec(training_loss, unreduced, weights, labels)

    def _label_dimension(self) -> int:
        return 1

    def create_estimator_spec(
        self,
        features: Any,
        mode: str,
        logits: Any,
        labels: Any = None,
        optimizer: Any = None,
        train_op_fn: Callable[[Tensor], Any] | None = None,
        regularization_losses: Any = None,
    ) -> EstimatorSpec:
        """The EstimatorSpec for ``mode`` (TF's ``_Head.create_estimator_spec``).

        Raises:
            ValueError: both or neither of ``optimizer``/``train_op_fn`` in TRAIN, bad
                labels or logits (TF's messages).
        """
        graph = get_default_graph()
        with graph.name_scope(self._name or "head"):
            logits = _check_logits(logits, self.logits_dimension)
            predictions, export_outputs = self._predictions(logits)
            if mode == ModeKeys.PREDICT:
                return EstimatorSpec(mode, predictions=predictions, export_outputs=export_outputs)
            loss_spec = self.create_loss(features, mode, logits, labels)
            loss = loss_spec.training_loss
            if regularization_losses:
                loss = math_ops.add_n([loss, math_ops.add_n(list(regularization_losses))])
            if mode == ModeKeys.EVAL:
                return EstimatorSpec(
                    mode,
                    predictions=predictions,
                    loss=loss,
                    eval_metric_ops=self._eval_metric_ops(predictions, loss_spec),
                )
            train_op = self._train_op(loss, optimizer, train_op_fn)
            mean_loss = None
            if self._loss_reduction == Reduction.SUM:
                ones = array_ops.ones_like(loss_spec.unreduced_loss)
                weight_sum = math_ops.reduce_sum(math_ops.multiply(loss_spec.weights, ones))
                mean_loss = math_ops.realdiv(loss_spec.training_loss, weight_sum)
        with graph.name_scope(None):
            summary_ops.scalar(self._key("loss"), loss)
            if mean_loss is not None:
                summary_ops.scalar(self._key("average_loss"), mean_loss)
        return EstimatorSpec(mode, predictions=predictions, loss=loss, train_op=train_op)

    def _train_op(
        self, loss: Tensor, optimizer: Any, train_op_fn: Callable[[Tensor], Any] | None
    ) -> Any:
        if optimizer is not None:
            if train_op_fn is not None:
                raise ValueError("train_op_fn and optimizer cannot both be set.")
            train_op = optimizer.minimize(loss, global_step=get_or_create_global_step())
        elif train_op_fn is not None:
            train_op = train_op_fn(loss)
        else:
            raise ValueError("train_op_fn and optimizer cannot both be None.")
        update_ops = get_default_graph().get_collection(GraphKeys.UPDATE_OPS)
        if update_ops:
            return array_ops.group(train_op, *update_ops)
        return train_op

    def _key(self, key: str) -> str:
        return f"{key}/{self._name}" if self._name else key


class _ClassificationHead(_Head):
    """Shared by the binary and the multi-class heads."""

    def __init__(
        self,
        n_classes: int,
        weight_column: Any,
        label_vocabulary: Any,
        loss_reduction: str,
        name: str | None,
    ) -> None:
        if label_vocabulary is not None and not isinstance(label_vocabulary, list | tuple):
            raise ValueError(
                "label_vocabulary should be a list or a tuple. Given type: "
                f"{type(label_vocabulary)}"
            )
        super().__init__(weight_column, loss_reduction, name)
        self._n_classes = n_classes
        self._vocabulary = tuple(label_vocabulary) if label_vocabulary else None

    def _class_names(self) -> Tensor:
        """The vocabulary as a string constant, else the ids' strings."""
        if self._vocabulary is None:
            return string_ops.as_string(array_ops.range(self._n_classes))
        items = [v.encode() if isinstance(v, str) else v for v in self._vocabulary]
        return constant(np.array(items, dtype=object), dtype=dtypes.string)

    def _label_ids(self, labels: Tensor) -> Tensor:
        """Integer labels as they are; string labels -> their vocabulary index (-1 if absent).

        TF looks them up in a hash table (``class_id_lookup``); comparing against the
        vocabulary gives the same ids.
        """
        if self._vocabulary is None:
            if not labels.dtype.is_integer:
                raise ValueError(f"Labels dtype should be integer. Instead got {labels.dtype}.")
            return labels
        if labels.dtype != dtypes.string:
            raise ValueError(
                "Labels dtype should be string if there is a vocabulary. Instead got "
                f"{labels.dtype}"
            )
        with get_default_graph().name_scope("class_id_lookup"):
            names = self._class_names()
            hits = math_ops.cast(
                math_ops.equal(array_ops.expand_dims(labels, -1), names), dtypes.int32
            )
            ids = math_ops.argmax(hits, axis=-1)
            found = math_ops.greater(math_ops.reduce_max(hits, axis=-1), 0)
            missing = array_ops.fill(array_ops.shape(ids), np.int64(-1))
            return array_ops.where(found, ids, missing)

    def _class_outputs(
        self, logits: Tensor, scores_logits: Tensor, probabilities: Tensor
    ) -> dict[str, Tensor]:
        class_ids = math_ops.argmax(scores_logits, axis=-1, name="class_ids")
        class_ids = array_ops.expand_dims(class_ids, axis=-1)
        all_class_ids = _tiled_classes(logits, self._n_classes, None)
        all_classes = _tiled_classes(logits, self._n_classes, self._class_names())
        if self._vocabulary is None:
            classes = string_ops.as_string(class_ids, name="str_classes")
        else:
            classes = array_ops.gather(self._class_names(), class_ids, name="class_string_lookup")
        return {
            "logits": logits,
            "probabilities": probabilities,
            "class_ids": class_ids,
            "classes": classes,
            "all_class_ids": all_class_ids,
            "all_classes": all_classes,
        }

    def _classification_output(self, scores: Tensor) -> Any:
        classes = _tiled_classes(scores, self._n_classes, self._class_names())
        return export_lib.ClassificationOutput(scores=scores, classes=classes)


class _BinaryHead(_ClassificationHead):
    logits_dimension = 1

    def _predictions(self, logits: Tensor) -> tuple[dict[str, Tensor], dict[str, Any]]:
        with get_default_graph().name_scope("predictions"):
            logistic = math_ops.sigmoid(logits, name="logistic")
            two_class = array_ops.concat(
                [array_ops.zeros_like(logits), logits], axis=-1, name="two_class_logits"
            )
            probabilities = math_ops.softmax(two_class, name="probabilities")
            predictions = self._class_outputs(logits, two_class, probabilities)
            predictions["logistic"] = logistic
        classifier = self._classification_output(probabilities)
        return predictions, {
            DEFAULT_SERVING_SIGNATURE_DEF_KEY: classifier,
            CLASSIFY_SERVING_KEY: classifier,
            REGRESS_SERVING_KEY: export_lib.RegressionOutput(value=logistic),
            PREDICT_SERVING_KEY: export_lib.PredictOutput(predictions),
        }

    def _unreduced_loss(self, labels: Tensor, logits: Tensor) -> tuple[Tensor, Tensor]:
        if self._vocabulary is not None:
            labels = self._label_ids(labels)
        labels = _assert_range(math_ops.cast(labels, dtypes.float32), 2)
        return labels, xent_ops.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)

    def _eval_metric_ops(self, predictions: dict[str, Tensor], loss: LossSpec) -> dict[str, Any]:
        labels, weights = loss.processed_labels, loss.weights
        w = None if isinstance(weights, float) else weights
        class_ids, logistic = predictions["class_ids"], predictions["logistic"]
        with get_default_graph().name_scope("metrics"):
            label_mean = _mean_metric(labels, weights, "label/mean")
            ops = {
                "average_loss": metrics_lib.mean(loss.unreduced_loss, w, name="average_loss"),
                "accuracy": metrics_lib.accuracy(labels, class_ids, w, name="accuracy"),
                "precision": metrics_lib.precision(labels, class_ids, w, name="precision"),
                "recall": metrics_lib.recall(labels, class_ids, w, name="recall"),
                "prediction/mean": _mean_metric(logistic, weights, "prediction/mean"),
                "label/mean": label_mean,
                "accuracy_baseline": _accuracy_baseline(label_mean),
            }
            auc = getattr(metrics_lib, "auc", None)
            if auc is not None:
                for key, curve in (("auc", "ROC"), ("auc_precision_recall", "PR")):
                    ops[key] = auc(
                        labels=labels,
                        predictions=math_ops.cast(logistic, dtypes.float32),
                        weights=_broadcast(weights, logistic),
                        curve=curve,
                        name=key,
                    )
        return {self._key(k): v for k, v in ops.items()}


def _accuracy_baseline(label_mean: Any) -> Any:
    value, update = label_mean
    with get_default_graph().name_scope("accuracy_baseline"):
        return (
            math_ops.maximum(value, math_ops.subtract(1.0, value), name="value"),
            math_ops.maximum(update, math_ops.subtract(1.0, update), name="update_op"),
        )


class _MultiClassHead(_ClassificationHead):
    @property
    def logits_dimension(self) -> int:  # type: ignore[override]
        return self._n_classes

    def _predictions(self, logits: Tensor) -> tuple[dict[str, Tensor], dict[str, Any]]:
        with get_default_graph().name_scope("predictions"):
            probabilities = math_ops.softmax(logits, name="probabilities")
            predictions = self._class_outputs(logits, logits, probabilities)
        classifier = self._classification_output(probabilities)
        return predictions, {
            DEFAULT_SERVING_SIGNATURE_DEF_KEY: classifier,
            CLASSIFY_SERVING_KEY: classifier,
            PREDICT_SERVING_KEY: export_lib.PredictOutput(predictions),
        }

    def _unreduced_loss(self, labels: Tensor, logits: Tensor) -> tuple[Tensor, Tensor]:
        labels = _assert_range(self._label_ids(labels), self._n_classes)
        loss = losses.sparse_softmax_cross_entropy(labels, logits, reduction=Reduction.NONE)
        return labels, array_ops.expand_dims(loss, -1)

    def _eval_metric_ops(self, predictions: dict[str, Tensor], loss: LossSpec) -> dict[str, Any]:
        w = None if isinstance(loss.weights, float) else loss.weights
        with get_default_graph().name_scope("metrics"):
            ops = {
                "average_loss": metrics_lib.mean(loss.unreduced_loss, w, name="average_loss"),
                "accuracy": metrics_lib.accuracy(
                    loss.processed_labels, predictions["class_ids"], w, name="accuracy"
                ),
            }
        return {self._key(k): v for k, v in ops.items()}


class _RegressionHead(_Head):
    def __init__(
        self, label_dimension: int, weight_column: Any, loss_reduction: str, name: str | None
    ) -> None:
        if label_dimension < 1:
            raise ValueError(f"Invalid label_dimension {label_dimension}.")
        super().__init__(weight_column, loss_reduction, name)
        self._dimension = label_dimension

    @property
    def logits_dimension(self) -> int:  # type: ignore[override]
        return self._dimension

    def _label_dimension(self) -> int:
        return self._dimension

    def _predictions(self, logits: Tensor) -> tuple[dict[str, Tensor], dict[str, Any]]:
        predictions = {"predictions": logits}
        regression = export_lib.RegressionOutput(value=logits)
        return predictions, {
            DEFAULT_SERVING_SIGNATURE_DEF_KEY: regression,
            REGRESS_SERVING_KEY: regression,
            PREDICT_SERVING_KEY: export_lib.PredictOutput(predictions),
        }

    def _unreduced_loss(self, labels: Tensor, logits: Tensor) -> tuple[Tensor, Tensor]:
        labels = math_ops.cast(labels, dtypes.float32)
        return labels, losses.mean_squared_error(labels, logits, reduction=Reduction.NONE)

    def _eval_metric_ops(self, predictions: dict[str, Tensor], loss: LossSpec) -> dict[str, Any]:
        w = None if isinstance(loss.weights, float) else loss.weights
        ops = {
            "average_loss": metrics_lib.mean(loss.unreduced_loss, w),
            "prediction/mean": _mean_metric(
                predictions["predictions"], loss.weights, "prediction/mean"
            ),
            "label/mean": metrics_lib.mean(loss.processed_labels, w),
        }
        return {self._key(k): v for k, v in ops.items()}


def binary_classification_head(
    weight_column: Any = None,
    label_vocabulary: Any = None,
    loss_reduction: str = Reduction.SUM,
    name: str | None = None,
) -> _Head:
    """Sigmoid cross-entropy head for two classes (logits of width 1).

    Raises:
        ValueError: for an invalid ``loss_reduction`` (TF's message).
    """
    return _BinaryHead(2, weight_column, label_vocabulary, loss_reduction, name)


def multi_class_head(
    n_classes: int,
    weight_column: Any = None,
    label_vocabulary: Any = None,
    loss_reduction: str = Reduction.SUM,
    name: str | None = None,
) -> _Head:
    """Softmax cross-entropy head for ``n_classes > 2`` classes.

    Raises:
        ValueError: for ``n_classes <= 2`` or an invalid ``loss_reduction`` (TF's messages).
    """
    if n_classes is None:
        raise ValueError("n_classes cannot be None")
    if n_classes <= 2:
        raise ValueError(f"n_classes must be > 2: {n_classes}.")
    return _MultiClassHead(n_classes, weight_column, label_vocabulary, loss_reduction, name)


def regression_head(
    weight_column: Any = None,
    label_dimension: int = 1,
    loss_reduction: str = Reduction.SUM,
    name: str | None = None,
) -> _Head:
    """Mean-squared-error head predicting ``label_dimension`` values.

    Raises:
        ValueError: for ``label_dimension < 1`` or an invalid ``loss_reduction``.
    """
    return _RegressionHead(label_dimension, weight_column, loss_reduction, name)


def classification_head(
    n_classes: int, weight_column: Any, label_vocabulary: Any, loss_reduction: str
) -> _Head:
    """The binary head for ``n_classes == 2``, else the multi-class head (TF's choice)."""
    if n_classes == 2:
        return binary_classification_head(weight_column, label_vocabulary, loss_reduction)
    return multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction)
