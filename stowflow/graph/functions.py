"""Runs graph functions (``FunctionDef``s) for ``PartitionedCall``/``StatefulPartitionedCall``.

TF2 SavedModels keep their computation in the GraphDef's function library and call it
from the main graph. A FunctionDef body names tensors ``node:output_arg:index`` and
function arguments by name (FORMATS.md §4.6); this module resolves those names, orders
the body's nodes, and evaluates each through the Session's own kernel dispatch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stowflow.errors import InvalidArgumentError, NotFoundError
from stowflow.graph import attrs as attr_codec
from stowflow.graph import op_defs
from stowflow.graph.importer import order_nodes
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

    def get_attr(self, name: str) -> Any:
        """The decoded value of an attr."""
        if name not in self._attrs:
            raise ValueError(f"Operation '{self.name}' has no attr named '{name}'.")
        return attr_codec.decode(self._attrs[name])

    def output_index(self, arg_name: str, index: int) -> int:
        """Flat output position of ``<arg_name>:<index>``."""
        position = 0
        for arg in self.op_def.output_arg:
            if arg.name == arg_name:
                return position + index
            if arg.number_attr:
                position += self._attrs[arg.number_attr].i
            elif arg.type_list_attr:
                position += len(self._attrs[arg.type_list_attr].list.type)
            else:
                position += 1
        raise ValueError(f"{self.type} has no output {arg_name!r} (node {self.name})")


def _library_function(library: Any, name: str) -> Any:
    for function in library.function if library is not None else []:
        if function.signature.name == name:
            return function
    raise NotFoundError(None, None, f"Function {name} is not in the graph's function library")


MAX_CALL_DEPTH = 64  # nested function calls; a recursive FunctionDef stops here


def call_function(
    library: Any, name: str, args: list[Any], compute: Compute, depth: int = 0
) -> list[Any]:
    """Evaluates function ``name`` of ``library`` on ``args``; returns its outputs in order.

    Raises:
        NotFoundError: for a missing function or an op type stowflow does not know.
        InvalidArgumentError: for calls nested deeper than MAX_CALL_DEPTH or a body that
            names a tensor it does not define.
    """
    if depth > MAX_CALL_DEPTH:
        raise InvalidArgumentError(
            None,
            None,
            f"Function {name} is nested more than {MAX_CALL_DEPTH} calls deep "
            "(a recursive FunctionDef?)",
        )
    function = _library_function(library, name)
    signature = function.signature
    env: dict[str, Any] = {
        arg.name: value for arg, value in zip(signature.input_arg, args, strict=True)
    }
    outputs: dict[str, list[Any]] = {}
    shims: dict[str, FunctionNode] = {}

    def resolve(ref: str) -> Any:
        if ref in env:
            return env[ref]
        parts = ref.split(":")
        node = shims.get(parts[0])
        if node is None or parts[0] not in outputs:
            raise InvalidArgumentError(
                None, None, f"Function {name} uses {ref!r}, which it does not define"
            )
        if len(parts) == 1:
            return outputs[parts[0]][0]
        return outputs[parts[0]][
            node.output_index(parts[1], int(parts[2]) if len(parts) > 2 else 0)
        ]

    for node in order_nodes(list(function.node_def)):
        shim = FunctionNode(node, name)
        shims[node.name] = shim
        inputs = [resolve(i) for i in node.input if not i.startswith("^")]
        if node.op in CALL_OPS:
            outputs[node.name] = call_function(
                library, shim.get_attr("f").name, inputs, compute, depth + 1
            )
        else:
            outputs[node.name] = compute(shim, inputs)
    return [resolve(function.ret[arg.name]) for arg in signature.output_arg]
