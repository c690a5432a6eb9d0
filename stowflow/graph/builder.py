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
from stowflow.graph.shape import Dimension, TensorShape, dimension_value
from stowflow.proto import types_pb2


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
    proto = tensors.make_tensor_proto(_padded(_plain(value), shape), dtype=dtype, shape=shape)
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


def _padded(value: Any, shape: Any) -> Any:
    """TF1 ``tf.constant(value, shape=...)``: fewer values than the shape are padded with the last.

    Raises:
        ValueError: ``Too many elements provided`` (TF's message) for more values than fit.
    """
    if shape is None or isinstance(value, np.ndarray | Tensor) or np.ndim(value) == 0:
        return value
    dims = [dimension_value(d) for d in (shape if isinstance(shape, list | tuple) else [shape])]
    if any(d is None for d in dims):
        return value
    needed = int(np.prod(dims, dtype=np.int64))
    flat = np.asarray(value, dtype=object).reshape(-1).tolist()
    if len(flat) > needed:
        raise ValueError(
            f"Too many elements provided. Takes at most {needed}, but got {len(flat)}."
        )
    if 0 < len(flat) < needed:
        return flat + [flat[-1]] * (needed - len(flat))
    return value


def _plain(value: Any) -> Any:
    """TF1 Dimensions (and shapes of them) as ints, as TF's conversion functions do.

    Raises:
        ValueError: for an unknown Dimension (TF's message).
    """
    if isinstance(value, Dimension):
        if value.value is None:
            raise ValueError("Cannot convert an unknown Dimension to a Tensor: ?")
        return value.value
    if isinstance(value, TensorShape):
        if not value.is_fully_defined():
            raise ValueError(f"Cannot convert a partially known TensorShape {value} to a Tensor.")
        return value.as_list()
    if isinstance(value, list | tuple) and any(
        isinstance(v, Dimension | list | tuple) for v in value
    ):
        return [_plain(v) for v in value]
    return value


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
        want = _arg_dtype(arg, attr_values)
        if want is None:
            first = next((v for v in value if _is_tensorlike(v)), None)
            want = None if first is None else convert_to_tensor(first).dtype.base_dtype
        converted = []
        for v in value:
            t = (
                convert_to_tensor(v)
                if _is_tensorlike(v)
                else convert_to_tensor(v, dtype=want, name=arg.name)
            )
            if arg.type_attr and arg.type_attr not in attr_values:
                attr_values[arg.type_attr] = t.dtype.base_dtype
                _TYPE_SOURCES[arg.type_attr] = arg.name
            converted.append(t)
        return converted
    want = _arg_dtype(arg, attr_values)
    try:
        tensor = convert_to_tensor(value, dtype=want, name=arg.name, as_ref=arg.is_ref)
    except ValueError as e:
        if arg.type and not arg.type_attr:
            raise TypeError(
                f"Input '{arg.name}' of '{op_type}' Op has type {_dtype_of(value)} that does "
                f"not match expected type of {want.name if want else '?'}."
            ) from e
        source = _TYPE_SOURCES.get(arg.type_attr, arg.name)
        raise TypeError(
            f"Input '{arg.name}' of '{op_type}' Op has type {_dtype_of(value)} that does not "
            f"match type {want.name if want else '?'} of argument '{source}'."
        ) from e
    if arg.is_ref and not tensor.dtype.is_ref:
        raise TypeError(f"'{op_type}' Op requires that input '{arg.name}' be a mutable tensor")
    if arg.type_attr and arg.type_attr not in attr_values:
        attr_values[arg.type_attr] = tensor.dtype.base_dtype
        _TYPE_SOURCES[arg.type_attr] = arg.name
    return [tensor]


# type attr -> the input argument it was inferred from, for TF's mismatch message (reset by
# apply_op for each op).
_TYPE_SOURCES: dict[str, str] = {}


