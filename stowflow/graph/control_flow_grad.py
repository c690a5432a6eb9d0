"""Gradients of TF1 (v1) control flow: ``tf.cond`` and ``tf.while_loop``, as TF builds them.

A ``cond``'s gradient mirrors it: the gradient of a ``Merge`` is a ``Switch`` on the same
predicate (``cond_grad``), the gradient of a branch's ``Switch`` a ``Merge``. A
``while_loop``'s gradient is a second loop (``gradients/while/...``, frame
``gradients/while/while_context``) that runs as many iterations as the forward loop did
(counted by ``f_count`` / ``b_count``); forward values the gradient needs are pushed on a
stack each forward iteration (``f_acc``, ``StackPushV2``) and popped in reverse
(``StackPopV2``); gradients of loop invariants are summed in ``b_acc`` loops. The state
follows TF's ``control_flow_state`` (``_GradLoopState``, ``_ControlFlowState``) and
``control_flow_grad``; ``stowflow.graph.gradients`` drives it.

IndexedSlices gradients (``tf.gather`` on a captured variable) merge component-wise in a
``cond`` and are concatenated across iterations for a loop invariant, as in TF. Not
supported (a TypeError says so): an IndexedSlices gradient arriving at a loop ``Exit``, and
second-order gradients of while loops (TF refuses those too).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import control_flow_ops as cf
from stowflow.graph import grad_ops
from stowflow.graph.builder import apply_op, const_value, constant
from stowflow.graph.core import Graph, Operation, Tensor, get_default_graph
from stowflow.graph.gradients import not_differentiable, register_gradient
from stowflow.graph.indexed_slices import IndexedSlices
from stowflow.graph.shape import TensorShape

not_differentiable("LoopCond", "ControlTrigger")

_SWITCH = ("Switch", "RefSwitch")
_EXIT = ("Exit", "RefExit")


# ----------------------------------------------------------------------------- predicates


def is_switch(op: Operation) -> bool:
    return op.type in _SWITCH


def is_loop_exit(op: Operation) -> bool:
    return op.type in _EXIT


def _is_cond_switch(op: Operation) -> bool:
    """A Switch all of whose consumers sit in cond contexts (TF's ``IsCondSwitch``)."""
    if not is_switch(op) or not op._outputs:
        return False
    for out in op._outputs:
        for consumer in out.consumers():
            ctxt = cf.op_context(consumer)
            if consumer.type in ("Enter", "RefEnter") and ctxt is not None:
                ctxt = ctxt.outer_context
            if not isinstance(ctxt, cf.CondContext):
                return False
    return True


def is_loop_switch(op: Operation) -> bool:
    """A loop variable's Switch (TF's ``IsLoopSwitch``)."""
    if not is_switch(op):
        return False
    return isinstance(cf.op_context(op), cf.WhileContext) and not _is_cond_switch(op)


def _loop_constant_enter(value: Tensor) -> Operation | None:
    op = value.op
    while op.type in ("Switch", "RefSwitch", "Identity", "RefIdentity"):
        op = op._inputs[0].op
    if op.type in ("Enter", "RefEnter") and op.get_attr("is_constant"):
        return op
    return None


# ------------------------------------------------------------------------- small builders


@contextlib.contextmanager
def _outside(graph: Graph) -> Iterator[None]:
    """TF's ``ops.control_dependencies(None)``: no control inputs and no context."""
    with cf.no_context(graph):
        yield


def _shape(t: Tensor) -> Tensor:
    return grad_ops.op("Shape", {"input": t}, {"out_type": dtypes.int32}, "Shape")


def _zeros_static(shape: TensorShape, dtype: Any, name: str = "zeros") -> Tensor:
    """``array_ops.zeros(dims, dtype)``: a Const below 1000 elements, else a Fill."""
    dims = [int(d) for d in shape.as_list()]
    np_type = dtypes.as_dtype(dtype).as_numpy_dtype
    if int(np.prod(dims, dtype=np.int64)) < 1000:
        return constant(0, dtype, dims, name=name)
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        dims_t = constant(np.array(dims, np.int32), name="shape_as_tensor")
        zero = constant(np.zeros((), np_type), name="Const")
        return apply_op("Fill", {"dims": dims_t, "value": zero}, None, scope)[0]  # type: ignore[index]


def _zeros_dynamic(shape_t: Tensor, dtype: Any, name: str = "zeros") -> Tensor:
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        zero = constant(np.zeros((), dtypes.as_dtype(dtype).as_numpy_dtype), name="Const")
        return apply_op("Fill", {"dims": shape_t, "value": zero}, None, scope)[0]  # type: ignore[index]


def _stack_push(handle: Tensor, value: Tensor, swap: bool) -> Tensor:
    return grad_ops.op("StackPushV2", {"handle": handle, "elem": value}, {"swap_memory": swap})


def _control_trigger(name: str) -> Operation:
    result = apply_op("ControlTrigger", {}, None, name)
    if not isinstance(result, Operation):
        raise TypeError("ControlTrigger has no outputs")
    return result


# ------------------------------------------------------------------------ gradient loops


class GradLoopState:
    """The gradient loop of one forward while loop (TF's ``_GradLoopState``)."""

    def __init__(self, forward: cf.WhileContext, outer_grad_state: GradLoopState | None) -> None:
        self.outer_grad_state = outer_grad_state
        self.forward_context = forward
        self.history_map: dict[str, Tensor] = {}
        self.switch_map: dict[Operation, Tensor] = {}
        self.unused_exits: list[Tensor] = []
        self.deferred_exits: list[Tensor] = []
        self.forward_loop_exits = list(forward.loop_exits)
        self.pending_exits_count = len(forward.loop_exits)
        self._forward_sync: Operation | None = None
        self._grad_sync: Operation | None = None
        self.grad_context: cf.WhileContext
        self.grad_index: Tensor
        outer_forward = (
            outer_grad_state.forward_context if outer_grad_state else forward.outer_context
        )
        if outer_forward is not None:
            outer_forward.enter()
        count, self.forward_index = forward.add_forward_loop_counter(outer_grad_state)
        if outer_forward is not None:
            outer_forward.exit()
        if outer_grad_state is not None:
            outer_forward.add_name(count.name)  # type: ignore[union-attr]
            history_count = outer_grad_state.add_forward_accumulator(count)
            outer_grad = outer_grad_state.grad_context
            outer_grad.enter()
            self.grad_context = self._new_grad_context(forward)
            real_count = outer_grad_state.add_backprop_accumulated_value(history_count, count)
            self.grad_index = self.grad_context.add_backprop_loop_counter(
                real_count, outer_grad_state
            )
            outer_grad.exit()
        else:
            if outer_forward is not None:
                outer_forward.enter()
            self.grad_context = self._new_grad_context(forward)
            self.grad_index = self.grad_context.add_backprop_loop_counter(count, None)
            if outer_forward is not None:
                outer_forward.exit()

    def _new_grad_context(self, forward: cf.WhileContext) -> cf.WhileContext:
        return cf.WhileContext(
            maximum_iterations=forward.maximum_iterations,
            parallel_iterations=forward.parallel_iterations,
            back_prop=forward.back_prop,
            swap_memory=forward.swap_memory,
            name=forward.name,
            grad_state=self,
        )

    @property
    def forward_sync(self) -> Operation:
        """A ControlTrigger that orders the forward pushes made in conds of the loop."""
        if self._forward_sync is None:
            graph = self.forward_index.graph
            with _outside(graph):
                sync = _control_trigger("f_sync")
            cf.set_op_context(sync, self.forward_context)
            self.forward_index.op._add_control_input(sync)
            self._forward_sync = sync
        return self._forward_sync

    @property
    def grad_sync(self) -> Operation:
        """A ControlTrigger the gradient loop's index waits on (pops finish first)."""
        if self._grad_sync is None:
            graph = self.grad_index.graph
            with _outside(graph):
                sync = _control_trigger("b_sync")
            cf.set_op_context(sync, self.grad_context)
            self.grad_index.op._add_control_input(sync)
            outer = self.grad_context.outer_context
            if outer is not None:
                outer.add_inner_op(sync)
            self._grad_sync = sync
        return self._grad_sync

    def add_forward_accumulator(self, value: Tensor, dead_branch: bool = False) -> Tensor:
        """A stack that receives ``value`` in every forward iteration; returns its handle."""
        graph = value.graph
        current = cf.current_context(graph)
        with _outside(graph):
            if current is not None:
                current.enter()
            with graph.colocate_with(value.op):
                max_size = constant(np.array(-1, np.int32), name="Const")
                acc = grad_ops.op(
                    "StackV2",
                    {"max_size": max_size},
                    {"elem_type": value.dtype.base_dtype},
                    "f_acc",
                )
            if current is not None:
                current.exit()
            enter_acc = self.forward_context.add_value(acc)
            swap = self.forward_context.swap_memory
            value_ctxt = cf.output_context(value.op)
            if value_ctxt is self.forward_context:
                self.forward_context.enter()
                push = _stack_push(enter_acc, value, swap)
                self.forward_context.exit()
                self.forward_index.op._add_control_input(push.op)
            else:
                if not isinstance(value_ctxt, cf.CondContext):
                    raise TypeError(f"value_ctxt is not a CondContext: {value_ctxt}")
                if dead_branch:
                    outer = value_ctxt.outer_context
                    if outer is not None:
                        outer.enter()
                    push = _stack_push(enter_acc, value, swap)
                    if outer is not None:
                        outer.exit()
                    cf.set_op_context(push.op, value_ctxt)
                else:
                    value_ctxt.enter()
                    push = _stack_push(enter_acc, value, swap)
                    value_ctxt.exit()
                self.forward_sync._add_control_input(push.op)
            push.op._add_control_input(self.forward_index.op._inputs[0].op)
        return acc

    def add_backprop_accumulated_value(
        self, history: Tensor, value: Tensor, dead_branch: bool = False
    ) -> Tensor:
        """Pops ``value``'s history in the gradient loop (guarded by its cond's predicate)."""
        history_ctxt = cf.op_context(history.op)
        cond_ctxt = None
        value_ctxt = cf.op_context(value.op)
        while value_ctxt is not None and value_ctxt is not history_ctxt:
            if isinstance(value_ctxt, cf.CondContext):
                cond_ctxt = value_ctxt
                break
            value_ctxt = value_ctxt.outer_context
        graph = value.graph
        with _outside(graph):
            self.grad_context.enter()
            if cond_ctxt is not None:
                state: GradLoopState | None = self
                pred = None
                while pred is None and state is not None:
                    pred = state.history_map.get(cond_ctxt.pred.name)
                    state = state.outer_grad_state
                if pred is None:
                    pred = cond_ctxt.pred
                branch = (1 - cond_ctxt.branch) if dead_branch else cond_ctxt.branch
                history = cf.switch_colocated(history, pred)[branch]
            pop = grad_ops.op(
                "StackPopV2", {"handle": history}, {"elem_type": value.dtype.base_dtype}
            )
            pop.set_shape(value.shape)
            self.grad_context.exit()
        if self.grad_context.parallel_iterations > 1:
            self.grad_sync._add_control_input(pop.op)
        return pop

    def get_real_value(self, value: Tensor) -> Tensor:
        """The forward ``value`` as the gradient loop sees it (TF's ``GetRealValue``)."""
        real = self.history_map.get(value.name)
        if real is not None:
            return real
        current_value = value
        state: GradLoopState | None = self
        history = None
        while True:
            enter_op = _loop_constant_enter(current_value)
            if enter_op is not None:
                current_value = enter_op._inputs[0]
                state = state.outer_grad_state if state is not None else None
                if state is None:
                    real = self.grad_context.add_value(current_value)
                    break
            elif current_value.op.type == "Const":
                real = constant(const_value(current_value), dtype=current_value.dtype)
                break
            else:
                self.grad_context.exit()
                history = state.add_forward_accumulator(current_value)  # type: ignore[union-attr]
                self.grad_context.enter()
                break
        if real is None:
            if state is None or history is None:
                raise ValueError(f"no forward history for {value.name}")
            real = state.add_backprop_accumulated_value(history, current_value)
            if state is not self:
                real = self.grad_context.add_value(real)
        self.history_map[value.name] = real
        return real


class ControlFlowState:
    """The gradient loops of one ``tf.gradients`` call (TF's ``_ControlFlowState``)."""

    def __init__(self) -> None:
        self._map: dict[cf.WhileContext, GradLoopState] = {}

    def get_grad_state(self, op: Operation, before: bool) -> GradLoopState | None:
        if before and is_loop_exit(op):
            forward = cf.op_context(op)
            outer = None if forward is None else forward.outer_context
            forward_loop = None if outer is None else outer.while_context()
        else:
            forward_loop = cf.while_context_of(op)
        return None if forward_loop is None else self._map.get(forward_loop)

    def process_unused_loop_exits(
        self, pending: dict[Operation, int], to_ops: set[Operation]
    ) -> list[Tensor]:
        """Exits no gradient reaches; they get zeros once their loop's other exits are done."""
        loop_exits: list[Tensor] = []
        for state in self._map.values():
            for y in state.forward_loop_exits:
                if pending[y.op] == 0:
                    state.pending_exits_count -= 1
                    if y.op not in to_ops:
                        state.unused_exits.append(y)
                    if state.pending_exits_count == 0:
                        loop_exits.extend(state.unused_exits)
            for y in state.forward_context.loop_enters:
                if pending[y.op] == 0:
                    pending[y.op] = 1
        return loop_exits

    def enter_grad_while_context(self, op: Operation, before: bool) -> None:
        state = self.get_grad_state(op, before)
        if state is not None:
            state.grad_context.enter()

    def exit_grad_while_context(self, op: Operation, before: bool) -> None:
        state = self.get_grad_state(op, before)
        if state is not None:
            state.grad_context.exit()

    def add_while_context(
        self, op: Operation, between_list: list[Operation], between: set[Operation]
    ) -> None:
        forward = cf.while_context_of(op)
        if forward is None or forward in self._map:
            return
        outer = forward.outer_context
        outer_loop = None if outer is None else outer.while_context()
        outer_state = None if outer_loop is None else self._map.get(outer_loop)
        state = GradLoopState(forward, outer_state)
        self._map[forward] = state
        for loop_exit in state.forward_loop_exits:
            if loop_exit.op not in between:
                between.add(loop_exit.op)
                between_list.append(loop_exit.op)

    def zeros_like_for_exit(self, val: Tensor) -> Tensor:
        """Zeros for an exit no gradient reaches (in the outer gradient loop if nested)."""
        shape = val.shape
        forward = cf.op_context(val.op)
        outer = None if forward is None else forward.outer_context
        outer_loop = None if outer is None else outer.while_context()
        outer_state = None if outer_loop is None else self._map.get(outer_loop)
        if outer_state is None:
            if shape.is_fully_defined():
                return _zeros_static(shape, val.dtype.base_dtype)
            return grad_ops.zeros_like(val)
        if shape.is_fully_defined():
            outer_state.grad_context.enter()
            result = _zeros_static(shape, val.dtype.base_dtype)
            outer_state.grad_context.exit()
            return result
        if outer is None:
            raise ValueError(f"{val.name} has no enclosing context")
        outer.enter()
        shape_t = _shape(val)
        outer.exit()
        history = outer_state.add_forward_accumulator(shape_t)
        outer_state.grad_context.enter()
        real_shape = outer_state.add_backprop_accumulated_value(history, shape_t)
        result = _zeros_dynamic(real_shape, val.dtype.base_dtype)
        outer_state.grad_context.exit()
        return result

    def zeros_like_v1_while_loop(self, op: Operation, index: int) -> Tensor | None:
        """Zeros for an output of a loop op no gradient reaches (None for loop switches)."""
        if is_loop_switch(op):
            return None
        dead_branch = is_switch(op)
        forward = cf.while_context_of(op)
        state = None if forward is None else self._map.get(forward)
        if state is None:
            return zeros_like(op, index)
        op_ctxt = cf.op_context(op)
        val = op._outputs[index]
        shape = val.shape
        if shape.is_fully_defined():
            result = constant(0, val.dtype.base_dtype, shape.as_list())
            if dead_branch and isinstance(op_ctxt, cf.CondContext):
                pred = state.history_map.get(op_ctxt.pred.name)
                result = cf.switch_colocated(result, pred)[1 - op_ctxt.branch]
            return result
        if dead_branch and isinstance(op_ctxt, cf.CondContext):
            outer = op_ctxt.outer_context
            if outer is not None:
                outer.enter()
            val = cf.switch_colocated(op._inputs[0], op_ctxt.pred)[1 - op_ctxt.branch]
            zeros_shape = _shape(val)
            if outer is not None:
                outer.exit()
            cf.set_op_context(val.op, op_ctxt)
            cf.set_op_context(zeros_shape.op, op_ctxt)
        else:
            if op_ctxt is not None:
                op_ctxt.enter()
            zeros_shape = _shape(val)
            if op_ctxt is not None:
                op_ctxt.exit()
        state.grad_context.exit()
        history = state.add_forward_accumulator(zeros_shape, dead_branch=dead_branch)
        state.grad_context.enter()
        real_shape = state.add_backprop_accumulated_value(history, zeros_shape, dead_branch)
        return _zeros_dynamic(real_shape, val.dtype.base_dtype)

    def post_processing(self) -> None:
        """Closes the back edge of gradient Merges whose loop variable got no gradient."""
        for state in self._map.values():
            for b_merge in state.switch_map.values():
                first, second = b_merge.op._inputs[0], b_merge.op._inputs[1]
                if first is not second:
                    continue
                shape = first.shape
                if shape.is_fully_defined():
                    state.grad_context.enter()
                    value = constant(0, first.dtype.base_dtype, shape.as_list())
                    next_value = cf.next_iteration(value)
                    state.grad_context.exit()
                else:
                    outer = state.grad_context.outer_context
                    if outer is not None:
                        outer.enter()
                    enter_grad = first.op._inputs[0]
                    value = _zeros_dynamic(_shape(enter_grad), dtypes.float32)
                    if outer is not None:
                        outer.exit()
                    state.grad_context.enter()
                    next_value = cf.next_iteration(value)
                    state.grad_context.exit()
                cf.update_input(b_merge.op, 1, next_value)


def maybe_create_state(
    between_list: list[Operation], between: set[Operation]
) -> ControlFlowState | None:
    """A ControlFlowState when a loop exit lies between xs and ys, else None."""
    state = None
    for op in list(between_list):
        if is_loop_exit(op):
            if state is None:
                state = ControlFlowState()
            state.add_while_context(op, between_list, between)
    return state


def zeros_like(op: Operation, index: int) -> Tensor:
    """Zeros for an output of ``op`` outside loops; a cond Switch's zeros live on its
    untaken side (TF's ``control_flow_state.ZerosLike``)."""
    val = op._outputs[index]
    ctxt = cf.op_context(op)
    if not is_switch(op) or not isinstance(ctxt, cf.CondContext):
        return grad_ops.zeros_like(val)
    switch_val = cf.switch(op._inputs[0], ctxt.pred)[1 - ctxt.branch]
    pivot = grad_ops.identity(switch_val)
    zeros_shape = _shape(switch_val)
    with grad_ops.control_dependencies([pivot]):
        return _zeros_dynamic(zeros_shape, val.dtype.base_dtype)


# ---------------------------------------------------------------------- gradient functions


def _grad_context() -> Any:
    return cf.current_context(get_default_graph())


@register_gradient("Switch", "RefSwitch")
def _switch_grad(op: Operation, *grad: Any) -> Any:
    op_ctxt = cf.op_context(op)
    if isinstance(op_ctxt, cf.WhileContext):
        state = _grad_context().grad_state
        merge_grad = state.switch_map.get(op)
        if merge_grad is not None:
            if grad[1] is not None:
                next_grad = cf.next_iteration(grad[1])
                cf.update_input(merge_grad.op, 1, next_grad)
            return None, None
        if grad[0] is not None:
            merge_grad = cf.merge([grad[0], grad[0]], name="b_switch")[0]
            state.switch_map[op] = merge_grad
            return merge_grad, None
        return None, None
    if isinstance(op_ctxt, cf.CondContext):
        zero_grad = grad[1 - op_ctxt.branch]
        if zero_grad is None:
            if op._inputs[0].dtype == dtypes.resource:
                return cf.merge([grad[op_ctxt.branch]] * 2, name="cond_resource_grad")[0], None
            return None, None
        return cf.merge(list(grad), name="cond_grad")[0], None
    false_grad = cf.switch(grad[0], op._inputs[1])[0]
    true_grad = cf.switch(grad[1], op._inputs[1])[1]
    return cf.merge([false_grad, true_grad])[0], None


@register_gradient("Merge", "RefMerge")
def _merge_grad(op: Operation, grad: Any, _: Any) -> Any:
    op_ctxt = cf.output_context(op._inputs[0].op)
    grad_ctxt = _grad_context()
    if isinstance(op_ctxt, cf.WhileContext):
        return list(cf.switch_colocated(grad, grad_ctxt.pivot))
    if isinstance(op_ctxt, cf.CondContext):
        pred = op_ctxt.pred
        if grad_ctxt is not None and grad_ctxt.grad_state is not None:
            state = grad_ctxt.grad_state
            real_pred = state.history_map.get(pred.name)
            if real_pred is None:
                grad_ctxt = state.grad_context
                grad_ctxt.exit()
                history = state.add_forward_accumulator(pred)
                grad_ctxt.enter()
                real_pred = state.add_backprop_accumulated_value(history, pred)
                state.history_map[pred.name] = real_pred
            pred = real_pred
        return list(cf.switch_colocated(grad, pred, name="cond_grad"))
    from stowflow.graph import math_ops

    conds = [math_ops.equal(op._outputs[1], i) for i in range(len(op._inputs))]
    return [cf.switch_colocated(grad, c)[1] for c in conds]


@register_gradient("Exit", "RefExit")
def _exit_grad(op: Operation, grad: Any) -> Any:
    grad_ctxt = _grad_context()
    if grad_ctxt is None or not grad_ctxt.back_prop:
        return None
    op_ctxt = cf.op_context(op)
    if op_ctxt is not None and op_ctxt.grad_state is not None:
        raise TypeError("Second-order gradient for while loops not supported.")
    if isinstance(grad, Tensor):
        grad_ctxt.add_name(grad.name)
    elif isinstance(grad, IndexedSlices):
        raise TypeError(
            "stowflow does not carry IndexedSlices gradients into a while loop yet (the loop "
            "output's gradient is sparse); convert it with tf.convert_to_tensor first."
        )
    else:
        raise TypeError(
            f"Type {type(grad)} not supported, must be either`indexed_slices.IndexedSlices` "
            "or `SparseTensor`."
        )
    grad_ctxt.enter()
    result = cf.enter_frame(grad, grad_ctxt.name, grad_ctxt.parallel_iterations, "b_exit")
    grad_ctxt.loop_enters.append(result)
    grad_ctxt.exit()
    return result


@register_gradient("NextIteration", "RefNextIteration")
def _next_iteration_grad(_: Operation, grad: Any) -> Any:
    return grad


@register_gradient("Enter", "RefEnter")
def _enter_grad(op: Operation, grad: Any) -> Any:
    grad_ctxt = _grad_context()
    if grad_ctxt is None or not grad_ctxt.back_prop or grad_ctxt.grad_state is None:
        return grad
    if op.get_attr("is_constant"):
        if isinstance(grad, Tensor):
            return grad_ctxt.add_backprop_accumulator(op, grad)
        if isinstance(grad, IndexedSlices):
            return grad_ctxt.add_backprop_indexed_slices_accumulator(op, grad)
        raise TypeError(f"Type {type(grad)} not supported,must be Tensor or Indexed Slices")
    result = cf.exit_frame(grad)
    grad_ctxt.loop_exits.append(result)
    grad_ctxt.exit_result([result])
    return result
