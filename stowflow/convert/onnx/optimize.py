"""Transpose cancellation: push transposes down through layout-agnostic nodes, then fuse
or drop back-to-back transposes whose permutations compose to the identity.

Conv -> BiasAdd -> Relu -> Conv becomes, after wrapping every NHWC op,
``T Conv T Add Relu T Conv T``; pushing the middle ``T`` down past ``Add`` (whose
per-channel constant is re-laid out) and ``Relu`` leaves ``T T``, which cancel. A
transpose read by several nodes that can all absorb it is first copied per reader (a
ResNet block's input feeds both its convolution and the residual ``Add``); an ``Add`` or
``Concat`` whose inputs are all transposed the same way is computed before the transpose.
Values read inside Loop/If bodies are left alone (the pass does not enter subgraphs).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

_UNARY = {"Relu", "Sigmoid", "Tanh", "Erf", "Exp", "Log", "Sqrt", "Neg", "Abs", "Identity",
          "Cast", "Clip", "Reciprocal", "Floor", "Ceil", "LeakyRelu", "Elu", "Softplus"}  # fmt: skip
_BINARY = {"Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"}
_REDUCE_ATTR_AXES = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd"}
_ABSORBING = {"Transpose", "Concat", "Pad", *_UNARY, *_BINARY, *_REDUCE_ATTR_AXES}
_MAX_ROUNDS = 10_000


def _attr(node: Any, name: str) -> Any:
    return next((a for a in node.attribute if a.name == name), None)


def _perm(node: Any) -> list[int]:
    return [int(p) for p in _attr(node, "perm").ints]


def _set_perm(node: Any, perm: list[int]) -> None:
    attr = _attr(node, "perm")
    del attr.ints[:]
    attr.ints.extend(perm)


def _subgraph_refs(node: Any) -> set[str]:
    """Every name read inside ``node``'s subgraphs (outer-scope reads among them)."""
    names: set[str] = set()
    for attr in node.attribute:
        if attr.HasField("g"):
            for inner in attr.g.node:
                names.update(inner.input)
                names |= _subgraph_refs(inner)
    return names


class _Graph:
    """Nodes with producer/consumer indexes kept up to date by every rewrite."""

    def __init__(self, nodes: list[Any], initializers: dict[str, Any], outputs: set[str]) -> None:
        self.nodes = nodes
        self.init = initializers
        self.outputs = outputs
        self.producer: dict[str, Any] = {}
        self.consumers: dict[str, list[Any]] = defaultdict(list)
        self.implicit: set[str] = set()  # read inside a subgraph: never rewired
        for node in nodes:
            for out in node.output:
                self.producer[out] = node
            for name in node.input:
                self.consumers[name].append(node)
            self.implicit |= _subgraph_refs(node)

    def private(self, name: str) -> bool:
        """True if exactly one node reads ``name`` (once) and nothing else sees it."""
        return (
            name not in self.outputs
            and name not in self.implicit
            and len(self.consumers[name]) == 1
        )

    def set_input(self, node: Any, index: int, name: str) -> None:
        old = node.input[index]
        self.consumers[old].remove(node)
        node.input[index] = name
        self.consumers[name].append(node)

    def set_output(self, node: Any, name: str) -> None:
        old = node.output[0]
        if self.producer.get(old) is node:
            del self.producer[old]
        node.output[0] = name
        self.producer[name] = node

    def remove(self, node: Any) -> None:
        self.nodes.remove(node)
        for name in node.input:
            self.consumers[name].remove(node)
        for out in node.output:
            if self.producer.get(out) is node:
                del self.producer[out]

    def insert_after(self, anchor: Any, node: Any) -> None:
        self.nodes.insert(self.nodes.index(anchor) + 1, node)
        for name in node.input:
            self.consumers[name].append(node)
        for out in node.output:
            self.producer[out] = node

    def transpose_of(self, name: str) -> Any | None:
        node = self.producer.get(name)
        return node if node is not None and node.op_type == "Transpose" else None


