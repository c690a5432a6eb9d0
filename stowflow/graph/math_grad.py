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
from stowflow.graph.indexed_slices import IndexedSlices
from stowflow.graph.shape import TensorShape
from stowflow.graph.shape_fns import constant_value as _shape_constant_value


def constant_value(t: Tensor) -> Any:
    """TF's ``tensor_util.constant_value`` for what gradients read: Consts, and the Rank /
    Range ops a reduction over all axes of a known-rank input builds."""
    value = _shape_constant_value(t)
    if value is not None:
        return value
    op = t.op
    if op.type == "Rank" and op.inputs[0].shape.ndims is not None:
        return np.array(op.inputs[0].shape.ndims, np.int32)
    if op.type == "Range":
        parts = [constant_value(x) for x in op.inputs]
        if all(p is not None for p in parts):
            start, limit, delta = (np.asarray(p).item() for p in parts)
            return np.arange(start, limit, delta, dtype=t.dtype.base_dtype.as_numpy_dtype)
    return None


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
        x_axes, y_axes = (np.array(axes, np.int32) for axes in static)  # [] stays int32
        x_rank, y_rank = x.shape.ndims, y.shape.ndims
        x_reduce = bool(x_axes.size) or x_rank < y_rank
        y_reduce = bool(y_axes.size) or y_rank < x_rank
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


@register_gradient("DivNoNan")
def _div_no_nan_grad(op: Operation, grad: Tensor) -> Any:
    x, y = op.inputs
    gx = g.binary("DivNoNan", grad, y, "div_no_nan")
    ratio = g.binary("DivNoNan", g.binary("DivNoNan", g.neg(x), y, "div_no_nan"), y, "div_no_nan")
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
def _cast_grad(op: Operation, grad: Any) -> Any:
    src = op.inputs[0].dtype.base_dtype
    if src in _FLOATS and grad.dtype.base_dtype in _FLOATS:
        if isinstance(grad, IndexedSlices):  # TF casts the values, keeps the slices
            return IndexedSlices(g.cast(grad.values, src), grad.indices, grad.dense_shape)
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


def _reshape_all_ones(grad: Tensor, rank: int) -> Tensor:
    """``array_ops.reshape(grad, [1] * rank)``. For rank 0 TF first converts the empty
    list as float32 (a ``Reshape/shape`` Const left unused) and retries as int32."""
    if rank:
        return g.reshape(grad, [1] * rank)
    with get_default_graph().name_scope("Reshape") as scope:
        g.const(np.zeros(0, np.float32), name="shape")
        shape = g.const(np.zeros(0, np.int32), name="shape")
        return g.op("Reshape", {"tensor": grad, "shape": shape}, None, scope)


def _sum_grad_tensor(op: Operation, grad: Tensor) -> Tensor:
    x = op.inputs[0]
    dims = g.static_shape(x)
    axes = constant_value(op.inputs[1])
    if dims is not None and axes is not None:
        rank = len(dims)
        axes_flat = tuple(int(a) for a in np.asarray(axes).reshape(-1))
        if np.array_equal(np.asarray(axes), np.arange(rank)):
            grad = _reshape_all_ones(grad, rank)
            if None not in dims:
                input_shape = g.const(np.array(dims, dtype=np.int32))
            else:
                input_shape = g.shape(x)
            return g.tile(grad, input_shape)
        if None not in dims:
            kept, scaling = _kept_dims_and_scaling(dims, axes_flat)  # type: ignore[arg-type]
            return g.tile(g.reshape(grad, kept), scaling)
    return _sum_grad_dynamic(op, grad)


def _sum_grad_dynamic(op: Operation, grad: Tensor) -> Tensor:
    """TF's run-time path: reshape to the kept dims, then BroadcastTo the input shape."""
    input_shape = g.shape(op.inputs[0])
    if not op.get_attr("keep_dims"):
        with op.graph.colocate_with(input_shape.op):
            kept = _reduced_shape_dynamic(input_shape, op.inputs[1])
        grad = g.reshape(grad, kept)
    return g.op("BroadcastTo", {"input": grad, "shape": input_shape})


