"""TF's ``weights_broadcast_ops``: check that weights broadcast to values, and broadcast them.

Shared by ``tf.losses`` and ``tf.metrics``. The graphs are TF's when ranks and shapes are
known statically (the static check is a named ``NoOp``). For shapes known only at run time
TF builds a ``tf.cond`` around an ``Assert`` (``DenseToDenseSetOperation`` on the dims);
stowflow builds TF's shape/rank nodes but no run-time assert, so a bad shape surfaces as the
broadcasting op's InvalidArgumentError instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.graph import grad_ops as g
from stowflow.graph.builder import apply_op, convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph

_PREFIX = "weights can not be broadcast to values."


def _static_broadcast_check(weights: Tensor, values: Tensor) -> str | None:
    """The name of TF's static-check NoOp, or None when TF would check at run time.

    Raises:
        ValueError: TF's messages for a rank or dimension mismatch known statically.
    """
    w_rank, v_rank = weights.shape.ndims, values.shape.ndims
    if w_rank is None or v_rank is None:
        return None
    if w_rank == 0:
        return "static_scalar_check_success"
    if w_rank != v_rank:
        raise ValueError(
            f"{_PREFIX} values.rank={v_rank}. weights.rank={w_rank}. "
            f"values.shape={values.shape}. weights.shape={weights.shape}. "
            f"Received weights={weights}, values={values}"
        )
    w_dims, v_dims = weights.shape.as_list(), values.shape.as_list()
    if None in w_dims or None in v_dims:
        return None
    for i, (w, v) in enumerate(zip(w_dims, v_dims, strict=True)):
        if w not in (1, v):
            raise ValueError(
                f"{_PREFIX} Mismatch at dim {i}. values.shape={np.array(v_dims)}, "
                f"weights.shape={np.array(w_dims)}. Received weights={weights}, values={values}"
            )
    return "static_dims_check_success"


def assert_broadcastable(weights: Any, values: Any) -> Any:
    """TF's ``weights_broadcast_ops.assert_broadcastable`` for static shapes.

    Builds TF's ``weights``/``values`` shape and rank nodes and the static-check NoOp; when
    shapes are only known at run time it returns None (TF builds a ``tf.cond`` + ``Assert``
    there; a mismatch then surfaces as the broadcasting op's InvalidArgumentError).
    """
    graph = get_default_graph()
    with graph.name_scope("assert_broadcastable"):
        with graph.name_scope("weights") as weights_scope:
            weights = convert_to_tensor(weights, name=weights_scope)
            g.shape(weights, name="shape")
            g.rank(weights, name="rank")
        with graph.name_scope("values") as values_scope:
            values = convert_to_tensor(values, name=values_scope)
            g.shape(values, name="shape")
            g.rank(values, name="rank")
        check = _static_broadcast_check(weights, values)
        if check is None:
            return None
        return apply_op("NoOp", {}, None, name=check)


def broadcast_weights(weights: Any, values: Tensor) -> Tensor:
    """``weights_broadcast_ops.broadcast_weights``: ``weights * ones_like(values)``."""
    graph = get_default_graph()
    with graph.name_scope("broadcast_weights") as scope:
        weights_t = convert_to_tensor(weights, dtype=values.dtype.base_dtype, name="weights")
        w_shape, v_shape = weights_t.shape, values.shape
        if (
            w_shape.is_fully_defined()
            and v_shape.is_fully_defined()
            and w_shape.is_compatible_with(v_shape)
        ):
            return weights_t
        check = assert_broadcastable(weights_t, values)
        with g.control_dependencies([check] if check is not None else []):
            return g.op("Mul", {"x": weights_t, "y": g.ones_like(values)}, None, scope)
