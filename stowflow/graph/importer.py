"""``import_graph_def``: adds the nodes of a GraphDef to the current graph.

Nodes may come in any order; default attrs missing from a NodeDef are filled from the
OpDef (as TF does for graphs written with ``strip_default_attrs``); op types stowflow
does not know fail with an error naming the type and the node.
"""

from __future__ import annotations

from typing import Any

from stowflow.errors import NotFoundError
from stowflow.graph import attrs as attr_codec
from stowflow.graph import builder, op_defs
from stowflow.graph.core import Operation, Tensor, get_default_graph


def _parse_input(name: str) -> tuple[str, int, bool]:
    if name.startswith("^"):
        return name[1:], -1, True
    op_name, sep, index = name.rpartition(":")
    if sep and index.isdigit():
        return op_name, int(index), False
    return name, 0, False


def order_nodes(nodes: list[Any]) -> list[Any]:
    """NodeDefs (of a GraphDef or a FunctionDef body) ordered so inputs come first.

    Input names may be ``x``, ``^x``, ``x:1`` or, in function bodies, ``x:out:0``; only the
    node part matters. Names that are not nodes (function arguments) are ignored.
    """
    by_name = {n.name: n for n in nodes}
    order: list[Any] = []
    seen: set[str] = set()
    for root in nodes:
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if node.name in seen:
                continue
            seen.add(node.name)
            stack.append((node, True))
            for inp in reversed(node.input):
                dep = by_name.get(inp.lstrip("^").split(":")[0])
                if dep is not None and dep.name not in seen and not _is_back_edge(node, dep):
                    stack.append((dep, False))
    return order


_MERGES = frozenset({"Merge", "RefMerge"})
_NEXT_ITERATIONS = frozenset({"NextIteration", "RefNextIteration"})


def _is_back_edge(node: Any, dep: Any) -> bool:
    """A loop's back edge (NextIteration -> Merge): the only cycle a valid GraphDef has."""
    return node.op in _MERGES and dep.op in _NEXT_ITERATIONS


def _decoded(node: Any, op_def: Any) -> dict[str, Any]:
    values = {}
    for attr in op_def.attr:
        source = node.attr[attr.name] if attr.name in node.attr else attr.default_value
        values[attr.name] = attr_codec.decode(source)
    return values


def import_graph_def(
    graph_def: Any,
    input_map: dict[str, Any] | None = None,
    return_elements: list[str] | None = None,
    name: str | None = None,
    op_dict: Any = None,
    producer_op_list: Any = None,
) -> list[Tensor | Operation] | None:
    """Imports ``graph_def`` under the name scope ``name`` (default ``"import"``).

    Args:
        graph_def: a GraphDef.
        input_map: GraphDef tensor name (``"x:0"``) -> Tensor to use instead.
        return_elements: names of tensors (``"a:0"``) or ops to return.
        name: prefix; ``""`` imports the names unchanged.

    Returns:
        The requested elements, or None if ``return_elements`` is None.

    Raises:
        NotFoundError: for an op type stowflow does not know, naming the node.
        ValueError: for an input that names a missing node or a bad ``input_map`` key.
    """
    graph = get_default_graph()
    mapped = {}
    for key, value in (input_map or {}).items():
        op_name, index, _ = _parse_input(key if ":" in key else key + ":0")
        mapped[(op_name, index)] = builder.convert_to_tensor(value)
    created: dict[str, Operation] = {}
    back_edges: list[tuple[Operation, int, str, int]] = []
    _merge_library(graph, graph_def)
    with graph.name_scope(name if name is not None else "import") as scope:
        for node in order_nodes(list(graph_def.node)):
            try:
                op_def = op_defs.get(node.op, node.name)
            except NotFoundError as e:
                raise NotFoundError(None, None, e.message) from None
            inputs, controls = [], []
            deferred = []
            for slot, inp in enumerate(i for i in node.input if not i.startswith("^")):
                src, index, _ = _parse_input(inp)
                if (src, index) in mapped:
                    inputs.append(mapped[(src, index)])
                elif src not in created and node.op in _MERGES:
                    deferred.append((slot, src, index))  # a back edge, created later
                    inputs.append(None)
                else:
                    inputs.append(_lookup_op(created, src, node.name)._outputs[index])
            for inp in node.input:
                if inp.startswith("^"):
                    controls.append(_lookup_op(created, inp[1:], node.name))
            if deferred:
                stand_in = next((t for t in inputs if t is not None), None)
                if stand_in is None:
                    raise ValueError(f"Merge node '{node.name}' has only back-edge inputs")
                inputs = [stand_in if t is None else t for t in inputs]
            values = _decoded(node, op_def)
            attrs = {k: node.attr[k] for k in node.attr}
            for attr in op_def.attr:
                attrs.setdefault(attr.name, attr.default_value)
            _, _, with_class = _rewrite_colocation(attrs, scope)
            op = graph.create_op(
                node.op,
                inputs,
                builder._output_dtypes(op_def, values),
                with_class,
                scope + node.name,
                op_def,
                name_is_final=True,
            )
            op._device = node.device
            for c in controls:
                op._add_control_input(c)
            created[node.name] = op
            back_edges.extend((op, slot, src, index) for slot, src, index in deferred)
            builder.infer_shapes(op)
            _placeholder_shape(op)
        for op, slot, src, index in back_edges:
            _rewire(op, slot, _lookup_op(created, src, op.name)._outputs[index])
    if return_elements is None:
        return None
    return [_return_element(created, e) for e in return_elements]


def _rewire(op: Operation, slot: int, tensor: Tensor) -> None:
    """Points input ``slot`` of ``op`` at ``tensor`` (closing a loop's back edge)."""
    previous = op._inputs[slot]
    previous._consumers.remove(op)
    op._inputs[slot] = tensor
    tensor._consumers.append(op)


def _merge_library(graph: Any, graph_def: Any) -> None:
    """Adds the GraphDef's functions to the graph's library (names already there win)."""
    if not graph_def.HasField("library") or not graph_def.library.function:
        return
    if graph.library is None:
        graph.library = type(graph_def.library)()
    known = {f.signature.name for f in graph.library.function}
    for function in graph_def.library.function:
        if function.signature.name not in known:
            graph.library.function.add().CopyFrom(function)
    graph.library.gradient.extend(graph_def.library.gradient)


def _rewrite_colocation(attrs: dict[str, Any], scope: str) -> tuple[None, None, dict[str, Any]]:
    if scope and "_class" in attrs:
        names = [s.decode() for s in attrs["_class"].list.s]
        fixed = [f"loc:@{scope}{n[5:]}" if n.startswith("loc:@") else n for n in names]
        attrs["_class"] = attr_codec.encode("list(string)", fixed)
    return None, None, attrs


def _placeholder_shape(op: Operation) -> None:
    if op.type in ("Placeholder", "PlaceholderWithDefault", "VariableV2"):
        op._outputs[0]._shape = op.get_attr("shape")


def _lookup_op(created: dict[str, Operation], name: str, consumer: str) -> Operation:
    op = created.get(name)
    if op is None:
        raise ValueError(
            f"Node '{consumer}': Unknown input node '{name}' (not in the imported GraphDef)"
        )
    return op


def _return_element(created: dict[str, Operation], name: str) -> Tensor | Operation:
    op_name, index, _ = _parse_input(name)
    op = created.get(op_name)
    if op is None:
        raise ValueError(f"Requested return tensor {name!r} not found in graph def")
    return op._outputs[index] if ":" in name else op
