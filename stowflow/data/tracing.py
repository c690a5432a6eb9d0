"""Traces a Python function into a ``FunctionDef`` of the graph's library, as tf.data does.

TF wraps a ``Dataset.map``/``filter``/``flat_map``/``interleave`` function in a
``StructuredFunctionWrapper``: the function runs once on placeholders ``args_0, args_1, ...``
in a function graph; each output goes through an ``Identity`` (``Identity``,
``Identity_1``, ...) and the body is stored as ``__inference_Dataset_<kind>_<fn>_<uid>``
with the attr ``_tf_data_function: true``. A body names tensors ``node:output_arg:index``
and arguments by name (FORMATS.md §4.6).

Deviation from TF: the ``<uid>`` suffix is a process-wide counter like TF's, but TF's also
counts its other objects, so the number differs (the rest of the name is TF's).
Tensors of the outer graph captured by the function are not supported (TF passes them as
``other_arguments``); a function that uses one raises ValueError saying so.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable
from typing import Any

from stowflow.graph import op_defs
from stowflow.graph.core import Graph, Operation, Tensor, get_default_graph
from stowflow.proto import attr_value_pb2, function_pb2

_ARG_PREFIX = "args_"


def _output_arg_name(op: Operation, index: int) -> str:
    """``<output_arg>:<i>`` for flat output ``index`` of ``op``."""
    attrs = op._attrs
    position = 0
    for arg in op_defs.get(op.type).output_arg:
        if arg.number_attr:
            count = attrs[arg.number_attr].i
        elif arg.type_list_attr:
            count = len(attrs[arg.type_list_attr].list.type)
        else:
            count = 1
        if index < position + count:
            return f"{arg.name}:{index - position}"
        position += count
    raise ValueError(f"{op.type} has no output {index}")


def _ref(tensor: Tensor, args: dict[Tensor, str]) -> str:
    if tensor in args:
        return args[tensor]
    return f"{tensor.op.name}:{_output_arg_name(tensor.op, tensor.value_index)}"


def graph_to_function(
    graph: Graph, name: str, inputs: list[Tensor], outputs: list[Tensor], attrs: dict[str, Any]
) -> Any:
    """A FunctionDef whose arguments are the placeholders ``inputs`` of ``graph`` (named
    ``args_<i>``) and whose results are ``outputs`` (named ``identity``, ``identity_1``...).

    Raises:
        ValueError: if a node reads a tensor of another graph (a capture).
    """
    fdef = function_pb2.FunctionDef()
    fdef.signature.name = name
    arg_names = {t: f"{_ARG_PREFIX}{i}" for i, t in enumerate(inputs)}
    for t, arg in arg_names.items():
        fdef.signature.input_arg.add(name=arg, type=t.dtype.as_datatype_enum)
    arg_ops = {t.op for t in inputs}
    for op in graph.get_operations():
        if op in arg_ops:
            continue
        node = fdef.node_def.add(name=op.name, op=op.type, device=op.device)
        for t in op._inputs:
            if t.graph is not graph:
                raise ValueError(
                    f"The function {name} uses tensor {t.name} of an outer graph; stowflow's "
                    "tf.data functions cannot capture tensors yet: create it inside the function"
                )
            node.input.append(_ref(t, arg_names))
        node.input.extend("^" + c.name for c in op._control_inputs)
        for key, value in op._attrs.items():
            node.attr[key].CopyFrom(value)
    for i, t in enumerate(outputs):
        out_name = "identity" if i == 0 else f"identity_{i}"
        fdef.signature.output_arg.add(name=out_name, type=t.dtype.as_datatype_enum)
        fdef.ret[out_name] = _ref(t, arg_names)
    for key, value in attrs.items():
        fdef.attr[key].CopyFrom(value)
    return fdef


def add_function(graph: Graph, fdef: Any) -> None:
    """Adds ``fdef`` to ``graph``'s function library (creating the library if needed)."""
    library: Any = graph.library
    if library is None:
        library = function_pb2.FunctionDefLibrary()
        graph.library = library  # type: ignore[assignment]  # Graph declares it None-typed
    if any(f.signature.name == fdef.signature.name for f in library.function):
        return
    library.function.add().CopyFrom(fdef)
    graph._mutations += 1  # invalidates cached Session plans


def _data_function_attr() -> attr_value_pb2.AttrValue:
    return attr_value_pb2.AttrValue(b=True)


def func_attr(name: str) -> attr_value_pb2.NameAttrList:
    """The ``f`` attr value of a dataset op: the function's name and ``_tf_data_function``."""
    value = attr_value_pb2.NameAttrList(name=name)
    value.attr["_tf_data_function"].CopyFrom(_data_function_attr())
    return value


_uids = itertools.count(1)  # process-wide, as TF's ops.uid(): nested bodies never collide


def _function_name(kind: str, fn: Callable[..., Any]) -> str:
    base = getattr(fn, "__name__", "fn")
    base = re.sub(r"[^A-Za-z0-9_]", "_", "lambda" if base == "<lambda>" else base)
    return f"__inference_Dataset_{kind}_{base}_{next(_uids)}"


class Traced:
    """A traced function: its library name and its flat output tensors (in the body)."""

    def __init__(self, name: str, outputs: list[Tensor], result: Any) -> None:
        self.name = name
        self.outputs = outputs
        self.result = result


