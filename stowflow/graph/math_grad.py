"""Gradients of math ops, building the nodes TF's ``math_grad.py`` builds.

Binary element-wise ops reduce each operand's gradient over its broadcast axes: axes known
from static shapes become ``Sum(reduction_indices=[...])``, otherwise a
``BroadcastGradientArgs`` op computes them at run time. Reductions over fully known shapes
fold their shape arithmetic to constants (and, like TF, leave the ``Maximum``/``floordiv``
nodes of that arithmetic in the graph, once per graph and shape).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph.core import Graph, Operation, Tensor, get_default_graph
from stowflow.graph.gradients import not_differentiable, register_gradient
from stowflow.graph.shape_fns import constant_value

not_differentiable("Shape", "ShapeN", "Rank", "Size", "FloorDiv", "TruncateDiv", "ZerosLike")
not_differentiable("OnesLike", "Equal", "NotEqual", "Less", "LessEqual", "Greater")
not_differentiable("GreaterEqual", "LogicalAnd", "LogicalOr", "LogicalNot", "ArgMax", "ArgMin")
not_differentiable("BroadcastGradientArgs", "Range", "Floor")


def _infer_reduction_axes(x: Tensor, y: Tensor) -> tuple[list[int], list[int]] | None:
    """Axes each operand was broadcast along, from static shapes (None when unknown)."""
    xs, ys = g.static_shape(x), g.static_shape(y)
    if xs is None or ys is None:
        return None
    rank = max(len(xs), len(ys))
    x_dims = (1,) * (rank - len(xs)) + xs
    y_dims = (1,) * (rank - len(ys)) + ys
    x_axes: list[int] = []
    y_axes: list[int] = []
    for axis, (xd, yd) in enumerate(zip(x_dims, y_dims, strict=True)):
        if xd == 1 and yd != 1:
            x_axes.append(axis)
        elif yd == 1 and xd != 1:
            y_axes.append(axis)
        elif xd is None or yd is None:
            return None
    return x_axes, y_axes


def _reduce_gradient_args(x: Tensor, y: Tensor, gx: Any, gy: Any) -> tuple[Any, Any]:
    """TF's ``_ReduceGradientArgs``: sum each gradient over its operand's broadcast axes."""
    if gx is None and gy is None:
        return gx, gy
    x_shape = g.shape(x)
    y_shape = g.shape(y)
    static = _infer_reduction_axes(x, y)
    x_axes: Any
    y_axes: Any
    if static is None:
        x_axes, y_axes = g.op(
            "BroadcastGradientArgs", {"s0": x_shape, "s1": y_shape}, None, "BroadcastGradientArgs"
        ).op.outputs
        x_reduce: Any = True
        y_reduce: Any = True
    else:
        x_axes, y_axes = static
        x_rank, y_rank = x.shape.ndims, y.shape.ndims
        x_reduce = bool(x_axes) or x_rank < y_rank
        y_reduce = bool(y_axes) or y_rank < x_rank
    if gx is not None and x_reduce:
        gx = g.reshape(g.reduce_sum(gx, x_axes, keepdims=True), x_shape)
    if gy is not None and y_reduce:
        gy = g.reshape(g.reduce_sum(gy, y_axes, keepdims=True), y_shape)
    return gx, gy


def _fully_specified_and_equal(x: Tensor, y: Tensor, grad: Tensor) -> bool:
    xs = g.static_shape(x)
    return xs == g.static_shape(y) == g.static_shape(grad) and xs is not None and None not in xs


@register_gradient("Add", "AddV2")
def _add_grad(op: Operation, grad: Tensor) -> Any:
    x, y = op.inputs
    if _fully_specified_and_equal(x, y, grad):
        return grad, grad
    return _reduce_gradient_args(x, y, grad, grad)


@register_gradient("Sub")
def _sub_grad(op: Operation, grad: Tensor) -> Any:
    x, y = op.inputs
    if _fully_specified_and_equal(x, y, grad):
        return grad, g.neg(grad)
    return _reduce_gradient_args(x, y, grad, g.neg(grad))


@register_gradient("Mul")
def _mul_grad(op: Operation, grad: Tensor) -> Any:
    x, y = op.inputs
    if _fully_specified_and_equal(x, y, grad) and grad.dtype.base_dtype in (
        dtypes.int32,
        dtypes.float32,
    ):
        return g.mul(grad, y), g.mul(grad, x)
    return _reduce_gradient_args(x, y, g.mul(grad, y), g.mul(x, grad))


@register_gradient("RealDiv")
def _real_div_grad(op: Operation, grad: Tensor) -> Any:
    x, y = op.inputs
    gx = g.binary("RealDiv", grad, y, "RealDiv")
    ratio = g.binary("RealDiv", g.binary("RealDiv", g.neg(x), y, "RealDiv"), y, "RealDiv")
    gy = g.mul(grad, ratio, name="mul")
    return _reduce_gradient_args(x, y, gx, gy)


@register_gradient("Neg")
def _neg_grad(op: Operation, grad: Tensor) -> Any:
    return g.neg(grad)


@register_gradient("Square")
def _square_grad(op: Operation, grad: Tensor) -> Any:
    x = op.inputs[0]
    with g.after(grad):
        two = g.const(np.array(2.0, dtype=x.dtype.base_dtype.as_numpy_dtype))
        return g.mul(grad, g.mul(x, two))


@register_gradient("Sqrt")
def _sqrt_grad(op: Operation, grad: Tensor) -> Any:
    return g.op("SqrtGrad", {"y": op.outputs[0], "dy": grad})


@register_gradient("Rsqrt")
def _rsqrt_grad(op: Operation, grad: Tensor) -> Any:
    return g.op("RsqrtGrad", {"y": op.outputs[0], "dy": grad})


@register_gradient("Exp")
def _exp_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        return g.mul(grad, op.outputs[0], name="mul")


@register_gradient("Log")
def _log_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        return g.mul(grad, g.unary("Reciprocal", op.inputs[0]), name="mul")


@register_gradient("Sigmoid")
def _sigmoid_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        return g.op("SigmoidGrad", {"y": op.outputs[0], "dy": grad})


@register_gradient("Tanh")
def _tanh_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        return g.op("TanhGrad", {"y": op.outputs[0], "dy": grad})


_FLOATS = {
    dtypes.float16,
    dtypes.float32,
    dtypes.float64,
    dtypes.bfloat16,
    dtypes.complex64,
    dtypes.complex128,
}


@register_gradient("Cast")
def _cast_grad(op: Operation, grad: Tensor) -> Any:
    src = op.inputs[0].dtype.base_dtype
    if src in _FLOATS and grad.dtype.base_dtype in _FLOATS:
        return g.cast(grad, src)
    return None


@register_gradient("AddN")
def _add_n_grad(op: Operation, grad: Tensor) -> Any:
    return [grad] * len(op.inputs)


@register_gradient("MatMul")
def _mat_mul_grad(op: Operation, grad: Tensor) -> Any:
    t_a, t_b = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    a, b = op.inputs

    def mm(x: Tensor, y: Tensor, ta: bool, tb: bool, which: str) -> Tensor:
        attrs = {"transpose_a": ta, "transpose_b": tb, which: True}
        return g.op("MatMul", {"a": x, "b": y}, attrs)

    # (grad_a operands, grad_b operands) for each (transpose_a, transpose_b)
    table = {
        (False, False): ((grad, b, False, True), (a, grad, True, False)),
        (False, True): ((grad, b, False, False), (grad, a, True, False)),
        (True, False): ((b, grad, False, True), (a, grad, False, False)),
        (True, True): ((b, grad, True, True), (grad, a, True, True)),
    }
    spec_a, spec_b = table[(bool(t_a), bool(t_b))]
    return mm(*spec_a, "grad_a"), mm(*spec_b, "grad_b")


# ----------------------------------------------------------------------------- reductions

_REDUCED_SHAPE_CACHE: weakref.WeakKeyDictionary[Graph, dict[Any, Any]] = weakref.WeakKeyDictionary()


def _kept_dims_and_scaling(dims: tuple[int, ...], axes: tuple[int, ...]) -> tuple[Any, Any]:
    """TF's reduced-shape arithmetic for a fully known input (its nodes made once per graph)."""
    cache = _REDUCED_SHAPE_CACHE.setdefault(get_default_graph(), {})
    key = (dims, axes)
    if key not in cache:
        kept = np.array(dims, dtype=np.int32)
        kept[np.array(axes, dtype=np.int32)] = 1
        kept_tuple = tuple(kept)
        # TF evaluates `input_shape // maximum(kept, 1)` with graph ops, then folds it.
        maximum = g.binary("Maximum", kept, 1, "Maximum")
        g.binary("FloorDiv", list(dims), maximum, "floordiv")
        scaling = tuple(np.array(dims, np.int32) // np.maximum(kept, 1))
        cache[key] = ([int(d) for d in kept_tuple], [int(s) for s in scaling])
    return cache[key]


def _sum_grad_tensor(op: Operation, grad: Tensor) -> Tensor:
    x = op.inputs[0]
    dims = g.static_shape(x)
    axes = constant_value(op.inputs[1])
    if dims is not None and axes is not None:
        rank = len(dims)
        axes_flat = tuple(int(a) for a in np.asarray(axes).reshape(-1))
        if np.array_equal(np.asarray(axes), np.arange(rank)):
            grad = g.reshape(grad, [1] * rank)
            if None not in dims:
                input_shape = g.const(np.array(dims, dtype=np.int32))
            else:
                input_shape = g.shape(x)
            return g.tile(grad, input_shape)
        if None not in dims:
            kept, scaling = _kept_dims_and_scaling(dims, axes_flat)  # type: ignore[arg-type]
            return g.tile(g.reshape(grad, kept), scaling)
    raise NotImplementedError(
        f"gradient of {op.type} '{op.name}' over a shape or axes not known statically"
    )


@register_gradient("Sum")
def _sum_grad(op: Operation, grad: Tensor) -> Any:
    return _sum_grad_tensor(op, grad), None


@register_gradient("Mean")
def _mean_grad(op: Operation, grad: Tensor) -> Any:
    sum_grad = _sum_grad_tensor(op, grad)
    in_dims, out_dims = g.static_shape(op.inputs[0]), g.static_shape(op.outputs[0])
    if in_dims is not None and out_dims is not None and None not in in_dims + out_dims:
        in_size = int(np.prod(in_dims, dtype=np.int64))
        out_size = int(np.prod(out_dims, dtype=np.int64))
        factor = g.const(np.array(in_size // max(out_size, 1), sum_grad.dtype.as_numpy_dtype))
    else:
        input_shape = g.shape(op.inputs[0])
        input_rank = g.size(input_shape)
        axes = g.cast(op.inputs[1], dtypes.int32)
        axes = g.binary("FloorMod", g.binary("AddV2", axes, input_rank, "add"), input_rank, "mod")
        gathered = g.op(
            "GatherV2",
            {"params": input_shape, "indices": axes, "axis": 0},
            {"batch_dims": 0, "Taxis": dtypes.int32},
        )
        rank = gathered.shape.ndims
        prod_axes = g.const(np.arange(rank if rank is not None else 1, dtype=np.int32))
        factor = g.op(
            "Prod", {"input": gathered, "reduction_indices": prod_axes}, {"keep_dims": False}
        )
    factor = g.cast(factor, sum_grad.dtype)
    return g.binary("RealDiv", sum_grad, factor, "truediv"), None
