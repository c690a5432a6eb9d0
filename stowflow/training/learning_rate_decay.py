"""TF1 learning-rate schedules (``tf.train.exponential_decay`` and friends).

Each builds, in graph mode, the ops TF 2.21's ``tf.compat.v1.train`` builds (which calls
the Keras-free ``learning_rate_schedule`` classes): the same name scopes
(``ExponentialDecay``, ``PolynomialDecay``, ``CosineDecay``, ``InverseTimeDecay``), the
same ``Cast``/``Cast_1/x`` pattern of ``math_ops.cast`` and the same arithmetic ops, so
graphs and values match TF's. ``piecewise_constant`` matches TF's values and its
comparison ops, but selects with ``SelectV2`` where TF builds a ``tf.case`` (v1 cond
Switch/Merge) graph.

Example:
    >>> # lr = exponential_decay(0.1, global_step, 1000, 0.96, staircase=True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import array_ops, math_ops
from stowflow.graph.builder import apply_op_outputs, constant, convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph

__all__ = [
    "exponential_decay",
    "piecewise_constant",
    "polynomial_decay",
    "cosine_decay",
    "inverse_time_decay",
    "natural_exp_decay",
]


def _check_step(global_step: Any, what: str) -> None:
    if global_step is None:
        raise ValueError(f"global_step is required for {what}.")


def _cast(x: Any, dtype: dtypes.DType) -> Tensor:
    """TF's ``math_ops.cast``: same-dtype tensors pass; else ``Cast`` (``Cast/x`` for values)."""
    if isinstance(x, Tensor) and x.dtype.base_dtype == dtype:
        return x
    with get_default_graph().name_scope("Cast") as scope:
        t = convert_to_tensor(x, name="x")
        if t.dtype.base_dtype == dtype:
            return t
        return apply_op_outputs("Cast", {"x": t}, {"DstT": dtype, "Truncate": False}, scope)[0]


def _initial(learning_rate: Any) -> tuple[Tensor, dtypes.DType]:
    lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
    return lr, lr.dtype.base_dtype


def _exponential(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    decay_rate: Any,
    staircase: bool,
    name: Any,
) -> Tensor:
    graph = get_default_graph()
    with graph.name_scope(name or "ExponentialDecay") as scope:
        lr, dtype = _initial(learning_rate)
        steps = _cast(decay_steps, dtype)
        rate = _cast(decay_rate, dtype)
        p = _cast(global_step, dtype) / steps
        if staircase:
            p = math_ops.floor(p, name="Floor")
        return math_ops.multiply(lr, math_ops.pow(rate, p), name=scope)


def exponential_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    decay_rate: Any,
    staircase: bool = False,
    name: str | None = None,
) -> Tensor:
    """``learning_rate * decay_rate ** (global_step / decay_steps)`` (floored if staircase).

    Raises:
        ValueError: without a global step (TF's message).
    """
    _check_step(global_step, "exponential decay")
    return _exponential(learning_rate, global_step, decay_steps, decay_rate, staircase, name)


def natural_exp_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    decay_rate: Any,
    staircase: bool = False,
    name: str | None = None,
) -> Tensor:
    """``learning_rate * exp(-decay_rate * global_step / decay_steps)``: TF builds it as an
    exponential decay with rate ``exp(-decay_rate)``.

    Raises:
        ValueError: without a global step (TF's message).
    """
    _check_step(global_step, "natural exp decay")
    rate = math_ops.exp(math_ops.negative(decay_rate, name="Neg"), name="Exp")
    return _exponential(learning_rate, global_step, decay_steps, rate, staircase, name)


def inverse_time_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    decay_rate: Any,
    staircase: bool = False,
    name: str | None = None,
) -> Tensor:
    """``learning_rate / (1 + decay_rate * global_step / decay_steps)`` (floored if staircase).

    Raises:
        ValueError: without a global step (TF's message).
    """
    _check_step(global_step, "inverse time decay")
    graph = get_default_graph()
    with graph.name_scope(name or "InverseTimeDecay") as scope:
        lr, dtype = _initial(learning_rate)
        steps = _cast(decay_steps, dtype)
        rate = _cast(decay_rate, dtype)
        p = _cast(global_step, dtype) / steps
        if staircase:
            p = math_ops.floor(p, name="Floor")
        one = _cast(constant(1, name="Const"), dtype)
        denom = math_ops.add(one, math_ops.multiply(rate, p, name="Mul"), name="Add")
        return math_ops.realdiv(lr, denom, name=scope)


