"""Builds operations from their OpDefs: input conversion, type inference, default attrs.

``apply_op`` is the single path every op constructor takes, so NodeDefs carry exactly
the attrs TensorFlow's OpDefs require (defaults included, as TF's Python adds them) and
TensorFlow imports every graph stowflow exports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from stowflow import dtypes, tensors
from stowflow.dtypes import DType
from stowflow.graph import attrs as attr_codec
from stowflow.graph import op_defs
from stowflow.graph.core import Graph, Operation, Tensor, get_default_graph
from stowflow.graph.kernels.registry import SHAPE_FNS
from stowflow.graph.shape import TensorShape


def _graph_of(values: Sequence[Any]) -> Graph:
    for v in values:
        if isinstance(v, Tensor):
            return v.graph
        graph = getattr(v, "graph", None)
        if isinstance(graph, Graph):
            return graph
    return get_default_graph()


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str = "Const") -> Tensor:
    """A Const op holding ``value`` (``tf.constant``).

    Raises:
        TypeError / ValueError: if the value does not fit ``dtype`` or ``shape``.
    """
    proto = tensors.make_tensor_proto(value, dtype=dtype, shape=shape)
    tf_dtype = dtypes.as_dtype(proto.dtype)
    graph = get_default_graph()
    op = graph.create_op(
        "Const",
        [],
        [tf_dtype],
        {"value": attr_codec.encode("tensor", proto), "dtype": attr_codec.encode("type", tf_dtype)},
        name,
        op_defs.get("Const"),
    )
    op._outputs[0]._shape = TensorShape([d.size for d in proto.tensor_shape.dim])
    return op._outputs[0]


def convert_to_tensor(
    value: Any,
    dtype: Any = None,
    name: str | None = None,
    preferred_dtype: Any = None,
    *,
    as_ref: bool = False,
) -> Tensor:
    """Converts Tensors, Variables, arrays, Python values and lists of tensors to a Tensor.

    Raises:
        ValueError: if a Tensor's dtype is incompatible with the requested ``dtype``.
        TypeError: if ``value`` cannot be converted.
    """
    want = None if dtype is None else dtypes.as_dtype(dtype)
    if hasattr(value, "_as_tensor"):
        value = value._as_tensor(as_ref=as_ref)
    if isinstance(value, Tensor):
        if want is not None and value.dtype.base_dtype != want.base_dtype:
            raise ValueError(
                f"Tensor conversion requested dtype {want.base_dtype.name} for Tensor with dtype "
                f"{value.dtype.base_dtype.name}: {value!r}"
            )
        return value
    if isinstance(value, list | tuple) and any(_is_tensorlike(v) for v in _flatten(value)):
        return _autopack(value, want, name or "packed")
    if want is None and preferred_dtype is not None:
        try:
            return constant(value, dtype=preferred_dtype, name=name or "Const")
        except (TypeError, ValueError):
            pass
    return constant(value, dtype=want, name=name or "Const")


def _is_tensorlike(v: Any) -> bool:
    return isinstance(v, Tensor) or hasattr(v, "_as_tensor")


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return [x for item in value for x in _flatten(item)]
    return [value]


def _autopack(value: Sequence[Any], dtype: DType | None, name: str) -> Tensor:
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        items = [_autopack(v, dtype, "packed") if isinstance(v, list | tuple) else v for v in value]
        first = next(i for i in items if _is_tensorlike(i))
        target = dtype or convert_to_tensor(first).dtype.base_dtype
        converted = [convert_to_tensor(i, dtype=target) for i in items]
        return apply_op("Pack", {"values": converted}, {"axis": 0}, name=scope)[0]


def _arg_dtype(arg: Any, attr_values: dict[str, Any]) -> DType | None:
    if arg.type_attr:
        return attr_values.get(arg.type_attr)
    if arg.type:
        return dtypes.as_dtype(arg.type)
    return None


def _convert_arg(arg: Any, value: Any, attr_values: dict[str, Any], op_type: str) -> list[Tensor]:
    """Converts one input argument, inferring its type attrs into ``attr_values``."""
    if arg.number_attr or arg.type_list_attr:
        if not isinstance(value, list | tuple):
            raise TypeError(
                f"Expected list for '{arg.name}' argument to '{op_type}' Op, not {value!r}."
            )
        if arg.number_attr:
            attr_values.setdefault(arg.number_attr, len(value))
        if arg.type_list_attr:
            converted = [convert_to_tensor(v) for v in value]
            attr_values.setdefault(arg.type_list_attr, [t.dtype.base_dtype for t in converted])
            return converted
        converted = []
        for v in value:
            t = convert_to_tensor(v, dtype=_arg_dtype(arg, attr_values))
            if arg.type_attr and arg.type_attr not in attr_values:
                attr_values[arg.type_attr] = t.dtype.base_dtype
            converted.append(t)
        return converted
    want = _arg_dtype(arg, attr_values)
    try:
        tensor = convert_to_tensor(value, dtype=want, as_ref=arg.is_ref)
    except ValueError as e:
        raise TypeError(
            f"Input '{arg.name}' of '{op_type}' Op has type {_dtype_of(value)} that does not "
            f"match type {want.name if want else '?'} of argument '{arg.name}'."
        ) from e
    if arg.is_ref and not tensor.dtype.is_ref:
        raise TypeError(f"'{op_type}' Op requires that input '{arg.name}' be a mutable tensor")
    if arg.type_attr and arg.type_attr not in attr_values:
        attr_values[arg.type_attr] = tensor.dtype.base_dtype
    return [tensor]


def _dtype_of(value: Any) -> str:
    dtype = getattr(value, "dtype", None)
    return getattr(dtype, "name", str(dtype)) if dtype is not None else type(value).__name__


def _output_dtypes(op_def: Any, attr_values: dict[str, Any]) -> list[DType]:
    out: list[DType] = []
    for arg in op_def.output_arg:
        if arg.type_list_attr:
            kinds = [dtypes.as_dtype(t) for t in attr_values[arg.type_list_attr]]
        else:
            single = _arg_dtype(arg, attr_values)
            assert single is not None
            count = int(attr_values[arg.number_attr]) if arg.number_attr else 1
            kinds = [single] * count
        out.extend(k._as_ref if arg.is_ref else k for k in kinds)
    return out


def apply_op(
    op_type: str,
    inputs: dict[str, Any],
    attrs: dict[str, Any] | None = None,
    name: str | None = None,
) -> list[Tensor] | Operation:
    """Creates an op of ``op_type``; returns its outputs (or the op if it has none).

    Args:
        op_type: TF op type, e.g. ``"MatMul"``.
        inputs: OpDef input arg name -> value (tensor-like, or list for list args).
        attrs: attr name -> Python value; type attrs are inferred from inputs if absent.
        name: node name (made unique; a trailing "/" uses the name exactly).

    Raises:
        TypeError: for missing inputs/attrs or type mismatches, naming the op and arg.
    """
    op_def = op_defs.get(op_type)
    attr_values: dict[str, Any] = dict(attrs or {})
    graph = _graph_of(list(inputs.values()))
    with graph.as_default():
        flat_inputs: list[Tensor] = []
        for arg in op_def.input_arg:
            if arg.name not in inputs:
                raise TypeError(f"{op_type} missing required input '{arg.name}'")
            flat_inputs.extend(_convert_arg(arg, inputs[arg.name], attr_values, op_type))
        encoded = _encode_attrs(op_def, attr_values, op_type)
        op = graph.create_op(
            op_type,
            flat_inputs,
            _output_dtypes(op_def, attr_values),
            encoded,
            name or op_type,
            op_def,
        )
    infer_shapes(op)
    return op._outputs if op._outputs else op


def _encode_attrs(op_def: Any, attr_values: dict[str, Any], op_type: str) -> dict[str, Any]:
    encoded: dict[str, Any] = {}
    for attr in op_def.attr:
        if attr.name in attr_values and attr_values[attr.name] is not None:
            encoded[attr.name] = attr_codec.encode(attr.type, attr_values[attr.name])
        elif attr.HasField("default_value"):
            encoded[attr.name] = attr.default_value
        else:
            raise TypeError(f"{op_type} Op is missing required attr '{attr.name}'")
    for key, value in attr_values.items():
        if key.startswith("_") and value is not None:
            encoded[key] = attr_codec.encode(attr_codec.guess_kind(value), value)
    return encoded


def infer_shapes(op: Operation) -> None:
    """Sets the static shapes of ``op``'s outputs from its shape function, if any.

    Raises:
        ValueError: when the shape function finds the inputs incompatible (as TF does at
        graph construction).
    """
    fn = SHAPE_FNS.get(op.type)
    if fn is None:
        return
    try:
        shapes = fn(op)
    except (ValueError, TypeError):
        raise
    except Exception as e:  # a shape function's OpError is a graph-construction error
        raise ValueError(f"{e} for '{{{{node {op.name}}}}} = {op.type}[]'") from e
    for tensor, shape in zip(op._outputs, shapes, strict=False):
        tensor._shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)


def const_value(tensor: Tensor) -> np.ndarray | None:
    """The value of a tensor produced by a Const op, else None (for shape functions)."""
    if tensor.op.type == "Const":
        return np.asarray(tensor.op.get_attr("value"))
    return None
