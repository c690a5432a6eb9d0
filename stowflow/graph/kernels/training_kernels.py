"""Kernels that training graphs need: gradient helpers, loss ops and optimizer updates.

Pure kernels (``fn(inputs, attrs)``): ``BroadcastGradientArgs``, the activation gradients
(``ReluGrad``, ``SigmoidGrad``, ``TanhGrad``, ``SqrtGrad``, ``RsqrtGrad``), ``BiasAddGrad``
and the two softmax cross-entropy ops (each returns the loss and its backprop, as TF's).

Session-state kernels (``fn(state, op, inputs)``, see ``state.py``): the ``Apply*`` updates
of ref variables (they return the ref) and their ``ResourceApply*`` twins (no outputs), for
GradientDescent, Momentum (Nesterov too), Adam, Adagrad, RMSProp (centered too), Adadelta,
Ftrl (V2: l2 shrinkage) and ProximalAdagrad. The update formulas are those of TF's
``training_ops.cc``; arithmetic stays in the variable's dtype. Sparse updates
(``SparseApply*``) are not here yet.
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


def _adagrad(var: np.ndarray, accum: np.ndarray, lr: Any, grad: np.ndarray, attrs: Attrs) -> tuple:
    if attrs.get("update_slots", True):
        accum = accum + grad * grad
    return var - grad * lr / np.sqrt(accum), accum


def _rms_prop(
    var: np.ndarray,
    ms: np.ndarray,
    mom: np.ndarray,
    lr: Any,
    rho: Any,
    momentum: Any,
    epsilon: Any,
    grad: np.ndarray,
    attrs: Attrs,
) -> tuple:
    ms = ms + (grad * grad - ms) * (var.dtype.type(1) - rho)
    mom = mom * momentum + grad * lr / np.sqrt(ms + epsilon)
    return var - mom, ms, mom


def _centered_rms_prop(
    var: np.ndarray,
    mg: np.ndarray,
    ms: np.ndarray,
    mom: np.ndarray,
    lr: Any,
    rho: Any,
    momentum: Any,
    epsilon: Any,
    grad: np.ndarray,
    attrs: Attrs,
) -> tuple:
    one_minus_rho = var.dtype.type(1) - rho
    ms = ms + (grad * grad - ms) * one_minus_rho
    mg = mg + (grad - mg) * one_minus_rho
    mom = mom * momentum + grad * lr / np.sqrt(ms - mg * mg + epsilon)
    return var - mom, mg, ms, mom


def _adadelta(
    var: np.ndarray,
    accum: np.ndarray,
    accum_update: np.ndarray,
    lr: Any,
    rho: Any,
    epsilon: Any,
    grad: np.ndarray,
    attrs: Attrs,
) -> tuple:
    one_minus_rho = var.dtype.type(1) - rho
    accum = accum * rho + grad * grad * one_minus_rho
    update = np.sqrt(accum_update + epsilon) / np.sqrt(accum + epsilon) * grad
    accum_update = accum_update * rho + update * update * one_minus_rho
    return var - update * lr, accum, accum_update


def _ftrl_step(
    var: np.ndarray,
    accum: np.ndarray,
    linear: np.ndarray,
    grad: np.ndarray,
    shrunk_grad: np.ndarray,
    scalars: tuple[Any, Any, Any, Any],
    by_lr: bool,
) -> tuple:
    """TF's ApplyFtrl functors; ``shrunk_grad`` carries V2's l2 shrinkage term."""
    lr, l1, l2, lr_power = scalars
    new_accum = accum + grad * grad
    if lr_power == var.dtype.type(-0.5):
        new_pow, old_pow = np.sqrt(new_accum), np.sqrt(accum)
    else:
        new_pow, old_pow = new_accum ** (-lr_power), accum ** (-lr_power)
    two = var.dtype.type(2)
    if by_lr:
        linear = linear + shrunk_grad * lr - (new_pow - old_pow) * var
        l1_eff, y = l1 * lr, new_pow + two * l2 * lr
    else:
        linear = linear + shrunk_grad - (new_pow - old_pow) / lr * var
        l1_eff, y = l1, new_pow / lr + two * l2
    shrunk = (l1_eff * np.sign(linear) - linear) / y
    var = np.where(np.abs(linear) > l1_eff, shrunk, var.dtype.type(0))
    return var, new_accum, linear


def _ftrl(
    var: np.ndarray,
    accum: np.ndarray,
    linear: np.ndarray,
    grad: np.ndarray,
    lr: Any,
    l1: Any,
    l2: Any,
    lr_power: Any,
    attrs: Attrs,
) -> tuple:
    by_lr = bool(attrs.get("multiply_linear_by_lr"))
    return _ftrl_step(var, accum, linear, grad, grad, (lr, l1, l2, lr_power), by_lr)


def _ftrl_v2(
    var: np.ndarray,
    accum: np.ndarray,
    linear: np.ndarray,
    grad: np.ndarray,
    lr: Any,
    l1: Any,
    l2: Any,
    l2_shrinkage: Any,
    lr_power: Any,
    attrs: Attrs,
) -> tuple:
    shrunk_grad = grad + var.dtype.type(2) * l2_shrinkage * var
    by_lr = bool(attrs.get("multiply_linear_by_lr"))
    return _ftrl_step(var, accum, linear, grad, shrunk_grad, (lr, l1, l2, lr_power), by_lr)


def _proximal_adagrad(
    var: np.ndarray,
    accum: np.ndarray,
    lr: Any,
    l1: Any,
    l2: Any,
    grad: np.ndarray,
    attrs: Attrs,
) -> tuple:
    accum = accum + grad * grad
    step = lr / np.sqrt(accum)
    prox = var - grad * step
    one, zero = var.dtype.type(1), var.dtype.type(0)
    if l1 > 0:
        shrunk = np.sign(prox) * np.maximum(np.abs(prox) - step * l1, zero)
        return shrunk / (one + l2 * step), accum
    return prox / (one + l2 * step), accum


# op base name -> (rule, number of variable-like inputs (the var and its slots), index of
# the gradient input in OpDef order)
_UPDATES: dict[str, tuple[Rule, int, int]] = {
    "GradientDescent": (_gradient_descent, 1, 2),
    "Momentum": (_momentum, 2, 3),
    "Adam": (_adam, 3, 9),
    "Adagrad": (_adagrad, 2, 3),
    "RMSProp": (_rms_prop, 3, 7),
    "CenteredRMSProp": (_centered_rms_prop, 4, 8),
    "Adadelta": (_adadelta, 3, 6),
    "Ftrl": (_ftrl, 3, 3),
    "FtrlV2": (_ftrl_v2, 3, 3),
    "ProximalAdagrad": (_proximal_adagrad, 2, 5),
}
_RULE_ATTRS = ("use_nesterov", "update_slots", "multiply_linear_by_lr")


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
        args = [a.astype(dtype, copy=False) if a.ndim else dtype.type(a) for a in rest]
        new = rule(*current, *args, _attrs(op))
        for key, value in zip(keys, new, strict=True):
            state.variables[key] = np.asarray(value, dtype=dtype)
        return [] if resource else [inputs[0]]

    return kernel


def _attrs(op: Any) -> Attrs:
    return {name: op.get_attr(name) for name in _RULE_ATTRS if name in op._attrs}


for _base, (_rule, _n, _grad) in _UPDATES.items():
    stateful(f"Apply{_base}")(_apply(_rule, _n, _grad, resource=False))
    stateful(f"ResourceApply{_base}")(_apply(_rule, _n, _grad, resource=True))
register_shape(*(f"Apply{b}" for b in _UPDATES))(lambda op: [op.inputs[0].shape])
register_shape(*(f"ResourceApply{b}" for b in _UPDATES))(lambda op: [])


# ------------------------------------------------------------------------ sparse updates


def _check_sparse(var: np.ndarray, grad: np.ndarray, indices: np.ndarray) -> None:
    """TF's SparseApply* argument checks (training_ops.cc), with its messages."""
    if indices.ndim != 1:
        raise InvalidArgumentError(
            None, None, f"indices must be one-dimensional{_shape_str(indices.shape)}"
        )
    if grad.ndim == 0 or grad.shape[0] != indices.shape[0]:
        raise InvalidArgumentError(
            None, None, "grad must be the same size as indices in the first dimension."
        )
    if grad.shape[1:] != var.shape[1:]:
        raise InvalidArgumentError(
            None,
            None,
            f"var and grad must match in dimension 1{_shape_str(var.shape)} "
            f"{_shape_str(grad.shape)}",
        )
    bad = (indices < 0) | (indices >= var.shape[0])
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise InvalidArgumentError(
            None,
            None,
            f"Index {int(indices[at])} at offset {at} in indices is out of range",
        )


