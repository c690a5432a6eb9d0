"""TF1 (v1) control flow builders: ``tf.cond``, ``tf.while_loop``, ``tf.case``.

The graphs are TensorFlow's ``control_flow_ops`` v1 graphs, node for node: a ``cond`` is a
``Switch`` on the predicate, one :class:`CondContext` per branch (tensors captured from
outside are routed through ``Switch`` ops) and one ``Merge`` per output; a ``while_loop``
is ``Enter -> Merge -> LoopCond -> Switch -> Identity -> body -> NextIteration`` with
``Exit`` ops, in a :class:`WhileContext` whose ``frame_name`` is ``<scope>/while_context``
(captured tensors enter through ``Enter(is_constant=True)``).

TensorFlow adds each op to the current context as it is created; stowflow's Graph has no
such hook, so a context processes the ops made while it is current in creation order
(:meth:`ControlFlowContext.flush`) before anything reads them: when a nested context is
entered, when the context is left, and at the steps of the loop construction. Every
processed op records its context (``op._control_flow_context``) for the gradient code.

Not recorded: the ``cond_context`` / ``while_context`` collections (stowflow has no
``CondContextDef`` / ``WhileContextDef`` protos, so a MetaGraph carries none).

Example:
    >>> # r = cond(x < y, lambda: x + 1, lambda: y * 2)      # r: cond/Merge:0
    >>> # i = while_loop(lambda i: i < 10, lambda i: i + 1, [0])   # i: while/Exit:0
"""

from __future__ import annotations

import abc
import contextlib
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph.builder import apply_op, constant, convert_to_tensor
from stowflow.graph.core import Graph, Operation, Tensor, get_default_graph
from stowflow.graph.indexed_slices import IndexedSlices
from stowflow.graph.shape import TensorShape

_CURRENT: weakref.WeakKeyDictionary[Graph, ControlFlowContext | None] = weakref.WeakKeyDictionary()
_CLAIMED: weakref.WeakKeyDictionary[Graph, int] = weakref.WeakKeyDictionary()
_ATTR = "_control_flow_context"


# ----------------------------------------------------------------------------------- helpers


def current_context(graph: Graph | None = None) -> ControlFlowContext | None:
    """The control flow context ops are being added to (None at the top level)."""
    return _CURRENT.get(graph or get_default_graph())


def _claim(graph: Graph) -> None:
    """Gives the ops made since the last context switch to the current context."""
    ctxt = current_context(graph)
    ops = graph._ops
    start = _CLAIMED.get(graph, 0)
    if start > len(ops):  # a failed import rolled ops back
        start = len(ops)
    for op in ops[start:]:
        if not hasattr(op, _ATTR):
            set_op_context(op, ctxt)
            if ctxt is not None:
                ctxt._pending.append(op)
    _CLAIMED[graph] = len(ops)


def _sync(graph: Graph) -> None:
    """Adds the ops made so far to the current context (TF does it as each op is made)."""
    _claim(graph)
    ctxt = current_context(graph)
    if ctxt is not None:
        ctxt.flush()


def op_context(op: Operation) -> ControlFlowContext | None:
    """The context ``op`` belongs to (TF's ``op._get_control_flow_context()``)."""
    return getattr(op, _ATTR, None)


def set_op_context(op: Operation, ctxt: ControlFlowContext | None) -> None:
    """Records ``op``'s context (TF's ``op._set_control_flow_context``)."""
    setattr(op, _ATTR, ctxt)


def output_context(op: Operation) -> ControlFlowContext | None:
    """The context ``op``'s outputs live in: a loop Exit's outputs are outside its loop."""
    ctxt = op_context(op)
    if ctxt is not None and op.type in ("Exit", "RefExit"):
        ctxt = ctxt.outer_context
    return ctxt


def while_context_of(op: Operation) -> WhileContext | None:
    """The innermost while loop around ``op`` (None outside loops)."""
    ctxt = op_context(op)
    return None if ctxt is None else ctxt.while_context()


def update_input(op: Operation, index: int, tensor: Tensor) -> None:
    """Replaces input ``index`` of ``op`` (TF's ``op._update_input``)."""
    old = op._inputs[index]
    op._inputs[index] = tensor
    if op in old._consumers:
        old._consumers.remove(op)
    tensor._consumers.append(op)
    op._graph._mutations += 1


def _is_loop_constant_enter(op: Operation) -> bool:
    return op.type in ("Enter", "RefEnter") and bool(op.get_attr("is_constant"))


@contextlib.contextmanager
def _scope_of(op: Operation) -> Iterator[None]:
    """Re-enters ``op``'s own name scope, where TF adds the op to its context (so a captured
    input of ``cond/mul`` comes through ``cond/mul/Switch``), without control inputs."""
    graph = op.graph
    # The colocation TF had active when it made ``op`` (recorded in its ``_class``) also
    # applies to the Enter/Switch made for it.
    colocated = op if "_class" in op._attrs else None
    with (
        graph.name_scope(op.name + "/"),
        graph.control_dependencies(None),
        graph.colocate_with(colocated, ignore_existing=True),
    ):
        yield


# ------------------------------------------------------------------------- tf.nest, in brief


def _is_nested(value: Any) -> bool:
    return isinstance(value, list | tuple | dict)


def _flatten(value: Any) -> list[Any]:
    """The leaves of ``value`` in tf.nest order (dicts by sorted key)."""
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in _flatten(value[key])]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _flatten(item)]
    return [value]


def _pack(structure: Any, flat: Sequence[Any]) -> Any:
    """``flat`` rebuilt into ``structure``'s shape (tf.nest.pack_sequence_as)."""
    leaves = iter(flat)

    def build(s: Any) -> Any:
        if isinstance(s, dict):
            built = {key: build(s[key]) for key in sorted(s)}
            return type(s)((key, built[key]) for key in s)
        if isinstance(s, list | tuple):
            items = [build(item) for item in s]
            if hasattr(s, "_fields"):
                return type(s)(*items)
            return type(s)(items)
        return next(leaves)

    return build(structure)


