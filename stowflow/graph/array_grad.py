"""Gradients of array ops and variable reads (TF's ``array_grad.py``)."""

from __future__ import annotations

from typing import Any

from stowflow.graph import grad_ops as g
from stowflow.graph.core import Operation, Tensor
from stowflow.graph.gradients import not_differentiable, register_gradient

not_differentiable("StopGradient", "PreventGradient")


@register_gradient("Identity", "ReadVariableOp", "PlaceholderWithDefault", "Snapshot")
def _identity_grad(op: Operation, grad: Tensor) -> Any:
    return [grad] + [None] * (len(op.inputs) - 1)


@register_gradient("Reshape")
def _reshape_grad(op: Operation, grad: Tensor) -> Any:
    dims = g.static_shape(op.inputs[0])
    if dims is not None and None in dims:
        unknown = [i for i, d in enumerate(dims) if d is None]
        if len(unknown) == 1 and 0 not in dims:
            wildcard = [-1 if d is None else d for d in dims]
            return g.reshape(grad, wildcard), None
    return g.reshape(grad, g.shape(op.inputs[0])), None


@register_gradient("ExpandDims", "Squeeze")
def _reshape_to_input(op: Operation, grad: Tensor) -> Any:
    grads: list[Any] = [g.reshape(grad, g.shape(op.inputs[0]))]
    return grads + [None] * (len(op.inputs) - 1)
