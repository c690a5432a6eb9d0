"""``tf.gradients``: symbolic reverse-mode differentiation of a TF1 graph, as TF builds it.

The gradient graph is TensorFlow's, node for node (``gradients/MatMul_grad/MatMul_1``,
``gradients/grad_ys_0``, ``gradients/AddN``): the traversal follows TF's
``gradients_util._GradientsHelper`` (pending counts over the ops between ``xs`` and ``ys``,
a ready queue, gradients summed with ``AddN`` when a tensor has several consumers) and each
op's gradient comes from a function registered for its op type (``math_grad``, ``nn_grad``,
``array_grad``).

Example:
    >>> # y = tf.matmul(x, w); gw, = gradients(y, [w])   # gw: gradients/MatMul_grad/MatMul_1:0
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

from stowflow import dtypes
from stowflow.graph import grad_ops, indexed_slices
from stowflow.graph.builder import convert_to_tensor
from stowflow.graph.core import Operation, Tensor, get_default_graph
from stowflow.graph.kernels import nn_grad_kernels, training_kernels  # noqa: F401 - grad kernels

GradientFn = Callable[..., Any]

GRADIENTS: dict[str, GradientFn | None] = {}
"""Op type -> gradient function ``fn(op, *output_grads) -> input grads`` (None: not differentiable)."""


def register_gradient(*op_types: str) -> Callable[[GradientFn], GradientFn]:
    """Registers the gradient function of one or more op types (``@tf.RegisterGradient``).

    Raises:
        KeyError: if an op type already has a gradient (TF's rule).
    """

    def decorate(fn: GradientFn) -> GradientFn:
        for op_type in op_types:
            _put(op_type, fn)
        return fn

    return decorate


def not_differentiable(*op_types: str) -> None:
    """Marks op types whose inputs get no gradient (``tf.no_gradient``)."""
    for op_type in op_types:
        _put(op_type, None)


def _put(op_type: str, fn: GradientFn | None) -> None:
    if op_type in GRADIENTS:
        raise KeyError(f"Registering two gradient with name '{op_type}'!")
    GRADIENTS[op_type] = fn


def get_gradient_function(op: Operation) -> GradientFn | None:
    """The gradient function of ``op``'s type (None when it is not differentiable).

    Raises:
        LookupError: TF's message, when no gradient is registered for the op type.
    """
    _load_gradient_modules()
    try:
        return GRADIENTS[op.type]
    except KeyError:
        raise LookupError(
            f"No gradient defined for operation'{op.name}' (op type: {op.type}). In general "
            "every operation must have an associated `@tf.RegisterGradient` for correct "
            "autodiff, which this op is lacking. If you want to pretend this operation is a "
            "constant in your program, you may insert `tf.stop_gradient`. This can be useful "
            "to silence the error in cases where you know gradients are not needed, e.g. the "
            "forward pass of tf.custom_gradient. Please see more details in "
            "https://www.tensorflow.org/api_docs/python/tf/custom_gradient."
        ) from None


def _load_gradient_modules() -> None:
    # Imported on first use: the gradient modules import this one to register.
    from stowflow.graph import (  # noqa: F401
        array_grad,
        control_flow_grad,
        extra_grad,
        math_grad,
        nn_grad,
        segment_grad,
    )


_AGGREGATION_METHODS = (None, 0, 1, 2)  # DEFAULT/ADD_N, EXPERIMENTAL_TREE, ACCUMULATE_N

_TRAINABLE = {
    dtypes.float16,
    dtypes.bfloat16,
    dtypes.float32,
    dtypes.float64,
    dtypes.complex64,
    dtypes.complex128,
    dtypes.resource,
    dtypes.variant,
}


def is_trainable(t: Tensor) -> bool:
    """Whether gradients flow through ``t`` (TF's ``backprop_util.IsTrainable``)."""
    return t.dtype.base_dtype in _TRAINABLE


def _as_list(x: Any) -> list[Any]:
    return list(x) if isinstance(x, list | tuple) else [x]


def _x_tensor(x: Any) -> Tensor:
    """A differentiation target: a resource variable's handle, a ref variable's ref tensor."""
    handle = getattr(x, "handle", None)
    if isinstance(handle, Tensor) and handle.dtype == dtypes.resource:
        return handle
    return convert_to_tensor(x, as_ref=True)


def gradients(
    ys: Any,
    xs: Any,
    grad_ys: Any = None,
    name: str = "gradients",
    colocate_gradients_with_ops: bool = False,
    gate_gradients: bool = False,
    aggregation_method: Any = None,
    stop_gradients: Any = None,
    unconnected_gradients: str = "none",
) -> list[Tensor | None]:
    """Symbolic derivatives of ``sum(ys)`` with respect to each of ``xs`` (``tf.gradients``).

    Args:
        ys: a tensor or list of tensors to differentiate.
        xs: a tensor, variable, or list of them.
        grad_ys: optional initial gradients, one per ``y`` (None entries mean ones).
        name: the name scope of the gradient ops ("gradients").
        colocate_gradients_with_ops: accepted; stowflow has one device, so it changes nothing.
        gate_gradients: group each op's input gradients with ``tuple`` (TF's GATE_OP).
        aggregation_method: None/0 (ADD_N: one AddN per sum), 1 (EXPERIMENTAL_TREE) or 2
            (EXPERIMENTAL_ACCUMULATE_N): pairwise AddN ops in ``<op>_gradient_sum``.
        stop_gradients: tensors not to differentiate through.
        unconnected_gradients: "none" (None for unconnected xs) or "zero".

    Returns:
        One gradient per ``x``: a Tensor, or None when ``x`` does not reach ``ys``.

    Raises:
        ValueError: for a ``grad_ys`` list of the wrong length or a bad option.
        LookupError: when an op on the path has no registered gradient.
    """
    if unconnected_gradients not in ("none", "zero"):
        raise ValueError(f"Unknown value for unconnected_gradients: '{unconnected_gradients}'")
    if aggregation_method not in _AGGREGATION_METHODS:
        raise ValueError(
            f"Invalid `aggregation_method` specified {aggregation_method}. Accepted values "
            "are [0, 1, 2]."
        )
    ys_list = [y._as_tensor() if hasattr(y, "_as_tensor") else y for y in _as_list(ys)]
    xs_list = _as_list(xs)
    stops = [] if stop_gradients is None else _as_list(stop_gradients)
    grad_ys_list = [None] * len(ys_list) if grad_ys is None else _as_list(grad_ys)
    graph = get_default_graph()
    with graph.name_scope(name or "gradients"):
        graph.unique_name("uid")  # TF reserves a gradient uid name in the scope
        ys_t = [convert_to_tensor(y, name="y") for y in ys_list]
        xs_t = [_x_tensor(x) for x in xs_list]
        seeds = _default_grad_ys(grad_ys_list, ys_t)
        state = _Backprop(xs_t, [convert_to_tensor(s).op for s in stops], gate_gradients)
        state.tree = aggregation_method in (1, 2)
        result = state.run(ys_t, seeds)
    return [_final_grad(result, x, unconnected_gradients) for x in xs_t]


def _default_grad_ys(grad_ys: list[Any], ys: list[Tensor]) -> list[Tensor]:
    if len(grad_ys) != len(ys):
        raise ValueError(f"Length mismatch. Passed {len(grad_ys)} grad_ys for {len(ys)} ys")
    converted = [None if g is None else convert_to_tensor(g, name="grad_y") for g in grad_ys]
    out = []
    for i, (y, g) in enumerate(zip(ys, converted, strict=True)):
        if g is None:
            if y.dtype.is_complex:
                raise TypeError(
                    f"Gradients of complex tensors ({y}) must set grad_ys (y.dtype = "
                    f"{y.dtype.base_dtype.name})"
                )
            out.append(grad_ops.ones(grad_ops.shape(y), y.dtype.base_dtype, f"grad_ys_{i}"))
        else:
            out.append(grad_ops.identity(g, f"grad_ys_{i}"))
    return out


class _Backprop:
    """One ``tf.gradients`` traversal: pending counts, the ready queue, collected grads."""

    def __init__(self, xs: list[Tensor], stop_ops: list[Operation], gate: bool) -> None:
        self.xs = xs
        self.gate = gate
        self.from_ops = [x.op for x in xs]
        self.extra_stops = stop_ops
        self.grads: dict[Operation, list[Any]] = {}
        self.tree = False  # EXPERIMENTAL_TREE / ACCUMULATE_N: pairwise AddN
        self.loop_state: Any = None  # control_flow_grad.ControlFlowState with while loops

    def _reached(self) -> set[Operation]:
        reached: set[Operation] = set()
        queue = collections.deque(self.from_ops)
        while queue:
            op = queue.popleft()
            if op in reached:
                continue
            reached.add(op)
            for out in op.outputs:
                if is_trainable(out):
                    queue.extend(out.consumers())
        return reached

    def _pending(self, to_ops: list[Operation]) -> tuple[set[Operation], dict[Operation, int]]:
        reached = self._reached()
        reachable_to = {op for op in to_ops if op in reached}
        between: list[Operation] = []
        between_set: set[Operation] = set()
        queue = collections.deque(to_ops)
        while queue:
            op = queue.popleft()
            if op in reached:
                between.append(op)
                between_set.add(op)
                reached.discard(op)
                queue.extend(t.op for t in op.inputs)
        _load_gradient_modules()
        from stowflow.graph import control_flow_grad

        self.loop_state = control_flow_grad.maybe_create_state(between, between_set)
        pending: dict[Operation, int] = collections.defaultdict(int)
        for op in between:
            for t in op.inputs:
                if t.op in between_set:
                    pending[t.op] += 1
        return reachable_to, pending

    def _set(self, t: Tensor, grad: Any) -> None:
        slots = self.grads.setdefault(t.op, [[] for _ in t.op.outputs])
        if isinstance(slots[t.value_index], list):
            slots[t.value_index].append(grad)
        else:  # a loop Switch's second visit: its first gradient was aggregated already
            slots[t.value_index] = grad

    def run(self, ys: list[Tensor], seeds: list[Tensor]) -> dict[Operation, list[Any]]:
        to_ops = [y.op for y in ys]
        reachable_to, pending = self._pending(to_ops)
        for y, seed in zip(ys, seeds, strict=True):
            self._set(y, seed)
        queue: collections.deque[Operation] = collections.deque()
        queued: set[Operation] = set()
        for op in to_ops:
            if pending[op] == 0 and op not in queued and op in reachable_to:
                queued.add(op)
                queue.append(op)
        loops = self.loop_state
        if loops is not None:
            for y in loops.process_unused_loop_exits(pending, queued):
                if is_trainable(y):
                    self._set(y, loops.zeros_like_for_exit(y))
                    queue.append(y.op)
        stop_ops = {op for op in self.from_ops if all(pending[t.op] <= 0 for t in op.inputs)} | set(
            self.extra_stops
        )
        while queue:
            op = queue.popleft()
            if loops is not None:
                loops.enter_grad_while_context(op, before=True)
            out_grads = self._aggregate(op)
            if loops is not None:
                loops.exit_grad_while_context(op, before=True)
                loops.enter_grad_while_context(op, before=False)
            self._refuse_initial_loop_value(op)
            self._backprop_op(op, out_grads, stop_ops)
            if loops is not None:
                loops.exit_grad_while_context(op, before=False)
            self._update_pending(op, queue, pending)
        if loops is not None:
            loops.post_processing()
        return self.grads

    def _refuse_initial_loop_value(self, op: Operation) -> None:
        """TF's ``_RaiseNoGradWrtInitialLoopValError``: ``tf.gradients`` called inside a loop
        body cannot reach back through a loop variable's Switch to its initial value."""
        from stowflow.graph import control_flow_grad as cfg
        from stowflow.graph import control_flow_ops as cf

        ctxt = cf.op_context(op)
        if not cfg.is_switch(op) or not isinstance(ctxt, cf.WhileContext):
            return
        if ctxt is not cf.current_context(op.graph):
            return
        targets = set(self.from_ops)
        queue, seen = collections.deque([op]), set()
        while queue:
            current = queue.popleft()
            if current in seen:
                continue
            seen.add(current)
            if current in targets:
                raise ValueError(
                    "Cannot compute gradient inside while loop with respect to op "
                    f"'{current.name}'. We do not support taking the gradient wrt or through "
                    "the initial value of a loop variable. Gradients can be computed through "
                    "loop invariants or wrt the input parameters to the loop body."
                )
            queue.extend(t.op for t in current.inputs)

    def _update_pending(
        self, op: Operation, queue: collections.deque[Operation], pending: dict[Operation, int]
    ) -> None:
        """TF's ``_UpdatePendingAndEnqueueReady``: loop Switches are visited twice, a
        loop's Exits wait for each other."""
        from stowflow.graph import control_flow_grad as cfg

        loops = self.loop_state
        for t in op.inputs:
            pending[t.op] -= 1
            ready = pending[t.op] == 0
            if loops is not None and not ready:
                ready = pending[t.op] > 0 and cfg.is_loop_switch(t.op)
            if not ready:
                continue
            if loops is None or not cfg.is_loop_exit(t.op):
                queue.append(t.op)
                continue
            state = loops.get_grad_state(t.op, before=False)
            state.deferred_exits.append(t)
            state.pending_exits_count -= 1
            if state.pending_exits_count != 0:
                continue
            has_grad = False
            for y in state.deferred_exits:
                if self._has_grads(y.op):
                    has_grad = True
                    queue.append(y.op)
                else:
                    state.unused_exits.append(y)
            for y in state.unused_exits:
                if has_grad and is_trainable(y):
                    self._set(y, loops.zeros_like_for_exit(y))
                queue.append(y.op)

    def _has_grads(self, op: Operation) -> bool:
        for slot in self.grads.get(op) or []:
            if isinstance(slot, list):
                if any(g is not None for g in slot):
                    return True
            elif slot is not None:
                return True
        return False

    def _aggregate(self, op: Operation) -> list[Any]:
        slots = self.grads.get(op) or [[] for _ in op.outputs]
        out: list[Any] = []
        for grads in slots:
            if not isinstance(grads, list):  # a loop Switch's gradient from its first visit
                out.append(grads)
                continue
            present = [g for g in grads if g is not None]
            if not present:
                out.append(None)
            elif len(grads) < 2:
                out.append(grads[0])
            elif any(isinstance(x, indexed_slices.IndexedSlices) for x in present):
                out.append(indexed_slices.aggregate(grads))
            elif self.tree:
                with op.graph.name_scope(op.name + "_gradient_sum"):
                    total = present[0]
                    for x in present[1:]:
                        total = grad_ops.op("AddN", {"inputs": [total, x]})
                    out.append(total)
            else:
                with op.graph.colocate_with(present[0].op, ignore_existing=True):
                    out.append(grad_ops.add_n(present))
        self.grads[op] = out
        return out

    def _backprop_op(self, op: Operation, out_grads: list[Any], stop_ops: set[Operation]) -> None:
        has_grads = any(g is not None for g in out_grads)
        fn = None
        if has_grads and op not in stop_ops:
            fn = get_gradient_function(op)
        if fn is None or not has_grads:
            return
        from stowflow.graph import control_flow_grad as cfg

        for i, g in enumerate(out_grads):
            if g is None and is_trainable(op.outputs[i]):
                if self.loop_state is not None:
                    out_grads[i] = self.loop_state.zeros_like_v1_while_loop(op, i)
                else:
                    out_grads[i] = cfg.zeros_like(op, i)
        graph = op.graph
        with graph.name_scope(op.name + "_grad"):
            in_grads = _as_list(fn(op, *out_grads))
            if self.gate and sum(g is not None for g in in_grads) > 1:
                in_grads = grad_ops.tuple_(in_grads)
        if len(in_grads) != len(op.inputs):
            raise ValueError(
                f"Num gradients {len(in_grads)} generated for op {op.node_def} do not match "
                f"num inputs {len(op.inputs)}"
            )
        for t_in, g in zip(op.inputs, in_grads, strict=True):
            if g is None:
                continue
            if isinstance(g, Tensor) and t_in.dtype != dtypes.resource:
                _merge_shape(op, g, t_in)
            self._set(t_in, g)


def _merge_shape(op: Operation, grad: Tensor, t_in: Tensor) -> None:
    merged = grad.shape
    if not merged.is_compatible_with(t_in.shape):
        raise ValueError(
            "Incompatible shapes between op input and calculated input gradient. Forward "
            f"operation: {op.name}. Original input shape: {t_in.shape}. Calculated input "
            f"gradient shape: {grad.shape}"
        )
    grad.set_shape(merged.merge_with(t_in.shape))


def _final_grad(grads: dict[Operation, list[Any]], x: Tensor, unconnected: str) -> Tensor | None:
    slots = grads.get(x.op)
    grad = None
    if slots:
        grad = slots[x.value_index]
        if isinstance(grad, list):  # x's op was never dequeued: at most its one seed gradient
            grad = grad_ops.add_n(grad) if grad else None
    if grad is None and unconnected == "zero":
        return grad_ops.zeros_like(x)
    return grad