def trace(
    kind: str,
    fn: Callable[..., Any],
    arg_specs: list[tuple[Any, Any]],
    call_with: Callable[[list[Tensor]], Any],
    flatten_result: Callable[[Any], list[Tensor]],
) -> Traced:
    """Runs ``fn`` on placeholders in a fresh graph and stores it in the outer library.

    Args:
        kind: "map", "filter", "flat_map", "interleave" (part of TF's function name).
        fn: the user's function.
        arg_specs: (dtype, shape) per flat argument.
        call_with: builds the user's call from the flat placeholders (structure packing).
        flatten_result: the flat output tensors of ``fn``'s result.
    """
    outer = get_default_graph()
    body = Graph()
    body.seed = outer.seed
    with body.as_default():
        from stowflow.graph.array_ops import identity, placeholder

        args = [
            placeholder(dtype, shape, name=f"{_ARG_PREFIX}{i}")
            for i, (dtype, shape) in enumerate(arg_specs)
        ]
        result = call_with(args)
        flat = flatten_result(result)
        outputs = [identity(t, name="Identity") for t in flat]
        _add_automatic_control_dependencies(body, outputs)
    name = _function_name(kind, fn)
    attrs = {"_tf_data_function": _data_function_attr()}
    fdef = graph_to_function(body, name, args, outputs, attrs)
    for i, t in enumerate(args):
        arg_attr = fdef.arg_attr[i].attr
        arg_attr["_user_specified_name"].CopyFrom(attr_value_pb2.AttrValue(s=t.op.name.encode()))
    _merge_library(outer, body)
    add_function(outer, fdef)
    return Traced(name, flat, result)


# TF's auto_control_deps.LEGACY_RANDOM_OPS: stateful, yet never forced to run.
_LEGACY_RANDOM_OPS = frozenset(
    [
        *("RandomUniform", "RandomUniformInt", "RandomStandardNormal"),
        *("ParameterizedTruncatedNormal", "TruncatedNormal", "RandomShuffle", "Multinomial"),
        *("RandomGamma", "RandomGammaGrad", "RandomPoisson", "RandomPoissonV2"),
    ]
)


def _add_automatic_control_dependencies(body: Graph, outputs: list[Tensor]) -> None:
    """TF's automatic control dependencies of a tf.function body: the outputs wait on a
    ``NoOp`` that depends on every stateful op (dataset sources, file readers...)."""
    from stowflow.graph.builder import apply_op

    must_run = [
        op
        for op in body.get_operations()
        if op.type not in _LEGACY_RANDOM_OPS
        and op.op_def is not None
        and op.op_def.is_stateful
        and op.type != "Placeholder"
    ]
    if not must_run:
        return
    with body.control_dependencies(must_run):
        no_op = apply_op("NoOp", {}, None, name="NoOp")
    for tensor in outputs:
        tensor.op._control_inputs.append(no_op)


def _merge_library(outer: Graph, inner: Graph) -> None:
    """Functions the body's own dataset ops made (nested map functions) join the outer library."""
    if inner.library is not None:
        for fdef in inner.library.function:
            add_function(outer, fdef)


def subgraph_function(graph: Graph, prefix: str, output: Tensor) -> str:
    """A 0-argument FunctionDef copying by value every op ``output`` depends on.

    TF's ``make_one_shot_iterator`` builds its ``dataset_factory`` this way (a ``Defun``
    with ``capture_by_value``): ops are copied depth-first, inputs before the op, and a
    tensor reached along two paths is copied twice (``seed``, ``seed_1``), as TF's capture
    does. The name is ``<prefix>`` + a hash of the body, as Defun's.

    Raises:
        ValueError: if the dataset depends on a placeholder (TF cannot capture it either).
    """
    fdef = function_pb2.FunctionDef()
    used: dict[str, int] = {}

    def unique(name: str) -> str:
        if name not in used:
            used[name] = 1
            return name
        k = used[name]
        while f"{name}_{k}" in used:
            k += 1
        used[name] = k + 1
        used[f"{name}_{k}"] = 1
        return f"{name}_{k}"

    def copy(op: Operation) -> str:
        if op.type in ("Placeholder", "PlaceholderWithDefault", "VariableV2", "VarHandleOp"):
            raise ValueError(
                f"Cannot capture a placeholder (name:{op.name}, type:{op.type}) by value."
            )
        inputs = [f"{copy(t.op)}:{_output_arg_name(t.op, t.value_index)}" for t in op._inputs]
        node = fdef.node_def.add()
        node.CopyFrom(op.node_def)
        node.name = unique(op.name)
        del node.input[:]
        node.input.extend(inputs)
        return node.name

    top = copy(output.op)
    out_name = output.op.name.lower().replace("/", "_")
    fdef.signature.output_arg.add(name=out_name, type=output.dtype.as_datatype_enum)
    fdef.ret[out_name] = f"{top}:{_output_arg_name(output.op, output.value_index)}"
    digest = hashlib.sha1(fdef.SerializeToString(deterministic=True)).hexdigest()[:11]
    fdef.signature.name = f"{prefix}{digest}"
    add_function(graph, fdef)
    return fdef.signature.name


__all__ = ["Traced", "add_function", "func_attr", "graph_to_function", "subgraph_function", "trace"]


def func_attr_plain(name: str) -> attr_value_pb2.NameAttrList:
    """A ``func`` attr naming ``name`` with no attrs (a Defun factory, as TF's)."""
    return attr_value_pb2.NameAttrList(name=name)
