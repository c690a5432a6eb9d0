"""Weight regularizers for the layers and ``tf.get_variable``.

Two families, as TF1 code passes them:

- ``l1_regularizer`` / ``l2_regularizer`` / ``l1_l2_regularizer`` (``tf.contrib.layers``
  semantics): ``scale * sum(|w|)`` and ``scale * nn.l2_loss(w)`` (half the sum of squares),
  built under ``l1_regularizer`` / ``l2_regularizer`` / ``l1_l2_regularizer`` name scopes;
  a scale of 0 gives a regularizer that returns None (no loss).
- Keras-style objects ``L1``, ``L2``, ``L1L2`` (``tf.keras.regularizers.l2(0.01)``), what
  TF 2.15 users pass to ``tf.compat.v1.layers``: ``l1 * sum(|w|)`` and
  ``2 * l2 * nn.l2_loss(w)`` (the full sum of squares).

Any callable ``w -> scalar tensor`` works too (``tf.nn.l2_loss``).

Example:
    >>> # y = tf.layers.dense(x, 10, kernel_regularizer=l2_regularizer(1e-4))
    >>> # loss += tf.losses.get_regularization_loss()
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow.graph import extra_ops, math_ops
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph

Regularizer = Callable[[Any], Tensor | None]


def _check_scale(scale: Any) -> bool:
    """Validates a contrib-style scale; False when it disables the regularizer.

    Raises:
        ValueError: for an integer or negative scale (TF's messages).
    """
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale:g}.")
        if scale == 0.0:
            return False
    return True


def _none(_: Any) -> None:
    return None


def _dtype(weights: Any) -> Any:
    return convert_to_tensor(weights).dtype.base_dtype


def l1_regularizer(scale: float, scope: str | None = None) -> Regularizer:
    """``scale * reduce_sum(abs(weights))`` under ``l1_regularizer``.

    Raises:
        ValueError: for an integer or negative scale.
    """
    if not _check_scale(scale):
        return _none

    def l1(weights: Any) -> Tensor:
        with get_default_graph().name_scope(scope or "l1_regularizer") as name:
            my_scale = convert_to_tensor(scale, dtype=_dtype(weights), name="scale")
            total = math_ops.reduce_sum(math_ops.abs(weights))
            return math_ops.multiply(my_scale, total, name=name)

    return l1


def l2_regularizer(scale: float, scope: str | None = None) -> Regularizer:
    """``scale * nn.l2_loss(weights)`` under ``l2_regularizer``.

    Raises:
        ValueError: for an integer or negative scale.
    """
    if not _check_scale(scale):
        return _none

    def l2(weights: Any) -> Tensor:
        with get_default_graph().name_scope(scope or "l2_regularizer") as name:
            my_scale = convert_to_tensor(scale, dtype=_dtype(weights), name="scale")
            return math_ops.multiply(my_scale, extra_ops.l2_loss(weights), name=name)

    return l2


def sum_regularizer(regularizer_list: list[Regularizer], scope: str | None = None) -> Regularizer:
    """The ``add_n`` of several regularizers' losses (None when all are None)."""
    regularizers = list(regularizer_list)
    if not regularizers:
        return _none

    def total(weights: Any) -> Tensor | None:
        with get_default_graph().name_scope(scope or "sum_regularizer") as name:
            losses = [t for t in (r(weights) for r in regularizers) if t is not None]
            return math_ops.add_n(losses, name=name) if losses else None

    return total


def l1_l2_regularizer(
    scale_l1: float = 1.0, scale_l2: float = 1.0, scope: str | None = None
) -> Regularizer:
    """``l1_regularizer(scale_l1) + l2_regularizer(scale_l2)`` under ``l1_l2_regularizer``.

    Raises:
        ValueError: for an integer or negative scale.
    """
    if isinstance(scale_l1, numbers.Integral):
        raise ValueError(f"scale_l1 cannot be an integer: {scale_l1}")
    if isinstance(scale_l2, numbers.Integral):
        raise ValueError(f"scale_l2 cannot be an integer: {scale_l2}")
    scope = scope or "l1_l2_regularizer"
    if scale_l1 == 0.0:
        return l2_regularizer(scale_l2, scope)
    if scale_l2 == 0.0:
        return l1_regularizer(scale_l1, scope)
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)], scope=scope)