def _reduced_shape_dynamic(input_shape: Tensor, axes: Tensor) -> Tensor:
    """``math_ops.reduced_shape`` built as ops: DynamicStitch of the shape and ones."""
    input_rank = g.size(input_shape)
    if axes.dtype.base_dtype != dtypes.int32:
        input_rank = g.cast(input_rank, axes.dtype)
    axes = g.binary("FloorMod", g.binary("AddV2", axes, input_rank, "add"), input_rank, "mod")
    axes_shape = g.shape(axes)
    positions = g.range_(0, input_rank, 1)
    ones = g.ones(axes_shape, input_shape.dtype, "ones")
    return g.op("DynamicStitch", {"indices": [positions, axes], "data": [input_shape, ones]})


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
        if rank:  # math_ops._ReductionDims: a Const of every axis, else Range(Rank)
            prod_axes = g.const(np.arange(rank, dtype=np.int32))
        else:
            prod_axes = g.range_(0, g.rank(gathered))
        factor = g.op(
            "Prod", {"input": gathered, "reduction_indices": prod_axes}, {"keep_dims": False}
        )
    factor = g.cast(factor, sum_grad.dtype)
    return g.binary("RealDiv", sum_grad, factor, "truediv"), None


def _reduced_shape_const(op: Operation) -> Any:
    """``math_ops.reduced_shape`` folded to a NumPy array (None when not static)."""
    dims = g.static_shape(op.inputs[0])
    axes = constant_value(op.inputs[1])
    if dims is None or None in dims or axes is None:
        return None
    kept = np.array(dims, dtype=np.int32)
    kept[np.asarray(axes, dtype=np.int32)] = 1
    return kept


def _min_or_max_grad(op: Operation, grad: Tensor) -> Any:
    g.shape(op.inputs[0])
    y = op.outputs[0]
    if not op.get_attr("keep_dims"):
        kept = _reduced_shape_const(op)
        if kept is None:
            raise NotImplementedError(
                f"gradient of {op.type} '{op.name}' over a shape or axes not known statically"
            )
        y = g.reshape(y, [int(d) for d in kept])
        grad = g.reshape(grad, [int(d) for d in kept])
        kept_shape: Any = [int(d) for d in kept]
    else:
        kept_shape = g.shape(y)
    indicators = g.cast(g.op("Equal", {"x": y, "y": op.inputs[0]}), grad.dtype)
    total = g.op(
        "Sum", {"input": indicators, "reduction_indices": op.inputs[1]}, {"keep_dims": False}
    )
    num_selected = g.reshape(total, kept_shape)
    return g.mul(g.binary("RealDiv", indicators, num_selected, "truediv"), grad, name="mul"), None


register_gradient("Max", "Min")(_min_or_max_grad)


def _maximum_minimum_grad(selector: str) -> Any:
    def fn(op: Operation, grad: Tensor) -> Any:
        x, y = op.inputs
        zeros = g.zeros_like_opt(grad)
        mask = g.op(selector, {"x": x, "y": y})
        gx = g.op("SelectV2", {"condition": mask, "t": grad, "e": zeros})
        gy = g.op("SelectV2", {"condition": mask, "t": zeros, "e": grad})
        return _reduce_gradient_args(x, y, gx, gy)

    return fn


register_gradient("Maximum")(_maximum_minimum_grad("GreaterEqual"))
register_gradient("Minimum")(_maximum_minimum_grad("LessEqual"))


@register_gradient("Select")
def _select_grad(op: Operation, grad: Tensor) -> Any:
    c, x = op.inputs[0], op.inputs[1]
    zeros = g.zeros_like_opt(x)
    gx = g.op("Select", {"condition": c, "t": grad, "e": zeros})
    gy = g.op("Select", {"condition": c, "t": zeros, "e": grad})
    return None, gx, gy


@register_gradient("SelectV2")
def _select_v2_grad(op: Operation, grad: Tensor) -> Any:
    c, x, y = op.inputs
    z = op.outputs[0]
    zeros = g.const(np.array(0, grad.dtype.base_dtype.as_numpy_dtype), name="zeros")
    gx = g.op("SelectV2", {"condition": c, "t": grad, "e": zeros})
    gy = g.op("SelectV2", {"condition": c, "t": zeros, "e": grad})
    gx, _ = _reduce_gradient_args(x, z, gx, None)
    gy, _ = _reduce_gradient_args(y, z, gy, None)
    return None, gx, gy


