"""``graph_util``: freeze variables into constants and prune GraphDefs."""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any

from stowflow import _deprecation, tensors
from stowflow.graph import attrs as attr_codec
from stowflow.proto import graph_pb2

logger = logging.getLogger("tensorflow")

_VARIABLE_OPS = ("VariableV2", "Variable", "VarHandleOp")
_TRAINING_ONLY_OPS = ("Identity", "CheckNumerics", "StopGradient")


def _node_name(name: str) -> str:
    return name[1:].split(":")[0] if name.startswith("^") else name.split(":")[0]


def extract_sub_graph(graph_def: Any, dest_nodes: Sequence[str]) -> Any:
    """The GraphDef reduced to the nodes ``dest_nodes`` depend on (original order kept).

    Raises:
        TypeError: if ``dest_nodes`` is a string instead of a list.
        AssertionError: if a destination node is missing (as TF asserts).
    """
    _deprecation.warn(
        "extract_sub_graph", "tensorflow.python.framework.graph_util_impl", _deprecation.V1_ONLY
    )
    if isinstance(dest_nodes, str):
        raise TypeError("dest_nodes must be an iterable of strings.")
    by_name = {n.name: n for n in graph_def.node}
    for d in dest_nodes:
        if d not in by_name:
            raise AssertionError(f"{d} is not in graph")
    keep: set[str] = set()
    stack = list(dest_nodes)
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        keep.add(name)
        stack.extend(_node_name(i) for i in by_name[name].input)
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(copy.deepcopy(n) for n in graph_def.node if n.name in keep)
    return out


def convert_variables_to_constants(
    sess: Any,
    input_graph_def: Any,
    output_node_names: Sequence[str],
    variable_names_whitelist: Sequence[str] | None = None,
    variable_names_blacklist: Sequence[str] | None = None,
) -> Any:
    """Freezes: replaces the variables the outputs need by Consts holding their values.

    Variable reads become Identity ops, so the result runs without any checkpoint.
    """
    _deprecation.warn(
        "convert_variables_to_constants",
        "tensorflow.python.framework.convert_to_constants",
        _deprecation.V1_ONLY,
    )
    inference = extract_sub_graph(input_graph_def, output_node_names)
    names = [
        n.name
        for n in inference.node
        if n.op in _VARIABLE_OPS
        and (variable_names_whitelist is None or n.name in variable_names_whitelist)
        and (not variable_names_blacklist or n.name not in variable_names_blacklist)
    ]
    values = (
        dict(
            zip(
                names,
                sess.run(
                    [
                        f"{n}:0" if _is_ref_var(inference, n) else _resource_read(inference, n)
                        for n in names
                    ]
                ),
                strict=True,
            )
        )
        if names
        else {}
    )
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(inference.versions)
    out.library.CopyFrom(inference.library)
    for node in inference.node:
        new = out.node.add()
        if node.name in values:
            value = tensors.make_tensor_proto(values[node.name])
            new.name, new.op = node.name, "Const"
            new.attr["dtype"].type = value.dtype
            new.attr["value"].CopyFrom(attr_codec.encode("tensor", value))
        elif node.op == "ReadVariableOp" and _node_name(node.input[0]) in values:
            new.CopyFrom(node)
            new.op = "Identity"
            new.attr["T"].type = node.attr["dtype"].type
            del new.attr["dtype"]
        else:
            new.CopyFrom(node)
    return out


def _is_ref_var(graph_def: Any, name: str) -> bool:
    return next(n for n in graph_def.node if n.name == name).op != "VarHandleOp"


def _resource_read(graph_def: Any, name: str) -> str:
    for node in graph_def.node:
        if node.op == "ReadVariableOp" and _node_name(node.input[0]) == name:
            return f"{node.name}:0"
    raise ValueError(f"no ReadVariableOp reads resource variable {name}")


def remove_training_nodes(input_graph: Any, protected_nodes: Sequence[str] | None = None) -> Any:
    """Removes Identity/CheckNumerics/StopGradient nodes, rewiring their consumers."""
    protected = set(protected_nodes or [])
    nodes = list(input_graph.node)
    forward: dict[str, str] = {}
    for node in nodes:
        if (
            node.op in _TRAINING_ONLY_OPS
            and node.name not in protected
            and node.input
            and (not any(i.startswith("^") for i in node.input[1:]))
        ):
            forward[node.name] = node.input[0]

    def resolve(name: str) -> str:
        control = name.startswith("^")
        base = _node_name(name)
        seen = set()
        while base in forward and base not in seen:
            seen.add(base)
            name = forward[base]
            base = _node_name(name)
        return ("^" + base) if control else name

    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(input_graph.versions)
    for node in nodes:
        if node.name in forward:
            continue
        new = out.node.add()
        new.CopyFrom(node)
        del new.input[:]
        new.input.extend(resolve(i) for i in node.input)
    return out
