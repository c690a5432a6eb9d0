"""Metrics over a confusion matrix at thresholds: ``auc``, ``precision_at_thresholds``,
``recall_at_thresholds`` (TF's ``_confusion_matrix_at_thresholds``).

Predictions in [0, 1] are compared against every threshold at once: predictions and
labels are tiled to ``[num_thresholds, N]``, and each requested cell (``tp``, ``fn``,
``tn``, ``fp``) is a ``[num_thresholds]`` metric variable summed over the batch.

TF guards the predictions with ``assert_greater_equal``/``assert_less_equal`` (a
``tf.cond`` around an ``Assert``); stowflow builds the graph without those run-time
checks, so predictions outside [0, 1] are counted instead of raising.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph.array_ops import strided_slice_from_key
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph
from stowflow.graph.variables import assign_add, variable_scope
from stowflow.metrics import _util as u

_logger = logging.getLogger("tensorflow")
_CELL_ORDER = ("tp", "fn", "tn", "fp")
# cell -> (variable name, label is positive, prediction is positive)
_CELLS = {
    "tp": ("true_positives", True, True),
    "fn": ("false_negatives", True, False),
    "tn": ("true_negatives", False, False),
    "fp": ("false_positives", False, True),
}


def _range_bounds_consts(predictions: Tensor) -> None:
    """``math_ops.cast(0.0|1.0, predictions.dtype)``: the bounds TF's asserts compare to
    (built for name parity; the asserts themselves are not)."""
    graph = get_default_graph()
    for bound in (0.0, 1.0):
        with graph.name_scope("Cast") as scope:
            g.cast(g.const(np.float32(bound), name="x"), predictions.dtype.base_dtype, name=scope)


def _tiled_comparisons(
    predictions: Tensor, labels: Tensor, thresholds: list[float], includes: set[str]
) -> dict[str, Tensor]:
    """``pred_is_pos``/``pred_is_neg``/``label_is_pos``/``label_is_neg`` as TF builds them."""
    n = len(thresholds)
    predictions_2d = g.reshape(predictions, [-1, 1])
    labels_2d = g.reshape(g.cast(labels, dtypes.bool), [1, -1])
    num_predictions: Any = predictions_2d.shape.as_list()[0]
    if num_predictions is None:
        shape = g.op("Shape", {"input": predictions_2d}, {"out_type": dtypes.int32})
        num_predictions = strided_slice_from_key(shape, 0)
    column = g.const(np.array(thresholds, np.float32))
    expanded = g.op("ExpandDims", {"input": column, "dim": [1]}, {"Tdim": dtypes.int32})
    if isinstance(num_predictions, Tensor):
        multiples: Any = g.pack([1, num_predictions])
    else:
        multiples = g.const(np.array([1, num_predictions], np.int32), name="stack")
    thresh_tiled = g.tile(expanded, multiples)
    tiled_predictions = g.tile(g.transpose(predictions_2d, [1, 0]), [n, 1])
    out = {"pred_pos": g.op("Greater", {"x": tiled_predictions, "y": thresh_tiled})}
    if {"fn", "tn"} & includes:
        out["pred_neg"] = g.op("LogicalNot", {"x": out["pred_pos"]})
    out["label_pos"] = g.tile(labels_2d, [n, 1])
    if {"fp", "tn"} & includes:
        out["label_neg"] = g.op("LogicalNot", {"x": out["label_pos"]})
    return out


def confusion_matrix_at_thresholds(
    labels: Any,
    predictions: Any,
    thresholds: list[float],
    weights: Any = None,
    includes: tuple[str, ...] | None = None,
) -> tuple[dict[str, Any], dict[str, Tensor]]:
    """TF's ``_confusion_matrix_at_thresholds``: cell variables and their update ops.

    Raises:
        ValueError: for an unknown cell key or incompatible static shapes.
    """
    includes = _CELL_ORDER if includes is None else includes
    for key in includes:
        if key not in _CELL_ORDER:
            raise ValueError(f"Invalid key: {key}")
    predictions_t0 = convert_to_tensor(predictions)
    _range_bounds_consts(predictions_t0)
    predictions_f = g.cast(predictions_t0, dtypes.float32)
    labels_b = g.cast(convert_to_tensor(labels), dtypes.bool)
    predictions_t, labels_t, weights_t = u.prepare(predictions_f, labels_b, weights)
    if labels_t is None:  # pragma: no cover - prepare returns labels when given
        raise ValueError("labels must not be None")
    n = len(thresholds)
    compared = _tiled_comparisons(predictions_t, labels_t, thresholds, set(includes))
    weights_tiled = None
    if weights_t is not None:
        broadcast = u.float_weights(weights_t, predictions_t)
        weights_tiled = g.tile(g.reshape(broadcast, [1, -1]), [n, 1])
    values: dict[str, Any] = {}
    updates: dict[str, Tensor] = {}
    for key in _CELL_ORDER:
        if key not in includes:
            continue
        var_name, label_pos, pred_pos = _CELLS[key]
        variable = u.metric_variable([n], dtypes.float32, name=var_name)
        label = compared["label_pos" if label_pos else "label_neg"]
        pred = compared["pred_pos" if pred_pos else "pred_neg"]
        hits = g.cast(g.op("LogicalAnd", {"x": label, "y": pred}), dtypes.float32)
        if weights_tiled is not None:
            hits = g.mul(hits, weights_tiled, name="mul")
        updates[key] = assign_add(variable, g.reduce_sum(hits, 1, keepdims=False))
        values[key] = variable
    return values, updates


def _heads_tails(t: Tensor, n: int) -> tuple[Tensor, Tensor]:
    """``t[:n - 1], t[1:]``."""
    return strided_slice_from_key(t, slice(None, n - 1)), strided_slice_from_key(t, slice(1, None))


_EPSILON = 1.0e-6


def _trapezoids(x: Tensor, y: Tensor, n: int, summation_method: str, name: str) -> Tensor:
    x_head, x_tail = _heads_tails(x, n)
    widths = g.binary("Sub", x_head, x_tail, "sub")
    y_head, y_tail = _heads_tails(y, n)
    if summation_method in ("trapezoidal", "careful_interpolation"):
        heights = g.binary("RealDiv", g.binary("AddV2", y_head, y_tail, "add"), 2.0, "truediv")
    elif summation_method == "minoring":
        heights = g.op("Minimum", {"x": y_head, "y": y_tail})
    else:
        heights = g.op("Maximum", {"x": y_head, "y": y_tail})
    return g.reduce_sum(g.mul(widths, heights), _axes_of(widths), keepdims=False, name=name)


def _axes_of(t: Tensor) -> Tensor:
    return g.const(np.arange(t.shape.ndims or 1, dtype=np.int32), name="Const")


def _read(v: Any) -> Tensor:
    return convert_to_tensor(v)


def _interpolate_pr_auc(tp: Any, fp: Any, fn: Any, n: int) -> Tensor:
    """TF's careful interpolation of the PR curve (Davis & Goadrich, 2006)."""
    tp_t, fp_t, fn_t = _read(tp), _read(fp), _read(fn)
    tp_head, tp_tail = _heads_tails(tp_t, n)
    dtp = g.binary("Sub", tp_head, tp_tail, "sub")
    p = g.binary("AddV2", tp_t, fp_t, "add")
    p_head, p_tail = _heads_tails(p, n)
    p_diff = g.binary("Maximum", g.binary("Sub", p_head, p_tail, "sub"), 0.0, "Maximum")
    prec_slope = g.op("DivNoNan", {"x": dtp, "y": p_diff}, None, "prec_slope")
    tp_tail2 = strided_slice_from_key(tp_t, slice(1, None))
    p_tail2 = strided_slice_from_key(p, slice(1, None))
    intercept = g.binary("Sub", tp_tail2, g.mul(prec_slope, p_tail2), "sub")
    p_head3 = strided_slice_from_key(p, slice(None, n - 1))
    head_pos = g.binary("Greater", p_head3, 0.0, "Greater")
    p_tail3 = strided_slice_from_key(p, slice(1, None))
    tail_pos = g.binary("Greater", p_tail3, 0.0, "Greater")
    both = g.op("LogicalAnd", {"x": head_pos, "y": tail_pos})
    p_head4 = strided_slice_from_key(p, slice(None, n - 1))
    p_tail4 = strided_slice_from_key(p, slice(1, None))
    ratio = g.op(
        "DivNoNan",
        {"x": p_head4, "y": g.binary("Maximum", p_tail4, 0.0, "Maximum")},
        None,
        "recall_relative_ratio",
    )
    ones = g.ones_like(strided_slice_from_key(p, slice(1, None)))
    safe_ratio = g.op("Select", {"condition": both, "t": ratio, "e": ones})
    log_term = g.mul(intercept, g.unary("Log", safe_ratio), name="mul")
    numerator = g.mul(prec_slope, g.binary("AddV2", dtp, log_term, "add"), name="mul")
    tp_t1 = strided_slice_from_key(tp_t, slice(1, None))
    fn_t1 = strided_slice_from_key(fn_t, slice(1, None))
    positives = g.binary("Maximum", g.binary("AddV2", tp_t1, fn_t1, "add"), 0.0, "Maximum")
    increments = g.op("DivNoNan", {"x": numerator, "y": positives}, None, "pr_auc_increment")
    return g.reduce_sum(increments, _axes_of(increments), keepdims=False, name="interpolate_pr_auc")