@register_gradient("Reciprocal")
def _reciprocal_grad(op: Operation, grad: Tensor) -> Any:
    return g.op("ReciprocalGrad", {"y": op.outputs[0], "dy": grad})


@register_gradient("Erf")
def _erf_grad(op: Operation, grad: Tensor) -> Any:
    x = op.inputs[0]
    scale = g.const(np.array(2 / np.sqrt(np.pi), grad.dtype.base_dtype.as_numpy_dtype))
    with g.after(grad):
        return g.mul(
            g.mul(grad, scale, name="mul"),
            g.unary("Exp", g.neg(g.unary("Square", x))),
            name="mul_1",
        )


@register_gradient("Abs")
def _abs_grad(op: Operation, grad: Tensor) -> Any:
    return g.mul(grad, g.unary("Sign", op.inputs[0]), name="mul")


@register_gradient("BatchMatMulV2", "BatchMatMulV3")
def _batch_mat_mul_grad(op: Operation, grad: Tensor) -> Any:
    x, y = op.inputs
    adj_x, adj_y = bool(op.get_attr("adj_x")), bool(op.get_attr("adj_y"))
    table = {
        (False, False): ((grad, y, False, True), (x, grad, True, False)),
        (False, True): ((grad, y, False, False), (grad, x, True, False)),
        (True, False): ((y, grad, False, True), (x, grad, False, False)),
        (True, True): ((y, grad, True, True), (grad, x, True, True)),
    }

    def mm(a: Tensor, b: Tensor, ta: bool, tb: bool, which: str) -> Tensor:
        attrs = {"adj_x": ta, "adj_y": tb, "grad_x": which == "x", "grad_y": which == "y"}
        if op.type == "BatchMatMulV3":
            attrs["Tout"] = op.get_attr("Tout")
        return g.op(op.type, {"x": a, "y": b}, attrs, "MatMul")

    spec_x, spec_y = table[(adj_x, adj_y)]
    grad_x, grad_y = mm(*spec_x, "x"), mm(*spec_y, "y")
    sx, sy = x.shape, y.shape
    may_batch = sx.ndims is None or sx.ndims > 2 or sy.ndims is None or sy.ndims > 2
    same_batch = (
        sx.ndims is not None
        and sy.ndims is not None
        and sx[:-2].is_fully_defined()
        and sy[:-2].is_fully_defined()
        and sx.as_list()[:-2] == sy.as_list()[:-2]
    )
    if not may_batch or same_batch:
        return grad_x, grad_y
    shape_x, shape_y = g.shape(x), g.shape(y)
    rx, ry = g.op("BroadcastGradientArgs", {"s0": shape_x[:-2], "s1": shape_y[:-2]}).op.outputs
    grad_x = g.reshape(g.reduce_sum(grad_x, rx, keepdims=False), shape_x)
    grad_y = g.reshape(g.reduce_sum(grad_y, ry, keepdims=False), shape_y)
    return grad_x, grad_y


@register_gradient("SquaredDifference")
def _squared_difference_grad(op: Operation, grad: Tensor) -> Any:
    x, y = op.inputs
    with g.after(grad):
        scalar = g.const(np.array(2.0, grad.dtype.base_dtype.as_numpy_dtype), name="scalar")
        x_grad = g.mul(g.mul(scalar, grad), g.binary("Sub", x, y, "sub"), name="mul")
    if _fully_specified_and_equal(x, y, grad):
        return x_grad, g.neg(x_grad)
    return _reduce_gradient_args(x, y, x_grad, g.neg(x_grad))


@register_gradient("Pow")
def _pow_grad(op: Operation, grad: Tensor) -> Any:
    x, y = op.inputs
    scaled = g.mul(grad, y, name="mul")
    power = g.binary("Pow", x, g.binary("Sub", y, 1, "sub"), "Pow")
    gx = g.mul(scaled, power, name="mul")
    mask = g.binary("Greater", x, 0, "Greater")
    safe_x = g.op("Select", {"condition": mask, "t": x, "e": g.ones_like(x)})
    log_x = g.op(
        "Select", {"condition": mask, "t": g.unary("Log", safe_x), "e": g.zeros_like_opt(x)}
    )
    gy = g.mul(g.mul(grad, op.outputs[0], name="mul"), log_x, name="mul")
    return _reduce_gradient_args(x, y, gx, gy)


