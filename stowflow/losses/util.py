"""The losses collections: ``add_loss``, ``get_losses``, regularization and total losses."""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.graph import grad_ops as g
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph


def add_loss(loss: Any, loss_collection: str | None = GraphKeys.LOSSES) -> None:
    """``tf.losses.add_loss``: adds ``loss`` to ``loss_collection`` (None: to nothing)."""
    if loss_collection:
        get_default_graph().add_to_collection(loss_collection, loss)


def get_losses(scope: str | None = None, loss_collection: str = GraphKeys.LOSSES) -> list[Any]:
    """``tf.losses.get_losses``: the losses in ``loss_collection`` (filtered by ``scope``)."""
    return get_default_graph().get_collection(loss_collection, scope)


def get_regularization_losses(scope: str | None = None) -> list[Any]:
    """``tf.losses.get_regularization_losses``: the REGULARIZATION_LOSSES collection."""
    return get_default_graph().get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def _add_n(tensors: list[Any], name: str) -> Tensor:
    """``math_ops.add_n(tensors, name)``: one tensor becomes a named Identity."""
    if len(tensors) == 1:
        return g.identity(tensors[0], name=name)
    return g.op("AddN", {"inputs": list(tensors)}, None, name)


def get_regularization_loss(
    scope: str | None = None, name: str = "total_regularization_loss"
) -> Tensor:
    """``tf.losses.get_regularization_loss``: the sum of the regularization losses, or a
    ``Const`` 0.0 when there are none."""
    losses = get_regularization_losses(scope)
    if losses:
        return _add_n(losses, name)
    return g.const(np.float32(0.0))


def get_total_loss(
    add_regularization_losses: bool = True, name: str = "total_loss", scope: str | None = None
) -> Tensor:
    """``tf.losses.get_total_loss``: the sum of the LOSSES (and regularization) collections.

    Raises:
        ValueError: when there is no loss at all.
    """
    losses = get_losses(scope=scope)
    if add_regularization_losses:
        losses += get_regularization_losses(scope=scope)
    if not losses:
        raise ValueError(
            "Inputs must be an iterable of at least one Tensor/IndexedSlices with the same dtype and shape."
        )
    return _add_n(losses, name)