def _assert_same_structure(a: Any, b: Any) -> None:
    """TF's ``nest.assert_same_structure`` (sequence kinds and lengths must agree)."""

    def shape_of(x: Any) -> Any:
        if isinstance(x, dict):
            return ("dict", tuple((k, shape_of(x[k])) for k in sorted(x)))
        if isinstance(x, list | tuple):
            return ("seq", tuple(shape_of(i) for i in x))
        return "leaf"

    if shape_of(a) != shape_of(b):
        raise ValueError(
            "The two structures don't have the same nested structure.\n\n"
            f"First structure: {a}\n\nSecond structure: {b}"
        )


# ------------------------------------------------------------------------------ primitives


def _ref_aware(op_type: str, data: Tensor) -> str:
    return "Ref" + op_type if data.dtype.is_ref else op_type


def switch(data: Any, pred: Any, name: str = "Switch") -> tuple[Tensor, Tensor]:
    """``Switch``: (output_false, output_true); ``data`` reaches the side ``pred`` picks."""
    data = convert_to_tensor(data, as_ref=True)
    outs = apply_op(_ref_aware("Switch", data), {"data": data, "pred": pred}, None, name)
    return outs[0], outs[1]  # type: ignore[index]


def switch_colocated(data: Any, pred: Any, name: str = "Switch") -> tuple[Tensor, Tensor]:
    """TF's ``_SwitchRefOrTensor``: a :func:`switch` colocated with ``data``."""
    data = convert_to_tensor(data, as_ref=True)
    with data.graph.colocate_with(data.op, ignore_existing=True):
        return switch(data, pred, name)


def merge(inputs: Sequence[Any], name: str = "Merge") -> tuple[Any, Tensor]:
    """``Merge``: (output, value_index) of the first available input. IndexedSlices (and
    tensors mixed with them, as dense slices) merge component by component."""
    if any(isinstance(t, IndexedSlices) for t in inputs):
        return _merge_indexed_slices(inputs, name)
    op_type = _ref_aware("Merge", inputs[0]) if all(t.dtype.is_ref for t in inputs) else "Merge"
    outs = apply_op(op_type, {"inputs": list(inputs)}, None, name)
    return outs[0], outs[1]  # type: ignore[index]


def _as_indexed_slices(x: Any) -> IndexedSlices:
    """TF's ``math_ops._as_indexed_slices(x, optimize=False)``: every row of a dense tensor."""
    if isinstance(x, IndexedSlices):
        return x
    from stowflow.graph import grad_ops

    shape = grad_ops.op("Shape", {"input": x}, {"out_type": dtypes.int32}, "Shape")
    return IndexedSlices(x, grad_ops.range_(0, shape[0]), shape)


def _merge_indexed_slices(inputs: Sequence[Any], name: str) -> tuple[Any, Tensor]:
    graph = get_default_graph()
    with graph.name_scope(name):
        slices = [_as_indexed_slices(x) for x in inputs]
        if len({s.dense_shape is None for s in slices}) != 1:
            raise ValueError(
                "The two structures don't have the same nested structure (IndexedSlices with "
                "and without dense_shape)."
            )
        parts = [
            [s.values, s.indices] + ([s.dense_shape] if s.dense_shape is not None else [])
            for s in slices
        ]
        merged = [
            apply_op("Merge", {"inputs": list(c)}, None, "Merge") for c in zip(*parts, strict=True)
        ]
    outs = [m[0] for m in merged]  # type: ignore[index]
    chosen = merged[0][1]  # type: ignore[index]
    return IndexedSlices(outs[0], outs[1], outs[2] if len(outs) > 2 else None), chosen


def _identity(data: Tensor, name: str = "Identity") -> Tensor:
    op_type = "RefIdentity" if data.dtype.is_ref else "Identity"
    return apply_op(op_type, {"input": data}, None, name)[0]  # type: ignore[index]


def _enter(
    data: Tensor,
    frame: str,
    is_constant: bool,
    parallel: int,
    use_input_shape: bool = True,
    name: str = "Enter",
) -> Tensor:
    attrs = {"frame_name": frame, "is_constant": is_constant, "parallel_iterations": parallel}
    out = apply_op(_ref_aware("Enter", data), {"data": data}, attrs, name)[0]  # type: ignore[index]
    if use_input_shape:
        out.set_shape(data.shape)
    return out


def _simple(op_type: str, data: Tensor, name: str) -> Tensor:
    return apply_op(_ref_aware(op_type, data), {"data": data}, None, name)[0]  # type: ignore[index]


def next_iteration(data: Tensor, name: str = "NextIteration") -> Tensor:
    """``NextIteration``: ``data`` for the next iteration of the current frame."""
    return _simple("NextIteration", data, name)


def exit_frame(data: Tensor, name: str = "Exit") -> Tensor:
    """``Exit``: ``data`` leaves the current frame."""
    return _simple("Exit", data, name)


def enter_frame(data: Tensor, frame: str, parallel: int, name: str = "Enter") -> Tensor:
    """A loop variable's ``Enter`` into ``frame`` (keeps ``data``'s static shape)."""
    return _enter(data, frame, False, parallel, True, name)


@contextlib.contextmanager
def no_context(graph: Graph) -> Iterator[None]:
    """TF's ``control_dependencies(None)``: ops made inside have no control inputs and no
    control flow context."""
    _claim(graph)
    saved = _CURRENT.get(graph)
    _CURRENT[graph] = None
    try:
        with graph.control_dependencies(None):
            yield
    finally:
        _claim(graph)
        _CURRENT[graph] = saved


# -------------------------------------------------------------------------------- contexts


