"""TF1 control flow (Enter/Exit/Switch/Merge/NextIteration/LoopCond) as functional ops.

ONNX has structured ``Loop``/``If`` only, so before export the dataflow loops and conds
that ``tf.while_loop`` and ``tf.cond`` build in TF1 graphs are rewritten into ``While`` and
``StatelessIf`` nodes whose bodies are new functions of the graph's library; the
functional converters (:mod:`~stowflow.convert.onnx.control_flow`) do the rest.

* A cond: every ``Merge`` not fed by an ``Enter``/``NextIteration`` becomes one
  ``StatelessIf``. Walking back from each Merge input to the ``Switch`` nodes the branch
  reads gives the branch's nodes and its side (``Switch:1`` true, ``Switch:0`` false;
  a branch of constants only finds its side through the ``switch_t``/``switch_f``
  control dependency). Innermost conds go first.
* A loop: the ``Enter`` nodes of one frame give the loop variables (``Enter`` ->
  ``Merge`` -> ``Switch`` on ``LoopCond`` -> ``Exit``) and the loop invariants
  (``is_constant`` Enters); the cond function is what ``LoopCond`` needs from the Merges,
  the body what the ``NextIteration``s need from the ``Switch:1`` outputs. Each ``Exit``
  becomes an Identity of the ``While`` output.

Anything else (nested frames, a Merge whose other outputs are read, a Switch reached
from both sides) is refused with an :class:`~stowflow.errors.UnimplementedError` naming
the frame or node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stowflow.convert.onnx.graphs import node_name
from stowflow.errors import UnimplementedError
from stowflow.proto import function_pb2, graph_pb2, node_def_pb2

V1_OPS = {"Enter", "Exit", "Switch", "Merge", "NextIteration", "LoopCond", "RefEnter",
          "RefExit", "RefSwitch", "RefMerge", "RefNextIteration"}  # fmt: skip

_BOOL = 10  # DataType DT_BOOL

#: dtype (DataType enum) of a tensor reference ("node:k") of the graph
DTypeOf = Callable[[str], int]


def has_v1_control_flow(graph_def: Any) -> bool:
    """True if ``graph_def`` has any TF1 control flow node."""
    return any(n.op in V1_OPS for n in graph_def.node)


def _port(ref: str) -> int:
    parts = ref.lstrip("^").split(":")
    return int(parts[1]) if len(parts) > 1 else 0


def _full(ref: str) -> str:
    return ref if ":" in ref else ref + ":0"


def _refuse(what: str) -> UnimplementedError:
    return UnimplementedError(
        None,
        None,
        f"ONNX export of TF1 control flow: {what} (only the standard "
        "tf.while_loop / tf.cond patterns, without nested loops, are supported)",
    )


class _Graph:
    def __init__(self, graph_def: Any, dtype_of: DTypeOf) -> None:
        self.graph_def = graph_def
        self.dtype_of = dtype_of
        self.by_name = {n.name: n for n in graph_def.node}
        self.counter = 0

    def node(self, ref: str) -> Any:
        return self.by_name[node_name(ref)]

    def consumers(self, name: str) -> list[Any]:
        return [n for n in self.graph_def.node if any(node_name(i) == name for i in n.input)]

    def fresh(self, hint: str) -> str:
        self.counter += 1
        return f"{hint.replace('/', '_')}_{self.counter}"

    def add_function(
        self,
        name: str,
        args: list[str],
        arg_types: list[int],
        nodes: list[Any],
        rets: list[str],
        ret_types: list[int],
    ) -> None:
        """A FunctionDef whose args are named ``args`` and whose body reads them by name
        (node inputs in GraphDef syntax, ``node:k``: only the exporter reads these)."""
        function = function_pb2.FunctionDef()
        function.signature.name = name
        for arg, dtype in zip(args, arg_types, strict=True):
            function.signature.input_arg.add(name=arg, type=dtype)
        for i, (ret, dtype) in enumerate(zip(rets, ret_types, strict=True)):
            key = f"output_{i}"
            function.signature.output_arg.add(name=key, type=dtype)
            function.ret[key] = ret
        function.node_def.extend(nodes)
        self.graph_def.library.function.append(function)


def _collect(
    g: _Graph, roots: list[str], stop: Callable[[str], str | None]
) -> tuple[list[Any], dict[str, str]]:
    """Nodes ``roots`` need, walking data inputs back until ``stop(ref)`` names an
    argument for ``ref``; returns the copied nodes (inputs renamed) and ref -> arg."""
    args: dict[str, str] = {}
    seen: dict[str, Any] = {}
    order: list[Any] = []
    pending = list(roots)
    while pending:
        ref = pending.pop()
        if stop(ref) is not None:
            args[_full(ref)] = str(stop(ref))
            continue
        name = node_name(ref)
        if name in seen:
            continue
        node = g.by_name[name]
        seen[name] = node
        order.append(node)
        pending.extend(i for i in node.input if not i.startswith("^"))
    copies = []
    for node in [n for n in g.graph_def.node if n.name in seen]:  # graph order
        copy = node_def_pb2.NodeDef()
        copy.CopyFrom(node)
        del copy.input[:]
        for ref in node.input:
            if ref.startswith("^"):
                continue
            copy.input.append(args.get(_full(ref), ref))
        copies.append(copy)
    return copies, args


def _ret(ref: str, args: dict[str, str]) -> str:
    return args.get(_full(ref), ref)


# ------------------------------------------------------------------------------ conds


def _switch_side(g: _Graph, ref: str) -> tuple[Any, int] | None:
    """``(switch, port)`` if ``ref`` is a cond Switch output (a loop Switch is not)."""
    node = g.node(ref)
    if node.op != "Switch":
        return None
    pred = g.node(node.input[1])
    if pred.op == "LoopCond":
        return None
    return node, _port(ref)


def _branch_side(g: _Graph, root: str) -> tuple[int | None, list[Any]]:
    """Which side a Merge input is on and the cond Switches its branch reads."""
    sides: set[int] = set()
    switches: list[Any] = []
    seen: set[str] = set()
    pending = [root]
    while pending:
        ref = pending.pop()
        found = _switch_side(g, ref)
        if found is not None:
            sides.add(found[1])
            if found[0] not in switches:
                switches.append(found[0])
            continue
        name = node_name(ref)
        if name in seen:
            continue
        seen.add(name)
        node = g.by_name[name]
        if node.op == "Merge" and not _is_loop_merge(g, node):
            raise _refuse(f"cond Merge {name} reached from an outer branch first")
        for i in node.input:
            if i.startswith("^"):
                ctrl = g.by_name[node_name(i)]  # switch_t / switch_f: Identity(Switch:k)
                if ctrl.op == "Identity" and ctrl.input and g.node(ctrl.input[0]).op == "Switch":
                    found = _switch_side(g, ctrl.input[0])
                    if found is not None:
                        sides.add(found[1])
            else:
                pending.append(i)
    if len(sides) > 1:
        raise _refuse(f"branch ending in {root} reads both sides of a Switch")
    return (sides.pop() if sides else None), switches


def _is_loop_merge(g: _Graph, node: Any) -> bool:
    return any(g.node(i).op in ("Enter", "NextIteration") for i in node.input)


def _innermost_cond_merge(g: _Graph) -> Any | None:
    for node in g.graph_def.node:
        if node.op != "Merge" or _is_loop_merge(g, node):
            continue
        try:
            for ref in node.input:
                _branch_side(g, ref)
        except UnimplementedError:
            continue  # an inner cond must go first
        return node
    return None


def _set_type(attr_value: Any, dtype: int) -> None:
    attr_value.type = dtype


def _through_identity(g: _Graph, ref: str) -> str:
    node = g.node(ref)
    while node.op == "Identity":
        ref = node.input[0]
        node = g.node(ref)
    return _full(ref)


def _functionalize_cond(g: _Graph, merge: Any) -> None:
    if len(merge.input) != 2:
        raise _refuse(f"Merge {merge.name} has {len(merge.input)} inputs")
    if any(
        _port(i) == 1
        for c in g.consumers(merge.name)
        for i in c.input
        if node_name(i) == merge.name
    ):
        raise _refuse(f"the value_index output of Merge {merge.name} is read")
    sides = [_branch_side(g, ref) for ref in merge.input]
    by_side = {
        side: (ref, switches) for ref, (side, switches) in zip(merge.input, sides, strict=True)
    }
    if set(by_side) == {None}:
        raise _refuse(f"cannot tell the branches of Merge {merge.name} apart")
    if None in by_side:  # one side found: the other one is the other port
        known = next(s for s in by_side if s is not None)
        by_side[1 - known] = by_side.pop(None)
    switches = [s for _, found in by_side.values() for s in found]
    preds = {_through_identity(g, s.input[1]) for s in switches}
    if len(preds) > 1:
        raise _refuse(f"the branches of Merge {merge.name} switch on {sorted(preds)}")
    if not switches:  # both branches constant: the pred comes from switch_t/switch_f
        raise _refuse(f"both branches of Merge {merge.name} are constants")
    pred = switches[0].input[1]
    data = []
    for s in switches:
        if s.input[0] not in data:
            data.append(s.input[0])
    out_type = g.dtype_of(merge.name + ":0")
    arg_names = [f"arg{i}" for i in range(len(data))]
    arg_types = [g.dtype_of(_full(d)) for d in data]
    functions = {}
    for side in (0, 1):
        root, _ = by_side[side]

        def stop(ref: str, side: int = side) -> str | None:
            found = _switch_side(g, ref)
            if found is None:
                return None
            return arg_names[data.index(found[0].input[0])]

        nodes, args = _collect(g, [root], stop)
        name = g.fresh(f"{merge.name}_{'then' if side else 'else'}")
        ret = _ret(root, args)
        if ret in arg_names:  # a branch returning an input unchanged
            ident = node_def_pb2.NodeDef(name=g.fresh("passthrough"), op="Identity", input=[ret])
            _set_type(ident.attr["T"], arg_types[arg_names.index(ret)])
            nodes.append(ident)
            ret = ident.name + ":0"
        g.add_function(name, arg_names, arg_types, nodes, [ret], [out_type])
        functions[side] = name
    merge.op = "StatelessIf"
    del merge.input[:]
    merge.input.extend([pred, *data])
    merge.ClearField("attr")
    merge.attr["Tcond"].type = g.dtype_of(_full(pred))
    merge.attr["Tin"].list.type.extend(arg_types)
    merge.attr["Tout"].list.type.append(out_type)
    merge.attr["then_branch"].func.name = functions[1]
    merge.attr["else_branch"].func.name = functions[0]
    merge.attr["output_shapes"].list.shape.add().unknown_rank = True


# ------------------------------------------------------------------------------ loops


def _frames(g: _Graph) -> dict[str, list[Any]]:
    frames: dict[str, list[Any]] = {}
    for node in g.graph_def.node:
        if node.op == "Enter":
            frames.setdefault(node.attr["frame_name"].s.decode(), []).append(node)
    return frames


def _functionalize_loop(g: _Graph, frame: str, enters: list[Any]) -> None:
    for enter in enters:
        if g.node(enter.input[0]).op in V1_OPS - {"Exit"}:
            raise _refuse(f"frame {frame!r} is nested in another loop")
    variables = [e for e in enters if not e.attr["is_constant"].b]
    invariants = [e for e in enters if e.attr["is_constant"].b]
    merges, switches, nexts, exits = [], [], [], []
    for enter in variables:
        (merge,) = [c for c in g.consumers(enter.name) if c.op == "Merge"] or [None]
        if merge is None:
            raise _refuse(f"frame {frame!r}: Enter {enter.name} feeds no Merge")
        nxt = next((g.node(i) for i in merge.input if g.node(i).op == "NextIteration"), None)
        switch = next((c for c in g.consumers(merge.name) if c.op == "Switch"), None)
        if nxt is None or switch is None:
            raise _refuse(f"frame {frame!r}: Merge {merge.name} is not a loop variable")
        merges.append(merge)
        nexts.append(nxt)
        switches.append(switch)
        exits.append(next((c for c in g.consumers(switch.name) if c.op == "Exit"), None))
    loop_cond = g.node(switches[0].input[1])
    if loop_cond.op != "LoopCond":
        raise _refuse(f"frame {frame!r}: the loop Switch does not read a LoopCond")
    n = len(variables)
    arg_names = [f"var{i}" for i in range(n)] + [f"inv{i}" for i in range(len(invariants))]
    arg_types = [g.dtype_of(_full(e.input[0])) for e in [*variables, *invariants]]
    merge_arg = {m.name + ":0": arg_names[i] for i, m in enumerate(merges)}
    body_arg = {s.name + ":1": arg_names[i] for i, s in enumerate(switches)}
    inv_arg = {e.name + ":0": arg_names[n + i] for i, e in enumerate(invariants)}

    def cond_stop(ref: str) -> str | None:
        return merge_arg.get(_full(ref)) or inv_arg.get(_full(ref))

    def body_stop(ref: str) -> str | None:
        return body_arg.get(_full(ref)) or inv_arg.get(_full(ref))

    cond_nodes, cond_args = _collect(g, [loop_cond.input[0]], cond_stop)
    cond_name = g.fresh(frame + "_cond")
    cond_ret = _as_output(_ret(loop_cond.input[0], cond_args), arg_names, arg_types, cond_nodes, g)
    g.add_function(cond_name, arg_names, arg_types, cond_nodes, [cond_ret], [_BOOL])
    roots = [nx.input[0] for nx in nexts]
    body_nodes, body_args = _collect(g, roots, body_stop)
    rets = [_ret(r, body_args) for r in roots] + arg_names[n:]
    rets = [_as_output(r, arg_names, arg_types, body_nodes, g) for r in rets]
    body_name = g.fresh(frame + "_body")
    g.add_function(body_name, arg_names, arg_types, body_nodes, rets, arg_types)
    loop = g.graph_def.node.add(name=g.fresh(frame.split("/")[0] + "_while"), op="While")
    loop.input.extend([e.input[0] for e in [*variables, *invariants]])
    loop.attr["T"].list.type.extend(arg_types)
    loop.attr["cond"].func.name = cond_name
    loop.attr["body"].func.name = body_name
    for _ in arg_types:
        loop.attr["output_shapes"].list.shape.add().unknown_rank = True
    loop.attr["parallel_iterations"].i = 10
    for i, exit_node in enumerate(exits):
        if exit_node is None:
            continue
        exit_node.op = "Identity"
        del exit_node.input[:]
        exit_node.input.append(f"{loop.name}:{i}")
        dtype = arg_types[i]
        exit_node.ClearField("attr")
        exit_node.attr["T"].type = dtype


def _as_output(ref: str, args: list[str], types: list[int], nodes: list[Any], g: _Graph) -> str:
    """A function return must be a node output: an argument returned as is gets an Identity."""
    if ref not in args:
        return ref
    ident = node_def_pb2.NodeDef(name=g.fresh("passthrough"), op="Identity", input=[ref])
    _set_type(ident.attr["T"], types[args.index(ref)])
    nodes.append(ident)
    return ident.name + ":0"


def functionalize(graph_def: Any, dtype_of: DTypeOf) -> Any:
    """A copy of ``graph_def`` with TF1 conds and loops as StatelessIf/While + functions.

    Args:
        dtype_of: the DataType enum of a tensor reference ``"node:k"`` of ``graph_def``.

    Raises:
        UnimplementedError: for control flow outside the standard patterns (naming it).
    """
    out = graph_pb2.GraphDef()
    out.CopyFrom(graph_def)
    g = _Graph(out, dtype_of)
    while (merge := _innermost_cond_merge(g)) is not None:
        _functionalize_cond(g, merge)
        g.by_name = {n.name: n for n in out.node}
    for frame, enters in _frames(g).items():
        _functionalize_loop(g, frame, enters)
        g.by_name = {n.name: n for n in out.node}
    return out