def _check_input_types(op_def: Any, attr_values: dict[str, Any], args: list[list[Tensor]]) -> None:
    """TF's OpDef type checks on converted inputs (``op_def_library._apply_op_helper``).

    Raises:
        TypeError: TF's messages for a fixed-type mismatch, tensors of a list that differ,
        or a dtype outside the attr's ``allowed_values``.
    """
    attrs = {a.name: a for a in op_def.attr}
    for arg, tensors_ in zip(op_def.input_arg, args, strict=True):
        kinds = [t.dtype.base_dtype for t in tensors_]
        if arg.type and not arg.number_attr:
            want = dtypes.as_dtype(arg.type)
            for k in kinds:
                if k != want:
                    raise TypeError(
                        f"Input '{arg.name}' of '{op_def.name}' Op has type {k.name} that does "
                        f"not match expected type of {want.name}."
                    )
        if arg.number_attr and arg.type_attr and len(set(kinds)) > 1:
            listed = ", ".join(k.name for k in kinds)
            raise TypeError(
                f"Tensors in list passed to '{arg.name}' of '{op_def.name}' Op have types "
                f"[{listed}] that don't all match."
            )
        type_attrs = [arg.type_attr] if arg.type_attr else []
        if arg.type_list_attr:
            type_attrs = [arg.type_list_attr]
        for name in type_attrs:
            attr = attrs.get(name)
            if attr is None or not attr.HasField("allowed_values"):
                continue
            allowed = list(attr.allowed_values.list.type)
            for k in kinds:
                if k.as_datatype_enum not in allowed:
                    names = ", ".join(dtypes.as_dtype(t).name for t in allowed)
                    raise TypeError(
                        f"Value passed to parameter '{arg.name}' has DataType {k.name} not in "
                        f"list of allowed values: {names}"
                    )


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
            if single is None:
                raise TypeError(f"{op_def.name} Op is missing required attr '{arg.type_attr}'")
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
    with graph.as_default(), graph.name_scope(name or op_type) as scope:
        flat_inputs: list[Tensor] = []
        per_arg: list[list[Tensor]] = []
        _TYPE_SOURCES.clear()
        for arg in op_def.input_arg:
            if arg.name not in inputs:
                raise TypeError(f"{op_type} missing required input '{arg.name}'")
            per_arg.append(_convert_arg(arg, inputs[arg.name], attr_values, op_type))
            flat_inputs.extend(per_arg[-1])
        _check_input_types(op_def, attr_values, per_arg)
        for attr in op_def.attr:
            if attr_values.get(attr.name) is None and attr.HasField("default_value"):
                attr_values[attr.name] = attr_codec.decode(attr.default_value)
        encoded = _encode_attrs(op_def, attr_values, op_type)
        first_new = len(graph._ops)
        op = graph.create_op(
            op_type, flat_inputs, _output_dtypes(op_def, attr_values), encoded, scope, op_def
        )
    try:
        infer_shapes(op)
    except ValueError:
        graph._rollback(first_new)  # TF never adds an op its shape function refuses
        raise
    return op._outputs if op._outputs else op


def apply_op_outputs(
    op_type: str,
    inputs: dict[str, Any],
    attrs: dict[str, Any] | None = None,
    name: str | None = None,
) -> list[Tensor]:
    """:func:`apply_op` for an op that has outputs; returns them.

    Raises:
        TypeError: if ``op_type`` has no outputs (a caller's mistake, never input data).
    """
    result = apply_op(op_type, inputs, attrs, name)
    if not isinstance(result, list):
        raise TypeError(f"{op_type} has no outputs; use apply_op_no_outputs")
    return result


def apply_op_no_outputs(
    op_type: str,
    inputs: dict[str, Any],
    attrs: dict[str, Any] | None = None,
    name: str | None = None,
) -> Operation:
    """:func:`apply_op` for an op without outputs; returns the Operation.

    Raises:
        TypeError: if ``op_type`` has outputs.
    """
    result = apply_op(op_type, inputs, attrs, name)
    if isinstance(result, list):
        raise TypeError(f"{op_type} has outputs; use apply_op_outputs")
    return result


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


def infer_shapes(op: Operation, node_inputs: list[str] | None = None) -> None:
    """Sets the static shapes of ``op``'s outputs from its shape function, if any.

    Raises:
        ValueError: when the shape function finds the inputs incompatible, with TF's
        graph-construction message (``... for '{{node n}} = Op[...](...)' with input
        shapes: ...``); ``node_inputs`` overrides the NodeDef inputs it quotes (the
        importer's rewritten input strings).
    """
    from stowflow.graph import shape_fns

    fn = SHAPE_FNS.get(op.type)
    if fn is None:
        return
    with shape_fns.requests(op) as log:
        try:
            shapes = fn(op)
        except shape_fns.BareShapeError as e:
            raise ValueError(str(e)) from None
        except shape_fns.ShapeError as e:
            raise ValueError(str(e) + shape_error_context(op, log, node_inputs)) from None
        except (ValueError, TypeError) as e:
            if "{{node " in str(e):
                raise
            raise ValueError(str(e) + shape_error_context(op, log, node_inputs)) from None
        except Exception as e:  # a shape function's OpError is a graph-construction error
            message = getattr(e, "message", str(e))
            raise ValueError(message + shape_error_context(op, log, node_inputs)) from e
    for tensor, shape in zip(op._outputs, shapes, strict=False):
        tensor._shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)


def shape_error_context(op: Operation, log: Any, node_inputs: list[str] | None = None) -> str:
    """TF's ``InferenceContext::AttachContext`` suffix for a shape-function error."""
    from stowflow.graph.shape_fns import debug_string

    shapes = ", ".join(debug_string(t.shape) for t in op._inputs)
    node = op.node_def
    if node_inputs is not None:
        del node.input[:]
        node.input.extend(node_inputs)
    text = f" for '{summarize_node_def(node)}' with input shapes: {shapes}"
    tensors_ = [f"input[{i}] = <{v}>" for i, v in sorted(log.tensors.items())]
    partial = [f"input[{i}] = {v}" for i, v in sorted(log.partial_shapes.items())]
    if tensors_:
        text += " and with computed input tensors: " + ", ".join(tensors_)
    if partial:
        text += " and with input tensors computed as partial shapes: " + ",".join(partial)
    return text + "."