def apply_regularization(regularizer: Regularizer, weights_list: list[Any]) -> Tensor:
    """Sum of ``regularizer(w)`` over ``weights_list``, added to ``regularization_losses``.

    Raises:
        ValueError: for an empty list or no losses (TF's messages).
    """
    from stowflow.graph.core import GraphKeys

    if not weights_list:
        raise ValueError("No weights to regularize.")
    graph = get_default_graph()
    with graph.name_scope("get_regularization_penalty") as scope:
        penalties = [p for p in (regularizer(w) for w in weights_list) if p is not None]
        if not penalties:
            raise ValueError("No regularization penalties found.")
        summed = math_ops.add_n(penalties, name=scope)
        graph.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, summed)
        return summed


# -- Keras-style regularizer objects -------------------------------------------------------------


def _penalty(value: Any, default: float) -> np.float32:
    """A Keras penalty factor as float32.

    Raises:
        ValueError: for a non-number, inf or NaN (Keras' messages).
    """
    value = default if value is None else value
    if not isinstance(value, float | int):
        raise ValueError(
            f"Value {value} is not a valid regularization penalty number, expected an int "
            "or float value."
        )
    if math.isinf(value) or math.isnan(value):
        raise ValueError(
            f"Value {value} is not a valid regularization penalty number, an infinite "
            "number or NaN are not valid values."
        )
    return np.float32(value)


class L1:
    """``l1 * reduce_sum(abs(x))`` (``tf.keras.regularizers.l1``)."""

    def __init__(self, l1: float | None = 0.01) -> None:
        self.l1 = _penalty(l1, 0.01)

    def __call__(self, x: Any) -> Tensor:
        return self.l1 * math_ops.reduce_sum(math_ops.abs(x))

    def get_config(self) -> dict[str, float]:
        """``{"l1": factor}``."""
        return {"l1": float(self.l1)}


class L2:
    """``2 * l2 * nn.l2_loss(x)`` = ``l2 * reduce_sum(square(x))``
    (``tf.keras.regularizers.l2``)."""

    def __init__(self, l2: float | None = 0.01) -> None:
        self.l2 = _penalty(l2, 0.01)

    def __call__(self, x: Any) -> Tensor:
        return 2.0 * self.l2 * extra_ops.l2_loss(x)

    def get_config(self) -> dict[str, float]:
        """``{"l2": factor}``."""
        return {"l2": float(self.l2)}


class L1L2:
    """Both penalties (``tf.keras.regularizers.L1L2``), starting from a 0 constant."""

    def __init__(self, l1: float | None = 0.0, l2: float | None = 0.0) -> None:
        self.l1 = _penalty(l1, 0.0)
        self.l2 = _penalty(l2, 0.0)

    def __call__(self, x: Any) -> Tensor:
        x_t = convert_to_tensor(x)
        regularization: Any = convert_to_tensor(np.array(0.0, x_t.dtype.base_dtype.as_numpy_dtype))
        if self.l1:
            regularization += self.l1 * math_ops.reduce_sum(math_ops.abs(x))
        if self.l2:
            regularization += 2.0 * self.l2 * extra_ops.l2_loss(x)
        return regularization

    def get_config(self) -> dict[str, float]:
        """``{"l1": ..., "l2": ...}``."""
        return {"l1": float(self.l1), "l2": float(self.l2)}


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """``tf.keras.regularizers.l1_l2``."""
    return L1L2(l1=l1, l2=l2)


l1 = L1
l2 = L2
