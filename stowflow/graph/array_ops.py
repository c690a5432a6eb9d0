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
    # As gen_array_ops.fill: a Python ``dims`` becomes ``Fill/dims`` (int32); a tensor of
    # int32 or int64 is used as is.
    return _one("Fill", {"dims": dims, "value": value}, None, name or "Fill")


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
    """Gathers slices along ``axis`` (``tf.gather``).

    As TF's: on a resource variable with ``axis`` 0 this is the variable's ``sparse_read``,
    a ``ResourceGather`` named ``Gather`` (or ``name``) on its handle.
    """
    if _is_resource_variable(params) and (axis is None or _static_int(axis) == 0):
        return _resource_gather(params, indices, batch_dims, name)
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


def _is_resource_variable(value: Any) -> bool:
    from stowflow.graph.variables import ResourceVariable

    return isinstance(value, ResourceVariable)


def _static_int(value: Any) -> int | None:
    from stowflow.graph.shape_fns import constant_value

    if isinstance(value, Tensor):
        found = constant_value(value)
        return None if found is None or np.ndim(found) else int(found)
    return int(value) if np.ndim(value) == 0 else None


def _resource_gather(variable: Any, indices: Any, batch_dims: int, name: str | None) -> Tensor:
    from stowflow.graph.extra_ops import gen_op

    attrs = {"dtype": variable.dtype.base_dtype, "batch_dims": batch_dims}
    inputs = {"resource": variable.handle, "indices": indices}
    out = gen_op("ResourceGather", inputs, attrs, name or "Gather")[0]
    # TF's shape function reads the variable's shape from the handle's data:
    # params.shape[:batch_dims] + indices.shape[batch_dims:] + params.shape[batch_dims + 1:].
    params, index_shape = TensorShape(variable.shape), out.op.inputs[1].shape
    if params.dims is not None and index_shape.dims is not None:
        dims = (
            params.dims[:batch_dims] + index_shape.dims[batch_dims:] + params.dims[batch_dims + 1 :]
        )
        out.set_shape(TensorShape(dims))
    return out


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


def boolean_mask(tensor: Any, mask: Any, name: str = "boolean_mask", axis: Any = None) -> Tensor:
    """The entries of ``tensor`` where the N-D ``mask`` is true (``tf.boolean_mask``).

    As TF's: the masked dimensions are flattened into one, then gathered at ``Where(mask)``.

    Raises:
        ValueError: for a scalar mask or one of unknown rank (TF's messages).
    """
    from stowflow.graph import grad_ops as g
    from stowflow.graph import math_ops

    with get_default_graph().name_scope(name):
        tensor_t = convert_to_tensor(tensor, name="tensor")
        mask_t = convert_to_tensor(mask, name="mask")
        ndims = mask_t.shape.ndims
        if ndims == 0:
            raise ValueError("mask cannot be scalar.")
        if ndims is None:
            raise ValueError(
                "Number of mask dimensions must be specified, even if some dimensions are "
                "None.  E.g. shape=[None] is ok, but shape=None is not."
            )
        start = 0 if axis is None else int(axis)
        stop = start + ndims
        static = tensor_t.shape
        if static.dims is not None:
            static[start:stop].assert_is_compatible_with(mask_t.shape)
        lead = math_ops.reduce_prod(
            strided_slice_from_key(g.shape(tensor_t), builtin_slice(start, stop)), [0]
        )
        flat = reshape(
            tensor_t,
            _concat_parts(
                [
                    strided_slice_from_key(
                        g.shape(tensor_t, "Shape_1"), builtin_slice(None, start)
                    ),
                    [lead],
                    strided_slice_from_key(g.shape(tensor_t, "Shape_2"), builtin_slice(stop, None)),
                ]
            ),
        )
        if static.dims is not None:
            first = static[start:stop].num_elements()
            flat.set_shape(TensorShape(static.dims[:start] + [first] + static.dims[stop:]))
        flat_mask = reshape(mask_t, [-1])
        indices = squeeze(_one("Where", {"input": flat_mask}, None, "Where"), axis=[1])
        return gather(flat, indices, axis=start)


def _concat_parts(parts: list[Any], axis: int = 0) -> Tensor:
    """``concat(parts, axis)`` where a Python list part is packed as ``concat/values_<i>``."""
    with get_default_graph().name_scope("concat") as scope:
        values = [
            stack(part, name=f"values_{i}") if isinstance(part, list) else part
            for i, part in enumerate(parts)
        ]
        return _one("ConcatV2", {"values": values, "axis": axis}, None, scope)


def matrix_transpose(a: Any, name: str = "matrix_transpose", conjugate: bool = False) -> Tensor:
    """Swaps the two innermost dimensions (``tf.linalg.matrix_transpose``).

    Raises:
        ValueError: if ``a`` has unknown rank or rank < 2.
    """
    with get_default_graph().name_scope(name):
        tensor = convert_to_tensor(a, name="a")
        ndims = tensor.shape.ndims
        if ndims is None:
            raise ValueError("matrix_transpose in stowflow needs an input of known rank")
        if ndims < 2:
            raise ValueError(
                f"Argument `a` should be a (batch) matrix with rank >= 2.  Received `a` = {a} "
                f"with shape: {tensor.shape}"
            )
        perm = list(builtins.range(ndims - 2)) + [ndims - 1, ndims - 2]
        return transpose(tensor, perm=perm)


