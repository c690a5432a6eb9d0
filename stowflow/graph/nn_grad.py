"""Gradients of neural-network ops (TF's ``nn_grad.py``)."""

from __future__ import annotations

from typing import Any

from stowflow.graph import grad_ops as g
from stowflow.graph.core import Operation, Tensor
from stowflow.graph.gradients import register_gradient


@register_gradient("BiasAdd")
def _bias_add_grad(op: Operation, grad: Tensor) -> Any:
    fmt = op.get_attr("data_format") if "data_format" in op._attrs else None
    attrs = None if fmt is None else {"data_format": fmt}
    return grad, g.op("BiasAddGrad", {"out_backprop": grad}, attrs)


@register_gradient("Relu")
def _relu_grad(op: Operation, grad: Tensor) -> Any:
    return g.op("ReluGrad", {"gradients": grad, "features": op.outputs[0]})


@register_gradient("Softmax")
def _softmax_grad(op: Operation, grad: Tensor) -> Any:
    softmax = op.outputs[0]
    channels = g.reduce_sum(g.mul(grad, softmax, name="mul"), -1, keepdims=True)
    return g.mul(g.binary("Sub", grad, channels, "sub"), softmax, name="mul")


def _broadcast_mul(vec: Tensor, mat: Tensor) -> Tensor:
    """``vec[:, None] * mat`` as TF's ``_BroadcastMul`` builds it."""
    return g.mul(g.expand_dims(vec, -1), mat, name="mul")


def _xent_logits_grad(op: Operation, grad_loss: Tensor, grad_grad: Any) -> Tensor:
    grad = _broadcast_mul(grad_loss, op.outputs[1])
    if grad_grad is not None and not g.is_zeros(grad_grad):
        raise NotImplementedError(
            f"second-order gradient through {op.type} '{op.name}' is not supported"
        )
    return grad


@register_gradient("SoftmaxCrossEntropyWithLogits")
def _softmax_xent_grad(op: Operation, grad_loss: Tensor, grad_grad: Any) -> Any:
    grad = _xent_logits_grad(op, grad_loss, grad_grad)
    log_softmax = g.op("LogSoftmax", {"logits": op.inputs[0]})
    return grad, _broadcast_mul(grad_loss, g.neg(log_softmax))


@register_gradient("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_xent_grad(op: Operation, grad_loss: Tensor, grad_grad: Any) -> Any:
    return _xent_logits_grad(op, grad_loss, grad_grad), None