def _cancel_pair(g: _Graph, second: Any) -> bool:
    first = g.transpose_of(second.input[0])
    if first is None or not g.private(first.output[0]):
        return False
    combined = [_perm(first)[i] for i in _perm(second)]
    source = first.input[0]
    g.remove(first)
    g.set_input(second, 0, source)
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
    if value.ndim == 0:
        return name
    full = value.reshape((1,) * (len(perm) - value.ndim) + value.shape)
    new_name = f"{name}__relaid{len(g.init)}"
    g.init[new_name] = numpy_helper.from_array(np.transpose(full, np.argsort(perm)), new_name)
    return new_name


def _reduce_axes(transpose: Any, user: Any) -> bool:
    """``reduce(transpose(x, p), axes)`` == ``transpose(reduce(x, p[axes]), q)``."""
    axes_attr, keep_attr = _attr(user, "axes"), _attr(user, "keepdims")
    if axes_attr is None:
        return False
    perm = _perm(transpose)
    rank = len(perm)
    axes = sorted(a % rank for a in axes_attr.ints)
    del axes_attr.ints[:]
    axes_attr.ints.extend(sorted(perm[a] for a in axes))
    if keep_attr is not None and keep_attr.i == 0:
        kept = [perm[i] for i in range(rank) if i not in axes]
        order = sorted(kept)
        _set_perm(transpose, [order.index(k) for k in kept])
    return True


def _same_transposes(g: _Graph, names: list[str], perm: list[int]) -> list[Any] | None:
    """The private transposes with ``perm`` producing every one of ``names``, or None."""
    found = []
    for name in names:
        node = g.transpose_of(name)
        if node is None or _perm(node) != perm or not g.private(name) or node in found:
            return None
        found.append(node)
    return found


def _absorb(g: _Graph, transpose: Any, user: Any) -> list[Any] | None:
    """Rewrites ``user`` to take untransposed input; returns the transposes it absorbed."""
    out, perm = transpose.output[0], _perm(transpose)
    if user.op_type in _REDUCE_ATTR_AXES:
        return [transpose] if _reduce_axes(transpose, user) else None
    if user.op_type == "Concat" or (
        user.op_type in _BINARY and all(g.transpose_of(n) for n in user.input)
    ):
        group = _same_transposes(g, list(user.input), perm)
        if group is None:
            return None
        if user.op_type == "Concat":
            axis = _attr(user, "axis")
            axis.i = perm[axis.i % len(perm)]
        return group
    if user.op_type in _BINARY:
        slot = list(user.input).index(out)
        relaid = _relaid_constant(g, user.input[1 - slot], perm)
        if relaid is None:
            return None
        g.set_input(user, 1 - slot, relaid)  # operand order kept: Sub and Div do not commute
        return [transpose]
    if user.op_type == "Pad" and user.input[0] == out:
        pads = g.init.get(user.input[1])
        if pads is None:
            return None
        from onnx import numpy_helper

        value = numpy_helper.to_array(pads).reshape(2, -1)
        inverse = np.argsort(perm)
        new_name = f"{user.input[1]}__relaid{len(g.init)}"
        g.init[new_name] = numpy_helper.from_array(value[:, inverse].reshape(-1), new_name)
        g.set_input(user, 1, new_name)
        return [transpose]
    if user.op_type in _UNARY and user.input[0] == out:
        return [transpose]
    return None


def _push_down(g: _Graph, transpose: Any) -> bool:
    out = transpose.output[0]
    if not g.private(out):
        return False
    [user] = g.consumers[out]
    group = _absorb(g, transpose, user)
    if group is None:
        return False
    # user now reads the transposes' inputs; one transpose moves behind user.
    for node in group:
        g.set_input(user, list(user.input).index(node.output[0]), node.input[0])
    for node in group:
        if node is not transpose:
            g.remove(node)
    final = user.output[0]
    g.remove(transpose)
    g.set_output(user, out + "__pushed")
    transpose.input[0] = user.output[0]
    transpose.output[0] = final
    g.insert_after(user, transpose)
    return True


