"""TF2 SavedModel signatures as one flat, frozen GraphDef.

A TF2 signature output is a ``StatefulPartitionedCall`` into the function library, with
variables passed in as resource handles. :func:`inline_calls` splices each called
function's body into the graph (its nodes under ``<call name>/``; the call node becomes
an ``IdentityN`` of the function's returns, so ``call:k`` keeps naming output k), and
:func:`freeze_reads` turns every ``ReadVariableOp`` of a ``VarHandleOp`` into a ``Const``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from stowflow.graph import op_defs
from stowflow.proto import graph_pb2, node_def_pb2
from stowflow.tensors import make_tensor_proto

CALL_OPS = {"StatefulPartitionedCall", "PartitionedCall"}
_MAX_DEPTH = 32


def _output_index(body: Any, arg_name: str, index: int) -> int:
    """The flat output position of ``<node>:<arg_name>:<index>`` (FunctionDef syntax)."""
    return op_defs.output_position(body.op, body.attr, arg_name, index)


def _inline_one(call: Any, function: Any) -> list[Any]:
    prefix = call.name + "/"
    data_inputs = [i for i in call.input if not i.startswith("^")]
    args = {a.name: data_inputs[i] for i, a in enumerate(function.signature.input_arg)}
    bodies = {n.name: n for n in function.node_def}

    def ref(text: str) -> str:
        if text.startswith("^"):
            return "^" + prefix + text[1:]
        parts = text.split(":")
        if len(parts) == 1:
            return args.get(text, prefix + text)
        if len(parts) == 3:
            return f"{prefix}{parts[0]}:{_output_index(bodies[parts[0]], parts[1], int(parts[2]))}"
        return prefix + text

    out = []
    for body in function.node_def:
        node = node_def_pb2.NodeDef()
        node.CopyFrom(body)
        node.name = prefix + body.name
        del node.input[:]
        node.input.extend(ref(i) for i in body.input)
        out.append(node)
    returns = node_def_pb2.NodeDef(name=call.name, op="IdentityN")
    returns.input.extend(ref(function.ret[a.name]) for a in function.signature.output_arg)
    returns.attr["T"].list.type.extend(a.type for a in function.signature.output_arg)
    out.append(returns)
    return out


def inline_calls(graph_def: Any) -> Any:
    """A copy of ``graph_def`` with every call into its library inlined (recursively)."""
    library = {f.signature.name: f for f in graph_def.library.function}
    nodes = list(graph_def.node)
    for _ in range(_MAX_DEPTH):
        calls = [n for n in nodes if n.op in CALL_OPS and n.attr["f"].func.name in library]
        if not calls:
            break
        expanded: list[Any] = []
        for node in nodes:
            if node in calls:
                expanded.extend(_inline_one(node, library[node.attr["f"].func.name]))
            else:
                expanded.append(node)
        nodes = expanded
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.node.extend(nodes)
    return out


def freeze_reads(graph_def: Any, values: Mapping[str, np.ndarray]) -> Any:
    """Replaces ``ReadVariableOp`` of the handles in ``values`` (by node name) with Consts."""
    by_name = {n.name: n for n in graph_def.node}

    def handle_of(text: str) -> str | None:
        name = text.split(":")[0]
        node = by_name.get(name)
        while node is not None and node.op == "Identity":
            node = by_name.get(node.input[0].split(":")[0])
        return node.name if node is not None and node.op == "VarHandleOp" else None

    out = graph_pb2.GraphDef()
    out.CopyFrom(graph_def)
    for node in out.node:
        handle = handle_of(node.input[0]) if node.op == "ReadVariableOp" and node.input else None
        if handle is None or handle not in values:
            continue
        value = np.asarray(values[handle])
        controls = [i for i in node.input if i.startswith("^")]
        node.op = "Const"
        del node.input[:]
        node.input.extend(controls)
        dtype = node.attr["dtype"].type
        node.ClearField("attr")
        node.attr["dtype"].type = dtype
        node.attr["value"].tensor.CopyFrom(make_tensor_proto(value))
    return out


def variable_values(session: Any, graph: Any) -> dict[str, np.ndarray]:
    """VarHandleOp name -> current value, read through ``session``."""
    from stowflow.graph.builder import apply_op

    handles = [op for op in graph.get_operations() if op.type == "VarHandleOp"]
    with graph.as_default():
        reads = [
            apply_op("ReadVariableOp", {"resource": op.outputs[0]}, {"dtype": op.get_attr("dtype")})
            for op in handles
        ]
    fetched = session.run([r[0] for r in reads]) if reads else []  # type: ignore[index]
    return {op.name: np.asarray(v) for op, v in zip(handles, fetched, strict=True)}


def is_tf2(meta: Any) -> bool:
    """True for a MetaGraph saved by TF2 (it carries an object graph)."""
    return bool(meta.object_graph_def.nodes)
