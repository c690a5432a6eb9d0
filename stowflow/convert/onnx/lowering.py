"""Converting a stowflow graph (or a function body) op by op into ONNX nodes.

:func:`convert_ops` runs the converter of every op between some inputs and outputs;
:func:`function_body` imports a FunctionDef (a While/If body) into its own stowflow graph,
under a unique name scope so its tensor names never clash with the outer graph's, and
converts it into a child builder; :func:`unmapped_op_types` lists, before anything is
converted, every op type (functions included) that has no converter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from stowflow.convert.onnx import control_flow, shape_ops  # noqa: F401  (register converters)
from stowflow.convert.onnx.builder import OnnxBuilder, const_value
from stowflow.convert.onnx.graphs import function_graph_def, node_name
from stowflow.convert.onnx.ops import CONVERTERS

#: op types handled by the walk itself rather than by a converter
STRUCTURAL = {"Placeholder", "Const", "NoOp"}


def needed_ops(outputs: Sequence[Any], inputs: set[str]) -> list[Any]:
    """Ops between ``inputs`` (tensor names) and ``outputs``, inputs first (DFS post-order)."""
    order: list[Any] = []
    seen: set[str] = set()
    stack: list[tuple[Any, bool]] = [(t.op, False) for t in reversed(outputs)]
    while stack:
        op, expanded = stack.pop()
        if expanded:
            order.append(op)
            continue
        if op.name in seen:
            continue
        seen.add(op.name)
        stack.append((op, True))
        for t in op.inputs:
            if t.name not in inputs and t.op.name not in seen:
                stack.append((t.op, False))
    return order


def folded(op: Any) -> list[np.ndarray] | None:
    """The values of ``op``'s outputs when they are constant (see ``const_value``)."""
    if op.type in _NEVER_FOLDED or not op.outputs:
        return None
    values = [const_value(t) for t in op.outputs]
    if any(v is None for v in values):
        return None
    return [np.asarray(v) for v in values]


#: ONNX can express these only as nodes, or folding them gains nothing
_NEVER_FOLDED = {"Identity", "IdentityN"}


def convert_ops(b: OnnxBuilder, ops: Sequence[Any]) -> None:
    """Emits every op of ``ops`` (in order) into ``b``; Consts become initializers."""
    for op in ops:
        if op.type == "Const":
            name = op.outputs[0].name
            if name not in b.initializers:
                value = const_value(op.outputs[0])  # decoded once, shared with folding
                b.initializers[name] = b.onnx.numpy_helper.from_array(np.asarray(value), name)
        elif op.type in STRUCTURAL:
            continue
        elif (values := folded(op)) is not None:
            for tensor, value in zip(op.outputs, values, strict=True):
                b.initializers[tensor.name] = b.onnx.numpy_helper.from_array(value, tensor.name)
        else:
            CONVERTERS[op.type](b, op)


def function_body(
    b: OnnxBuilder,
    function_name: str,
    arg_types: Sequence[Any],
    arg_shapes: Sequence[list[int | None] | None],
    arg_sequences: Sequence[int | None] = (),
) -> tuple[OnnxBuilder, list[Any], list[Any]]:
    """Converts FunctionDef ``function_name`` into a child builder of ``b``; arguments
    with an ONNX element type in ``arg_sequences`` are TensorLists (ONNX sequences).

    Returns:
        ``(child, argument tensors, return tensors)``: stowflow Tensors of the body's
        own graph; their ``.name`` is the ONNX value name inside the child.
    """
    from stowflow.graph.core import Graph
    from stowflow.graph.importer import import_graph_def

    function = b.function(function_name)
    graph_def, arg_names, ret_names = function_graph_def(function, arg_types, arg_shapes, b.library)
    graph = Graph()
    scope = b.fresh(function_name)
    with graph.as_default():
        import_graph_def(graph_def, name=scope)
    args = [graph.get_tensor_by_name(f"{scope}/{n}") for n in arg_names]
    rets = [graph.get_tensor_by_name(f"{scope}/{n}") for n in ret_names]
    for arg, seq in zip(args, arg_sequences, strict=False):
        if seq is not None:
            b.sequences[arg.name] = seq
    child = b.child()
    convert_ops(child, needed_ops(rets, {t.name for t in args}))
    return child, args, rets


def _function_op_types(library: Any, name: str, seen: set[str]) -> set[str]:
    """Op types a function's returns need, with those of the functions it calls."""
    if name in seen:
        return set()
    seen.add(name)
    function = next((f for f in library.function if f.signature.name == name), None)
    if function is None:
        return set()
    by_name = {n.name: n for n in function.node_def}
    pending = [node_name(r) for r in function.ret.values()]
    found: set[str] = set()
    visited: set[str] = set()
    while pending:
        current = pending.pop()
        node = by_name.get(current)
        if node is None or current in visited:
            continue
        visited.add(current)
        found.add(node.op)
        pending.extend(node_name(i) for i in node.input if not i.startswith("^"))
        for called in _called(node):
            found |= _function_op_types(library, called, seen)
    return found


def _called(node: Any) -> list[str]:
    names = []
    for attr in node.attr.values():
        if attr.HasField("func"):
            names.append(attr.func.name)
        elif attr.HasField("list"):
            names.extend(f.name for f in attr.list.func)
    return names


def unmapped_op_types(ops: Sequence[Any], library: Any) -> list[str]:
    """Sorted op types of ``ops`` and of every function they call that have no converter."""
    types = {op.type for op in ops}
    seen: set[str] = set()
    for op in ops:
        for called in _called(op.node_def):
            types |= _function_op_types(library, called, seen)
    return sorted(t for t in types if t not in CONVERTERS and t not in STRUCTURAL)