def polynomial_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    end_learning_rate: Any = 0.0001,
    power: Any = 1.0,
    cycle: bool = False,
    name: str | None = None,
) -> Tensor:
    """``(lr - end) * (1 - step / decay_steps) ** power + end``; ``cycle`` restarts the decay
    every ``decay_steps`` (stretched to the next multiple) instead of holding ``end``.

    Raises:
        ValueError: without a global step (TF's message).
    """
    _check_step(global_step, "polynomial decay")
    graph = get_default_graph()
    with graph.name_scope(name or "PolynomialDecay") as scope:
        lr, dtype = _initial(learning_rate)
        end = _cast(end_learning_rate, dtype)
        power_t = _cast(power, dtype)
        step = _cast(global_step, dtype)
        steps = _cast(decay_steps, dtype)
        if cycle:
            first = math_ops.equal(step, 0, name="Equal")
            multiple = math_ops.ceil(step / decay_steps, name="Ceil")
            multiplier = array_ops.where_v2(first, 1.0, multiple, name="SelectV2")
            steps = math_ops.multiply(steps, multiplier, name="Mul")
        else:
            step = math_ops.minimum(step, steps, name="Minimum")
        p = step / steps
        decayed = math_ops.multiply(lr - end, math_ops.pow(1 - p, power_t), name="Mul")
        return math_ops.add(decayed, end, name=scope)


def cosine_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    alpha: float = 0.0,
    name: str | None = None,
) -> Tensor:
    """``lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)``.

    Raises:
        ValueError: without a global step (TF's message).
    """
    _check_step(global_step, "cosine decay")
    graph = get_default_graph()
    with graph.name_scope(name or "CosineDecay"):
        lr, dtype = _initial(learning_rate)
        steps = _cast(decay_steps, dtype)
        step = math_ops.minimum(_cast(global_step, dtype), steps, name="Minimum")
        fraction = step / steps
        pi = constant(np.array(math.pi, dtype=dtype.as_numpy_dtype), name="Const")
        cosine = 0.5 * (1.0 + math_ops.cos(pi * fraction, name="Cos"))
        decayed = (1 - alpha) * cosine + alpha
        return math_ops.multiply(lr, decayed, name="Mul")


def piecewise_constant(
    x: Any, boundaries: list[Any], values: list[Any], name: str | None = None
) -> Tensor:
    """``values[i]`` for the interval of ``boundaries`` that holds ``x``.

    Raises:
        ValueError: for lengths that do not fit, or boundaries of another dtype than ``x``
            (int32 boundaries are promoted to an int64 ``x``, as in TF).
    """
    if len(values) != len(boundaries) + 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    bounds = [convert_to_tensor(b) for b in boundaries]
    vals = [convert_to_tensor(v) for v in values]
    x_t = convert_to_tensor(x)
    for i, b in enumerate(bounds):
        if b.dtype.base_dtype != x_t.dtype.base_dtype:
            if b.dtype.base_dtype == dtypes.int32 and x_t.dtype.base_dtype == dtypes.int64:
                bounds[i] = _cast(b, dtypes.int64)
            else:
                raise ValueError(
                    f"Boundaries ({b.dtype.base_dtype}) must have the same dtype as x "
                    f"({x_t.dtype.base_dtype})."
                )
    for v in vals[1:]:
        if v.dtype.base_dtype != vals[0].dtype.base_dtype:
            raise ValueError(
                f"Values must have elements all with the same dtype ({vals[0].dtype.base_dtype} "
                f"vs {v.dtype.base_dtype})."
            )
    with get_default_graph().name_scope(name or "PiecewiseConstant"):
        preds = [x_t <= bounds[0], x_t > bounds[-1]]
        for low, high in zip(bounds[:-1], bounds[1:], strict=True):
            preds.append(math_ops.logical_and(x_t > low, x_t <= high, name="and"))
        # TF: tf.case over (pred, value) pairs; the intervals are exclusive and exhaustive.
        chosen = [vals[0], vals[-1], *vals[1:-1]]
        result = chosen[0]
        for pred, value in zip(preds[1:], chosen[1:], strict=True):
            result = array_ops.where_v2(pred, value, result, name="SelectV2")
        return result