# --------------------------------------------------------------------------- TF's summaries


def _summarize_float(value: float) -> str:
    text = f"{value:.6g}"
    if np.float32(text) != np.float32(value):
        text = f"{value:.9g}"
    return text


def _summarize_shape(shape: Any) -> str:
    if shape.unknown_rank:
        return "<unknown>"
    return "[" + ",".join("?" if d.size < 0 else str(d.size) for d in shape.dim) + "]"


def _summarize_string(raw: bytes) -> str:
    escaped = "".join(_C_ESCAPES.get(b, chr(b) if 32 <= b < 127 else f"\\{b:03o}") for b in raw)
    return f'"{escaped}"'


_C_ESCAPES = {10: "\\n", 13: "\\r", 9: "\\t", 34: '\\"', 39: "\\'", 92: "\\\\"}


def _summarize_tensor(proto: Any) -> str:
    from stowflow import tensors as tensors_

    try:
        value = tensors_.make_ndarray(proto)
        text = np.array2string(np.asarray(value), separator=" ").replace("\n", "")
    except Exception:  # noqa: BLE001 - a summary must not fail
        text = "?"
    dtype = dtypes.as_dtype(proto.dtype).type_string
    return f"<Tensor<type: {dtype} shape: {_summarize_shape(proto.tensor_shape)} values: {text}>>"


_LIST_SUMMARIES: tuple[tuple[str, Any], ...] = (
    ("s", _summarize_string),
    ("i", str),
    ("f", _summarize_float),
    ("b", lambda v: "true" if v else "false"),
    ("type", lambda v: types_pb2.DataType.Name(v)),
    ("shape", _summarize_shape),
    ("tensor", _summarize_tensor),
    ("func", lambda v: _summarize_func(v)),
)


def _summarize_func(func: Any) -> str:
    inner = ", ".join(f"{k}={summarize_attr_value(func.attr[k])}" for k in sorted(func.attr))
    return f"{func.name}[{inner}]"


def summarize_attr_value(value: Any) -> str:
    """TF's ``SummarizeAttrValue``: ``DT_FLOAT``, ``false``, ``[?,1]``, ``"NHWC"``, ``[1, 2]``."""
    which = value.WhichOneof("value")
    if which == "list":
        for field, fn in _LIST_SUMMARIES:
            items = getattr(value.list, field)
            if len(items):
                return "[" + ", ".join(fn(v) for v in items) + "]"
        return "[]"
    if which == "placeholder":
        return "$" + value.placeholder
    if which is None:
        return "<Unknown AttrValue type>"
    return dict(_LIST_SUMMARIES)[which](getattr(value, which))


def summarize_node_def(node: Any) -> str:
    """TF's ``SummarizeNodeDef``: ``{{node y}} = MatMul[T=DT_FLOAT, ...](x, w)``."""
    attrs = [f"{k}={summarize_attr_value(node.attr[k])}" for k in sorted(node.attr)]
    if node.device:
        attrs.append(f'_device="{node.device}"')
    return f"{{{{node {node.name}}}}} = {node.op}[{', '.join(attrs)}]({', '.join(node.input)})"


def _summarize_args(args: Any) -> str:
    parts = []
    for arg in args:
        kind = dtypes.as_dtype(arg.type).type_string if arg.type else arg.type_attr
        kind = (f"{arg.number_attr}*" if arg.number_attr else "") + kind + arg.type_list_attr
        parts.append(f"{arg.name}:" + (f"Ref({kind})" if arg.is_ref else kind))
    return ", ".join(parts)


_OP_FLAGS = (
    "is_commutative",
    "is_aggregate",
    "is_stateful",
    "allows_uninitialized_input",
    "is_distributed_communication",
)


def summarize_op_def(op_def: Any) -> str:
    """TF's ``SummarizeOpDef``: ``Op<name=MatMul; signature=a:T, b:T -> product:T; ...>``."""
    text = (
        f"Op<name={op_def.name}; signature={_summarize_args(op_def.input_arg)} -> "
        f"{_summarize_args(op_def.output_arg)}"
    )
    for attr in op_def.attr:
        text += f"; attr={attr.name}:{attr.type}"
        if attr.HasField("default_value"):
            text += f",default={summarize_attr_value(attr.default_value)}"
        if attr.has_minimum:
            text += f",min={attr.minimum}"
        if attr.HasField("allowed_values"):
            text += f",allowed={summarize_attr_value(attr.allowed_values)}"
    for flag in _OP_FLAGS:
        if getattr(op_def, flag, False):
            text += f"; {flag}=true"
    return text + ">"


def const_value(tensor: Tensor) -> np.ndarray | None:
    """The value of a tensor produced by a Const op, else None (for shape functions)."""
    if tensor.op.type == "Const":
        return np.asarray(tensor.op.get_attr("value"))
    return None
