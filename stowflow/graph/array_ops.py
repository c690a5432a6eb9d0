"""Array op constructors: placeholders, constants, shape manipulation, slicing."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph.builder import (
    apply_op_no_outputs,
    apply_op_outputs,
    constant,
    convert_to_tensor,
)
from stowflow.graph.core import Operation, Tensor, get_default_graph
from stowflow.graph.shape import TensorShape, as_shape


def _one(op_type: str, inputs: dict[str, Any], attrs: dict[str, Any] | None, name: Any) -> Tensor:
    result = apply_op_outputs(op_type, inputs, attrs, name=name)
    return result[0]


def placeholder(dtype: Any, shape: Any = None, name: str | None = None) -> Tensor:
    """A value that must be fed at run time (``tf.placeholder``)."""
    shape_value = as_shape(shape)
    out = _one(
        "Placeholder",
        {},
        {"dtype": dtypes.as_dtype(dtype), "shape": shape_value},
        name or "Placeholder",
    )
    out._shape = shape_value
    return out


def placeholder_with_default(input: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Returns ``input`` unless fed (``tf.placeholder_with_default``)."""
    out = _one(
        "PlaceholderWithDefault",
        {"input": input},
        {"shape": as_shape(shape)},
        name or "PlaceholderWithDefault",
    )
    out._shape = as_shape(shape)
    return out