class ControlFlowContext(abc.ABC):
    """What TF's ControlFlowContext keeps: the values seen inside and their outer stand-ins."""

    def __init__(self) -> None:
        self._graph = get_default_graph()
        self.outer_context = current_context(self._graph)
        self._values: set[str] = set()
        self._external_values: dict[str, Tensor] = {}
        self._saved: list[ControlFlowContext | None] = []
        self._pending: list[Operation] = []
        self._flushing = False
        self.grad_state: Any = None

    # -- entering and processing ------------------------------------------------------------

    def enter(self) -> None:
        """Makes this the current context (the enclosing one first processes its ops)."""
        _claim(self._graph)
        outer = current_context(self._graph)
        if outer is not None:
            outer.flush()
        self._saved.append(outer)
        _CURRENT[self._graph] = self

    def exit(self) -> None:
        """Processes the ops made inside, then restores the previous context."""
        _claim(self._graph)
        self.flush()
        _CURRENT[self._graph] = self._saved.pop()

    def flush(self) -> None:
        """Adds the ops made while this context was current, in creation order."""
        if current_context(self._graph) is self:
            _claim(self._graph)
        if self._flushing:
            return
        self._flushing = True
        try:
            while self._pending:
                op = self._pending.pop(0)
                with _scope_of(op):
                    self.add_op(op)
        finally:
            self._flushing = False

    # -- TF's context API --------------------------------------------------------------------

    def add_op(self, op: Operation) -> None:
        """Makes ``op``'s inputs available in this context (TF's ``AddOp``)."""
        self._add_op_internal(op)

    @abc.abstractmethod
    def _add_op_internal(self, op: Operation) -> None:
        """Adds ``op`` (the context's own rule)."""

    @abc.abstractmethod
    def add_value(self, val: Tensor) -> Tensor:
        """The stand-in of ``val`` inside this context (TF's ``AddValue``)."""

    def add_name(self, name: str) -> None:
        """Marks a tensor name as known here."""
        self._values.add(name)

    def add_inner_op(self, op: Operation) -> None:
        """Notifies this context of an op made in an inner context."""
        if self.outer_context is not None:
            self.outer_context.add_inner_op(op)

    def while_context(self) -> WhileContext | None:
        """The innermost enclosing WhileContext (self for a loop)."""
        return None if self.outer_context is None else self.outer_context.while_context()

    def control_pivot(self) -> Tensor | None:
        """The tensor whose op gates ops without inputs made here."""
        return None

    def exit_result(self, result: Sequence[Tensor]) -> None:
        """Makes ``result`` known to the outer context."""
        if self.outer_context is not None:
            for t in result:
                self.outer_context.add_name(t.name)

    def _remove_external_control_edges(
        self, op: Operation
    ) -> tuple[list[Operation], list[Operation]]:
        """Splits ``op``'s control inputs; drops those from outside the enclosing loop."""
        loop = self.while_context()
        if loop is None:
            return list(op._control_inputs), []
        internal: list[Operation] = []
        external: list[Operation] = []
        for x in op._control_inputs:
            ctxt = output_context(x)
            inside = ctxt is not None and ctxt.while_context() is loop
            (internal if inside else external).append(x)
        if len(internal) != len(op._control_inputs):
            op._control_inputs = internal
            op._graph._mutations += 1
        return internal, external

    def _mark_outputs(self, tensors: Sequence[Tensor]) -> None:
        ctxt: ControlFlowContext | None = self
        while ctxt is not None:
            ctxt._values.update(t.name for t in tensors)
            ctxt = ctxt.outer_context


def _contains(outer: ControlFlowContext | None, inner: ControlFlowContext | None) -> bool:
    """Whether ``inner`` is ``outer`` or nested in it (TF's ``IsContainingContext``)."""
    while inner is not outer:
        if inner is None:
            return False
        inner = inner.outer_context
    return True


class CondContext(ControlFlowContext):
    """One branch of a ``tf.cond`` (TF's CondContext)."""

    def __init__(self, pred: Tensor, pivot: Tensor, branch: int, name: str = "cond_text") -> None:
        super().__init__()
        self.name = self._graph.unique_name(name)
        self.pred = pred
        self.pivot = pivot
        self.branch = branch
        self._values.add(pred.name)
        self._external_values[pred.name] = pred
        self._values.add(pivot.name)
        set_op_context(pivot.op, self)

    def control_pivot(self) -> Tensor | None:
        return self.pivot

    def add_value(self, val: Tensor) -> Tensor:
        if val.name in self._values:
            return self._external_values.get(val.name, val)
        self.flush()
        result = val
        self._values.add(val.name)
        if self.outer_context is not None:
            result = self.outer_context.add_value(val)
            self._values.add(result.name)
            self._external_values[result.name] = result
        result = switch_colocated(result, self.pred)[self.branch]
        if self.outer_context is not None:
            self.outer_context.add_inner_op(result.op)
        set_op_context(result.op, self)
        self._mark_outputs([result])
        self._external_values[val.name] = result
        return result

    def _add_op_internal(self, op: Operation) -> None:
        if not op._inputs:
            self._remove_external_control_edges(op)
            if not any(_contains(self, op_context(c)) for c in op._control_inputs):
                op._add_control_input(self.pivot.op)
        else:
            for index, x in enumerate(list(op._inputs)):
                if op.type in ("Merge", "RefMerge") and x.op.type in ("NextIteration",):
                    continue
                real = self.add_value(x)
                if real is not x:
                    update_input(op, index, real)
            self._remove_external_control_edges(op)
        self._mark_outputs(op._outputs)
        if self.outer_context is not None:
            self.outer_context.add_inner_op(op)

    def _output_tensor(self, val: Tensor) -> Tensor:
        """A branch result made available outside (``lambda: x`` gets its own Switch)."""
        if val.name not in self._values:
            self._values.add(val.name)
            real = val
            if self.outer_context is not None:
                real = self.outer_context.add_value(val)
                self._values.add(real.name)
                self._external_values[real.name] = real
            with self._graph.control_dependencies(None):
                real = switch_colocated(real, self.pred)[self.branch]
            set_op_context(real.op, self)
            self._external_values[val.name] = real
            return real
        return self._external_values.get(val.name, val)

    def build_branch(self, fn: Callable[[], Any]) -> tuple[Any, list[Tensor] | None]:
        """Runs ``fn`` in this context; returns (its result, the flat tensors to merge)."""
        original = fn()
        if original is None:
            return None, None
        self.flush()
        flat = []
        for item in _flatten(original):
            if isinstance(item, Operation):
                flat.append(_with_dependencies([item], self.pivot))
                self.flush()
            else:
                flat.append(self._output_tensor(convert_to_tensor(_value_of(item))))
        return original, flat


