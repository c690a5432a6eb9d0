"""Which op types stowflow can run, and which of a model's it cannot — told all at once.

stowflow knows every OpDef TensorFlow registers, so any GraphDef imports; running an op
needs a kernel. A model is checked when it is loaded to run (the SavedModel loaders), so
a user learns every missing op type and where it occurs before the first call, not one
per failed call.

Example:
    >>> from stowflow.graph import coverage
    >>> coverage.runnable("MatMul"), coverage.runnable("NoSuchOp")
    (True, False)
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

from stowflow.errors import NotFoundError
from stowflow.graph import op_defs
from stowflow.graph.executor import CONTROL_FLOW_V1
from stowflow.graph.functions import CALL_OPS
from stowflow.graph.kernels import KERNELS
from stowflow.graph.kernels.control_flow_kernels import FUNCTIONAL_KERNELS
from stowflow.graph.kernels.state import STATEFUL_KERNELS

_WHERE_SHOWN = 3  # node names listed per missing op type


def runnable(op_type: str) -> bool:
    """True if stowflow has an implementation of ``op_type``."""
    return (
        op_type in KERNELS
        or op_type in STATEFUL_KERNELS
        or op_type in FUNCTIONAL_KERNELS
        or op_type in CALL_OPS
        or op_type in CONTROL_FLOW_V1
    )


@functools.cache
def _has_func_attrs(op_type: str) -> bool:
    if not op_defs.known(op_type):
        return True  # unknown op: look at its attrs
    return any(a.type in ("func", "list(func)") for a in op_defs.get(op_type).attr)


def _function_names(node: Any) -> list[str]:
    """Names of library functions a NodeDef refers to through its func attrs."""
    names: list[str] = []
    if not _has_func_attrs(node.op):
        return names
    for attr in node.attr.values():
        if attr.HasField("func"):
            names.append(attr.func.name)
        elif attr.HasField("list"):
            names.extend(f.name for f in attr.list.func)
    return names


def _ancestors(graph_def: Any, roots: list[str]) -> list[Any]:
    """The NodeDefs that nodes ``roots`` (names, ``x:0`` or ``^x`` allowed) depend on."""
    by_name = {node.name: node for node in graph_def.node}
    needed: dict[str, Any] = {}
    pending = [r.lstrip("^").split(":")[0] for r in roots]
    while pending:
        name = pending.pop()
        node = by_name.get(name)
        if node is None or name in needed:
            continue
        needed[name] = node
        pending.extend(i.lstrip("^").split(":")[0] for i in node.input)
    return list(needed.values())


def used_nodes(graph_def: Any, roots: list[str] | None = None) -> list[tuple[str, Any]]:
    """``(location, NodeDef)`` for the graph's nodes (only those ``roots`` need, if given)
    and the bodies of the functions they call, transitively; ``location`` is the node
    name, or ``function/node`` in a body."""
    functions = {f.signature.name: f for f in graph_def.library.function}
    nodes = list(graph_def.node) if roots is None else _ancestors(graph_def, roots)
    found: list[tuple[str, Any]] = [(node.name, node) for node in nodes]
    pending = [name for node in nodes for name in _function_names(node)]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        for node in functions[name].node_def:
            found.append((f"{name}/{node.name}", node))
            pending.extend(_function_names(node))
    return found


def op_type_counts(graph_def: Any) -> Counter[str]:
    """Op type -> number of nodes using it (graph and called function bodies)."""
    return Counter(node.op for _, node in used_nodes(graph_def))


def missing_op_types(graph_def: Any, roots: list[str] | None = None) -> dict[str, list[str]]:
    """Op type -> locations of its nodes, for every op type stowflow cannot run (among the
    nodes ``roots`` need, if given)."""
    missing: dict[str, list[str]] = {}
    for where, node in used_nodes(graph_def, roots):
        if not runnable(node.op):
            missing.setdefault(node.op, []).append(where)
    return missing


def check_runnable(graph_def: Any, what: str, roots: list[str] | None = None) -> None:
    """Raises one error naming every op type of ``graph_def`` (or of the part ``roots``
    need) that stowflow cannot run.

    Raises:
        NotFoundError: listing each missing op type, its node count and where it occurs.
    """
    missing = missing_op_types(graph_def, roots)
    if not missing:
        return
    lines = []
    for op_type, places in sorted(missing.items()):
        shown = ", ".join(places[:_WHERE_SHOWN]) + (", ..." if len(places) > _WHERE_SHOWN else "")
        count = f"{len(places)} node" + ("s" if len(places) > 1 else "")
        lines.append(f"  {op_type} ({count}: {shown})")
    raise NotFoundError(
        None,
        None,
        f"{what} uses {len(missing)} op type{'s' if len(missing) > 1 else ''} that stowflow "
        "cannot run yet:\n" + "\n".join(lines),
    )