def _occurrence_rank(indices: np.ndarray) -> np.ndarray:
    """For each position, how many earlier positions hold the same index."""
    order = np.argsort(indices, kind="stable")
    sorted_idx = indices[order]
    starts = np.r_[0, np.flatnonzero(sorted_idx[1:] != sorted_idx[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, sorted_idx.size]))
    rank = np.empty_like(order)
    rank[order] = np.arange(sorted_idx.size) - run_start
    return rank


def _sparse_apply(rule: Rule, n_vars: int, grad_index: int, resource: bool) -> Any:
    """SparseApply*/ResourceSparseApply*: the dense rule on the rows ``indices`` name.

    TF's CPU kernels walk the indices in order; rows are independent, so the k-th
    occurrences of all indices form one vectorised step (repeated indices update twice).
    """

    def kernel(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
        keys, current = zip(*(_read_slot(state, v) for v in inputs[:n_vars]), strict=True)
        dtype = current[0].dtype
        rest = [np.asarray(state.deref(x)) for x in inputs[n_vars:]]
        at = grad_index - n_vars
        grad, indices = rest[at].astype(dtype), rest[at + 1].astype(np.int64)
        _check_sparse(current[0], grad, indices)
        scalars = [a.astype(dtype, copy=False) if a.ndim else dtype.type(a) for a in rest[:at] + rest[at + 2 :]]
        arrays = [np.array(c, copy=True) for c in current]
        rank = _occurrence_rank(indices) if indices.size else indices
        for k in range(int(rank.max()) + 1 if indices.size else 0):
            sel = rank == k
            rows = indices[sel]
            args = [*scalars[:at], grad[sel], *scalars[at:]]
            new = rule(*(a[rows] for a in arrays), *args, _attrs(op))
            for a, value in zip(arrays, new, strict=True):
                a[rows] = value
        for key, value in zip(keys, arrays, strict=True):
            state.variables[key] = value
        return [] if resource else [inputs[0]]

    return kernel


_SPARSE = [b for b in _UPDATES if b not in ("GradientDescent", "Adam")]  # TF has none
for _base in _SPARSE:
    _rule, _n, _grad = _UPDATES[_base]
    stateful(f"SparseApply{_base}")(_sparse_apply(_rule, _n, _grad, resource=False))
    stateful(f"ResourceSparseApply{_base}")(_sparse_apply(_rule, _n, _grad, resource=True))
register_shape(*(f"SparseApply{b}" for b in _SPARSE))(lambda op: [op.inputs[0].shape])
register_shape(*(f"ResourceSparseApply{b}" for b in _SPARSE))(lambda op: [])


def _scatter_rows(state: SessionState, op: Any, inputs: list[Any], sign: int) -> np.ndarray:
    key, current = _read_slot(state, inputs[0])
    indices = np.asarray(state.deref(inputs[1])).astype(np.int64)
    updates = np.asarray(state.deref(inputs[2])).astype(current.dtype)
    flat = indices.reshape(-1)
    bad = (flat < 0) | (flat >= current.shape[0])
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise InvalidArgumentError(
            None,
            None,
            f"indices[{at}] = {int(flat[at])} is not in [0, {current.shape[0]})",
        )
    out = np.array(current, copy=True)
    np.add.at(out, indices, updates * current.dtype.type(sign))  # repeated indices add up
    state.variables[key] = out
    return out


@stateful("ScatterSub")
def _scatter_sub(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    _scatter_rows(state, op, inputs, -1)
    return [inputs[0]]


@stateful("ScatterAdd")
def _scatter_add(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    _scatter_rows(state, op, inputs, 1)
    return [inputs[0]]


@stateful("ResourceScatterAdd")
def _resource_scatter_add(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    _scatter_rows(state, op, inputs, 1)
    return []


@stateful("ResourceScatterSub")
def _resource_scatter_sub(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    _scatter_rows(state, op, inputs, -1)
    return []


register_shape("ScatterSub", "ScatterAdd")(lambda op: [op.inputs[0].shape])
register_shape("ResourceScatterAdd", "ResourceScatterSub")(lambda op: [])
