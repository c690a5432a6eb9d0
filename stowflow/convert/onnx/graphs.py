"""GraphDef rewrites before export: resource variables as values, functions as graphs.

ONNX has no resources, so a frozen export treats a variable as its value: every needed
``VarHandleOp`` becomes a ``Const`` holding the variable, ``ReadVariableOp`` an
``Identity`` and ``ResourceGather`` a ``GatherV2``; functional control flow ops that pass a
handle into a body (``While``, ``If``) then pass the value, so their type attrs are
rewritten to the value's dtype. :func:`function_graph_def` turns one ``FunctionDef``
body into a standalone GraphDef (arguments as ``Placeholder``s) for the exporter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import op_defs
from stowflow.proto import graph_pb2, node_def_pb2
from stowflow.tensors import make_tensor_proto

_RESOURCE = dtypes.resource.as_datatype_enum
#: functional ops and the attr that lists their input types
_TYPE_ATTRS = {"While": "T", "StatelessWhile": "T", "If": "Tin", "StatelessIf": "Tin",
               "Case": "Tin", "StatelessCase": "Tin"}  # fmt: skip


#: ops that forward their first input (a resource handle may flow through them)
_FORWARDS = {"Identity", "Enter", "Switch", "Merge", "Exit", "NextIteration"}


def node_name(ref: str) -> str:
    """``"^a"``, ``"a:1"`` -> ``"a"``."""
    return ref.lstrip("^").split(":")[0]


def ancestors(nodes: Sequence[Any], roots: Sequence[str]) -> list[Any]:
    """The NodeDefs ``roots`` depend on through data inputs, in graph order."""
    by_name = {n.name: n for n in nodes}
    needed: set[str] = set()
    pending = [node_name(r) for r in roots]
    while pending:
        name = pending.pop()
        if name in needed or name not in by_name:
            continue
        needed.add(name)
        pending.extend(node_name(i) for i in by_name[name].input if not i.startswith("^"))
    return [n for n in nodes if n.name in needed]


def through_identity_n(graph_def: Any, tensor: str) -> str:
    """``tensor`` followed back through ``IdentityN`` nodes (inlined call results) and
    ``Identity`` nodes to the
    tensor that computes it, so pruning keeps only what that one output needs."""
    by_name = {n.name: n for n in graph_def.node}
    name, _, index = tensor.partition(":")
    node = by_name.get(name)
    while node is not None and node.op in ("IdentityN", "Identity"):
        data = [i for i in node.input if not i.startswith("^")]
        source = data[int(index or 0)]
        name, _, index = source.partition(":")
        node = by_name.get(name)
    return f"{name}:{index or 0}"


def prune(graph_def: Any, roots: Sequence[str]) -> Any:
    """A copy of ``graph_def`` with only the nodes ``roots`` need for their values
    (library kept; control dependencies dropped: ONNX is dataflow only)."""
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(ancestors(list(graph_def.node), roots))
    for node in out.node:
        data = [i for i in node.input if not i.startswith("^")]
        del node.input[:]
        node.input.extend(data)
    return out


def handle_names(graph_def: Any) -> list[str]:
    """Names of the ``VarHandleOp`` nodes in ``graph_def``."""
    return [n.name for n in graph_def.node if n.op == "VarHandleOp"]


def restore_keys(graph_def: Any) -> dict[str, str]:
    """VarHandleOp name -> checkpoint key, read off the graph's restore ops.

    A SavedModel restores each variable with ``AssignVariableOp(handle, RestoreV2:i)``
    (TF2: inside the restore function, so pass the graph with its calls inlined); the
    key is entry ``i`` of the RestoreV2's constant ``tensor_names``.
    """
    by_name = {n.name: n for n in graph_def.node}

    def source(ref: str) -> tuple[Any, int] | None:
        node = by_name.get(node_name(ref))
        while node is not None and node.op in _FORWARDS:
            ref = node.input[0]
            node = by_name.get(node_name(ref))
        return None if node is None else (node, _port(ref))

    keys: dict[str, str] = {}
    for node in graph_def.node:
        if node.op != "AssignVariableOp" or len(node.input) < 2:
            continue
        handle, value = source(node.input[0]), source(node.input[1])
        if handle is None or value is None or handle[0].op != "VarHandleOp":
            continue
        if value[0].op != "RestoreV2":
            continue
        names = source(value[0].input[1])
        if names is None or names[0].op != "Const":
            continue
        from stowflow.tensors import make_ndarray

        table = make_ndarray(names[0].attr["value"].tensor).reshape(-1)
        key = table[value[1]]
        keys[handle[0].name] = key.decode() if isinstance(key, bytes) else str(key)
    return keys


def _port(ref: str) -> int:
    parts = ref.lstrip("^").split(":")
    return int(parts[1]) if len(parts) > 1 else 0


def freeze_resources(graph_def: Any, values: Mapping[str, np.ndarray]) -> Any:
    """A copy of ``graph_def`` where the handles in ``values`` (node name -> value) are
    Consts, reads of them are Identities and gathers from them GatherV2s."""
    out = graph_pb2.GraphDef()
    out.CopyFrom(graph_def)
    value_dtype = {name: dtypes.as_dtype(np.asarray(v).dtype) for name, v in values.items()}
    nodes = list(out.node)
    for node in nodes:
        if node.name in values and node.op == "VarHandleOp":
            _to_const(node, np.asarray(values[node.name]))
    _rewrite_resource_users(out, nodes, value_dtype)
    return out


def _rewrite_resource_users(
    graph_def: Any, nodes: list[Any], resource_dtype: Mapping[str, Any]
) -> None:
    """Reads, gathers and functional-op type attrs of resources given as values."""
    by_name = {n.name: n for n in nodes}

    def value_of(ref: str) -> Any:
        node = by_name.get(node_name(ref))
        while node is not None and node.op in _FORWARDS and node.name not in resource_dtype:
            node = by_name.get(node_name(node.input[0]))
        return None if node is None else resource_dtype.get(node.name)

    for node in nodes:
        data = [i for i in node.input if not i.startswith("^")]
        if node.op in ("ReadVariableOp", "ResourceGather") and value_of(data[0]) is None:
            continue
        if node.op == "ReadVariableOp":
            dtype = node.attr["dtype"].type
            node.op = "Identity"
            node.ClearField("attr")
            node.attr["T"].type = dtype
        elif node.op == "ResourceGather":
            _gather_v2(graph_def, node)
        elif "T" in node.attr and node.attr["T"].type == _RESOURCE and data:
            found = value_of(data[0])
            if found is not None:
                node.attr["T"].type = found.as_datatype_enum
        elif node.op in _TYPE_ATTRS:
            types = node.attr[_TYPE_ATTRS[node.op]].list.type
            offset = 1 if node.op in ("If", "StatelessIf", "Case", "StatelessCase") else 0
            for i, t in enumerate(types):
                found = value_of(data[i + offset]) if t == _RESOURCE else None
                if found is not None:
                    types[i] = found.as_datatype_enum


def _to_const(node: Any, value: np.ndarray) -> None:
    controls = [i for i in node.input if i.startswith("^")]
    node.op = "Const"
    del node.input[:]
    node.input.extend(controls)
    node.ClearField("attr")
    node.attr["dtype"].type = dtypes.as_dtype(value.dtype).as_datatype_enum
    node.attr["value"].tensor.CopyFrom(make_tensor_proto(value))


def _gather_v2(graph_def: Any, node: Any) -> None:
    """``ResourceGather(handle, ids)`` -> ``GatherV2(value, ids, 0)``."""
    batch_dims = node.attr["batch_dims"].i if "batch_dims" in node.attr else 0
    params, indices = node.attr["dtype"].type, node.attr["Tindices"].type
    axis = graph_def.node.add(name=node.name + "/axis", op="Const")
    axis.attr["dtype"].type = dtypes.int32.as_datatype_enum
    axis.attr["value"].tensor.CopyFrom(make_tensor_proto(np.array(0, np.int32)))
    data = [i for i in node.input if not i.startswith("^")]
    controls = [i for i in node.input if i.startswith("^")]
    node.op = "GatherV2"
    del node.input[:]
    node.input.extend([*data[:2], axis.name + ":0", *controls])
    node.ClearField("attr")
    node.attr["Tparams"].type = params
    node.attr["Tindices"].type = indices
    node.attr["Taxis"].type = dtypes.int32.as_datatype_enum
    node.attr["batch_dims"].i = batch_dims


def function_graph_def(
    function: Any,
    arg_types: Sequence[Any],
    arg_shapes: Sequence[list[int | None] | None],
    library: Any,
) -> tuple[Any, list[str], list[str]]:
    """One FunctionDef body as a GraphDef: arguments become Placeholders of ``arg_types``
    (stowflow DTypes; a resource argument takes its variable's dtype) and ``arg_shapes``.

    Returns:
        ``(graph_def, arg tensor names, return tensor names)``.
    """
    out = graph_pb2.GraphDef()
    out.library.CopyFrom(library)
    bodies = {n.name: n for n in function.node_def}
    args = [a.name for a in function.signature.input_arg]
    resources: dict[str, Any] = {}
    for name, dtype, shape, arg in zip(
        args, arg_types, arg_shapes, function.signature.input_arg, strict=True
    ):
        node = out.node.add(name=name, op="Placeholder")
        node.attr["dtype"].type = dtype.as_datatype_enum
        if shape is not None:
            proto = node.attr["shape"].shape
            proto.SetInParent()  # a scalar has no dims but is still a known shape
            for d in shape:
                proto.dim.add(size=-1 if d is None else d)
        else:
            node.attr["shape"].shape.unknown_rank = True
        if arg.type == _RESOURCE:
            resources[name] = dtype

    def ref(text: str) -> str:
        if text.startswith("^"):
            return text
        parts = text.split(":")
        if len(parts) == 3:
            body = bodies[parts[0]]
            index = op_defs.output_position(body.op, body.attr, parts[1], int(parts[2]))
            return f"{parts[0]}:{index}"
        return text

    for body in function.node_def:
        node = node_def_pb2.NodeDef()
        node.CopyFrom(body)
        del node.input[:]
        node.input.extend(ref(i) for i in body.input)
        out.node.append(node)
    _rewrite_resource_users(out, list(out.node), resources)
    returns = [ref(function.ret[a.name]) for a in function.signature.output_arg]
    return out, [a + ":0" for a in args], [r if ":" in r else r + ":0" for r in returns]
