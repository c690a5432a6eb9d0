"""``tf.losses.Reduction`` and ``compute_weighted_loss`` (TF's ``losses_impl``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph
from stowflow.graph.shape import TensorShape
from stowflow.graph.weights_broadcast_ops import assert_broadcastable, broadcast_weights
from stowflow.losses.util import add_loss


class Reduction:
    """How a weighted loss is reduced (TF1 ``tf.losses.Reduction``)."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple[str, ...]:
        """Every reduction key, in TF's order."""
        return (
            cls.NONE,
            cls.SUM,
            cls.MEAN,
            cls.SUM_OVER_BATCH_SIZE,
            cls.SUM_OVER_NONZERO_WEIGHTS,
            cls.SUM_BY_NONZERO_WEIGHTS,
        )

    @classmethod
    def validate(cls, key: str) -> None:
        """Raises ValueError (TF's message) for an unknown reduction key."""
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}. Key should be one of {cls.all()}.")


def _safe_mean(losses: Tensor, count: Tensor) -> Tensor:
    total = sum_all(losses)
    return g.op("DivNoNan", {"x": total, "y": count}, None, "value")


def sum_all(t: Tensor, name: str = "Sum") -> Tensor:
    """``math_ops.reduce_sum(t)``: a scalar (its static shape set as TF infers it)."""
    out = g.op("Sum", {"input": t, "reduction_indices": _all_axes(t)}, {"keep_dims": False}, name)
    if t.shape.ndims is not None:
        out.set_shape(TensorShape([]))
    return out


def _all_axes(t: Tensor) -> Tensor:
    """TF's ``_ReductionDims`` for ``axis=None``: a ``Const`` of every axis."""
    rank = t.shape.ndims
    if not rank:  # unknown or 0: TF reduces over range(0, rank(t))
        return g.range_(0, g.rank(t))
    return g.const(np.arange(rank, dtype=np.int32), name="Const")


def _num_elements(losses: Tensor) -> Tensor:
    """``cast(size(losses), losses.dtype)`` named ``num_elements``."""
    with get_default_graph().name_scope("num_elements") as scope:
        return g.cast(g.size(losses, name=scope), losses.dtype.base_dtype)


def num_present(losses: Tensor, weights: Tensor, per_batch: bool = False) -> Tensor:
    """The number of losses with a non-zero (broadcast) weight, TF's ``_num_present``
    (per example, keeping dims, with ``per_batch``)."""
    with get_default_graph().name_scope("num_present") as scope:
        weights_f = g.cast(weights, dtypes.float32)
        is_zero = g.binary("Equal", weights_f, 0.0, "Equal")
        zeros = g.zeros_like_opt(weights_f)
        ones = g.ones_like(weights_f)
        present = g.op("Select", {"condition": is_zero, "t": zeros, "e": ones})
        present = broadcast_weights(present, losses)
        if per_batch:
            return sum_per_example(present, g.range_(1, g.rank(present)), scope)
        return sum_all(present, scope)


def sum_per_example(t: Tensor, axes: Tensor, name: str = "Sum") -> Tensor:
    """``reduce_sum(t, axis=range(1, rank(t)), keepdims=True)``, its static shape set as
    TF infers it (``[batch, 1, ...]``)."""
    out = g.reduce_sum(t, axes, keepdims=True, name=name)
    if t.shape.ndims is not None:
        out.set_shape(TensorShape(t.shape.as_list()[:1] + [1] * (t.shape.ndims - 1)))
    return out


def cast_float(value: Any) -> Tensor:
    """``math_ops.cast(value, float32)``: a Python value becomes ``Cast/x``."""
    if isinstance(value, Tensor):
        return g.cast(value, dtypes.float32)
    with get_default_graph().name_scope("Cast") as scope:
        return g.cast(convert_to_tensor(value, name="x"), dtypes.float32, name=scope)


def _reduce(losses: Tensor, weights: Tensor, weighted: Tensor, reduction: str) -> Tensor:
    if reduction == Reduction.NONE:
        return weighted
    loss = sum_all(weighted)
    if reduction == Reduction.MEAN:
        total_weight = g.binary("Mul", g.ones_like(losses), weights, "mul")
        return _safe_mean(loss, sum_all(total_weight))
    if reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
        return _safe_mean(loss, num_present(losses, weights))
    if reduction == Reduction.SUM_OVER_BATCH_SIZE:
        return _safe_mean(loss, _num_elements(losses))
    return loss


def compute_weighted_loss(
    losses: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """``tf.losses.compute_weighted_loss``: ``losses * weights`` reduced by ``reduction``.

    Args:
        losses: a float tensor.
        weights: a scalar or a tensor broadcastable to ``losses``.
        scope: name scope (default ``weighted_loss``).
        loss_collection: collection the loss is added to (None: none).
        reduction: a :class:`Reduction` key.

    Returns:
        The loss, in ``losses``' dtype: a scalar, or ``losses``' shape for ``NONE``.

    Raises:
        ValueError: for an unknown reduction or weights that cannot broadcast statically.

    Example:
        >>> # compute_weighted_loss([1.0, 3.0], weights=[1.0, 0.0]) -> 1.0
    """
    Reduction.validate(reduction)
    graph = get_default_graph()
    with graph.name_scope(scope or "weighted_loss"):
        graph._last_loss_reduction = reduction  # type: ignore[attr-defined]  # TF records it
        check = assert_broadcastable(weights, losses)
        with g.control_dependencies([check] if check is not None else []):
            losses_t = convert_to_tensor(losses)
            input_dtype = losses_t.dtype.base_dtype
            losses_f = g.cast(losses_t, dtypes.float32)
            weights_f = cast_float(weights)
            weighted = g.mul(losses_f, weights_f, name="Mul")
            loss = _reduce(losses_f, weights_f, weighted, reduction)
            loss = g.cast(loss, input_dtype)
        add_loss(loss, loss_collection)
        return loss
