"""Runs graph functions (``FunctionDef``s) for ``PartitionedCall``/``StatefulPartitionedCall``.

TF2 SavedModels keep their computation in the GraphDef's function library and call it
from the main graph. A FunctionDef body names tensors ``node:output_arg:index`` and
function arguments by name (FORMATS.md §4.6); this module resolves those names, orders
the body's nodes, and evaluates each through the Session's own kernel dispatch.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from stowflow.errors import InvalidArgumentError, NotFoundError
from stowflow.graph import attrs as attr_codec
from stowflow.graph import fusion, op_defs
from stowflow.graph.importer import order_nodes
from stowflow.graph.kernels.inplace import INPLACE_KERNELS, can_overwrite
from stowflow.graph.kernels.random_kernels import RANDOM_OPS
from stowflow.graph.kernels.registry import KERNELS
from stowflow.graph.shape import TensorShape

CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})

#: compute(op_like, inputs) -> outputs, the Session's dispatch for one node.
Compute = Callable[[Any, list[Any]], list[Any]]


class _UnknownShapeInput:
    shape = TensorShape(None)


class FunctionNode:
    """A FunctionDef node, shaped like an Operation for kernels (name, type, attrs)."""

    def __init__(self, node: Any, function_name: str) -> None:
        self.name = f"{function_name}/{node.name}"
        self.type = node.op
        self.op_def = op_defs.get(node.op, self.name)
        self._attrs = {k: node.attr[k] for k in node.attr}
        for attr in self.op_def.attr:
            self._attrs.setdefault(attr.name, attr.default_value)
        self.inputs = [_UnknownShapeInput() for i in node.input if not i.startswith("^")]
        self.graph = None
        self.node_def = node
        self._decoded: dict[str, Any] | None = None
        self._direct: Any = False  # not looked up yet

    def direct_kernel(self) -> Any:
        """The pure kernel to call without the Session's dispatch, or None when the op
        needs it (state, randomness, function calls, list-typed inputs to regroup)."""
        if self._direct is False:
            kernel = KERNELS.get(self.type)
            simple = all(not a.number_attr and not a.type_list_attr for a in self.op_def.input_arg)
            self._direct = kernel if kernel is not None and simple and (
                self.type not in RANDOM_OPS
            ) else None
        return self._direct

    def decoded_attrs(self) -> dict[str, Any]:
        """Every non-private attr, decoded (computed once)."""
        if self._decoded is None:
            self._decoded = {k: self.get_attr(k) for k in self._attrs if not k.startswith("_")}
        return self._decoded

    def get_attr(self, name: str) -> Any:
        """The decoded value of an attr."""
        if name not in self._attrs:
            raise ValueError(f"Operation '{self.name}' has no attr named '{name}'.")
        return attr_codec.decode(self._attrs[name])

    def output_index(self, arg_name: str, index: int) -> int:
        """Flat output position of ``<arg_name>:<index>``."""
        try:
            return op_defs.output_position(self.type, self._attrs, arg_name, index)
        except ValueError as e:
            raise ValueError(f"{e} (node {self.name})") from None


def _library_function(library: Any, name: str) -> Any:
    for function in library.function if library is not None else []:
        if function.signature.name == name:
            return function
    raise NotFoundError(None, None, f"Function {name} is not in the graph's function library")


MAX_CALL_DEPTH = 64  # nested function calls; a recursive FunctionDef stops here
_CACHED_LIBRARIES = 32

Ref = tuple[int, int]  # (-1, argument index) or (body node position, flat output index)


class CompiledFunction:
    """A FunctionDef body resolved once: nodes in order, inputs as positions, not names."""

    def __init__(self, function: Any) -> None:
        name = function.signature.name
        args = {arg.name: i for i, arg in enumerate(function.signature.input_arg)}
        position: dict[str, tuple[int, FunctionNode]] = {}

        def resolve(ref: str) -> Ref:
            if ref in args:
                return (-1, args[ref])
            parts = ref.split(":")
            found = position.get(parts[0])
            if found is None:
                raise InvalidArgumentError(
                    None, None, f"Function {name} uses {ref!r}, which it does not define"
                )
            index, node = found
            if len(parts) == 1:
                return (index, 0)
            return (index, node.output_index(parts[1], int(parts[2]) if len(parts) > 2 else 0))

        self.name = name
        self.steps: list[tuple[FunctionNode, list[Ref]]] = []
        for node in order_nodes(list(function.node_def)):
            shim = FunctionNode(node, name)
            refs = [resolve(i) for i in node.input if not i.startswith("^")]
            position[node.name] = (len(self.steps), shim)
            self.steps.append((shim, refs))
        self.returns = [resolve(function.ret[arg.name]) for arg in function.signature.output_arg]
        self.fused = fusion.fuse_conv_scale(self.steps, self.returns)
        self.drops = _last_uses(self.steps, self.returns)


def _last_uses(steps: list[tuple[FunctionNode, list[Ref]]], returns: list[Ref]) -> list[list[int]]:
    """Per step, the input positions whose value no later step (nor the result) reads."""
    last: dict[Ref, int] = {}
    for k, (_, refs) in enumerate(steps):
        for ref in refs:
            if ref[0] >= 0:
                last[ref] = k
    for ref in returns:
        last.pop(ref, None)
    drops: list[list[int]] = [[] for _ in steps]
    for k, (_, refs) in enumerate(steps):
        seen: set[Ref] = set()
        for position, ref in enumerate(refs):
            if last.get(ref) == k and ref not in seen:
                drops[k].append(position)
                seen.add(ref)
    return drops


_compiled: OrderedDict[int, tuple[Any, dict[str, CompiledFunction]]] = OrderedDict()
_depth = threading.local()


def compiled_function(library: Any, name: str) -> CompiledFunction:
    """The compiled form of function ``name`` of ``library`` (cached per library object)."""
    entry = _compiled.get(id(library))
    if entry is None or entry[0] is not library:
        entry = _compiled[id(library)] = (library, {})
        while len(_compiled) > _CACHED_LIBRARIES:
            _compiled.popitem(last=False)
    else:
        _compiled.move_to_end(id(library))
    functions = entry[1]
    found = functions.get(name)
    if found is None:
        found = functions[name] = CompiledFunction(_library_function(library, name))
    return found


def call_function(library: Any, name: str, args: list[Any], compute: Compute) -> list[Any]:
    """Evaluates function ``name`` of ``library`` on ``args``; returns its outputs in order.

    Body nodes run through ``compute`` (the Session's dispatch), so calls and functional
    control flow inside a body nest naturally.

    Raises:
        NotFoundError: for a missing function or an op type stowflow does not know.
        InvalidArgumentError: for calls nested deeper than MAX_CALL_DEPTH or a body that
            names a tensor it does not define.
    """
    depth = getattr(_depth, "value", 0)
    if depth >= MAX_CALL_DEPTH:
        raise InvalidArgumentError(
            None,
            None,
            f"Function {name} is nested more than {MAX_CALL_DEPTH} calls deep "
            "(a recursive FunctionDef?)",
        )
    function = compiled_function(library, name)
    outputs: list[list[Any]] = []
    _depth.value = depth + 1
    try:
        for (shim, refs), drops in zip(function.steps, function.drops, strict=True):
            if type(shim) is fusion.Skipped:
                outputs.append([None])
                continue
            inputs = [args[i] if k < 0 else outputs[k][i] for k, i in refs]
            result = None
            if drops:
                for position in drops:  # free dead values now: lower peak memory
                    k, i = refs[position]
                    outputs[k][i] = None
                result = _run_in_place(shim, inputs, drops)
            if result is None:
                if type(shim) is fusion.ConvScale:
                    result = shim.run(inputs, compute)
                else:
                    direct = shim.direct_kernel()
                    if direct is not None:
                        result = direct(inputs, shim.decoded_attrs())
                    else:
                        result = compute(shim, inputs)
            # A copy of the list: slots are cleared when their value dies.
            outputs.append(list(result))
    finally:
        _depth.value = depth
    return [args[i] if k < 0 else outputs[k][i] for k, i in function.returns]


def _run_in_place(node: FunctionNode, inputs: list[Any], dead: list[int]) -> list[Any] | None:
    """The op's outputs computed into a dead input's buffer, or None if that cannot be."""
    kernel = INPLACE_KERNELS.get(node.type)
    if kernel is None:
        return None
    for position in dead:
        if can_overwrite(inputs[position], 1):
            return kernel(inputs, node.decoded_attrs(), position)
    return None
