"""TF's stack ops (``StackV2``, ``StackPushV2``, ``StackPopV2``, ``StackCloseV2``): the
history stacks that v1 while-loop gradients push forward values on and pop in reverse.

Each run of ``StackV2`` makes a new, empty stack (TF creates a fresh stack resource per
execution); its handle is the :class:`Stack` object itself, so the stack lives exactly as
long as the run that uses it. Messages follow tensorflow/core/kernels/stack.cc.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from stowflow.errors import InvalidArgumentError
from stowflow.graph.kernels.registry import register_shape
from stowflow.graph.kernels.state import SessionState, stateful
from stowflow.graph.shape import TensorShape

_COUNTER = itertools.count()


class Stack:
    """One stack resource: its name, element dtype, bound and values."""

    __slots__ = ("closed", "elem_type", "items", "max_size", "name")

    def __init__(self, name: str, elem_type: Any, max_size: int) -> None:
        self.name = name
        self.elem_type = elem_type
        self.max_size = max_size
        self.items: list[Any] = []
        self.closed = False

    def check_open(self) -> None:
        if self.closed:
            raise InvalidArgumentError(None, None, f"Stack[{self.name}] has already been closed.")


def _stack(value: Any) -> Stack:
    if not isinstance(value, Stack):
        raise InvalidArgumentError(None, None, "Stack handle is not a stack resource.")
    value.check_open()
    return value


@stateful("StackV2")
def _stack_v2(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    max_size = int(np.asarray(state.deref(inputs[0])))
    name = op.get_attr("stack_name")
    name = name.decode() if isinstance(name, bytes) else name
    return [Stack(f"{name}_{next(_COUNTER)}", op.get_attr("elem_type"), max_size)]


@stateful("StackPushV2")
def _stack_push(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    stack = _stack(inputs[0])
    value = state.deref(inputs[1])
    if 0 <= stack.max_size <= len(stack.items):
        raise InvalidArgumentError(
            None, None, f"Stack[{stack.name}] overflowed its max_size ({stack.max_size})"
        )
    stack.items.append(value)
    return [value]


@stateful("StackPopV2")
def _stack_pop(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    stack = _stack(inputs[0])
    if not stack.items:
        raise InvalidArgumentError(None, None, f"Stack[{stack.name}] is empty.")
    return [stack.items.pop()]


@stateful("StackCloseV2")
def _stack_close(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    _stack(inputs[0]).closed = True
    return []


@register_shape("StackV2")
def _handle_shape(op: Any) -> list[TensorShape]:
    return [TensorShape([2])]  # TF's TwoElementOutput


@register_shape("StackPushV2")
def _push_shape(op: Any) -> list[TensorShape]:
    return [op.inputs[1].shape]


@register_shape("StackPopV2")
def _pop_shape(op: Any) -> list[TensorShape]:
    return [TensorShape(None)]


@register_shape("StackCloseV2")
def _close_shape(op: Any) -> list[TensorShape]:
    return []