def _rate(num: Any, other: Any, plus_eps_num: bool) -> Tensor:
    """``(num [+ eps]) / (num + other + eps)`` (``math_ops.divide``)."""
    num_t, other_t = _read(num), _read(other)
    top = g.binary("AddV2", num_t, _EPSILON, "add") if plus_eps_num else num_t
    bottom = g.binary("AddV2", g.binary("AddV2", num_t, other_t, "add"), _EPSILON, "add")
    return g.binary("RealDiv", top, bottom, "truediv")


def _compute_auc(
    cells: dict[str, Any], n: int, curve: str, summation_method: str, name: str
) -> Tensor:
    if curve == "PR" and summation_method == "careful_interpolation":
        return _interpolate_pr_auc(cells["tp"], cells["fp"], cells["fn"], n)
    if curve == "PR" and summation_method == "trapezoidal":
        _logger.warning(
            "Trapezoidal rule is known to produce incorrect PR-AUCs; please switch to "
            '"careful_interpolation" instead.'
        )
    rec = _rate(cells["tp"], cells["fn"], True)
    if curve == "ROC":
        x, y = _rate(cells["fp"], cells["tn"], False), rec
    else:
        x, y = rec, _rate(cells["tp"], cells["fp"], True)
    return _trapezoids(x, y, n, summation_method, name)