@register_gradient("Log1p")
def _log1p_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        shifted = g.binary("AddV2", 1, op.inputs[0], "add")
        return g.mul(grad, g.unary("Reciprocal", shifted), name="mul")


@register_gradient("Sign")
def _sign_grad(op: Operation, grad: Tensor) -> Any:
    return g.zeros_like_opt(op.inputs[0])


@register_gradient("Sin")
def _sin_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        return g.mul(grad, g.unary("Cos", op.inputs[0]), name="mul")


@register_gradient("Cos")
def _cos_grad(op: Operation, grad: Tensor) -> Any:
    with g.after(grad):
        return g.mul(g.neg(grad), g.unary("Sin", op.inputs[0]), name="mul")


@register_gradient("Prod")
def _prod_grad(op: Operation, grad: Tensor) -> Any:
    """TF's cumprod formulation: exclusive products from both sides, so zeros are fine."""
    x = op.inputs[0]
    input_shape = g.shape(x)
    reduction_indices = g.reshape(op.inputs[1], [-1])
    if not op.get_attr("keep_dims"):
        kept = _reduced_shape_const(op)
        if kept is None:
            kept = _reduced_shape_dynamic(input_shape, op.inputs[1])
        else:
            kept = [int(d) for d in kept]
        grad = g.reshape(grad, kept)
    grad = g.op("BroadcastTo", {"input": grad, "shape": input_shape})
    rank = g.rank(x)
    reduction_indices = g.cast(reduction_indices, rank.dtype)
    reduced = g.binary("FloorMod", g.binary("AddV2", reduction_indices, rank, "add"), rank, "mod")
    idx = g.range_(0, rank, 1)
    other = g.op("ListDiff", {"x": idx, "y": reduced}, {"out_idx": reduced.dtype})
    perm = g.concat([reduced, other], 0)
    reduced_num = _prod_all(_gather0(input_shape, reduced))
    other_num = _prod_all(_gather0(input_shape, other))
    permuted = g.transpose(x, perm)
    static_perm = _static_prod_perm(op)
    if static_perm is not None:  # TF's shape inference folds the permutation
        dims = g.static_shape(x) or ()
        permuted.set_shape(TensorShape([dims[p] for p in static_perm]))
    permuted_shape = g.shape(permuted)
    with get_default_graph().name_scope("Reshape") as scope:
        pair = g.op("Pack", {"values": [reduced_num, other_num]}, {"axis": 0}, "shape")
        reshaped = g.op("Reshape", {"tensor": permuted, "shape": pair}, None, scope)
    left = _cumprod(reshaped, reverse=False)
    right = _cumprod(reshaped, reverse=True)
    y = g.reshape(g.mul(left, right, name="mul"), permuted_shape)
    inverse = g.op("InvertPermutation", {"x": perm})
    out = g.mul(grad, g.transpose(y, inverse), name="mul")
    return g.reshape(out, input_shape), None


def _static_prod_perm(op: Operation) -> list[int] | None:
    """Prod's gradient permutation (reduced axes first) when axes and rank are static."""
    rank = op.inputs[0].shape.ndims
    axes = constant_value(op.inputs[1])
    if rank is None or axes is None:
        return None
    reduced = [int(a) % rank for a in np.asarray(axes).reshape(-1)] if rank else []
    return reduced + [i for i in range(rank) if i not in reduced]


def _gather0(params: Tensor, indices: Tensor) -> Tensor:
    with get_default_graph().name_scope("GatherV2") as scope:
        axis = g.const(np.array(0, np.int32), name="axis")
        inputs = {"params": params, "indices": indices, "axis": axis}
        return g.op("GatherV2", inputs, {"batch_dims": 0}, scope)


def _prod_all(t: Tensor) -> Tensor:
    rank = t.shape.ndims
    axes = g.const(np.arange(rank, dtype=np.int32)) if rank else g.range_(0, g.rank(t))
    return g.op("Prod", {"input": t, "reduction_indices": axes}, {"keep_dims": False})


def _cumprod(t: Tensor, reverse: bool) -> Tensor:
    with get_default_graph().name_scope("Cumprod") as scope:
        axis = g.const(np.array(0, np.int32), name="axis")
        attrs = {"exclusive": True, "reverse": reverse}
        return g.op("Cumprod", {"x": t, "axis": axis}, attrs, scope)

