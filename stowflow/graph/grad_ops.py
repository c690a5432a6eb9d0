"""Op constructors for gradient functions, named as TensorFlow's Python names them.

Gradient graphs must match TF's node for node, so these mirror the exact TF Python call a
gradient function makes: ``gen_math_ops.mul`` makes ``Mul`` while the ``*`` operator makes
``mul``; ``array_ops.shape`` of a fully known shape folds to a ``Const`` named ``Shape``;
a Python list input becomes a ``Const`` named after the op's input argument
(``Sum/reduction_indices``, ``Reshape/shape``, ``Tile/multiples``, ``ExpandDims/dim``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import attrs as attr_codec
from stowflow.graph.builder import apply_op, constant
from stowflow.graph.core import Tensor, get_default_graph


def op(
    op_type: str,
    inputs: dict[str, Any],
    attrs: dict[str, Any] | None = None,
    name: str | None = None,
) -> Tensor:
    """The first output of a new ``op_type`` op (``gen_*_ops.<op>``)."""
    result = apply_op(op_type, inputs, attrs, name=name or op_type)
    if not isinstance(result, list):
        raise TypeError(f"{op_type} has no outputs")
    return result[0]


def const(value: Any, dtype: Any = None, name: str = "Const") -> Tensor:
    """``constant_op.constant``."""
    return constant(value, dtype=dtype, name=name)


def static_shape(t: Tensor) -> tuple[int | None, ...] | None:
    """``t._shape_tuple()``: None for unknown rank."""
    dims = t.shape.as_list() if t.shape.ndims is not None else None
    return None if dims is None else tuple(dims)


def shape(t: Tensor, name: str = "Shape") -> Tensor:
    """``array_ops.shape``: a Const when the static shape is fully known, else a Shape op."""
    dims = static_shape(t)
    if dims is not None and None not in dims:
        return const(np.array(dims, dtype=np.int32), name=name)
    return op("Shape", {"input": t}, {"out_type": dtypes.int32}, name)


def size(t: Tensor, name: str = "Size") -> Tensor:
    """``array_ops.size``: a Const when the static shape is fully known, else a Size op."""
    dims = static_shape(t)
    if dims is not None and None not in dims:
        return const(np.array(int(np.prod(dims, dtype=np.int64)), dtype=np.int32), name=name)
    return op("Size", {"input": t}, {"out_type": dtypes.int32}, name)


def ones(shape_t: Tensor, dtype: Any, name: str) -> Tensor:
    """``array_ops.ones(shape_tensor, dtype, name)``: Fill of a scalar ``name/Const``."""
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        one = const(np.array(1, dtype=dtypes.as_dtype(dtype).as_numpy_dtype))
        return op("Fill", {"dims": shape_t, "value": one}, None, scope)


def identity(t: Tensor, name: str = "Identity") -> Tensor:
    return op("Identity", {"input": t}, None, name)


def zeros_like(t: Tensor, name: str = "zeros_like") -> Tensor:
    """``array_ops.zeros_like(t, optimize=False)``."""
    return op("ZerosLike", {"x": t}, None, name)


def add_n(tensors: list[Tensor], name: str = "AddN") -> Tensor:
    """``math_ops.add_n``: one tensor is returned as is."""
    if len(tensors) == 1:
        return tensors[0]
    return op("AddN", {"inputs": list(tensors)}, None, name)


def reshape(t: Tensor, new_shape: Any, name: str = "Reshape") -> Tensor:
    return op(
        "Reshape",
        {"tensor": t, "shape": new_shape},
        {"Tshape": dtypes.int32} if not isinstance(new_shape, Tensor) else None,
        name,
    )


def tile(t: Tensor, multiples: Any, name: str = "Tile") -> Tensor:
    attrs = None if isinstance(multiples, Tensor) else {"Tmultiples": dtypes.int32}
    return op("Tile", {"input": t, "multiples": multiples}, attrs, name)


def reduce_sum(t: Tensor, axes: Any, keepdims: bool, name: str = "Sum") -> Tensor:
    """``math_ops.reduce_sum`` with explicit axes (a list becomes ``Sum/reduction_indices``)."""
    attrs: dict[str, Any] = {"keep_dims": keepdims}
    if not isinstance(axes, Tensor):
        attrs["Tidx"] = dtypes.int32
    return op("Sum", {"input": t, "reduction_indices": axes}, attrs, name)


def expand_dims(t: Tensor, axis: int, name: str = "ExpandDims") -> Tensor:
    return op("ExpandDims", {"input": t, "dim": axis}, {"Tdim": dtypes.int32}, name)


def cast(t: Tensor, dtype: Any, name: str = "Cast") -> Tensor:
    """``math_ops.cast``: no op when the dtype already matches."""
    target = dtypes.as_dtype(dtype).base_dtype
    if t.dtype.base_dtype == target:
        return t
    return op("Cast", {"x": t}, {"DstT": target, "Truncate": False}, name)


def binary(op_type: str, x: Any, y: Any, name: str) -> Tensor:
    """A two-input op whose non-tensor operands become ``name/x`` / ``name/y`` Consts.

    This is both ``gen_math_ops.<op>(x, y)`` (name = the op type) and a Python operator
    (``*`` is ``mul``, ``-`` is ``sub``, ``/`` of floats is ``truediv``, ``//`` is ``floordiv``).
    """
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        anchor = x if isinstance(x, Tensor) else y if isinstance(y, Tensor) else None
        dtype = None if anchor is None else anchor.dtype.base_dtype
        x_t = x if isinstance(x, Tensor) else const(x, dtype=dtype, name="x")
        y_t = y if isinstance(y, Tensor) else const(y, dtype=dtype, name="y")
        return op(op_type, {"x": x_t, "y": y_t}, None, scope)


def mul(x: Any, y: Any, name: str = "Mul") -> Tensor:
    """``gen_math_ops.mul`` (use ``name="mul"`` for the ``*`` operator)."""
    return binary("Mul", x, y, name)


def neg(x: Tensor, name: str = "Neg") -> Tensor:
    """``-x`` / ``math_ops.negative``."""
    return op("Neg", {"x": x}, None, name)


def unary(op_type: str, x: Tensor, name: str | None = None) -> Tensor:
    return op(op_type, {"x": x}, None, name or op_type)


class control_dependencies:  # noqa: N801 - TF's `with ops.control_dependencies(deps)`
    """TF's ``control_dependencies`` with its pruning rule.

    Ops made in the block depend on ``deps`` unless one of their inputs was itself made in
    the block (TF drops control inputs an op already inherits through such an input).
    """

    def __init__(self, deps: list[Any]) -> None:
        ops = [d.op if isinstance(d, Tensor) else d for d in deps]
        self._graph = ops[0].graph if ops else get_default_graph()
        self._deps = ops
        self._ctx = self._graph.control_dependencies(ops)
        self._first = 0

    def __enter__(self) -> None:
        current = set(self._graph._current_control_inputs())
        for dep in self._deps:
            if dep not in current:  # TF marks every new manual control input
                dep._set_attr("_has_manual_control_dependencies", attr_codec.encode("bool", True))
        self._first = len(self._graph._ops)  # not get_operations(): no O(graph) copy per use
        self._ctx.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._ctx.__exit__(*exc)
        made = self._graph._ops[self._first :]
        inside = set(made)
        for new in made:
            if any(t.op in inside for t in new.inputs):
                new._control_inputs = [c for c in new._control_inputs if c not in self._deps]


def after(grad: Tensor) -> control_dependencies:
    """``with ops.control_dependencies([grad])`` inside a gradient function."""
    return control_dependencies([grad])


def group(ops: list[Any], name: str | None = None) -> Any:
    """``control_flow_ops.group`` on one device: a NoOp depending on ``ops``."""
    graph = get_default_graph()
    with graph.name_scope(name or "group_deps") as scope:
        with control_dependencies(ops):
            return apply_op("NoOp", {}, None, name=scope)


def tuple_(tensors: list[Any]) -> list[Any]:
    """``control_flow_ops.tuple``: each tensor through an Identity gated on all of them."""
    graph = get_default_graph()
    with graph.name_scope("tuple"):
        gating = sorted({t.op for t in tensors if t is not None}, key=lambda o: o._id)
        gate = group(gating)
        out: list[Any] = []
        for t in tensors:
            if t is None:
                out.append(None)
                continue
            with graph.name_scope("control_dependency") as scope:
                with graph.colocate_with(t.op), control_dependencies([gate]):
                    out.append(op("Identity", {"input": t}, None, scope))
        return out


def is_zeros(t: Any) -> bool:
    """Whether ``t`` is a ``ZerosLike`` (a gradient that carries nothing)."""
    return isinstance(t, Tensor) and t.op.type == "ZerosLike"


def shape_n(tensors: list[Tensor], name: str = "ShapeN") -> list[Tensor]:
    """``array_ops.shape_n``: one ``ShapeN`` op, one int32 shape per tensor."""
    first = op("ShapeN", {"input": list(tensors)}, {"out_type": dtypes.int32}, name)
    return list(first.op.outputs)


def zeros_like_opt(t: Tensor, name: str = "zeros_like") -> Tensor:
    """``array_ops.zeros_like(t)`` (optimize=True): a Const of zeros for a small, fully known
    shape, else a ZerosLike op."""
    dims = static_shape(t)
    if dims is not None and None not in dims and int(np.prod(dims, dtype=np.int64)) < 1000:
        zero = np.zeros((), t.dtype.base_dtype.as_numpy_dtype)
        return constant(zero, dtype=t.dtype.base_dtype, shape=list(dims), name=name)
    return zeros_like(t, name)


def rank(t: Tensor, name: str = "Rank") -> Tensor:
    """``array_ops.rank``: a Const when the rank is known, else a Rank op."""
    if t.shape.ndims is not None:
        return const(np.array(t.shape.ndims, np.int32), name=name)
    return op("Rank", {"input": t}, None, name)


def _scoped_inputs(values: list[Any], prefix: str, dtype: Any = None) -> list[Tensor]:
    """Tensors as they are; Python values as Consts named ``<prefix><index>``."""
    return [
        v if isinstance(v, Tensor) else const(np.asarray(v, dtype or np.int32), name=f"{prefix}{i}")
        for i, v in enumerate(values)
    ]


def pack(values: list[Any], axis: int = 0, name: str = "stack") -> Tensor:
    """``array_ops.stack`` of tensors and Python ints (Consts ``stack/<i>``)."""
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        tensors = _scoped_inputs(values, "")
        return op("Pack", {"values": tensors}, {"axis": axis}, scope)


def concat(values: list[Any], axis: Any, name: str = "concat") -> Tensor:
    """``array_ops.concat``: Python values become ``concat/values_<i>``, the axis
    ``concat/axis``; one value is an Identity."""
    graph = get_default_graph()
    if len(values) == 1:
        return identity(values[0], name=name)
    with graph.name_scope(name) as scope:
        tensors = _scoped_inputs(values, "values_")
        axis_t = axis if isinstance(axis, Tensor) else const(np.array(axis, np.int32), name="axis")
        return op("ConcatV2", {"values": tensors, "axis": axis_t}, None, scope)


def slice_(t: Tensor, begin: Any, size: Any, name: str = "Slice") -> Tensor:
    """``array_ops.slice``: list arguments become ``Slice/begin`` / ``Slice/size``."""
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        b = begin if isinstance(begin, Tensor) else const(np.asarray(begin, np.int32), name="begin")
        s = size if isinstance(size, Tensor) else const(np.asarray(size, np.int32), name="size")
        return op("Slice", {"input": t, "begin": b, "size": s}, None, scope)


def range_(start: Any, limit: Any, delta: Any = 1, name: str = "range") -> Tensor:
    """``math_ops.range`` with Python bounds as ``range/start|limit|delta`` Consts."""
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        parts = {}
        for key, v in (("start", start), ("limit", limit), ("delta", delta)):
            parts[key] = v if isinstance(v, Tensor) else const(np.array(v, np.int32), name=key)
        return op("Range", parts, None, scope)


def transpose(t: Tensor, perm: Any, name: str = "transpose") -> Tensor:
    """``array_ops.transpose``: a Python ``perm`` becomes ``transpose/perm``."""
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        p = perm if isinstance(perm, Tensor) else const(np.asarray(perm, np.int32), name="perm")
        return op("Transpose", {"x": t, "perm": p}, None, scope)


def ones_like(t: Tensor, name: str = "ones_like") -> Tensor:
    """``array_ops.ones_like(t)``: Fill of ``ones_like/Const`` over the (folded) shape."""
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        dims = static_shape(t)
        if dims is not None and None not in dims:  # TF names the folded shape so
            shape_t = const(np.array(dims, np.int32), name="Shape/shape_as_tensor")
        else:
            shape_t = shape(t)
        one = const(np.array(1, t.dtype.base_dtype.as_numpy_dtype))
        return op("Fill", {"dims": shape_t, "value": one}, None, scope)
