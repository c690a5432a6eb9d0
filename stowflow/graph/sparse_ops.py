"""TF1 sparse ops on ``SparseTensor``: ``tf.sparse.to_dense``, ``reshape``, ``retain``,
``fill_empty_rows``, ``reduce_sum`` (TF's ``sparse_ops.py``), with TF's node names.

Example:
    >>> # dense = to_dense(SparseTensor([[0, 1]], [5.0], [2, 3]))   # SparseToDense:0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import array_ops, math_ops
from stowflow.graph.builder import constant, convert_to_tensor
from stowflow.graph.core import Tensor, get_default_graph
from stowflow.graph.extra_ops import gen_op
from stowflow.graph.shape import TensorShape
from stowflow.graph.shape_fns import constant_value
from stowflow.graph.sparse import SparseTensor


def _sparse(value: Any) -> SparseTensor:
    if isinstance(value, SparseTensor):
        return value
    if all(hasattr(value, part) for part in ("indices", "values", "dense_shape")):
        return SparseTensor.from_value(value)
    raise TypeError(f"Input must be a SparseTensor, got {type(value).__name__}")


def sparse_tensor_to_dense(
    sp_input: Any,
    default_value: Any = None,
    validate_indices: bool = True,
    name: str | None = None,
) -> Tensor:
    """The dense tensor of ``sp_input``, ``default_value`` (0) elsewhere (``SparseToDense``).

    Raises:
        TypeError: if ``sp_input`` is not a SparseTensor.
    """
    sp = _sparse(sp_input)
    if default_value is None:
        default_value = array_ops.zeros([], dtype=sp.dtype.base_dtype)
    inputs = {
        "sparse_indices": sp.indices,
        "output_shape": sp.dense_shape,
        "sparse_values": sp.values,
        "default_value": default_value,
    }
    return gen_op("SparseToDense", inputs, {"validate_indices": validate_indices}, name)[0]


def sparse_reshape(sp_input: Any, shape: Any, name: str | None = None) -> SparseTensor:
    """``sp_input`` with a new dense shape (one entry may be -1) (``SparseReshape``).

    Raises:
        ValueError: when static shapes show the reshape cannot work (TF's messages).
    """
    sp = _sparse(sp_input)
    shape_t = _cast_int64(shape)
    with get_default_graph().name_scope(name or "SparseReshape") as scope:
        new_indices, new_shape = gen_op(
            "SparseReshape",
            {"input_indices": sp.indices, "input_shape": sp.dense_shape, "new_shape": shape_t},
            None,
            scope,
        )
        static = _static_target(sp, shape_t)
        if static is not None:
            new_shape = constant(static, dtype=dtypes.int64)
        values = array_ops.identity(sp.values)
    return SparseTensor(new_indices, values, new_shape)


def _cast_int64(value: Any) -> Tensor:
    """``math_ops.cast(value, int64)``: a Python value becomes ``Cast/x`` in its scope."""
    with get_default_graph().name_scope("Cast") as scope:
        tensor = convert_to_tensor(value, name="x")
        return math_ops.cast(tensor, dtypes.int64, name=scope)


def _static_target(sp: SparseTensor, shape_t: Tensor) -> list[int] | None:
    """TF's static check of a reshape: the target with -1 resolved, when all is known."""
    source = shape_t.op.inputs[0] if shape_t.op.type == "Cast" else shape_t
    target = constant_value(source)
    old = sp.shape
    if target is None or not old.is_fully_defined():
        return None
    dims = [int(d) for d in np.asarray(target).reshape(-1)]
    total = int(np.prod(old.as_list(), dtype=np.int64))
    unknown = [i for i, d in enumerate(dims) if d == -1]
    if len(unknown) > 1:
        raise ValueError(f"At most one dimension can be unknown, but got {len(unknown)}")
    known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
    if unknown:
        if known == 0 or total % known:
            raise ValueError(
                f"Cannot reshape a tensor with {total} elements to shape {dims} "
                f"(this shape's known dimensions multiply to {known})"
            )
        dims[unknown[0]] = total // known
    if int(np.prod(dims, dtype=np.int64)) != total:
        raise ValueError(
            f"Cannot reshape a tensor with {total} elements to shape {dims} "
            f"({int(np.prod(dims, dtype=np.int64))} elements)"
        )
    return dims


def sparse_fill_empty_rows(
    sp_input: Any, default_value: Any, name: str | None = None
) -> tuple[SparseTensor, Tensor]:
    """``sp_input`` with ``default_value`` at ``[row, 0, ...]`` of each empty row, and the
    empty-row indicator (``SparseFillEmptyRows``)."""
    sp = _sparse(sp_input)
    with get_default_graph().name_scope(name or "SparseFillEmptyRows"):
        default = convert_to_tensor(default_value, dtype=sp.values.dtype.base_dtype)
        indices, values, empty, _ = gen_op(
            "SparseFillEmptyRows",
            {
                "indices": sp.indices,
                "values": sp.values,
                "dense_shape": sp.dense_shape,
                "default_value": default,
            },
            None,
            None,
        )
    return SparseTensor(indices, values, sp.dense_shape), empty


def sparse_retain(sp_input: Any, to_retain: Any) -> SparseTensor:
    """The entries of ``sp_input`` where the 1-D bool ``to_retain`` is true.

    Raises:
        ValueError: if ``to_retain`` is not 1-D or its length differs from the entry count.
    """
    sp = _sparse(sp_input)
    keep = convert_to_tensor(to_retain)
    keep_shape = keep.shape
    if keep_shape.ndims is not None and keep_shape.ndims != 1:
        raise ValueError(f"Shape {keep_shape} must have rank 1")
    count = sp.values.shape.dims[0] if sp.values.shape.dims else None
    length = keep_shape.dims[0] if keep_shape.dims else None
    if count is not None and length is not None and count != length:
        raise ValueError(f"Dimensions {count} and {length} are not compatible")
    where_true = array_ops.reshape(array_ops.where(keep), [-1])
    indices = array_ops.gather(sp.indices, where_true)
    values = array_ops.gather(sp.values, where_true)
    return SparseTensor(indices, values, array_ops.identity(sp.dense_shape))


def sparse_reduce_sum(
    sp_input: Any,
    axis: Any = None,
    keepdims: bool | None = None,
    reduction_axes: Any = None,
    keep_dims: bool | None = None,
) -> Tensor:
    """The sum of ``sp_input`` over ``axis`` (all axes if None) as a dense tensor."""
    sp = _sparse(sp_input)
    axis = axis if axis is not None else reduction_axes
    keep = bool(keepdims if keepdims is not None else keep_dims)
    if axis is None:
        rank = sp.dense_shape.shape.dims[0] if sp.dense_shape.shape.dims else None
        if rank is None:
            axis = array_ops.range(0, array_ops.size(sp.dense_shape))
        else:
            axis = constant(np.arange(rank, dtype=np.int32))
    inputs = {
        "input_indices": sp.indices,
        "input_values": sp.values,
        "input_shape": sp.dense_shape,
        "reduction_axes": axis,
    }
    return gen_op("SparseReduceSum", inputs, {"keep_dims": keep}, None)[0]


def sparse_placeholder(dtype: Any, shape: Any = None, name: str | None = None) -> SparseTensor:
    """A SparseTensor of three placeholders to feed (``tf.sparse_placeholder``).

    With a ``shape``, the ``dense_shape`` part is a ``PlaceholderWithDefault`` of it (unknown
    dims as -1) and the result's static shape is ``shape``.
    """

    def scoped(part: str) -> str | None:
        return None if name is None else f"{name}/{part}"

    if shape is None:
        dense_shape = array_ops.placeholder(dtypes.int64, [None], name=scoped("shape"))
        rank = None
        static = None
    else:
        static = TensorShape(shape)
        rank = static.ndims
        if rank is None:
            dense_shape = array_ops.placeholder(dtypes.int64, [None], name=scoped("shape"))
        else:
            default = constant(
                [-1 if d is None else d for d in static.as_list()],
                dtype=dtypes.int64,
                name=scoped("shape_default") or "Const",
            )
            dense_shape = array_ops.placeholder_with_default(default, [rank], name=scoped("shape"))
    values = array_ops.placeholder(dtype, [None], name=scoped("values"))
    indices = array_ops.placeholder(dtypes.int64, [None, rank], name=scoped("indices"))
    result = SparseTensor(indices, values, dense_shape)
    if static is not None:
        result.set_shape(static)
    return result


def from_dense(tensor: Any, name: str | None = None) -> SparseTensor:
    """The non-zero entries of ``tensor`` as a SparseTensor (``tf.sparse.from_dense``)."""
    from stowflow.graph import extra_ops
    from stowflow.graph import grad_ops as g

    with get_default_graph().name_scope(name or "dense_to_sparse"):
        dense = convert_to_tensor(tensor)
        zeros = _zeros_like(dense)
        indices = gen_op(
            "Where", {"input": math_ops.not_equal(dense, zeros, name="NotEqual")}, None, None
        )[0]
        values = extra_ops.gather_nd(dense, indices)
        dims = g.static_shape(dense)
        if dims is not None and None not in dims:
            shape = constant(list(dims), dtype=dtypes.int64, name="Shape")
        else:
            shape = array_ops.shape(dense, out_type=dtypes.int64)
        return SparseTensor(indices, values, shape)


def _zeros_like(tensor: Tensor) -> Tensor:
    """``array_ops.zeros_like``: a Const when the static shape is fully known."""
    dims = tensor.shape.as_list() if tensor.shape.ndims is not None else None
    if dims is not None and None not in dims:
        return constant(np.zeros(dims, tensor.dtype.base_dtype.as_numpy_dtype), name="zeros_like")
    return array_ops.zeros_like(tensor)


def sparse_to_dense(
    sparse_indices: Any,
    output_shape: Any,
    sparse_values: Any,
    default_value: Any = 0,
    validate_indices: bool = True,
    name: str | None = None,
) -> Tensor:
    """Deprecated ``tf.sparse_to_dense``: the ``SparseToDense`` op on raw parts."""
    inputs = {
        "sparse_indices": sparse_indices,
        "output_shape": output_shape,
        "sparse_values": sparse_values,
        "default_value": default_value,
    }
    return gen_op("SparseToDense", inputs, {"validate_indices": validate_indices}, name)[0]