def _with_dependencies(dependencies: list[Operation], output: Tensor) -> Tensor:
    """TF's ``with_dependencies``: ``output`` through an Identity run after ``dependencies``."""
    graph = output.graph
    with graph.name_scope("control_dependency") as scope:
        with graph.colocate_with(output.op), graph.control_dependencies(dependencies):
            return _identity(output, scope)


def _value_of(item: Any) -> Any:
    """A variable stands for its value (TF's ``convert_variables_to_tensors``)."""
    return item.value() if hasattr(item, "value") and hasattr(item, "initializer") else item


# ----------------------------------------------------------------------------------- cond


def _unpack_singleton(x: Any) -> Any:
    return x[0] if isinstance(x, list | tuple) and len(x) == 1 else x


def cond(
    pred: Any,
    true_fn: Callable[[], Any] | None = None,
    false_fn: Callable[[], Any] | None = None,
    strict: bool = False,
    name: str | None = None,
) -> Any:
    """``tf.cond`` (TF1): ``true_fn()`` if ``pred`` else ``false_fn()``, as a Switch/Merge graph.

    Args:
        pred: a scalar bool tensor.
        true_fn: callable run when ``pred`` is true.
        false_fn: callable run when ``pred`` is false.
        strict: keep singleton lists/tuples as they are.
        name: name scope ("cond").

    Returns:
        The merged outputs, in the structure ``true_fn`` returns.

    Raises:
        TypeError: for a Python bool predicate or non-callable functions.
        ValueError: when a function returns nothing or the branches disagree in type.

    Example:
        >>> # cond(x < y, lambda: tf.add(x, z), lambda: tf.square(y))
    """
    if true_fn is None:
        raise TypeError("cond(): 'true_fn' argument required")
    if false_fn is None:
        raise TypeError("cond(): 'false_fn' argument required")
    if not callable(true_fn):
        raise TypeError("'true_fn' must be callable.")
    if not callable(false_fn):
        raise TypeError("'false_fn' must be callable.")
    if isinstance(pred, bool):
        raise TypeError("'pred' must not be a Python bool.")
    graph = get_default_graph()
    with graph.name_scope(name or "cond"):
        pred = convert_to_tensor(pred)
        p_2, p_1 = switch(pred, pred)
        pivot_1 = _identity(p_1, "switch_t")
        pivot_2 = _identity(p_2, "switch_f")
        pred = _identity(pred, "pred_id")
        results = []
        for pivot, branch, fn, label in (
            (pivot_1, 1, true_fn, "true_fn"),
            (pivot_2, 0, false_fn, "false_fn"),
        ):
            ctxt = CondContext(pred, pivot, branch)
            ctxt.enter()
            try:
                original, flat = ctxt.build_branch(fn)
                if original is None or flat is None:
                    raise ValueError(f"'{label}' must have a return value.")
                ctxt.exit_result(flat)
            finally:
                ctxt.exit()
            results.append((original, flat))
        (orig_t, flat_t), (orig_f, flat_f) = results
        if not strict:
            orig_t, orig_f = _unpack_singleton(orig_t), _unpack_singleton(orig_f)
        try:
            _assert_same_structure(orig_t, orig_f)
        except ValueError as e:
            raise ValueError(
                f"Incompatible return values of 'true_fn' and 'false_fn': {e}"
            ) from None
        if not flat_t:
            raise ValueError("'true_fn' and 'false_fn' must return at least one result.")
        for x, y in zip(flat_t, flat_f, strict=True):
            if x.dtype.base_dtype != y.dtype.base_dtype:
                raise ValueError(
                    "Outputs of 'true_fn' and 'false_fn' must have the same type(s). Received "
                    f"{x.dtype.name} from 'true_fn' and {y.dtype.name} from 'false_fn'."
                )
        merges = [merge([f, t])[0] for f, t in zip(flat_f, flat_t, strict=True)]
        packed = _pack(orig_t, merges)
        return _unpack_singleton(packed) if not strict else packed


# ------------------------------------------------------------------------------ while loop