def _split_shared(g: _Graph, transpose: Any) -> bool:
    """Copies a transpose read by several nodes that can all absorb it, one per reader."""
    out = transpose.output[0]
    readers = g.consumers[out]
    if len(readers) < 2 or out in g.outputs or out in g.implicit:
        return False
    if any(r.op_type not in _ABSORBING or list(r.input).count(out) != 1 for r in readers):
        return False
    for reader in list(readers):
        copy = type(transpose)()
        copy.CopyFrom(transpose)
        copy.name = f"{transpose.name}__copy{len(g.nodes)}"
        copy.output[0] = f"{out}__copy{len(g.nodes)}"
        g.insert_after(transpose, copy)
        g.set_input(reader, list(reader.input).index(out), copy.output[0])
    g.remove(transpose)
    return True


def cancel_transposes(
    nodes: list[Any], initializers: dict[str, Any], outputs: set[str]
) -> tuple[list[Any], int]:
    """Rewrites ``nodes`` in place order; returns them and how many transposes remain."""
    g = _Graph(list(nodes), initializers, outputs)
    _drop_identities(g)  # a constant behind an Identity is then an initializer again
    for _ in range(_MAX_ROUNDS):
        changed = False
        for node in [n for n in g.nodes if n.op_type == "Transpose"]:
            if id(g.producer.get(node.output[0])) != id(node) or node.op_type != "Transpose":
                continue
            if _perm(node) == list(range(len(_perm(node)))):
                node.op_type = "Identity"
                del node.attribute[:]
                changed = True
            elif (
                _cancel_pair(g, node)
                or _into_reshape(g, node)
                or _push_down(g, node)
                or _split_shared(g, node)
            ):
                changed = True
        if not changed:
            break
    _drop_identities(g)
    _drop_dead(g)
    used = {i for n in g.nodes for i in n.input} | g.implicit
    for name in set(g.init) - used:
        del g.init[name]
    return g.nodes, sum(n.op_type == "Transpose" for n in g.nodes)


def _into_reshape(g: _Graph, transpose: Any) -> bool:
    """``transpose(reshape(x, s))`` that only moves size-1 axes is ``reshape(x, s')``
    (EfficientNet's squeeze-excite reshapes a pooled vector to ``[B, 1, 1, C]``)."""
    reshape = g.producer.get(transpose.input[0])
    if reshape is None or reshape.op_type != "Reshape" or not g.private(reshape.output[0]):
        return False
    tensor = g.init.get(reshape.input[1])
    if tensor is None:
        return False
    from onnx import numpy_helper

    shape = [int(d) for d in numpy_helper.to_array(tensor)]
    perm = _perm(transpose)
    if len(shape) != len(perm) or 0 in shape:
        return False
    moved = [shape[p] for p in perm]
    if [d for d in moved if d != 1] != [d for d in shape if d != 1]:
        return False
    if [p for p in perm if shape[p] != 1] != sorted(p for p in perm if shape[p] != 1):
        return False
    name = f"{reshape.input[1]}__relaid{len(g.init)}"
    g.init[name] = numpy_helper.from_array(np.array(moved, np.int64), name)
    g.set_input(reshape, 1, name)
    transpose.op_type = "Identity"
    del transpose.attribute[:]
    return True


def _drop_dead(g: _Graph) -> None:
    """Removes nodes none of whose outputs is read (repeatedly)."""
    changed = True
    while changed:
        changed = False
        for node in list(g.nodes):
            if any(
                out in g.outputs or out in g.implicit or g.consumers[out] for out in node.output
            ):
                continue
            g.remove(node)
            changed = True


def _drop_identities(g: _Graph) -> None:
    for node in [n for n in g.nodes if n.op_type == "Identity"]:
        src, out = node.input[0], node.output[0]
        if out in g.outputs or out in g.implicit:
            continue
        for user in list(g.consumers[out]):
            for i, name in enumerate(user.input):
                if name == out:
                    g.set_input(user, i, src)
        g.remove(node)
