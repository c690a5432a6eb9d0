"""Gradients of array ops and variable reads (TF's ``array_grad.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import grad_ops as g
from stowflow.graph.core import Operation, Tensor, get_default_graph
from stowflow.graph.gradients import not_differentiable, register_gradient
from stowflow.graph.indexed_slices import IndexedSlices, dense
from stowflow.graph.kernels.array_kernels import MASK_NAMES
from stowflow.graph.shape import TensorShape
from stowflow.graph.shape_fns import constant_value

not_differentiable("StopGradient", "ConcatOffset", "Const", "InvertPermutation")


@register_gradient("PreventGradient")
def _prevent_gradient_grad(op: Operation, grad: Any) -> Any:
    message = op.get_attr("message")
    message = message.decode() if isinstance(message, bytes) else message
    raise LookupError(f"Gradient explicitly disabled. Reason: {message}")


@register_gradient("Identity", "ReadVariableOp", "PlaceholderWithDefault", "Snapshot")
def _identity_grad(op: Operation, grad: Tensor) -> Any:
    return [grad] + [None] * (len(op.inputs) - 1)


@register_gradient("Reshape")
def _reshape_grad(op: Operation, grad: Any) -> Any:
    grad = dense(grad)
    dims = g.static_shape(op.inputs[0])
    if dims is not None and None in dims:
        unknown = [i for i, d in enumerate(dims) if d is None]
        if len(unknown) == 1 and 0 not in dims:
            wildcard = [-1 if d is None else d for d in dims]
            return g.reshape(grad, wildcard), None
    return g.reshape(grad, g.shape(op.inputs[0])), None


@register_gradient("ExpandDims", "Squeeze")
def _reshape_to_input(op: Operation, grad: Any) -> Any:
    grad = dense(grad)
    grads: list[Any] = [g.reshape(grad, g.shape(op.inputs[0]))]
    return grads + [None] * (len(op.inputs) - 1)


# ----------------------------------------------------------------------------- shapes


@register_gradient("Pack")
def _pack_grad(op: Operation, grad: Tensor) -> Any:
    n, axis = op.get_attr("N"), op.get_attr("axis")
    out = g.op("Unpack", {"value": grad}, {"num": n, "axis": axis}, "unstack")
    return list(out.op.outputs)


@register_gradient("Unpack")
def _unpack_grad(op: Operation, *grads: Any) -> Any:
    return g.op("Pack", {"values": list(grads)}, {"axis": op.get_attr("axis")}, "stack")


@register_gradient("Transpose")
def _transpose_grad(op: Operation, grad: Tensor) -> Any:
    inverse = g.op("InvertPermutation", {"x": op.inputs[1]})
    return g.transpose(grad, inverse), None


@register_gradient("Tile")
def _tile_grad(op: Operation, grad: Any) -> Any:
    if isinstance(grad, IndexedSlices):
        grad = dense(grad)
    input_shape = g.shape(op.inputs[0])
    split_shape = g.reshape(g.transpose(g.pack([op.inputs[1], input_shape]), [1, 0]), [-1])
    axes = g.range_(0, g.size(split_shape), 2)
    input_grad = g.op(
        "Sum",
        {"input": g.reshape(grad, split_shape), "reduction_indices": axes},
        {"keep_dims": False},
    )
    input_grad.set_shape(op.inputs[0].shape)
    return input_grad, None


def _pad_grad(op: Operation, grad: Tensor) -> Any:
    x, paddings = op.inputs[0], op.inputs[1]
    before = g.slice_(paddings, [0, 0], g.pack([g.rank(x), 1]))
    begin = g.reshape(before, [-1])
    x_grad = g.slice_(grad, begin, g.shape(x))
    return [x_grad] + [None] * (len(op.inputs) - 1)


register_gradient("Pad", "PadV2")(_pad_grad)


@register_gradient("MirrorPad")
def _mirror_pad_grad(op: Operation, grad: Tensor) -> Any:
    inputs = {"input": grad, "paddings": op.inputs[1]}
    return g.op("MirrorPadGrad", inputs, {"mode": op.get_attr("mode")}), None


@register_gradient("Slice")
def _slice_grad(op: Operation, grad: Tensor) -> Any:
    x, begin = op.inputs[0], op.inputs[1]
    x_rank = g.rank(x)
    slice_size = g.shape(op.outputs[0])
    pair = g.pack([x_rank, 1])
    before = g.reshape(begin, pair)
    rest = g.binary("Sub", g.binary("Sub", g.shape(x), slice_size, "sub"), begin, "sub")
    after = g.reshape(rest, pair)
    paddings = g.concat([before, after], 1)
    return g.op("Pad", {"input": grad, "paddings": paddings}), None, None


@register_gradient("StridedSlice")
def _strided_slice_grad(op: Operation, grad: Tensor) -> Any:
    shape = g.shape(op.inputs[0])
    graph = op.graph
    with graph.name_scope("StridedSliceGrad") as scope:
        parts = {"shape": shape}
        for key, t in (("begin", op.inputs[1]), ("end", op.inputs[2]), ("strides", op.inputs[3])):
            parts[key] = t
        for key, t in list(parts.items()):
            value = constant_value(t)
            if value is not None:
                parts[key] = g.const(np.asarray(value), name=key)
        attrs = {name: op.get_attr(name) for name in MASK_NAMES}
        dx = g.op("StridedSliceGrad", {**parts, "dy": grad}, attrs, scope)
    return dx, None, None, None


@register_gradient("ConcatV2")
def _concat_v2_grad(op: Operation, grad: Any) -> Any:
    values = list(op.inputs[:-1])
    if len(values) == 1:
        return [grad, None]
    if isinstance(grad, IndexedSlices):
        grad = dense(grad)
    axis = op.inputs[-1]
    non_neg = g.binary("FloorMod", axis, g.rank(values[0]), "mod")
    sizes = [g.shape(v) for v in values]
    if any(s.op.type != "Const" for s in sizes):
        sizes = g.shape_n(values)
    offsets = g.op("ConcatOffset", {"concat_dim": non_neg, "shape": sizes}).op.outputs
    out = [g.slice_(grad, begin, size) for begin, size in zip(offsets, sizes, strict=True)]
    return out + [None]


@register_gradient("Split")
def _split_grad(op: Operation, *grads: Any) -> Any:
    return None, g.op("ConcatV2", {"values": list(grads), "axis": op.inputs[0]}, None, "concat")


@register_gradient("SplitV")
def _split_v_grad(op: Operation, *grads: Any) -> Any:
    joined = g.op("ConcatV2", {"values": list(grads), "axis": op.inputs[2]}, None, "concat")
    return joined, None, None


@register_gradient("Fill")
def _fill_grad(op: Operation, grad: Tensor) -> Any:
    axes = g.range_(0, g.rank(grad), 1, name="range")
    return None, g.reduce_sum(grad, axes, keepdims=False)


# ----------------------------------------------------------------------------- gathers


def _gather_slices(
    params_shape: Tensor, indices: Tensor, grad: Any, indices_size: Tensor | None = None
) -> IndexedSlices:
    """TF's axis-0 gather gradient: the output gradient as rows of ``params``."""
    if indices_size is None:
        indices_size = g.expand_dims(g.size(indices), 0)
    values_shape = g.concat([indices_size, params_shape[1:]], 0)
    values = g.reshape(dense(grad), values_shape)
    return IndexedSlices(values, g.reshape(indices, indices_size), params_shape)


