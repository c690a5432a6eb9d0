"""Confusion-cell counts (``true_positives`` ...) and ``precision``/``recall`` (TF1 metrics).

A count metric keeps one float ``count`` metric variable; its value is an ``Identity`` of
the variable and its update op adds the (weighted) number of matching cells.
"""

from __future__ import annotations

from typing import Any

from stowflow import dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph.builder import apply_op, convert_to_tensor
from stowflow.graph.core import Tensor
from stowflow.graph.variables import assign_add, variable_scope
from stowflow.metrics import _util as u

# cell -> (label value, prediction value) that a prediction must have to count
_CELLS = {
    "true_positives": (True, True),
    "false_positives": (False, True),
    "true_negatives": (False, False),
    "false_negatives": (True, False),
}


def _assert_rank_in(weights: Tensor, values: Tensor) -> Any:
    """``check_ops.assert_rank_in(weights, (0, rank(values)))`` when ranks are static.

    Raises:
        ValueError: when the weights' rank is neither 0 nor the values' rank.
    """
    rank = g.rank(values)
    graph = weights.graph
    with graph.name_scope("assert_rank_in"):
        g.const(0, dtype=dtypes.int32, name="rank")
        g.shape(weights)  # TF's message data
        for i in range(2):  # assert_type(rank, int32) for each allowed rank
            with graph.name_scope("assert_type" if i == 0 else f"assert_type_{i}"):
                apply_op("NoOp", {}, None, name="statically_determined_correct_type")
        w_rank, v_rank = weights.shape.ndims, values.shape.ndims
        if w_rank is None or v_rank is None:
            return None
        if w_rank not in (0, v_rank):
            raise ValueError("Static rank condition failed", w_rank, (0, v_rank))
        del rank
        return apply_op("NoOp", {}, None, name="static_checks_determined_all_ok")


def _count_condition(
    values: Tensor, weights: Tensor | None, metrics_collections: Any, updates_collections: Any
) -> tuple[Tensor, Tensor]:
    with values.graph.name_scope("assert_type"):  # check_ops.assert_type, decided statically
        apply_op("NoOp", {}, None, name="statically_determined_correct_type")
    count = u.metric_variable([], dtypes.float32, name="count")
    values_f = g.cast(values, dtypes.float32)
    if weights is not None:
        check = _assert_rank_in(weights, values_f)
        with g.control_dependencies([check] if check is not None else []):
            weights_f = g.cast(weights, dtypes.float32)
            values_f = g.mul(values_f, weights_f, name="Mul")
    value = u.aggregate(metrics_collections, lambda c: g.identity(convert_to_tensor(c)), count)
    update_op = assign_add(count, u.reduce_all(values_f))
    u.add_updates(updates_collections, update_op)
    return value, update_op


def _bool_inputs(labels: Any, predictions: Any, weights: Any) -> tuple[Tensor, Tensor, Any]:
    predictions_b = g.cast(convert_to_tensor(predictions), dtypes.bool)
    labels_b = g.cast(convert_to_tensor(labels), dtypes.bool)
    predictions_t, labels_t, weights_t = u.prepare(predictions_b, labels_b, weights)
    if labels_t is None:  # pragma: no cover - prepare returns labels when given
        raise ValueError("labels must not be None")
    return labels_t, predictions_t, weights_t


def _cell_metric(cell: str) -> Any:
    label_value, prediction_value = _CELLS[cell]

    def metric(
        labels: Any,
        predictions: Any,
        weights: Any = None,
        metrics_collections: Any = None,
        updates_collections: Any = None,
        name: str | None = None,
    ) -> tuple[Tensor, Tensor]:
        with variable_scope(name, cell, (predictions, labels, weights)):
            labels_t, predictions_t, weights_t = _bool_inputs(labels, predictions, weights)
            is_cell = g.op(
                "LogicalAnd",
                {
                    "x": g.binary("Equal", labels_t, label_value, "Equal"),
                    "y": g.binary("Equal", predictions_t, prediction_value, "Equal"),
                },
            )
            return _count_condition(is_cell, weights_t, metrics_collections, updates_collections)

    metric.__name__ = cell
    metric.__doc__ = (
        f"``tf.metrics.{cell}``: the (weighted) number of elements with label "
        f"{label_value} and prediction {prediction_value}.\n\n"
        "Returns:\n    ``(count, update_op)``.\n\n"
        "Raises:\n    ValueError: for incompatible static shapes or weight ranks.\n"
    )
    return metric


true_positives = _cell_metric("true_positives")
false_positives = _cell_metric("false_positives")
true_negatives = _cell_metric("true_negatives")
false_negatives = _cell_metric("false_negatives")


def _ratio(hit: Tensor, miss: Tensor, name: str) -> Tensor:
    """``where(hit + miss > 0, hit / (hit + miss), 0, name)``."""
    positive = g.binary("Greater", g.binary("AddV2", hit, miss, "add"), 0.0, "Greater")
    quotient = g.binary("RealDiv", hit, g.binary("AddV2", hit, miss, "add"), "truediv")
    return g.op("Select", {"condition": positive, "t": quotient, "e": 0.0}, None, name)


def _ratio_metric(default_name: str, miss_cell: Any) -> Any:
    def metric(
        labels: Any,
        predictions: Any,
        weights: Any = None,
        metrics_collections: Any = None,
        updates_collections: Any = None,
        name: str | None = None,
    ) -> tuple[Tensor, Tensor]:
        with variable_scope(name, default_name, (predictions, labels, weights)):
            labels_t, predictions_t, weights_t = _bool_inputs(labels, predictions, weights)
            hit, hit_update = true_positives(labels_t, predictions_t, weights_t)
            miss, miss_update = miss_cell(labels_t, predictions_t, weights_t)
            value = u.aggregate(metrics_collections, lambda h, m: _ratio(h, m, "value"), hit, miss)
            update_op = _ratio(hit_update, miss_update, "update_op")
            u.add_updates(updates_collections, update_op)
            return value, update_op

    metric.__name__ = default_name
    return metric


precision = _ratio_metric("precision", false_positives)
precision.__doc__ = """``tf.metrics.precision``: ``tp / (tp + fp)`` over every batch seen (0 if none).

Returns:
    ``(precision, update_op)`` in scope ``precision``.

Raises:
    ValueError: for incompatible static shapes.
"""
recall = _ratio_metric("recall", false_negatives)
recall.__doc__ = """``tf.metrics.recall``: ``tp / (tp + fn)`` over every batch seen (0 if none).

Returns:
    ``(recall, update_op)`` in scope ``recall``.

Raises:
    ValueError: for incompatible static shapes.
"""
