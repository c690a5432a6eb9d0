"""TF1 streaming metrics built on sums of values: ``mean`` and the metrics derived from it.

Each metric opens ``variable_scope(name, default)``, keeps its running state in local
metric variables (LOCAL_VARIABLES + METRIC_VARIABLES, TF's names), and returns
``(value, update_op)``: ``value`` reads the state, ``update_op`` folds in one batch and
returns the new value. Graphs follow TF's ``metrics_impl.py`` node for node.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph
from stowflow.graph.variables import assign_add, variable_scope
from stowflow.metrics import _util as u


def _mean_value(total: Any, count: Any, name: str) -> Tensor:
    """``div_no_nan(total, maximum(count, 0), name)``."""
    total_t, count_t = convert_to_tensor(total), convert_to_tensor(count)
    return u.safe_div(total_t, g.binary("Maximum", count_t, 0.0, "Maximum"), name)


def mean(
    values: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """``tf.metrics.mean``: the (weighted) mean of every value seen so far.

    Args:
        values: a numeric tensor of any shape.
        weights: None, a scalar, or a tensor broadcastable to ``values``.
        metrics_collections: collections to add the value tensor to.
        updates_collections: collections to add the update op to.
        name: variable scope name (default ``mean``).

    Returns:
        ``(mean, update_op)``; ``mean`` is ``total / count`` (0 before any update).

    Raises:
        ValueError: when ``weights`` cannot broadcast to ``values`` statically.

    Example:
        >>> m, update = mean(tf.constant([1.0, 3.0]))  # after sess.run(update): m == 2.0
    """
    with variable_scope(name, "mean", (values, weights)):
        values_t = g.cast(convert_to_tensor(values), dtypes.float32)
        total = u.metric_variable([], dtypes.float32, name="total")
        count = u.metric_variable([], dtypes.float32, name="count")
        if weights is None:
            num_values = g.cast(g.size(values_t), dtypes.float32)
        else:
            values_t, _, weights_t = u.prepare(values_t, None, weights)
            weights_t = u.float_weights(weights_t, values_t)
            values_t = g.mul(values_t, weights_t, name="Mul")
            num_values = u.reduce_all(weights_t)
        update_total = assign_add(total, u.reduce_all(values_t))
        with g.control_dependencies([values_t]):
            update_count = assign_add(count, num_values)
        value = u.aggregate(
            metrics_collections, lambda t, c: _mean_value(t, c, "value"), total, count
        )
        update_op = _mean_value(update_total, update_count, "update_op")
        u.add_updates(updates_collections, update_op)
        return value, update_op


def _errors_mean(
    errors_fn: Any,
    default_name: str,
    labels: Any,
    predictions: Any,
    weights: Any,
    metrics_collections: Any,
    updates_collections: Any,
    name: str | None,
) -> tuple[Tensor, Tensor]:
    """``mean`` of ``errors_fn(labels, predictions)`` after TF's squeezing."""
    predictions_t, labels_t, weights_t = u.prepare(predictions, labels, weights)
    errors = errors_fn(labels_t, predictions_t)
    return mean(errors, weights_t, metrics_collections, updates_collections, name or default_name)


def _is_correct(labels: Tensor, predictions: Tensor) -> Tensor:
    if labels.dtype.base_dtype != predictions.dtype.base_dtype:
        predictions = g.cast(predictions, labels.dtype.base_dtype)
    equal = g.op("Equal", {"x": predictions, "y": labels}, {"incompatible_shape_error": True})
    return g.cast(equal, dtypes.float32)


def _absolute_error(labels: Tensor, predictions: Tensor) -> Tensor:
    return g.unary("Abs", g.binary("Sub", predictions, labels, "sub"))


def _squared_error(labels: Tensor, predictions: Tensor) -> Tensor:
    return g.op("SquaredDifference", {"x": labels, "y": predictions})


