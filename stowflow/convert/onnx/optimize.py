"""Transpose cancellation: push transposes down through elementwise nodes, then fuse or
drop back-to-back transposes whose permutations compose to the identity.

Conv -> BiasAdd -> Relu -> Conv becomes, after wrapping every NHWC op,
``T Conv T Add Relu T Conv T``; pushing the middle ``T`` down past ``Add`` (whose
per-channel constant is re-laid out) and ``Relu`` leaves ``T T``, which cancel.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_UNARY = {"Relu", "Sigmoid", "Tanh", "Erf", "Exp", "Log", "Sqrt", "Neg", "Abs", "Identity",
          "Cast", "Clip"}  # fmt: skip
_BINARY = {"Add", "Sub", "Mul", "Div", "Max", "Min"}


def _perm(node: Any) -> list[int]:
    return [int(p) for p in next(a for a in node.attribute if a.name == "perm").ints]


def _set_perm(node: Any, perm: list[int]) -> None:
    for attr in node.attribute:
        if attr.name == "perm":
            del attr.ints[:]
            attr.ints.extend(perm)


class _Graph:
    def __init__(self, nodes: list[Any], initializers: dict[str, Any], outputs: set[str]) -> None:
        self.nodes = nodes
        self.init = initializers
        self.outputs = outputs

    def producer(self, name: str) -> Any | None:
        return next((n for n in self.nodes if name in n.output), None)

    def consumers(self, name: str) -> list[Any]:
        return [n for n in self.nodes if name in n.input]

    def private(self, name: str) -> bool:
        """True if only one node reads ``name`` and it is not a graph output."""
        return name not in self.outputs and len(self.consumers(name)) == 1


def _cancel_pair(g: _Graph, second: Any) -> bool:
    first = g.producer(second.input[0])
    if first is None or first.op_type != "Transpose" or not g.private(first.output[0]):
        return False
    p1, p2 = _perm(first), _perm(second)
    combined = [p1[i] for i in p2]
    g.nodes.remove(first)
    second.input[0] = first.input[0]
    if combined == list(range(len(combined))):
        second.op_type = "Identity"
        del second.attribute[:]
    else:
        _set_perm(second, combined)
    return True


def _relaid_constant(g: _Graph, name: str, perm: list[int]) -> str | None:
    """``name`` re-laid out so that ``op(transpose(x), c) == transpose(op(x, c'))``."""
    tensor = g.init.get(name)
    if tensor is None:
        return None
    from onnx import numpy_helper

    value = numpy_helper.to_array(tensor)
    if value.ndim > len(perm):
        return None
    full = value.reshape((1,) * (len(perm) - value.ndim) + value.shape)
    inverse = list(np.argsort(perm))
    new_name = f"{name}__relaid{len(g.init)}"
    g.init[new_name] = numpy_helper.from_array(np.transpose(full, inverse), new_name)
    return new_name


_REDUCE_ATTR_AXES = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd"}


def _attr(node: Any, name: str) -> Any:
    return next((a for a in node.attribute if a.name == name), None)


def _push_through_reduce(transpose: Any, user: Any) -> bool:
    """``reduce(transpose(x, p), axes)`` == ``transpose(reduce(x, p[axes]), q)``."""
    axes_attr, keep_attr = _attr(user, "axes"), _attr(user, "keepdims")
    if axes_attr is None:
        return False
    perm = _perm(transpose)
    rank = len(perm)
    axes = sorted(a % rank for a in axes_attr.ints)
    del axes_attr.ints[:]
    axes_attr.ints.extend(sorted(perm[a] for a in axes))
    keep = keep_attr is None or keep_attr.i == 1
    if not keep:
        kept = [perm[i] for i in range(rank) if i not in axes]
        order = sorted(kept)
        _set_perm(transpose, [order.index(k) for k in kept])
    return True


def _push_down(g: _Graph, transpose: Any) -> bool:
    out = transpose.output[0]
    if not g.private(out):
        return False
    [user] = g.consumers(out)
    if user.op_type in _REDUCE_ATTR_AXES:
        if not _push_through_reduce(transpose, user):
            return False
    elif user.op_type in _BINARY:
        slot = list(user.input).index(out)
        relaid = _relaid_constant(g, user.input[1 - slot], _perm(transpose))
        if relaid is None:
            return False
        user.input[1 - slot] = relaid  # operand order kept: Sub and Div do not commute
    elif user.op_type not in _UNARY or user.input[0] != out:
        return False
    # Swap: user now reads the transpose's input; the transpose takes user's output.
    index = list(user.input).index(out)
    user.input[index] = transpose.input[0]
    final = user.output[0]
    user.output[0] = out + "__pushed"
    transpose.input[0] = user.output[0]
    transpose.output[0] = final
    g.nodes.remove(transpose)
    g.nodes.insert(g.nodes.index(user) + 1, transpose)
    return True


def cancel_transposes(
    nodes: list[Any], initializers: dict[str, Any], outputs: set[str]
) -> tuple[list[Any], int]:
    """Rewrites ``nodes`` in place order; returns them and how many transposes remain."""
    g = _Graph(list(nodes), initializers, outputs)
    changed = True
    while changed:
        changed = False
        for node in list(g.nodes):
            if node not in g.nodes or node.op_type != "Transpose":
                continue
            if _perm(node) == list(range(len(_perm(node)))):
                node.op_type = "Identity"
                del node.attribute[:]
                changed = True
                break
            if _cancel_pair(g, node) or _push_down(g, node):
                changed = True
                break
    _drop_identities(g)
    unused = set(g.init) - {i for n in g.nodes for i in n.input}
    for name in unused:
        del g.init[name]
    return g.nodes, sum(n.op_type == "Transpose" for n in g.nodes)


def _drop_identities(g: _Graph) -> None:
    for node in [n for n in g.nodes if n.op_type == "Identity"]:
        src, out = node.input[0], node.output[0]
        if out in g.outputs:
            continue
        for user in g.consumers(out):
            for i, name in enumerate(user.input):
                if name == out:
                    user.input[i] = src
        g.nodes.remove(node)
