"""The dataflow executor for graphs with TF1 control flow (Switch/Merge/Enter/Exit/NextIteration).

A topological order cannot run a ``tf.while_loop`` built by TF1 (or the frozen form of a v2
loop): the graph has cycles through ``NextIteration`` and a node runs once per iteration.
This executor follows TF's executor semantics (tensorflow/core/common_runtime/executor.cc,
propagator_state.cc) on tagged values:

- Every value carries a *tag*: ``()`` at the top level, and one ``(frame_name, iteration)``
  pair per enclosing loop frame. A node instance ``(op, tag)`` runs when all its inputs
  for that tag have arrived; ``Merge`` runs on its first live input.
- A *dead* value marks the untaken side of a ``Switch``. A node with a dead data or control
  input does not run and its outputs are dead; ``Merge`` forwards its live input and is dead
  only when all its forward (non-back-edge) inputs are dead.
- ``Enter`` moves a value into iteration 0 of the frame ``frame_name`` (a loop invariant,
  ``is_constant``, into every iteration); ``NextIteration`` moves a live value to the next
  iteration (a dead one ends that path); ``Exit`` moves a live value out of the frame. A dead
  ``Exit`` leaves the frame only when the whole frame is dead (a loop inside an untaken
  ``cond`` branch), otherwise it is dropped, as in TF.

Graphs without these ops keep the Session's faster straight-line order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from stowflow.errors import InvalidArgumentError

SWITCH = frozenset({"Switch", "RefSwitch"})
MERGE = frozenset({"Merge", "RefMerge"})
ENTER = frozenset({"Enter", "RefEnter"})
EXIT = frozenset({"Exit", "RefExit"})
NEXT_ITERATION = frozenset({"NextIteration", "RefNextIteration"})
PASS_THROUGH = frozenset({"LoopCond"})
CONTROL_FLOW_V1 = SWITCH | MERGE | ENTER | EXIT | NEXT_ITERATION | PASS_THROUGH | {"ControlTrigger"}


class _Dead:
    """The value of a tensor on an untaken branch."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DEAD"


DEAD = _Dead()
_LIVE = object()  # the token a live op sends along its control edges

Tag = tuple[tuple[str, int], ...]
Invoke = Callable[[Any, list[Any]], list[Any]]


def needs_dataflow(ops: Iterable[Any]) -> bool:
    """True if any of ``ops`` is a v1 control-flow op (the straight-line order cannot run it)."""
    return any(op.type in CONTROL_FLOW_V1 for op in ops)


def to_bool(value: Any) -> bool:
    """TF's truth of a predicate tensor: a scalar's value, else "has elements"."""
    array = np.asarray(value)
    if array.ndim == 0:
        item = array.item()
        return bool(len(item)) if isinstance(item, bytes | str) else bool(item)
    return array.size > 0


class _Frame:
    """One execution of a loop frame: its invariants and the iterations it has started."""

    __slots__ = ("dead", "invariants", "iterations")

    def __init__(self, dead: bool) -> None:
        self.dead = dead
        self.invariants: list[tuple[Any, Any]] = []  # (Enter op, value)
        self.iterations = 1


class _Pending:
    """Inputs collected so far for one node instance."""

    __slots__ = ("inputs", "remaining", "dead", "fired", "dead_forward")

    def __init__(self, n_inputs: int, remaining: int) -> None:
        self.inputs: list[Any] = [None] * n_inputs
        self.remaining = remaining
        self.dead = False
        self.fired = False
        self.dead_forward = 0


class _Plan:
    """Static facts about the ops of one run: consumers and input counts within the run."""

    def __init__(self, ops: list[Any]) -> None:
        members = set(ops)
        self.ops = ops
        self.consumers: dict[Any, list[list[tuple[Any, int]]]] = {
            op: [[] for _ in op._outputs] for op in ops
        }
        self.control_consumers: dict[Any, list[Any]] = {op: [] for op in ops}
        self.n_controls: dict[Any, int] = {}
        self.forward_inputs: dict[Any, int] = {}
        for op in ops:
            for slot, tensor in enumerate(op._inputs):
                if tensor.op in members:
                    self.consumers[tensor.op][tensor.value_index].append((op, slot))
            controls = [c for c in op._control_inputs if c in members]
            self.n_controls[op] = len(controls)
            for c in controls:
                self.control_consumers[c].append(op)
            if op.type in MERGE:
                self.forward_inputs[op] = sum(
                    1 for t in op._inputs if t.op.type not in NEXT_ITERATION
                )