def accuracy(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """``tf.metrics.accuracy``: the (weighted) fraction of predictions equal to labels.

    Returns:
        ``(accuracy, update_op)`` in scope ``accuracy``.

    Raises:
        ValueError: for incompatible static shapes.
    """
    return _errors_mean(
        _is_correct, "accuracy", labels, predictions, weights,
        metrics_collections, updates_collections, name,
    )  # fmt: skip


def mean_absolute_error(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """``tf.metrics.mean_absolute_error``: running mean of ``|predictions - labels|``.

    Raises:
        ValueError: for incompatible static shapes.
    """
    return _errors_mean(
        _absolute_error, "mean_absolute_error", labels, predictions, weights,
        metrics_collections, updates_collections, name,
    )  # fmt: skip


def mean_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """``tf.metrics.mean_squared_error``: running mean of ``(labels - predictions)**2``.

    Raises:
        ValueError: for incompatible static shapes.
    """
    return _errors_mean(
        _squared_error, "mean_squared_error", labels, predictions, weights,
        metrics_collections, updates_collections, name,
    )  # fmt: skip


def root_mean_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """``tf.metrics.root_mean_squared_error``: ``sqrt`` of the running mean squared error.

    Raises:
        ValueError: for incompatible static shapes.
    """
    predictions_t, labels_t, weights_t = u.prepare(predictions, labels, weights)
    mse, update_mse = mean_squared_error(
        labels_t, predictions_t, weights_t, None, None, name or "root_mean_squared_error"
    )
    rmse = u.aggregate(metrics_collections, lambda m: g.unary("Sqrt", m), mse)
    update_op = g.unary("Sqrt", update_mse)
    u.add_updates(updates_collections, update_op)
    return rmse, update_op


def _flat(t: Tensor) -> Tensor:
    """``reshape(t, [-1])`` when ``t`` has rank above 1."""
    return g.reshape(t, [-1]) if (t.shape.ndims or 0) > 1 else t


def _ones_of_size(n: Tensor) -> Tensor:
    """``array_ops.ones([n], float32)`` for a scalar tensor ``n``."""
    graph = get_default_graph()
    with graph.name_scope("ones") as scope:
        packed = g.op("Pack", {"values": [n]}, {"axis": 0}, "packed")
        one = g.const(np.float32(1.0))
        return g.op("Fill", {"dims": packed, "value": one}, None, scope)


def mean_per_class_accuracy(
    labels: Any,
    predictions: Any,
    num_classes: int,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """``tf.metrics.mean_per_class_accuracy``: the mean over classes of each class's
    (weighted) accuracy; ``total``/``count`` are ``[num_classes]`` variables.

    Raises:
        ValueError: for incompatible static shapes.
    """
    with variable_scope(name, "mean_accuracy", (predictions, labels, weights)):
        labels_t = _flat(g.cast(convert_to_tensor(labels), dtypes.int64))
        predictions_t = _flat(convert_to_tensor(predictions))
        if not predictions_t.shape.is_compatible_with(labels_t.shape):
            raise ValueError(f"Shapes {predictions_t.shape} and {labels_t.shape} are incompatible")
        total = u.metric_variable([num_classes], dtypes.float32, name="total")
        count = u.metric_variable([num_classes], dtypes.float32, name="count")
        ones = _ones_of_size(g.size(labels_t))
        is_correct = _is_correct(labels_t, predictions_t)
        if weights is not None:
            weights_t = g.cast(_flat(convert_to_tensor(weights)), dtypes.float32)
            is_correct = g.mul(is_correct, weights_t, name="mul")
            ones = g.mul(ones, weights_t, name="mul")
        update_total = _scatter_add(total, labels_t, ones)
        update_count = _scatter_add(count, labels_t, is_correct)

        def mean_accuracy(c: Any, t: Any) -> Tensor:
            per_class = u.safe_div(
                convert_to_tensor(c),
                g.binary("Maximum", convert_to_tensor(t), 0.0, "Maximum"),
                "div_no_nan",
            )
            axes = g.const(np.arange(1, dtype=np.int32), name="Const")
            return g.op(
                "Mean",
                {"input": per_class, "reduction_indices": axes},
                {"keep_dims": False},
                "mean_accuracy",
            )

        value = u.aggregate(metrics_collections, mean_accuracy, count, total)
        update_op = _mean_value(update_count, update_total, "update_op")
        u.add_updates(updates_collections, update_op)
        return value, update_op


def _scatter_add(variable: Any, indices: Tensor, updates: Tensor) -> Tensor:
    """``state_ops.scatter_add`` on a reference variable."""
    out = g.op(
        "ScatterAdd",
        {"ref": variable._ref(), "indices": indices, "updates": updates},
        {"use_locking": False},
    )
    out.set_shape(variable.get_shape())
    return out
