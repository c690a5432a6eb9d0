"""Control flow: v2 functional ops (While/If/Case and their Stateless forms) and the shapes of
v1's Switch/Merge/Enter/Exit/NextIteration (which ``stowflow.graph.executor`` runs).

A functional kernel is ``fn(op, inputs, call)``, where ``call(function_name, args)`` runs a
function of the graph's library through the Session and returns its outputs; bodies may
nest further functional ops and read captured resources. Semantics follow TF's CPU kernels
(tensorflow/core/kernels/functional_ops.cc): a predicate is true by TF's ``ToBool`` (a
scalar's value, else "has elements"); ``Case`` runs the last branch for an out-of-range
index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow.graph.executor import CONTROL_FLOW_V1, ENTER, to_bool
from stowflow.graph.kernels.registry import _register, register_shape
from stowflow.graph.shape import TensorShape

Call = Callable[[str, list[Any]], list[Any]]
FunctionalKernel = Callable[[Any, list[Any], Call], list[Any]]

#: op type -> kernel that calls functions of the graph's library.
FUNCTIONAL_KERNELS: dict[str, FunctionalKernel] = {}


def functional(*op_types: str) -> Callable[[FunctionalKernel], FunctionalKernel]:
    """Registers a kernel that runs library functions (registering twice raises)."""
    return _register(FUNCTIONAL_KERNELS, "functional kernel", op_types)


def _function_name(op: Any, attr: str) -> str:
    return str(op.get_attr(attr).name)


@functional("While", "StatelessWhile")
def _while(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    cond, body = _function_name(op, "cond"), _function_name(op, "body")
    values = list(inputs)
    while to_bool(call(cond, values)[0]):
        values = call(body, values)
    return values


@functional("If", "StatelessIf")
def _if(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    branch = "then_branch" if to_bool(inputs[0]) else "else_branch"
    return call(_function_name(op, branch), list(inputs[1:]))


@functional("Case", "StatelessCase")
def _case(op: Any, inputs: list[Any], call: Call) -> list[Any]:
    branches = op.get_attr("branches")
    index = int(np.asarray(inputs[0]))
    chosen = branches[index] if 0 <= index < len(branches) else branches[-1]
    return call(str(chosen.name), list(inputs[1:]))


# --------------------------------------------------------------------------- shapes


def _declared_shapes(op: Any, count: int) -> list[TensorShape]:
    """The ``output_shapes`` attr when present (TF records it for While/If/Case)."""
    try:
        shapes = op.get_attr("output_shapes")
    except ValueError:
        shapes = None
    if shapes and len(shapes) == count:
        return [s if isinstance(s, TensorShape) else TensorShape(None) for s in shapes]
    return [TensorShape(None)] * count


@register_shape("While", "StatelessWhile", "If", "StatelessIf", "Case", "StatelessCase")
def _functional_shape(op: Any) -> list[TensorShape]:
    return _declared_shapes(op, len(op.outputs))


@register_shape("Switch", "RefSwitch")
def _switch_shape(op: Any) -> list[TensorShape]:
    shape = op.inputs[0].shape
    return [shape, shape]


@register_shape("Merge", "RefMerge")
def _merge_shape(op: Any) -> list[TensorShape]:
    shapes = [t.shape for t in op.inputs]
    first = shapes[0]
    if any(s.ndims != first.ndims for s in shapes) or first.ndims is None:
        return [TensorShape(None), TensorShape([])]
    dims = [
        column[0] if all(d == column[0] for d in column) else None
        for column in zip(*(s.dims or [] for s in shapes), strict=True)
    ]
    return [TensorShape(dims), TensorShape([])]


@register_shape(
    *(
        CONTROL_FLOW_V1
        - {"Switch", "RefSwitch", "Merge", "RefMerge", "ControlTrigger", "LoopCond"}
        - ENTER
    )
)
def _forward_shape(op: Any) -> list[TensorShape]:
    return [op.inputs[0].shape]


@register_shape("LoopCond")
def _loop_cond_shape(op: Any) -> list[TensorShape]:
    """TF's ``UnchangedShapeWithRank(c, 0)``: a scalar; another rank is a build error."""
    rank = op.inputs[0].shape.ndims
    if rank is not None and rank != 0:
        raise ValueError(f"Shape must be rank 0 but is rank {rank}")
    return [TensorShape([])]


@register_shape("Enter", "RefEnter")
def _enter_shape(op: Any) -> list[TensorShape]:
    """TF's EnterShape: unknown, unless ``is_constant`` (a loop invariant keeps its shape).

    (TF's Python ``while_loop`` sets the input's shape on its Enter ops afterwards; the C++
    function is what an imported graph gets.)
    """
    return [op.inputs[0].shape if op.get_attr("is_constant") else TensorShape(None)]


@register_shape("ControlTrigger")
def _no_outputs(op: Any) -> list[TensorShape]:
    return []


# The stacks of v1 while-loop gradients (registered on import with the control flow ops).
from stowflow.graph.kernels import stack_kernels  # noqa: E402, F401