class DataflowRun:
    """Runs ``ops`` (one Session.run's pruned op set) with feeds; collects top-level values."""

    def __init__(self, ops: list[Any], feeds: dict[Any, Any], invoke: Invoke) -> None:
        self._plan = _Plan(ops)
        self._invoke = invoke
        self._feeds = feeds
        self._pending: dict[tuple[Any, Tag], _Pending] = {}
        self._frames: dict[tuple[Tag, str], _Frame] = {}
        self._ready: deque[tuple[Any, Tag, Any]] = deque()
        self.values: dict[Any, Any] = dict(feeds)

    def run(self) -> dict[Any, Any]:
        """Executes until no node instance is ready; returns tensor -> top-level value."""
        plan, feeds = self._plan, self._feeds
        for op in plan.ops:
            if plan.n_controls[op] == 0 and all(t in feeds for t in op._inputs):
                self._ready.append((op, (), [feeds[t] for t in op._inputs]))
        while self._ready:
            op, tag, inputs = self._ready.popleft()
            self._execute(op, tag, inputs)
        return self.values

    # -- arrival ---------------------------------------------------------------------------------

    def _state(self, op: Any, tag: Tag) -> _Pending:
        key = (op, tag)
        state = self._pending.get(key)
        if state is None:
            remaining = len(op._inputs) + self._plan.n_controls[op]
            state = self._pending[key] = _Pending(len(op._inputs), remaining)
            for slot, t in enumerate(op._inputs):  # fed tensors are there from the start
                if t in self._feeds and not tag:
                    state.inputs[slot] = self._feeds[t]
                    state.remaining -= 1
        return state

    def _deliver(self, op: Any, tag: Tag, slot: int, value: Any) -> None:
        """One input (``slot`` >= 0) or control signal (``slot`` -1) reaches ``(op, tag)``."""
        state = self._state(op, tag)
        if op.type in MERGE:
            self._deliver_merge(op, tag, state, slot, value)
            return
        if slot >= 0:
            state.inputs[slot] = value
        if value is DEAD:
            state.dead = True
        state.remaining -= 1
        if state.remaining == 0:
            del self._pending[(op, tag)]
            self._ready.append((op, tag, DEAD if state.dead else state.inputs))

    def _deliver_merge(self, op: Any, tag: Tag, state: _Pending, slot: int, value: Any) -> None:
        if state.fired or slot < 0:
            return
        if value is not DEAD:
            state.fired = True
            self._ready.append((op, tag, [value, slot]))
            return
        if op._inputs[slot].op.type not in NEXT_ITERATION:
            state.dead_forward += 1
            if state.dead_forward == self._plan.forward_inputs[op]:
                state.fired = True
                self._ready.append((op, tag, DEAD))

    # -- execution -------------------------------------------------------------------------------

    def _execute(self, op: Any, tag: Tag, inputs: Any) -> None:
        kind = op.type
        if kind in MERGE:
            outputs = [DEAD, DEAD] if inputs is DEAD else [inputs[0], np.int32(inputs[1])]
            self._emit(op, tag, outputs, inputs is DEAD)
        elif kind in SWITCH:
            if inputs is DEAD:
                self._emit(op, tag, [DEAD, DEAD], True)
            else:
                data, pred = inputs
                taken = [DEAD, data] if to_bool(pred) else [data, DEAD]
                self._emit(op, tag, taken, False)
        elif kind in ENTER:
            self._enter(op, tag, inputs)
        elif kind in EXIT:
            self._exit(op, tag, inputs)
        elif kind in NEXT_ITERATION:
            self._next_iteration(op, tag, inputs)
        elif kind == "ControlTrigger":
            self._emit(op, tag, [], False)
        elif inputs is DEAD:
            self._emit(op, tag, [DEAD] * len(op._outputs), True)
        elif kind in PASS_THROUGH:
            self._emit(op, tag, [inputs[0]], False)
        else:
            self._emit(op, tag, self._invoke(op, inputs), False)

    def _emit(self, op: Any, tag: Tag, outputs: list[Any], dead: bool) -> None:
        if not tag:
            for tensor, value in zip(op._outputs, outputs, strict=False):
                self.values.setdefault(tensor, value)
        for index, edges in enumerate(self._plan.consumers[op]):
            value = outputs[index]
            for consumer, slot in edges:
                self._deliver(consumer, tag, slot, value)
        signal = DEAD if dead else _LIVE
        for consumer in self._plan.control_consumers[op]:
            self._deliver(consumer, tag, -1, signal)

    def _frame(self, parent: Tag, name: str, dead: bool) -> _Frame:
        frame = self._frames.get((parent, name))
        if frame is None:
            frame = self._frames[(parent, name)] = _Frame(dead)
        return frame

    def _enter(self, op: Any, tag: Tag, inputs: Any) -> None:
        name = op.get_attr("frame_name")
        name = name.decode() if isinstance(name, bytes) else name
        dead = inputs is DEAD
        frame = self._frame(tag, name, dead)
        value = DEAD if dead else inputs[0]
        if op.get_attr("is_constant"):
            frame.invariants.append((op, value))
            for i in range(frame.iterations):
                self._emit(op, tag + ((name, i),), [value], dead)
        else:
            self._emit(op, tag + ((name, 0),), [value], dead)

    def _exit(self, op: Any, tag: Tag, inputs: Any) -> None:
        if not tag:
            raise InvalidArgumentError(None, None, f"Exit node {op.name} is not inside a frame")
        parent = tag[:-1]
        if inputs is DEAD:
            frame = self._frames.get((parent, tag[-1][0]))
            if frame is not None and frame.dead:
                self._emit(op, parent, [DEAD], True)
            return
        self._emit(op, parent, [inputs[0]], False)

    def _next_iteration(self, op: Any, tag: Tag, inputs: Any) -> None:
        if inputs is DEAD:
            return  # a dead value ends this path of the loop
        if not tag:
            raise InvalidArgumentError(
                None, None, f"NextIteration node {op.name} is not inside a frame"
            )
        parent, (name, iteration) = tag[:-1], tag[-1]
        frame = self._frame(parent, name, False)
        following = parent + ((name, iteration + 1),)
        if iteration + 1 >= frame.iterations:
            frame.iterations = iteration + 2
            for enter, value in frame.invariants:
                self._emit(enter, following, [value], value is DEAD)
        self._emit(op, following, [inputs[0]], False)
