"""Shared pieces of TF1 metrics: metric variables, squeezing and weights.

Mirrors TF's ``metrics_impl`` helpers and ``confusion_matrix.remove_squeezable_dimensions``
for statically known ranks (TF builds a ``tf.cond`` for unknown ranks; those inputs are
left as they are here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph
from stowflow.graph.shape import TensorShape
from stowflow.graph.variables import Variable
from stowflow.graph.weights_broadcast_ops import broadcast_weights

METRIC_COLLECTIONS = [GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES]


def metric_variable(
    shape: list[int], dtype: Any, name: str, validate_shape: bool = True
) -> Variable:
    """A zero-initialised, non-trainable local variable (TF's ``metric_variable``)."""
    tf_dtype = dtypes.as_dtype(dtype)

    def zeros() -> Tensor:
        value = np.zeros(shape, tf_dtype.as_numpy_dtype)
        return g.const(value, dtype=tf_dtype, name="zeros")

    return Variable(
        zeros,
        trainable=False,
        collections=list(METRIC_COLLECTIONS),
        validate_shape=validate_shape,
        name=name,
    )


def squeeze_last(t: Tensor) -> Tensor:
    """``array_ops.squeeze(t, [-1])``."""
    return g.op("Squeeze", {"input": t}, {"squeeze_dims": [-1]}, "Squeeze")


def _last_is_one(t: Tensor) -> bool:
    dims = t.shape.as_list()
    return dims[-1] is None or dims[-1] == 1


def remove_squeezable_dimensions(
    labels: Tensor, predictions: Tensor, expected_rank_diff: int = 0
) -> tuple[Tensor, Tensor]:
    """Drops a trailing size-1 dimension so the ranks differ by ``expected_rank_diff``.

    Unknown ranks are left as they are (TF decides at run time with a ``tf.cond``).
    """
    with get_default_graph().name_scope("remove_squeezable_dimensions"):
        p_rank, l_rank = predictions.shape.ndims, labels.shape.ndims
        if p_rank is None or l_rank is None:
            return labels, predictions
        diff = p_rank - l_rank
        if diff == expected_rank_diff + 1 and _last_is_one(predictions):
            predictions = squeeze_last(predictions)
        elif diff == expected_rank_diff - 1 and _last_is_one(labels):
            labels = squeeze_last(labels)
        return labels, predictions


def prepare(
    predictions: Any, labels: Any, weights: Any
) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """TF's ``metrics_impl._remove_squeezable_dimensions``.

    Raises:
        ValueError: when predictions and labels have incompatible static shapes.
    """
    predictions_t = convert_to_tensor(predictions)
    labels_t = None
    if labels is not None:
        labels_t, predictions_t = remove_squeezable_dimensions(
            convert_to_tensor(labels), predictions_t
        )
        if not predictions_t.shape.is_compatible_with(labels_t.shape):
            raise ValueError(f"Shapes {predictions_t.shape} and {labels_t.shape} are incompatible")
    if weights is None:
        return predictions_t, labels_t, None
    weights_t = convert_to_tensor(weights)
    w_rank, p_rank = weights_t.shape.ndims, predictions_t.shape.ndims
    if w_rank == 0 or w_rank is None or p_rank is None:
        return predictions_t, labels_t, weights_t
    if w_rank - p_rank == 1:
        weights_t = squeeze_last(weights_t)
    elif p_rank - w_rank == 1:
        weights_t = g.op("ExpandDims", {"input": weights_t, "dim": [-1]}, None, "ExpandDims")
    return predictions_t, labels_t, weights_t


def float_weights(weights: Any, values: Tensor) -> Tensor:
    """``broadcast_weights(cast(weights, float32), values)``."""
    return broadcast_weights(g.cast(convert_to_tensor(weights), dtypes.float32), values)


def aggregate(metrics_collections: Any, fn: Callable[..., Tensor], *args: Any) -> Any:
    """TF's ``_aggregate_across_replicas`` with the default strategy: ``fn(*args)`` added
    to ``metrics_collections``."""
    value = fn(*args)
    if metrics_collections:
        get_default_graph().add_to_collections(metrics_collections, value)
    return value


def add_updates(updates_collections: Any, update_op: Any) -> None:
    """Adds ``update_op`` to ``updates_collections`` when given."""
    if updates_collections:
        get_default_graph().add_to_collections(updates_collections, update_op)


def safe_div(numerator: Tensor, denominator: Tensor, name: str) -> Tensor:
    """TF's ``metrics_impl._safe_div``: ``div_no_nan`` named ``name``."""
    return g.op("DivNoNan", {"x": numerator, "y": denominator}, None, name)


def reduce_all(t: Tensor, name: str = "Sum") -> Tensor:
    """``math_ops.reduce_sum(t)`` over every axis (axes Const named ``Const``)."""
    rank = t.shape.ndims
    if rank:
        axes: Any = g.const(np.arange(rank, dtype=np.int32), name="Const")
    else:  # unknown or 0: TF reduces over range(0, rank(t))
        axes = g.range_(0, g.rank(t))
    out = g.op("Sum", {"input": t, "reduction_indices": axes}, {"keep_dims": False}, name)
    if rank is not None:
        out.set_shape(TensorShape([]))  # as TF infers it (our shape fn cannot fold a Range)
    return out