class WhileContext(ControlFlowContext):
    """One ``tf.while_loop`` (TF's WhileContext); ``name`` is the Enter ops' frame_name."""

    def __init__(
        self,
        maximum_iterations: Tensor | None = None,
        parallel_iterations: int = 10,
        back_prop: bool = True,
        swap_memory: bool = False,
        name: str = "while_context",
        grad_state: Any = None,
    ) -> None:
        super().__init__()
        self.name = self._graph.unique_name(name)
        self.grad_state = grad_state
        self.maximum_iterations = maximum_iterations
        self.parallel_iterations = parallel_iterations
        self.back_prop = back_prop
        self.swap_memory = swap_memory
        self.pivot: Tensor | None = None
        self.pivot_for_pred: Tensor | None = None
        self.pivot_for_body: Tensor | None = None
        self.loop_enters: list[Tensor] = []
        self.loop_exits: list[Tensor] = []
        self._outer_controls: list[Operation] = []

    def while_context(self) -> WhileContext | None:
        return self

    def control_pivot(self) -> Tensor | None:
        return self.pivot_for_body if self.pivot_for_body is not None else self.pivot_for_pred

    def add_value(self, val: Tensor) -> Tensor:
        if val.name in self._values or op_context(val.op) is self:
            return self._external_values.get(val.name, val)
        self.flush()
        self._values.add(val.name)
        real = self._forward_value(val)
        if real is not None:
            self._external_values[val.name] = real
            return real
        result = val
        if self.outer_context is not None:
            result = self.outer_context.add_value(val)
        enter = _enter(result, self.name, True, self.parallel_iterations)
        if self.outer_context is not None:
            self.outer_context.add_inner_op(enter.op)
        self._fix_enters([enter])
        self._values.add(enter.name)
        self._external_values[val.name] = enter
        return enter

    def _forward_value(self, val: Tensor) -> Tensor | None:
        """In a gradient loop, a value of the forward loop comes from its history stack."""
        current = current_context(self._graph)
        grad_ctxt = None if current is None else current.while_context()
        if grad_ctxt is None or grad_ctxt.grad_state is None:
            return None
        forward = while_context_of(val.op)
        if val.op.type in ("Exit", "RefExit") and forward is not None:
            outer = forward.outer_context
            forward = None if outer is None else outer.while_context()
        if forward is not grad_ctxt.grad_state.forward_context:
            return None
        return grad_ctxt.grad_state.get_real_value(val)

    def add_op(self, op: Operation) -> None:
        if op.type in ("Shape", "Size", "Rank") and self._move_to_forward(op):
            return
        self._add_op_internal(op)

    def _move_to_forward(self, op: Operation) -> bool:
        """A shape of a forward value is computed (and stacked) in the forward loop."""
        current = current_context(self._graph)
        grad_ctxt = None if current is None else current.while_context()
        if grad_ctxt is None or grad_ctxt.grad_state is None:
            return False
        if while_context_of(op._inputs[0].op) is not grad_ctxt.grad_state.forward_context:
            return False
        input_ctxt = op_context(op._inputs[0].op)
        set_op_context(op, input_ctxt)
        if input_ctxt is not None:
            input_ctxt._add_op_internal(op)
        return True

    def _add_op_internal(self, op: Operation) -> None:
        if not op._inputs:
            internal, external = self._remove_external_control_edges(op)
            if not internal:
                pivot = self.control_pivot()
                if pivot is not None:
                    op._add_control_input(pivot.op)
        else:
            for index, x in enumerate(list(op._inputs)):
                real = self.add_value(x)
                if real is not x:
                    update_input(op, index, real)
            _, external = self._remove_external_control_edges(op)
            self._maybe_add_control_dependency(op)
        self._values.update(t.name for t in op._outputs)
        if external:
            # A control input from outside the loop reaches each iteration as the data
            # input of an Identity made inside the loop (TF's rule).
            with no_context(self._graph):
                self.enter()
                pulled = [_identity(x._outputs[0]).op for x in external if x._outputs]
                self.exit()
            for pulled_op in pulled:
                op._add_control_input(pulled_op)
        if self.outer_context is not None:
            self.outer_context.add_inner_op(op)

    def _maybe_add_control_dependency(self, op: Operation) -> None:
        """Ops fed only by loop invariants wait for the pivot (else they would run free)."""
        if op._control_inputs or not all(_is_loop_constant_enter(x.op) for x in op._inputs):
            return
        pivot = self.control_pivot()
        if pivot is not None:
            op._add_control_input(pivot.op)

    def _fix_enters(self, enters: Sequence[Tensor]) -> None:
        """Gives the Enter ops this context and the control inputs of the enclosing block."""
        controls = self._outer_controls
        for e in enters:
            set_op_context(e.op, self)
            for c in controls:
                if c is not e.op._inputs[0].op:
                    e.op._add_control_input(c)

    def _initialize_values(self, values: Sequence[Tensor]) -> None:
        self._values = {t.name for t in values}

    # -- gradient loops (TF's AddForwardLoopCounter / AddBackpropLoopCounter / ...) ---------

    def _loop_counter_enter(self, value: Tensor, name: str) -> tuple[Tensor, Tensor]:
        self.add_name(value.name)
        enter = _enter(value, self.name, False, self.parallel_iterations, False, name)
        self.loop_enters.append(enter)
        return enter, merge([enter, enter])[0]

    def add_forward_loop_counter(self, outer_grad_state: Any) -> tuple[Tensor, Tensor]:
        """Counts the forward iterations; returns (the count after the loop, next index)."""
        from stowflow.graph import math_ops

        n = convert_to_tensor(_zero(dtypes.int32), name="f_count")
        _sync(self._graph)  # TF adds n to the current context before the control input
        if outer_grad_state is not None:
            n.op._add_control_input(outer_grad_state.forward_index.op._inputs[0].op)
        self.enter()
        _, merge_n = self._loop_counter_enter(n, "f_count")
        if self.pivot is None:
            raise ValueError(f"while loop {self.name} has no LoopCond")
        switch_n = switch(merge_n, self.pivot)
        index = math_ops.add(switch_n[1], 1)
        next_n = _simple("NextIteration", index, "NextIteration")
        update_input(merge_n.op, 1, next_n)
        total = _simple("Exit", switch_n[0], "f_count")
        self.loop_exits.append(total)
        self.exit_result([total])
        self.exit()
        return total, next_n

    def add_backprop_loop_counter(self, count: Tensor, outer_grad_state: Any) -> Tensor:
        """The gradient loop's counter: runs as many iterations as the forward loop did."""
        from stowflow.graph import math_ops

        one = convert_to_tensor(_one(dtypes.int32), name="b_count")
        self.enter()
        _, merge_count = self._loop_counter_enter(count, "b_count")
        self.pivot_for_pred = merge_count
        pred = math_ops.greater_equal(merge_count, one)
        self.pivot = apply_op("LoopCond", {"input": pred}, None, "b_count")[0]  # type: ignore[index]
        switch_count = switch(merge_count, self.pivot)
        index = math_ops.subtract(switch_count[1], one)
        self.pivot_for_body = index
        next_count = _simple("NextIteration", index, "NextIteration")
        update_input(merge_count.op, 1, next_count)
        final_zero = _simple("Exit", switch_count[0], "b_count")
        self.loop_exits.append(final_zero)
        if outer_grad_state is not None:
            outer_grad_state.grad_sync._add_control_input(final_zero.op)
        self.exit_result([final_zero])
        self.exit()
        return next_count

    def add_backprop_accumulator(self, op: Operation, grad: Tensor) -> Tensor:
        """Sums the gradient of a loop invariant over the gradient loop's iterations."""
        from stowflow.graph import grad_ops, math_ops

        self.exit()
        shape = grad.shape
        outer = self.outer_context
        if shape.is_fully_defined():
            if outer is not None:
                outer.enter()
            acc = constant(0, grad.dtype.base_dtype, shape.as_list(), name="b_acc")
            if outer is not None:
                outer.exit()
        else:
            value = op._inputs[0]
            if isinstance(outer, WhileContext) and outer.grad_state is not None:
                forward = self.grad_state.forward_context
                forward.outer_context.enter()
                zeros_shape = grad_ops.op("Shape", {"input": value}, {"out_type": dtypes.int32})
                forward.outer_context.exit()
                outer_state = self.grad_state.outer_grad_state
                history = outer_state.add_forward_accumulator(zeros_shape)
                outer.enter()
                real_shape = outer_state.add_backprop_accumulated_value(history, zeros_shape)
                acc = _zeros_from_shape(real_shape, grad.dtype.base_dtype)
                outer.exit()
            else:
                if outer is not None:
                    outer.enter()
                zeros_shape = grad_ops.op("Shape", {"input": value}, {"out_type": dtypes.int32})
                acc = _zeros_from_shape(zeros_shape, grad.dtype.base_dtype)
                if outer is not None:
                    outer.exit()
        self.enter()
        self.add_name(acc.name)
        enter_acc = _enter(acc, self.name, False, self.parallel_iterations, False, "b_acc")
        self.loop_enters.append(enter_acc)
        merge_acc = merge([enter_acc, enter_acc], name="b_acc")[0]
        if self.pivot is None:
            raise ValueError(f"while loop {self.name} has no LoopCond")
        switch_false, switch_true = switch(merge_acc, self.pivot)
        add_acc = math_ops.add(switch_true, grad)
        next_acc = _simple("NextIteration", add_acc, "NextIteration")
        update_input(merge_acc.op, 1, next_acc)
        result = _simple("Exit", switch_false, "b_acc")
        self.loop_exits.append(result)
        self.exit_result([result])
        return result

    def add_backprop_indexed_slices_accumulator(self, op: Operation, grad: Any) -> Any:
        """Concatenates the IndexedSlices gradients of a loop invariant over the gradient
        loop's iterations (TF's ``AddBackpropIndexedSlicesAccumulator``)."""
        from stowflow.graph import grad_ops, indexed_slices, math_ops

        values, indices, dense_shape = grad.values, grad.indices, grad.dense_shape
        if dense_shape is not None and not dense_shape.shape.is_fully_defined():
            raise TypeError(
                "stowflow accumulates IndexedSlices gradients of a while-loop invariant only "
                f"with a dense_shape of known rank; {dense_shape.name} has shape "
                f"{dense_shape.shape}."
            )
        self.exit()
        outer = self.outer_context
        if outer is not None:
            outer.enter()
        dtype = values.dtype.base_dtype
        if values.shape.is_fully_defined():
            values_shape = [1, *values.shape.as_list()[1:]]
            values_acc = constant(0, dtype, values_shape, name="b_acc")
        else:
            invariant = op._inputs[0]
            if invariant.dtype == dtypes.resource:
                full = grad_ops.op("VariableShape", {"input": invariant}, None, "VariableShape")
            else:
                full = grad_ops.op("Shape", {"input": invariant}, {"out_type": dtypes.int32})
            values_acc = _zeros_from_shape(grad_ops.concat([[1], full[1:]], 0), dtype)
        indices_acc = convert_to_tensor(
            np.zeros([1], indices.dtype.base_dtype.as_numpy_dtype), dtype=indices.dtype
        )
        shape_acc = None
        if dense_shape is not None:
            shape_acc = constant(0, dense_shape.dtype.base_dtype, dense_shape.shape.as_list())
        if outer is not None:
            outer.exit()
        self.enter()
        init = [indices_acc, values_acc] + ([shape_acc] if shape_acc is not None else [])
        for t in init:
            self.add_name(t.name)
        enters = [
            _enter(t, self.name, False, self.parallel_iterations, False, "b_acc") for t in init
        ]
        enters[0].set_shape(TensorShape([None]))
        if values_acc.shape.dims is not None:
            enters[1].set_shape(TensorShape([None, *values_acc.shape.as_list()[1:]]))
        self.loop_enters.extend(enters)
        merges = [merge([e, e], name="b_acc")[0] for e in enters]
        if self.pivot is None:
            raise ValueError(f"while loop {self.name} has no LoopCond")
        switches = [switch(m, self.pivot) for m in merges]
        grown = [
            grad_ops.concat([sw[1], part], 0)
            for sw, part in zip(switches[:2], [indices, values], strict=True)
        ]
        if dense_shape is not None:
            grown.append(math_ops.maximum(dense_shape, switches[2][1]))
        for m, value in zip(merges, grown, strict=True):
            update_input(m.op, 1, next_iteration(value))
        exits = [_simple("Exit", sw[0], "b_acc") for sw in switches]
        self.loop_exits.extend(exits)
        self.exit_result(exits)
        return indexed_slices.IndexedSlices(
            exits[1], exits[0], exits[2] if dense_shape is not None else None
        )

    def build_loop(
        self,
        pred: Callable[..., Any],
        body: Callable[..., Any],
        loop_vars: Any,
        shape_invariants: Any,
        same_structure: bool = False,
    ) -> Any:
        """Adds the loop to the graph; returns the Exit tensors in ``loop_vars``' structure."""
        flat = [convert_to_tensor(_value_of(v)) for v in _flatten(loop_vars)]
        if shape_invariants is None:
            invariants = [t.shape for t in flat]
        else:
            invariants = [TensorShape(s) for s in _flatten(shape_invariants)]
            if len(invariants) != len(flat):
                raise ValueError(
                    "The number of shape invariants does not match the number of loop variables"
                )
        self._outer_controls = self._graph._current_control_inputs()
        self.enter()
        try:
            original_result, exits = self._build(pred, body, loop_vars, flat, invariants)
        finally:
            self.exit()
        packed = _pack(original_result, exits)
        if same_structure:
            return packed
        return packed[0] if len(exits) == 1 and isinstance(packed, list | tuple) else packed

    def _build(
        self,
        pred: Callable[..., Any],
        body: Callable[..., Any],
        loop_vars: Any,
        flat: list[Tensor],
        invariants: list[TensorShape],
    ) -> tuple[Any, list[Tensor]]:
        graph = self._graph
        self._initialize_values(flat)
        real_vars = flat
        if self.outer_context is not None:
            real_vars = [self.outer_context.add_value(x) for x in flat]
        with graph.control_dependencies(None):
            enters = [
                _enter(x, self.name, False, self.parallel_iterations, False) for x in real_vars
            ]
        for e in enters:
            set_op_context(e.op, self)
            if self.outer_context is not None:
                self.outer_context.add_inner_op(e.op)
        pivot = _outer_pivot(self.outer_context)
        if pivot is not None:
            for e in enters:
                if _is_loop_constant_enter(e.op._inputs[0].op):
                    e.op._add_control_input(pivot.op)
        _set_shape_invariants(real_vars, enters, invariants)
        self._fix_enters(enters)
        self._initialize_values(enters)
        self.loop_enters = enters
        merges = [merge([x, x])[0] for x in enters]
        self.flush()
        self.pivot_for_pred = merges[0]
        packed = _pack(loop_vars, merges)
        c = convert_to_tensor(pred(*packed))
        self.flush()
        self.pivot = apply_op("LoopCond", {"input": c}, None, "LoopCond")[0]  # type: ignore[index]
        switches = [switch_colocated(m, self.pivot) for m in merges]
        body_vars = [_identity(s[1]) for s in switches]
        self.flush()
        self.pivot_for_body = body_vars[0]
        packed_body = _pack(loop_vars, body_vars)
        body_result = body(*packed_body)
        if not _is_nested(body_result):
            body_result = [body_result]
        _assert_same_structure(list(packed_body), list(body_result))
        self.flush()
        result = [convert_to_tensor(_value_of(v)) for v in _flatten(body_result)]
        self.flush()
        if len(merges) != len(result):
            raise ValueError(
                "Number of inputs and outputs of 'body' must match 'loop_vars'. Got "
                f"{len(merges)} for the number of inputs/outputs, and {len(result)} for "
                "'loop_vars'."
            )
        for m, v in zip(merges, result, strict=True):
            nxt = _simple("NextIteration", v, "NextIteration")
            _enforce_shape_invariant(m, nxt)
            update_input(m.op, 1, nxt)
        self.flush()
        exits = [_simple("Exit", s[0], "Exit") for s in switches]
        self.flush()
        self.loop_exits = exits
        self.exit_result(exits)
        return body_result, exits


