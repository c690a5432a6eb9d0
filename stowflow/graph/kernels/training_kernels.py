"""Kernels that training graphs need: gradient helpers, loss ops and optimizer updates.

Pure kernels (``fn(inputs, attrs)``): ``BroadcastGradientArgs``, the activation gradients
(``ReluGrad``, ``SigmoidGrad``, ``TanhGrad``, ``SqrtGrad``, ``RsqrtGrad``), ``BiasAddGrad``
and the two softmax cross-entropy ops (each returns the loss and its backprop, as TF's).

Session-state kernels (``fn(state, op, inputs)``, see ``state.py``): the ``Apply*`` updates
of ref variables (they return the ref) and their ``ResourceApply*`` twins (no outputs), for
GradientDescent, Momentum (Nesterov too) and Adam. The update formulas are those of TF's
``training_ops.cc``; arithmetic stays in the variable's dtype.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow.errors import InvalidArgumentError, NotFoundError
from stowflow.graph.kernels.registry import register_kernel, register_shape
from stowflow.graph.kernels.state import ResourceHandle, SessionState, VarRef, stateful
from stowflow.graph.shape import TensorShape

Attrs = dict[str, Any]


def _shape_str(shape: Any) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


# ------------------------------------------------------------------------ gradient helpers


@register_kernel("BroadcastGradientArgs")
def _broadcast_gradient_args(inputs: list[Any], attrs: Attrs) -> list[Any]:
    """Axes to sum each operand's gradient over (TF's ``BCast`` reduction indices)."""
    s0, s1 = (np.asarray(s).reshape(-1) for s in inputs)
    dtype = np.asarray(inputs[0]).dtype
    rank = max(s0.size, s1.size)
    x = np.concatenate([np.ones(rank - s0.size, dtype), s0])
    y = np.concatenate([np.ones(rank - s1.size, dtype), s1])
    compatible = (x == y) | (x == 1) | (y == 1)
    if not compatible.all():
        raise InvalidArgumentError(
            None,
            None,
            f"Incompatible shapes: {_shape_str(s0.tolist())} vs. {_shape_str(s1.tolist())}",
        )
    axes = np.arange(rank, dtype=dtype)
    both_one = (x == 1) & (y == 1)
    r0 = axes[((x == 1) & (y != 1)) | both_one]
    r1 = axes[((y == 1) & (x != 1)) | both_one]
    return [r0, r1]


def _vector_pair(op: Any) -> list[TensorShape]:
    return [TensorShape([None]), TensorShape([None])]


register_shape("BroadcastGradientArgs")(_vector_pair)


def _same_shape_check(a: np.ndarray, b: np.ndarray, op_type: str) -> None:
    if a.shape != b.shape:
        raise InvalidArgumentError(
            None,
            None,
            f"{op_type}: inputs must have the same shape: {_shape_str(a.shape)} vs. "
            f"{_shape_str(b.shape)}",
        )


def _elementwise_grad(
    op_type: str, fn: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> Callable[[list[Any], Attrs], list[Any]]:
    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        a, b = np.asarray(inputs[0]), np.asarray(inputs[1])
        _same_shape_check(a, b, op_type)
        return [np.asarray(fn(a, b), dtype=a.dtype)]

    kernel.__name__ = f"_{op_type}"
    return kernel


def _half(y: np.ndarray) -> Any:
    return y.dtype.type(0.5)


# Each takes the op's two inputs in OpDef order.
_ELEMENTWISE_GRADS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    # ReluGrad(gradients, features)
    "ReluGrad": lambda dy, x: np.where(x > 0, dy, np.zeros((), dy.dtype)),
    # SigmoidGrad/TanhGrad/SqrtGrad/RsqrtGrad(y, dy), y the forward output
    "SigmoidGrad": lambda y, dy: dy * (y * (y.dtype.type(1) - y)),
    "TanhGrad": lambda y, dy: dy * (y.dtype.type(1) - y * y),
    "SqrtGrad": lambda y, dy: dy * _half(y) / y,
    "RsqrtGrad": lambda y, dy: dy * (y * y * y) * -_half(y),
}
for _name, _fn in _ELEMENTWISE_GRADS.items():
    register_kernel(_name)(_elementwise_grad(_name, _fn))
register_shape(*_ELEMENTWISE_GRADS)(lambda op: [op.inputs[0].shape])


def _channel_axis(data_format: Any, rank: int) -> int:
    fmt = data_format.decode() if isinstance(data_format, bytes) else str(data_format or "NHWC")
    if fmt not in ("NHWC", "NCHW"):
        raise InvalidArgumentError(None, None, f"Invalid data format: {fmt}")
    return 1 if fmt == "NCHW" else rank - 1


@register_kernel("BiasAddGrad")
def _bias_add_grad(inputs: list[Any], attrs: Attrs) -> list[Any]:
    grad = np.asarray(inputs[0])
    if grad.ndim < 2:
        raise InvalidArgumentError(
            None, None, f"Input tensor must be at least 2D: {_shape_str(grad.shape)}"
        )
    axis = _channel_axis(attrs.get("data_format"), grad.ndim)
    others = tuple(a for a in range(grad.ndim) if a != axis)
    return [grad.sum(axis=others, dtype=grad.dtype)]


@register_shape("BiasAddGrad")
def _bias_add_grad_shape(op: Any) -> list[TensorShape]:
    shape = op.inputs[0].shape
    if shape.ndims is None:
        return [TensorShape([None])]
    axis = _channel_axis(op.get_attr("data_format"), shape.ndims)
    return [TensorShape([shape.as_list()[axis]])]


# ------------------------------------------------------------------------ softmax cross-entropy


def _log_softmax_parts(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(logits - max, log(sum(exp(logits - max)))) along the last axis."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted, np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _check_rank2(x: np.ndarray, what: str) -> None:
    if x.ndim != 2:
        raise InvalidArgumentError(None, None, f"{what} must be 2-dimensional")


@register_kernel("SoftmaxCrossEntropyWithLogits")
def _softmax_xent(inputs: list[Any], attrs: Attrs) -> list[Any]:
    logits, labels = np.asarray(inputs[0]), np.asarray(inputs[1])
    if logits.ndim == 1:
        logits = logits[None, :]
    if labels.ndim == 1:
        labels = labels[None, :]
    _check_rank2(logits, "logits")
    _check_rank2(labels, "labels")
    try:
        shape = np.broadcast_shapes(logits.shape, labels.shape)
    except ValueError:
        raise InvalidArgumentError(
            None,
            None,
            "logits and labels must be broadcastable: logits_size="
            f"{_shape_str(logits.shape)} labels_size={_shape_str(labels.shape)}",
        ) from None
    logits, labels = np.broadcast_to(logits, shape), np.broadcast_to(labels, shape)
    shifted, log_sum = _log_softmax_parts(logits)
    loss = (labels * (log_sum - shifted)).sum(axis=-1)
    backprop = np.exp(shifted) / np.exp(log_sum) - labels
    return [loss.astype(logits.dtype), backprop.astype(logits.dtype)]


@register_kernel("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_xent(inputs: list[Any], attrs: Attrs) -> list[Any]:
    logits, labels = np.asarray(inputs[0]), np.asarray(inputs[1])
    _check_rank2(logits, "logits")
    if labels.ndim != 1 or labels.shape[0] != logits.shape[0]:
        raise InvalidArgumentError(
            None,
            None,
            "logits and labels must have the same first dimension, got logits shape "
            f"{_shape_str(logits.shape)} and labels shape {_shape_str(labels.shape)}",
        )
    classes = logits.shape[1]
    bad = (labels < 0) | (labels >= classes)
    if bad.any():
        raise InvalidArgumentError(
            None,
            None,
            f"Received a label value of {int(labels[bad][0])} which is outside the valid "
            f"range of [0, {classes}).  Label values: {' '.join(map(str, labels.tolist()))}",
        )
    shifted, log_sum = _log_softmax_parts(logits)
    rows = np.arange(logits.shape[0])
    loss = log_sum[:, 0] - shifted[rows, labels]
    backprop = np.exp(shifted) / np.exp(log_sum)
    backprop[rows, labels] -= 1
    return [loss.astype(logits.dtype), backprop.astype(logits.dtype)]


@register_shape("SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits")
def _xent_shape(op: Any) -> list[TensorShape]:
    logits = op.inputs[0].shape
    if logits.ndims is None:
        return [TensorShape([None]), TensorShape([None, None])]
    dims = logits.as_list()
    return [TensorShape(dims[:1]), TensorShape(dims)]


# ------------------------------------------------------------------------ optimizer updates

# A rule takes (var, slots..., scalars..., grad) as arrays in OpDef order after the variable
# and its slots, and returns the new values of (var, slots...).
Rule = Callable[..., tuple[np.ndarray, ...]]


def _gradient_descent(var: np.ndarray, alpha: Any, delta: np.ndarray, attrs: Attrs) -> tuple:
    return (var - alpha * delta,)


def _momentum(
    var: np.ndarray, accum: np.ndarray, lr: Any, grad: np.ndarray, momentum: Any, attrs: Attrs
) -> tuple:
    accum = accum * momentum + grad
    if attrs.get("use_nesterov"):
        return var - (grad * lr + accum * momentum * lr), accum
    return var - lr * accum, accum


def _adam(
    var: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    beta1_power: Any,
    beta2_power: Any,
    lr: Any,
    beta1: Any,
    beta2: Any,
    epsilon: Any,
    grad: np.ndarray,
    attrs: Attrs,
) -> tuple:
    one = var.dtype.type(1)
    lr_t = lr * np.sqrt(one - beta2_power) / (one - beta1_power)
    m = m + (grad - m) * (one - beta1)
    v = v + (grad * grad - v) * (one - beta2)
    if attrs.get("use_nesterov"):
        step = (grad * (one - beta1) + beta1 * m) * lr_t / (np.sqrt(v) + epsilon)
    else:
        step = m * lr_t / (np.sqrt(v) + epsilon)
    return var - step, m, v


# op base name -> (rule, number of variable-like inputs (the var and its slots), index of
# the gradient input in OpDef order)
_UPDATES: dict[str, tuple[Rule, int, int]] = {
    "GradientDescent": (_gradient_descent, 1, 2),
    "Momentum": (_momentum, 2, 3),
    "Adam": (_adam, 3, 9),
}


def _read_slot(state: SessionState, value: Any) -> tuple[str, np.ndarray]:
    """(storage key, current array) of a ref or resource variable input."""
    if isinstance(value, ResourceHandle):
        if value.key not in state.variables:
            raise NotFoundError(
                None,
                None,
                f"Resource localhost/{value.key}/N10tensorflow3VarE does not exist.",
            )
        return value.key, state.variables[value.key]
    if not isinstance(value, VarRef):
        raise InvalidArgumentError(None, None, "an optimizer update needs a variable input")
    return value.key, state.deref(value)


def _apply(rule: Rule, n_vars: int, grad_index: int, resource: bool) -> Any:
    def kernel(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
        keys, current = zip(*(_read_slot(state, v) for v in inputs[:n_vars]), strict=True)
        dtype = current[0].dtype
        rest = [np.asarray(state.deref(x)) for x in inputs[n_vars:]]
        grad = rest[grad_index - n_vars]
        if grad.shape != current[0].shape:
            raise InvalidArgumentError(
                None,
                None,
                f"var and grad do not have the same shape{_shape_str(current[0].shape)} "
                f"{_shape_str(grad.shape)}",
            )
        args = [a.astype(dtype) if a.ndim else dtype.type(a) for a in rest]
        new = rule(*current, *args, _attrs(op))
        for key, value in zip(keys, new, strict=True):
            state.variables[key] = np.asarray(value, dtype=dtype)
        return [] if resource else [inputs[0]]

    return kernel


def _attrs(op: Any) -> Attrs:
    return {name: op.get_attr(name) for name in ("use_nesterov",) if name in op._attrs}


for _base, (_rule, _n, _grad) in _UPDATES.items():
    stateful(f"Apply{_base}")(_apply(_rule, _n, _grad, resource=False))
    stateful(f"ResourceApply{_base}")(_apply(_rule, _n, _grad, resource=True))
register_shape(*(f"Apply{b}" for b in _UPDATES))(lambda op: [op.inputs[0].shape])
register_shape(*(f"ResourceApply{b}" for b in _UPDATES))(lambda op: [])
