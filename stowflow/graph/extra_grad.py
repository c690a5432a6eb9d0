"""Gradients of the extra TF1 API ops, building the nodes TF's ``math_grad.py``,
``nn_grad.py``, ``array_grad.py`` and ``linalg_grad.py`` build for them.

Example:
    >>> # y = tf.expm1(x); tf.gradients(y, x) -> gradients/Expm1_grad/mul:0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph import math_ops
from stowflow.graph.core import Operation, Tensor
from stowflow.graph.gradients import register_gradient
from stowflow.graph.shape_fns import constant_value


@register_gradient("Expm1")
def _expm1_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        return g.mul(grad, g.unary("Exp", op.inputs[0]), name="mul")


@register_gradient("Erfc")
def _erfc_grad(op: Operation, grad: Tensor) -> Any:
    scale = g.const(np.array(-2 / np.sqrt(np.pi), grad.dtype.base_dtype.as_numpy_dtype))
    with g.after(grad):
        return g.mul(
            g.mul(grad, scale, name="mul"),
            g.unary("Exp", g.neg(g.unary("Square", op.inputs[0]))),
            name="mul_1",
        )


@register_gradient("Softsign")
def _softsign_grad(op: Operation, grad: Tensor) -> Any:
    return g.op("SoftsignGrad", {"gradients": grad, "features": op.inputs[0]})


@register_gradient("BroadcastTo")
def _broadcast_to_grad(op: Operation, grad: Tensor) -> Any:
    value, target = op.inputs[0], op.inputs[1]
    shape_dtype = target.dtype.base_dtype
    value_shape = (
        g.shape(value)
        if shape_dtype == dtypes.int32
        else g.op("Shape", {"input": value}, {"out_type": shape_dtype})
    )
    static = constant_value(target)
    if static is not None:
        target = g.const(np.asarray(static).astype(shape_dtype.as_numpy_dtype))
    axes = g.op("BroadcastGradientArgs", {"s0": target, "s1": value_shape})
    reduced = g.reduce_sum(grad, axes.op.outputs[1], keepdims=True)
    return [g.reshape(reduced, value_shape), None]


@register_gradient("MatrixDiagV3")
def _matrix_diag_grad(op: Operation, grad: Tensor) -> Any:
    from stowflow.graph import array_ops

    part = array_ops.matrix_diag_part(grad, k=op.inputs[1], align=op.get_attr("align"))
    return [part, None, None, None, None]


@register_gradient("MatrixInverse")
def _matrix_inverse_grad(op: Operation, grad: Tensor) -> Any:
    inverse = op.outputs[0]
    adjoint = bool(op.get_attr("adjoint"))
    inner = math_ops.matmul(grad, inverse, adjoint_a=adjoint, adjoint_b=not adjoint)
    return g.neg(math_ops.matmul(inverse, inner, adjoint_a=not adjoint))


@register_gradient("Tan")
def _tan_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        secant = g.unary("Reciprocal", g.unary("Cos", op.inputs[0]))
        return g.mul(g.unary("Square", secant), grad, name="mul")


@register_gradient("Sinh")
def _sinh_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        return g.mul(grad, g.unary("Cosh", op.inputs[0]), name="mul")


@register_gradient("Cosh")
def _cosh_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        return g.mul(grad, g.unary("Sinh", op.inputs[0]), name="mul")


def _inverse_root_one_minus_square(x: Tensor, grad: Tensor) -> Tensor:
    """``1 / sqrt(1 - x**2)``, as TF's Asin/Acos gradients build it."""
    squared = g.unary("Square", x)
    one = g.const(np.array(1, grad.dtype.base_dtype.as_numpy_dtype))
    root = g.unary("Sqrt", g.op("Sub", {"x": one, "y": squared}))
    return g.unary("Reciprocal", root)


@register_gradient("Asin")
def _asin_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        return g.mul(grad, _inverse_root_one_minus_square(op.inputs[0], grad), name="mul")


@register_gradient("Acos")
def _acos_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        inverse = _inverse_root_one_minus_square(op.inputs[0], grad)
        return g.mul(g.neg(grad), inverse, name="mul")


@register_gradient("Atan")
def _atan_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        squared = g.unary("Square", op.inputs[0])
        one = g.const(np.array(1, grad.dtype.base_dtype.as_numpy_dtype))
        inverse = g.unary("Reciprocal", g.op("AddV2", {"x": one, "y": squared}, name="Add"))
        return g.mul(grad, inverse, name="mul")


@register_gradient("Atan2")
def _atan2_grad(op: Operation, grad: Tensor) -> Any:
    from stowflow.graph.math_grad import _reduce_gradient_args

    y, x = op.inputs[0], op.inputs[1]
    with g.after(grad):
        total = g.binary("AddV2", g.unary("Square", y), g.unary("Square", x), "add")
        grad_inv = g.binary("RealDiv", grad, total, "truediv")
        gy = g.mul(x, grad_inv, name="mul")
        gx = g.mul(g.neg(y), grad_inv, name="mul_1")
        return _reduce_gradient_args(y, x, gy, gx)