_SUMMATION_METHODS = ("trapezoidal", "careful_interpolation", "minoring", "majoring")


def auc(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    num_thresholds: int = 200,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    curve: str = "ROC",
    name: str | None = None,
    summation_method: str = "trapezoidal",
    thresholds: list[float] | None = None,
) -> tuple[Tensor, Tensor]:
    """``tf.metrics.auc``: area under the ROC or PR curve, approximated at thresholds.

    Args:
        labels: ground truth, cast to bool.
        predictions: floats in [0, 1].
        weights: None, a scalar, or broadcastable to ``predictions``.
        num_thresholds: thresholds evenly spaced in (0, 1), plus one just outside each end.
        curve: ``"ROC"`` or ``"PR"``.
        summation_method: ``trapezoidal``, ``careful_interpolation`` (PR), ``minoring``
            or ``majoring``.
        thresholds: explicit thresholds instead of ``num_thresholds``.

    Returns:
        ``(auc, update_op)``; the local variables ``true_positives``,
        ``false_negatives``, ``true_negatives``, ``false_positives`` live in scope ``auc``.

    Raises:
        ValueError: for an unknown curve or summation method, or incompatible shapes.
    """
    with variable_scope(name, "auc", (labels, predictions, weights)):
        if curve not in ("ROC", "PR"):
            raise ValueError(f"Curve must be either ROC or PR. Curve {curve} is unknown.")
        if summation_method not in _SUMMATION_METHODS:
            raise ValueError(
                f"Invalid summation_method: {summation_method} summation_method should be "
                "'trapezoidal', 'careful_interpolation', 'minoring', or 'majoring'."
            )
        kepsilon = 1e-7
        if thresholds is not None:
            inner = sorted(thresholds)
            num_thresholds = len(inner) + 2
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        points = [0.0 - kepsilon, *inner, 1.0 + kepsilon]
        values, updates = confusion_matrix_at_thresholds(labels, predictions, points, weights)
        value = u.aggregate(
            metrics_collections,
            lambda cells: _compute_auc(cells, num_thresholds, curve, summation_method, "value"),
            values,
        )
        update_op = _compute_auc(updates, num_thresholds, curve, summation_method, "update_op")
        u.add_updates(updates_collections, update_op)
        return value, update_op


def _at_thresholds(default_name: str, other: str) -> Any:
    def metric(
        labels: Any,
        predictions: Any,
        thresholds: list[float],
        weights: Any = None,
        metrics_collections: Any = None,
        updates_collections: Any = None,
        name: str | None = None,
    ) -> tuple[Tensor, Tensor]:
        with variable_scope(name, default_name, (predictions, labels, weights)):
            values, updates = confusion_matrix_at_thresholds(
                labels, predictions, list(thresholds), weights, includes=("tp", other)
            )
            prefix = default_name.split("_", 1)[0]

            def ratio(tp: Any, miss: Any, suffix: str) -> Tensor:
                tp_t = _read(tp)
                bottom = g.binary("AddV2", g.binary("AddV2", 1e-7, tp_t, "add"), _read(miss), "add")
                return g.binary("RealDiv", tp_t, bottom, f"{prefix}_{suffix}")

            value = u.aggregate(
                metrics_collections, lambda v: ratio(v["tp"], v[other], "value"), values
            )
            update_op = ratio(updates["tp"], updates[other], "update_op")
            u.add_updates(updates_collections, update_op)
            return value, update_op

    metric.__name__ = default_name
    metric.__doc__ = (
        f"``tf.metrics.{default_name}``: ``tp / (tp + {other} + 1e-7)`` at each threshold.\n\n"
        "Returns:\n    ``(values, update_op)``, both of shape ``[len(thresholds)]``.\n\n"
        "Raises:\n    ValueError: for incompatible static shapes.\n"
    )
    return metric


precision_at_thresholds = _at_thresholds("precision_at_thresholds", "fp")
recall_at_thresholds = _at_thresholds("recall_at_thresholds", "fn")