def _outer_pivot(ctxt: ControlFlowContext | None) -> Tensor | None:
    while ctxt is not None:
        pivot = ctxt.control_pivot()
        if pivot is not None:
            return pivot
        ctxt = ctxt.outer_context
    return None


def _set_shape_invariants(
    inputs: Sequence[Tensor], enters: Sequence[Tensor], invariants: Sequence[TensorShape]
) -> None:
    for x, e, shape in zip(inputs, enters, invariants, strict=True):
        if not _shape_less_than_or_equal(x.shape, shape):
            raise ValueError(
                f"The shape invariant specified for {x.name} is not compatible with the "
                f"initial shape of the loop variable. It enters the loop with shape "
                f"{x.shape}, but the specified shape invariant is {shape}."
            )
        e._shape = shape
        e.op._outputs[0]._shape = shape


def _enforce_shape_invariant(merge_var: Tensor, next_var: Tensor) -> None:
    m_shape, n_shape = merge_var.shape, next_var.shape
    if not _shape_less_than_or_equal(n_shape, m_shape):
        entering = merge_var.op._inputs[0].op._inputs[0]
        raise ValueError(
            f"Input tensor '{entering.name}' enters the loop with shape {entering.shape}, but "
            f"has shape "
            f"{n_shape} after one iteration. To allow the shape to vary across iterations, "
            "use the `shape_invariants` argument of tf.while_loop to specify a less-specific "
            "shape."
        )