@register_gradient("GatherV2")
def _gather_v2_grad(op: Operation, grad: Any) -> Any:
    params, indices, axis = op.inputs[0], op.inputs[1], op.inputs[2]
    axis_value = constant_value(axis)
    if int(op.get_attr("batch_dims")) != 0 or axis_value is None:
        raise NotImplementedError(
            f"gradient of {op.type} '{op.name}' with batch_dims or a non-constant axis is not "
            "supported by stowflow yet"
        )
    with op.graph.colocate_with(params.op):
        params_shape = g.shape(params)
    indices_size = g.expand_dims(g.size(indices), 0)
    if int(np.asarray(axis_value)) == 0:
        return _gather_slices(params_shape, indices, grad, indices_size), None, None
    return _gather_axis_grad(op, params_shape, grad), None, None


def _gather_axis_grad(op: Operation, params_shape: Tensor, grad: Any) -> Tensor:
    """Gather along axis > 0, as TF builds it: move the axis first (Range/concat
    permutations), segment-sum the rows, move it back."""
    params, indices, axis = op.inputs[0], op.inputs[1], op.inputs[2]
    outer_shape = _tensor_slice(params_shape, None, axis)
    inner_shape = _int_slice(_tensor_slice(params_shape, axis, None), 1)
    rank, axis_value = params.shape.ndims, constant_value(axis)
    if rank is not None and axis_value is not None:  # TF's C++ shape inference folds these
        axis_int = int(np.asarray(axis_value)) % rank
        outer_shape.set_shape(TensorShape([axis_int]))
        inner_shape.set_shape(TensorShape([rank - axis_int - 1]))
    values_shape = g.concat([outer_shape, [-1], inner_shape], 0)
    values_dims = g.size(values_shape)
    axis_dims = g.size(outer_shape)
    outer_batches = g.range_(0, 0, 1)
    batch_axis = g.range_(0, axis_dims, 1)
    inner_axes = g.range_(g.binary("AddV2", axis_dims, 1, "add"), values_dims, 1)
    values = g.reshape(dense(grad), values_shape)
    graph = op.graph
    with graph.name_scope("concat") as scope:
        packed = g.op("Pack", {"values": [axis_dims]}, {"axis": 0}, "values_1")
        axis0 = g.const(np.array(0, np.int32), name="axis")
        transpose_dims = g.op(
            "ConcatV2",
            {"values": [outer_batches, packed, batch_axis, inner_axes], "axis": axis0},
            None,
            scope,
        )
    moved = g.transpose(values, transpose_dims)
    with graph.name_scope("GatherV2") as scope:
        gather_axis = g.const(np.array(0, np.int32), name="axis")
        g.op(
            "GatherV2",
            {"params": params_shape, "indices": transpose_dims, "axis": gather_axis},
            {"batch_dims": 0},
            scope,
        )
    gather_dim_size = _tensor_index(params_shape, axis)
    indices_size = g.expand_dims(g.size(indices), 0)
    flat_indices = g.reshape(indices, indices_size)
    summed = g.op(
        "UnsortedSegmentSum",
        {"data": moved, "segment_ids": flat_indices, "num_segments": gather_dim_size},
    )
    shifted = g.binary("AddV2", batch_axis, 1, "add")
    invert_dims = g.concat([outer_batches, shifted, [0], inner_axes], 0)
    back = g.transpose(summed, invert_dims)
    return g.reshape(back, g.shape(params))