def sequence_mask(
    lengths: Any, maxlen: Any = None, dtype: Any = dtypes.bool, name: str | None = None
) -> Tensor:
    """``mask[i, j] = j < lengths[i]`` (``tf.sequence_mask``).

    Raises:
        ValueError: if ``maxlen`` is not a scalar (TF's message).
    """
    with get_default_graph().name_scope(name or "SequenceMask"):
        lengths_t = convert_to_tensor(lengths)
        if maxlen is None:
            from stowflow.graph import math_ops

            top = _one(
                "Max",
                {"input": lengths_t, "reduction_indices": math_ops._reduction_dims(lengths_t)},
                {"keep_dims": False},
                "Max",
            )
            zero = constant(0, dtype=top.dtype.base_dtype)
            maxlen_t = _one("Maximum", {"x": zero, "y": top}, None, "Maximum")
        else:
            maxlen_t = convert_to_tensor(maxlen)
        if maxlen_t.shape.ndims not in (None, 0):
            raise ValueError(
                "Argument `maxlen` must be scalar for sequence_mask, received `maxlen` = "
                f"{maxlen} with shape '{maxlen_t.shape}' instead"
            )
        kind = maxlen_t.dtype.base_dtype
        row = _one(
            "Range",
            {"start": constant(0, dtype=kind), "limit": maxlen_t, "delta": constant(1, dtype=kind)},
            None,
            "Range",
        )
        column = _gen_cast(expand_dims(lengths_t, -1), kind)
        result = _one("Less", {"x": row, "y": column}, None, "Less")
        target = dtypes.as_dtype(dtype).base_dtype
        return result if target == dtypes.bool else _gen_cast(result, target)


def _gen_cast(x: Tensor, dtype: Any) -> Tensor:
    """``gen_math_ops.cast``: a Cast op even when the dtype already matches."""
    return _one("Cast", {"x": x}, {"DstT": dtypes.as_dtype(dtype), "Truncate": False}, "Cast")


def meshgrid(*args: Any, **kwargs: Any) -> list[Tensor]:
    """Coordinate grids from 1-D coordinate vectors (``tf.meshgrid``).

    Raises:
        TypeError: for keyword arguments other than ``indexing`` and ``name``.
        ValueError: for an ``indexing`` other than ``"xy"`` or ``"ij"``.
    """
    from stowflow.graph import grad_ops as g
    from stowflow.graph import math_ops

    indexing = kwargs.pop("indexing", "xy")
    name = kwargs.pop("name", "meshgrid")
    if kwargs:
        key = list(kwargs)[0]
        raise TypeError(f"'{key}' is an invalid keyword argument for this function")
    if indexing not in ("xy", "ij"):
        raise ValueError(
            f"Argument `indexing` parameter must be either 'xy' or 'ij', got '{indexing}'"
        )
    count = len(args)
    if not count:
        return []
    with get_default_graph().name_scope(name):
        inputs = [convert_to_tensor(x) for x in args]
        ones_shape = (1,) * count
        output = [
            reshape(x, list(ones_shape[:i] + (-1,) + ones_shape[i + 1 :]))
            for i, x in enumerate(inputs)
        ]
        sizes = [g.size(x, "Size") for x in inputs]
        if indexing == "xy" and count > 1:
            output[0] = reshape(output[0], [1, -1] + [1] * (count - 2))
            output[1] = reshape(output[1], [-1, 1] + [1] * (count - 2))
            sizes[0], sizes[1] = sizes[1], sizes[0]
        kind = inputs[0].dtype.base_dtype
        with get_default_graph().name_scope("ones") as scope:
            packed = stack(sizes, name="packed")
            one = constant(1, dtype=kind, name="Const")
            factor = _one("Fill", {"dims": packed, "value": one}, None, scope)
        return [math_ops.multiply(x, factor, name="mul") for x in output]


def broadcast_to(input: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """``input`` broadcast to ``shape`` (``tf.broadcast_to``)."""
    from stowflow.graph.extra_ops import gen_op

    return gen_op("BroadcastTo", {"input": input, "shape": shape}, None, name)[0]


def matrix_diag(
    diagonal: Any,
    name: str = "diag",
    k: Any = 0,
    num_rows: Any = -1,
    num_cols: Any = -1,
    padding_value: Any = 0,
    align: str = "RIGHT_LEFT",
) -> Tensor:
    """Batched diagonal matrices from their diagonals (``tf.linalg.diag``, ``MatrixDiagV3``)."""
    from stowflow.graph.extra_ops import gen_op

    if getattr(diagonal, "dtype", None) == dtypes.bool:
        padding_value = bool(padding_value)
    inputs = {
        "diagonal": diagonal,
        "k": k,
        "num_rows": num_rows,
        "num_cols": num_cols,
        "padding_value": padding_value,
    }
    return gen_op("MatrixDiagV3", inputs, {"align": align}, name)[0]


def matrix_diag_part(
    input: Any,  # noqa: A002
    name: str = "diag_part",
    k: Any = 0,
    padding_value: Any = 0,
    align: str = "RIGHT_LEFT",
) -> Tensor:
    """The diagonal of each innermost matrix (``tf.linalg.diag_part``, ``MatrixDiagPartV3``)."""
    from stowflow.graph.extra_ops import gen_op

    if getattr(input, "dtype", None) == dtypes.bool:
        padding_value = bool(padding_value)
    inputs = {"input": input, "k": k, "padding_value": padding_value}
    return gen_op("MatrixDiagPartV3", inputs, {"align": align}, name)[0]