def _shape_less_than_or_equal(shape1: TensorShape, shape2: TensorShape) -> bool:
    if shape2.dims is None:
        return True
    if shape1.ndims != shape2.ndims:
        return False
    return all(
        d2 is None or d1 == d2 for d1, d2 in zip(shape1.as_list(), shape2.as_list(), strict=True)
    )


def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    shape_invariants: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    name: str | None = None,
    maximum_iterations: Any = None,
    return_same_structure: bool = False,
) -> Any:
    """``tf.while_loop`` (TF1): repeats ``body`` while ``cond`` holds, as an Enter/Merge/
    Switch/NextIteration/Exit graph.

    Args:
        cond: callable of the loop variables returning a scalar bool tensor.
        body: callable of the loop variables returning new values in the same structure.
        loop_vars: a tensor or (nested) list/tuple of tensors.
        shape_invariants: shapes the loop variables keep across iterations.
        parallel_iterations: recorded on the Enter ops.
        back_prop: recorded on the context.
        swap_memory: recorded on the context.
        name: name scope ("while").
        maximum_iterations: optional scalar bound on the number of iterations.
        return_same_structure: always return ``loop_vars``' structure.

    Returns:
        The loop variables after the last iteration.

    Raises:
        TypeError: if ``cond`` or ``body`` is not callable.
        ValueError: for empty ``loop_vars``, a bad ``parallel_iterations`` or
            ``maximum_iterations``, or a loop variable whose shape changes.

    Example:
        >>> # while_loop(lambda i: i < 10, lambda i: i + 1, [tf.constant(0)])
    """
    if not callable(cond):
        raise TypeError("'cond' must be callable.")
    if not callable(body):
        raise TypeError("'body' must be callable.")
    if parallel_iterations < 1:
        raise TypeError("'parallel_iterations' must be a positive integer.")
    if _is_nested(loop_vars) and not _flatten(loop_vars):
        raise ValueError("'loop_vars' must be provided.")
    graph = get_default_graph()
    with graph.name_scope(name or "while"):
        try_to_pack = isinstance(loop_vars, list | tuple) and len(loop_vars) == 1
        try_to_pack = try_to_pack and not return_same_structure
        if not _is_nested(loop_vars):
            loop_vars = [loop_vars]
            try_to_pack = not return_same_structure
        if maximum_iterations is not None:
            maximum_iterations = convert_to_tensor(maximum_iterations, name="maximum_iterations")
            if maximum_iterations.shape.ndims != 0:
                raise ValueError(
                    "'maximum_iterations' must be a scalar. Received shape: "
                    f"{maximum_iterations.shape}"
                )
            counter = convert_to_tensor(
                _zero(maximum_iterations.dtype),
                dtype=maximum_iterations.dtype,
                name="iteration_counter",
            )
            cond, body, loop_vars = _bounded(
                cond, body, loop_vars, counter, maximum_iterations, try_to_pack
            )
            try_to_pack = False
        ctxt = WhileContext(maximum_iterations, parallel_iterations, back_prop, swap_memory)
        if try_to_pack and shape_invariants is not None:
            shape_invariants = [shape_invariants]
        result = ctxt.build_loop(cond, body, loop_vars, shape_invariants, return_same_structure)
        return result[1] if maximum_iterations is not None else result