def _tensor_slice(t: Tensor, start: Tensor | None, stop: Tensor | None) -> Tensor:
    """``t[start:stop]`` with one bound a tensor, as TF's ``_slice_helper`` builds it:
    the int bounds become Consts first, then each spec is packed."""
    begin: Any = g.const(np.array(0, np.int32)) if start is None else start
    end: Any = g.const(np.array(0, np.int32)) if stop is None else stop
    stride = g.const(np.array(1, np.int32))
    masks = {"begin_mask": int(start is None), "end_mask": int(stop is None)}
    return _packed_strided_slice(t, [begin, end, stride], masks)


def _tensor_index(t: Tensor, index: Tensor) -> Tensor:
    """``t[index]`` for a scalar tensor ``index`` (TF packs ``index`` and ``index + 1``)."""
    stop = g.binary("AddV2", index, 1, "add")
    graph = get_default_graph()
    with graph.name_scope("strided_slice") as scope:
        begin = g.op("Pack", {"values": [index]}, {"axis": 0}, "stack")
        end = g.op("Pack", {"values": [stop]}, {"axis": 0}, "stack_1")
        strides = g.const(np.array([1], np.int32), name="stack_2")
        return _strided_slice_op(t, begin, end, strides, {"shrink_axis_mask": 1}, scope)


def _packed_strided_slice(t: Tensor, bounds: list[Tensor], masks: dict[str, int]) -> Tensor:
    graph = get_default_graph()
    with graph.name_scope("strided_slice") as scope:
        names = ("stack", "stack_1", "stack_2")
        packed = [
            g.op("Pack", {"values": [b]}, {"axis": 0}, n)
            for b, n in zip(bounds, names, strict=True)
        ]
        return _strided_slice_op(t, packed[0], packed[1], packed[2], masks, scope)


def _int_slice(t: Tensor, start: int) -> Tensor:
    """``t[start:]`` with an int bound: Const specs named ``strided_slice/stack*``."""
    graph = get_default_graph()
    with graph.name_scope("strided_slice") as scope:
        specs = [
            g.const(np.array([v], np.int32), name=n)
            for v, n in ((start, "stack"), (0, "stack_1"), (1, "stack_2"))
        ]
        return _strided_slice_op(t, specs[0], specs[1], specs[2], {"end_mask": 1}, scope)


def _strided_slice_op(
    t: Tensor, begin: Tensor, end: Tensor, strides: Tensor, masks: dict[str, int], name: str
) -> Tensor:
    attrs = {m: masks.get(m, 0) for m in MASK_NAMES}
    inputs = {"input": t, "begin": begin, "end": end, "strides": strides}
    return g.op("StridedSlice", inputs, attrs, name)


@register_gradient("ResourceGather")
def _resource_gather_grad(op: Operation, grad: Any) -> Any:
    handle, indices = op.inputs[0], op.inputs[1]
    params_shape = _variable_shape(handle)
    return _gather_slices(params_shape, indices, grad), None


def _variable_shape(handle: Tensor) -> Tensor:
    """``resource_variable_ops.variable_shape``: a Const ``Shape`` when known."""
    shapes = getattr(handle, "_handle_shapes", None)
    dims = None
    if shapes:
        known = shapes[0]
        if known.ndims is not None and None not in known.as_list():
            dims = known.as_list()
    if dims is None and handle.op.type == "VarHandleOp":
        shape_attr = handle.op.get_attr("shape")
        known = TensorShape(shape_attr)
        if known.ndims is not None and None not in known.as_list():
            dims = known.as_list()
    if dims is not None:
        return g.const(np.array(dims, np.int32), name="Const")  # TF: constant_op.constant
    return g.op("VariableShape", {"input": handle}, {"out_type": dtypes.int32})