def identity(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Returns a tensor with the same value (``tf.identity``)."""
    return _one("Identity", {"input": input}, None, name or "Identity")


def stop_gradient(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Identity that blocks gradients (``tf.stop_gradient``)."""
    return _one("StopGradient", {"input": input}, None, name or "StopGradient")


def no_op(name: str | None = None) -> Operation:
    """An op that does nothing; useful with control dependencies."""
    result = apply_op_no_outputs("NoOp", {}, None, name=name or "NoOp")
    return result


def group(*inputs: Any, name: str | None = None) -> Operation:
    """A NoOp depending on every input (``tf.group``)."""
    graph = get_default_graph()
    ops = []
    for item in inputs:
        for sub in item if isinstance(item, list | tuple) else [item]:
            element = graph.as_graph_element(sub)
            ops.append(element.op if isinstance(element, Tensor) else element)
    with graph.control_dependencies(ops):
        return no_op(name=name or "group_deps")


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:
    """``tf.reshape``."""
    return _one(
        "Reshape",
        {
            "tensor": tensor,
            "shape": shape,
        },
        None,
        name or "Reshape",
    )


def shape(input: Any, name: str | None = None, out_type: Any = dtypes.int32) -> Tensor:  # noqa: A002
    """The dynamic shape of ``input`` as a 1-D tensor."""
    return _one("Shape", {"input": input}, {"out_type": out_type}, name or "Shape")


def size(input: Any, name: str | None = None, out_type: Any = dtypes.int32) -> Tensor:  # noqa: A002
    """The number of elements of ``input``."""
    return _one("Size", {"input": input}, {"out_type": out_type}, name or "Size")


def rank(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The rank of ``input``."""
    return _one("Rank", {"input": input}, None, name or "Rank")


def _fill_like(value: float, shape_: Any, dtype: Any, name: str) -> Tensor:
    tf_dtype = dtypes.as_dtype(dtype)
    if isinstance(shape_, Tensor):
        with get_default_graph().name_scope(name) as scope:
            return _one(
                "Fill", {"dims": shape_, "value": constant(value, dtype=tf_dtype)}, None, scope
            )
    return constant(value, dtype=tf_dtype, shape=list(as_shape(shape_).as_list()), name=name)


def zeros(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Tensor:
    """A tensor of zeros (``tf.zeros``)."""
    return _fill_like(0, shape, dtype, name or "zeros")


def ones(shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> Tensor:
    """A tensor of ones (``tf.ones``)."""
    return _fill_like(1, shape, dtype, name or "ones")


def fill(dims: Any, value: Any, name: str | None = None) -> Tensor:
    """A tensor of shape ``dims`` filled with ``value``."""
    return _one(
        "Fill",
        {"dims": convert_to_tensor(dims, dtype=dtypes.int32), "value": value},
        None,
        name or "Fill",
    )


def zeros_like(tensor: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """Zeros with the shape (and dtype) of ``tensor``."""
    out = _one("ZerosLike", {"x": tensor}, None, name or "zeros_like")
    return out if dtype is None else _cast(out, dtype)


def ones_like(tensor: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """Ones with the shape (and dtype) of ``tensor``."""
    out = _one("OnesLike", {"x": tensor}, None, name or "ones_like")
    return out if dtype is None else _cast(out, dtype)


def _cast(x: Tensor, dtype: Any) -> Tensor:
    from stowflow.graph import math_ops

    return math_ops.cast(x, dtype)


def concat(values: list[Any], axis: Any, name: str = "concat") -> Tensor:
    """Concatenates along ``axis`` (``tf.concat``)."""
    if len(values) == 1:
        return identity(values[0], name=name)
    return _one(
        "ConcatV2",
        {"values": list(values), "axis": axis},
        None,
        name,
    )


def stack(values: list[Any], axis: int = 0, name: str = "stack") -> Tensor:
    """Packs tensors along a new axis (``tf.stack``).

    As TF's, ``axis=0`` first tries converting the list as a whole (autopacking under
    ``name``), so a refused first attempt leaves ``name`` used and the op is ``name_1``.
    """
    if axis == 0:
        try:
            return convert_to_tensor(list(values), name=name)
        except (TypeError, ValueError):
            pass
    return _one("Pack", {"values": list(values)}, {"axis": axis}, name)


def unstack(
    value: Any, num: int | None = None, axis: int = 0, name: str = "unstack"
) -> list[Tensor]:
    """Splits along ``axis`` into a list (``tf.unstack``).

    Raises:
        ValueError: if ``num`` is not given and cannot be inferred.
    """
    tensor = convert_to_tensor(value)
    if num is None:
        dims = tensor.shape.dims
        if dims is None or dims[axis] is None:
            raise ValueError(f"Cannot infer argument `num` from shape {tensor.shape}")
        num = dims[axis]
    result = apply_op_outputs("Unpack", {"value": tensor}, {"num": num, "axis": axis}, name=name)
    return result


def transpose(a: Any, perm: Any = None, name: str = "transpose") -> Tensor:
    """Permutes dimensions (reverses them if ``perm`` is None)."""
    with get_default_graph().name_scope(name) as scope:
        tensor = convert_to_tensor(a, name="a")
        if perm is None:
            rank_ = tensor.shape.ndims
            if rank_ is None:
                raise ValueError("transpose without perm needs a known rank in stowflow")
            perm = list(builtins.range(rank_ - 1, -1, -1))
        return _one(
            "Transpose",
            {"x": tensor, "perm": np.asarray(perm, np.int32) if isinstance(perm, list) else perm},
            None,
            scope,
        )


def expand_dims(input: Any, axis: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Inserts a dimension of size 1 at ``axis``."""
    return _one(
        "ExpandDims",
        {"input": input, "dim": axis},
        None,
        name or "ExpandDims",
    )


def squeeze(
    input: Any,
    axis: Any = None,
    name: str | None = None,  # noqa: A002
    squeeze_dims: Any = None,
) -> Tensor:
    """Removes size-1 dimensions (all, or those in ``axis``)."""
    axis = axis if axis is not None else squeeze_dims
    axes = [] if axis is None else ([axis] if isinstance(axis, int) else list(axis))
    return _one("Squeeze", {"input": input}, {"squeeze_dims": axes}, name or "Squeeze")


def slice(input_: Any, begin: Any, size: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """``tf.slice``."""
    return _one("Slice", {"input": input_, "begin": begin, "size": size}, None, name or "Slice")


def gather(
    params: Any,
    indices: Any,
    axis: Any = None,
    batch_dims: int = 0,
    name: str | None = None,
    **_: Any,
) -> Tensor:
    """Gathers slices along ``axis`` (``tf.gather``)."""
    return _one(
        "GatherV2",
        {
            "params": params,
            "indices": indices,
            "axis": 0 if axis is None else axis,
        },
        {"batch_dims": batch_dims},
        name or "GatherV2",
    )


def tile(input: Any, multiples: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Repeats ``input`` ``multiples`` times per dimension."""
    return _one("Tile", {"input": input, "multiples": multiples}, None, name or "Tile")


def range(
    start: Any,
    limit: Any = None,
    delta: Any = 1,
    dtype: Any = None,  # noqa: A001
    name: str = "range",
) -> Tensor:
    """``tf.range``."""
    if limit is None:
        start, limit = 0, start
    with get_default_graph().name_scope(name) as scope:
        args = [
            convert_to_tensor(v, dtype=dtype, name=n)
            for v, n in ((start, "start"), (limit, "limit"), (delta, "delta"))
        ]
        # As TF's math_ops.range: without dtype, the widest of the three types wins and the
        # others are cast to it (``tf.range(6.0)`` is float32).
        target = (
            dtypes.as_dtype(dtype).base_dtype
            if dtype is not None
            else max((t.dtype.base_dtype for t in args), key=_RANGE_TYPES.index)
        )
        start_t, limit_t, delta_t = (
            t
            if t.dtype.base_dtype == target
            else _one("Cast", {"x": t}, {"DstT": target, "Truncate": False}, "Cast")
            for t in args
        )
        return _one("Range", {"start": start_t, "limit": limit_t, "delta": delta_t}, None, scope)


_RANGE_TYPES = [
    dtypes.int32,
    dtypes.int64,
    dtypes.float16,
    dtypes.bfloat16,
    dtypes.float32,
    dtypes.float64,
]


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """TF1 ``tf.where``: ``Select`` of x and y, or the coordinates of true values (``Where``).

    Raises:
        ValueError: if only one of x and y is given (TF's message).
    """
    if x is None and y is None:
        with get_default_graph().name_scope(name or "Where") as scope:
            cond = convert_to_tensor(condition, preferred_dtype=dtypes.bool, name="condition")
            return _one("Where", {"input": cond}, None, scope)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    return _one("Select", {"condition": condition, "t": x, "e": y}, None, name or "Select")


def where_v2(condition: Any, x: Any, y: Any, name: str | None = None) -> Tensor:
    """Broadcasting select (``tf.where`` in TF2, ``SelectV2``)."""
    return _one("SelectV2", {"condition": condition, "t": x, "e": y}, None, name or "SelectV2")


def strided_slice_from_key(tensor: Tensor, key: Any) -> Tensor:
    """Implements ``tensor[key]`` with a StridedSlice op, as TF's ``_slice_helper`` does."""
    if not isinstance(key, tuple):
        key = (key,)
    begin, end, strides = [], [], []
    begin_mask = end_mask = ellipsis_mask = new_axis_mask = shrink_mask = 0
    for index, item in enumerate(key):
        bit = 1 << index
        if isinstance(item, builtin_slice):
            begin.append(item.start if item.start is not None else 0)
            end.append(item.stop if item.stop is not None else 0)
            strides.append(item.step if item.step is not None else 1)
            begin_mask |= bit if item.start is None else 0
            end_mask |= bit if item.stop is None else 0
        elif item is Ellipsis:
            begin.append(0)
            end.append(0)
            strides.append(1)
            ellipsis_mask |= bit
        elif item is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            new_axis_mask |= bit
        else:
            begin.append(item)
            end.append(item + 1 if isinstance(item, int) and item != -1 else 0)
            if isinstance(item, int) and item == -1:
                end_mask |= bit
            strides.append(1)
            shrink_mask |= bit
    with get_default_graph().name_scope("strided_slice") as scope:
        return _one(
            "StridedSlice",
            {
                "input": tensor,
                "begin": stack_ints(begin, "stack"),
                "end": stack_ints(end, "stack_1"),
                "strides": stack_ints(strides, "stack_2"),
            },
            {
                "begin_mask": begin_mask,
                "end_mask": end_mask,
                "ellipsis_mask": ellipsis_mask,
                "new_axis_mask": new_axis_mask,
                "shrink_axis_mask": shrink_mask,
            },
            scope,
        )


builtin_slice = builtins.slice


def stack_ints(values: list[Any], name: str) -> Tensor:
    """A 1-D int32 tensor from Python ints and/or scalar tensors."""
    if any(isinstance(v, Tensor) for v in values):
        return stack([convert_to_tensor(v, dtype=dtypes.int32) for v in values], name=name)
    return constant(values, dtype=dtypes.int32, name=name)


def shape_as_list(tensor: Tensor) -> list[int | None] | None:
    """Static dims of ``tensor`` (None if the rank is unknown)."""
    return TensorShape(tensor.shape).dims


def constant_strings(values: list[str], name: str = "Const") -> Tensor:
    """A 1-D string constant."""
    return constant(
        np.array([v.encode() for v in values], dtype=object), dtype=dtypes.string, name=name
    )


def boolean_mask(tensor: Any, mask: Any, name: str = "boolean_mask") -> Tensor:
    """Elements of a 1-D ``tensor`` where ``mask`` is true (``tf.boolean_mask``, 1-D case)."""
    with get_default_graph().name_scope(name) as scope:
        where = _one("Where", {"input": mask}, None, "Where")
        indices = squeeze(where, axis=[1], name="Squeeze")
        return gather(tensor, indices, axis=0, name=scope)
