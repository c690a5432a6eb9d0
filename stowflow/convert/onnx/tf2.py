"""TF2 SavedModel signatures as one flat, frozen GraphDef.

A TF2 signature output is a ``StatefulPartitionedCall`` into the function library, with
variables passed in as resource handles. :func:`inline_calls` splices each called
function's body into the graph (its nodes under ``<call name>/``; the call node becomes
an ``IdentityN`` of the function's returns, so ``call:k`` keeps naming output k);
:func:`variable_values` reads variables through a Session when the restore ops do not
name their checkpoint keys (``graphs.restore_keys``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from stowflow.graph import op_defs
from stowflow.proto import graph_pb2, node_def_pb2

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
    out.library.CopyFrom(graph_def.library)  # While/If bodies stay functions
    out.node.extend(nodes)
    return out


def variable_values(
    session: Any, graph: Any, names: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """VarHandleOp name -> current value, read through ``session`` (all handles, or the
    ones named in ``names``)."""
    from stowflow.graph.builder import apply_op

    wanted = None if names is None else set(names)
    handles = [
        op
        for op in graph.get_operations()
        if op.type == "VarHandleOp" and (wanted is None or op.name in wanted)
    ]
    with graph.as_default():
        reads = [
            apply_op("ReadVariableOp", {"resource": op.outputs[0]}, {"dtype": op.get_attr("dtype")})
            for op in handles
        ]
    fetched = session.run([r[0] for r in reads]) if reads else []  # type: ignore[index]
    return {op.name: np.asarray(v) for op, v in zip(handles, fetched, strict=True)}