def _zero(dtype: Any) -> Any:
    return np.zeros((), dtypes.as_dtype(dtype).as_numpy_dtype)


def _one(dtype: Any) -> Any:
    return np.ones((), dtypes.as_dtype(dtype).as_numpy_dtype)


def _zeros_from_shape(shape: Tensor, dtype: Any, name: str = "zeros") -> Tensor:
    """``array_ops.zeros(shape_tensor, dtype)``: a Fill of a scalar zero."""
    graph = shape.graph
    with graph.name_scope(name) as scope:
        zero = convert_to_tensor(_zero(dtype), dtype=dtype, name="Const")
        return apply_op("Fill", {"dims": shape, "value": zero}, None, scope)[0]  # type: ignore[index]


def _bounded(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    counter: Tensor,
    limit: Tensor,
    packed: bool,
) -> tuple[Callable[..., Any], Callable[..., Any], Any]:
    """The (counter, vars) loop TF builds for ``maximum_iterations``."""
    from stowflow.graph import math_ops

    if packed:
        return (
            lambda i, lv: math_ops.logical_and(i < limit, cond(lv)),
            lambda i, lv: (i + 1, body(lv)),
            (counter, loop_vars[0]),
        )
    return (
        lambda i, lv: math_ops.logical_and(i < limit, cond(*lv)),
        lambda i, lv: (i + 1, body(*lv)),
        (counter, loop_vars),
    )


# ----------------------------------------------------------------------------------- case


def case(
    pred_fn_pairs: Any,
    default: Callable[[], Any] | None = None,
    exclusive: bool = False,
    strict: bool = False,
    name: str = "case",
) -> Any:
    """``tf.case`` (TF1): the function of the first true predicate, as nested conds.

    Args:
        pred_fn_pairs: list of (bool tensor, callable) pairs, or a dict of them.
        default: callable run when no predicate holds (else the last pair's function).
        exclusive: check at run time that at most one predicate holds.
        strict: as in :func:`cond`.
        name: name scope ("case").

    Returns:
        The result of the chosen function.

    Raises:
        TypeError: for malformed pairs.

    Example:
        >>> # case([(x < y, lambda: a), (x > z, lambda: b)], default=lambda: c)
    """
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else list(pred_fn_pairs)
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in pred_fn_pairs must be a 2-tuple. Received {pair}.")
        if not callable(pair[1]):
            raise TypeError("fn for pred %s must be callable." % pair[0].name)
    graph = get_default_graph()
    with graph.name_scope(name):
        preds = [convert_to_tensor(p) for p, _ in pairs]
        fns = [f for _, f in pairs]
        if default is None or exclusive:
            # TF guards these with Assert ops stowflow does not build yet.
            raise NotImplementedError(
                "stowflow's tf.case needs a `default` and exclusive=False (TF's run-time "
                "checks for the other forms are not built yet)."
            )
        fn = default
        for p, f in reversed(list(zip(preds, fns, strict=True))):
            fn = _cond_fn(p, f, fn, strict)
        return fn()


def _cond_fn(
    pred: Tensor, true_fn: Callable[[], Any], false_fn: Callable[[], Any], strict: bool
) -> Callable[[], Any]:
    return lambda: cond(pred, true_fn, false_fn, strict=strict)
