"""``Session``: runs the part of a graph that the fetches need, with NumPy kernels.

Variable values live in the Session (each Session has its own state, as in TF). Kernels
are pure functions; this module adds what needs context: feeds, variable storage,
per-op random state, and the failing node's name in error messages.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, NoReturn

import numpy as np

from stowflow import dtypes, errors
from stowflow.graph import coverage, executor
from stowflow.graph import fetches as fetch_lib
from stowflow.graph.core import Graph, Operation, Tensor, _ThreadStack, get_default_graph
from stowflow.graph.functions import CALL_OPS, call_function
from stowflow.graph.kernels import get_kernel
from stowflow.graph.kernels.control_flow_kernels import FUNCTIONAL_KERNELS
from stowflow.graph.kernels.inplace import INPLACE_KERNELS, can_overwrite
from stowflow.graph.kernels.random_kernels import RANDOM_OPS, RngState
from stowflow.graph.kernels.registry import KERNELS
from stowflow.graph.kernels.state import STATEFUL_KERNELS, SessionState, VarRef

_default_sessions = _ThreadStack()


class _Step(NamedTuple):
    """One op of a compiled straight-line run."""

    op: Operation
    inputs: tuple[Tensor, ...]
    #: the outputs to store (fed ones keep their fed value)
    outputs: tuple[Tensor, ...]
    #: tensors no later op reads and no fetch needs: dropped before the op runs
    freed: tuple[Tensor, ...]
    #: in-place variant of the kernel (kernels.inplace), and the input positions it may reuse
    inplace: Any
    reusable: tuple[int, ...]
    run: Callable[[list[Any]], list[Any]]


class _Plan(NamedTuple):
    """A cached run: the op order, whether it needs the dataflow executor, and the
    compiled steps of a straight-line run."""

    order: list[Operation]
    dataflow: bool
    program: list[_Step]


def get_default_session() -> Any:
    """The innermost default session, or None."""
    stack = _default_sessions.items
    return stack[-1] if stack else None


def run_with_default(element: Any, feed_dict: Any, session: Any, kind: str, verb: str) -> Any:
    """``Tensor.eval`` / ``Operation.run`` through ``session`` or the default one.

    Raises:
        ValueError: with TF's message when there is no default session.
    """
    sess = session or get_default_session()
    if sess is None:
        raise ValueError(
            f"Cannot evaluate {kind} using `{verb}()`: No default session is registered. Use "
            f"`with sess.as_default()` or pass an explicit session to `{verb}(session=sess)`"
        )
    graph_element = (
        element._as_graph_element() if hasattr(element, "_as_graph_element") else element
    )
    if getattr(graph_element, "graph", sess.graph) is not sess.graph:
        raise ValueError(
            f"Cannot use the given session to evaluate {kind}: the {kind}'s graph is different "
            "from the session's graph."
        )
    return sess.run(element, feed_dict)


# What a kernel raises when a malformed graph hands it inputs it cannot handle; the Session
# turns it into InvalidArgumentError naming the node, as TF's kernels report bad input.
_KERNEL_BUGS_ON_BAD_GRAPHS = (
    LookupError,
    ArithmeticError,
    UnicodeError,
    AttributeError,
    TypeError,
    ValueError,
)


def _graph_error_message(op: Operation, message: str) -> str:
    return (
        f"Graph execution error:\n\nDetected at node '{op.name}' defined at (most recent call "
        f"last):\nNode: '{op.name}'\n{message}\n\t [[{{{{node {op.name}}}}}]]"
    )


def _as_fetch_value(value: Any) -> Any:
    """0-d results come back as NumPy scalars (bytes for strings), as TF returns them."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    return value


class Session:
    """A TF1 session (``tf.Session``).

    Args:
        target: ignored (in-process only).
        graph: the graph to run (default: the current default graph).
        config: a ConfigProto-like object; accepted and ignored.
    """

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None) -> None:
        self._graph = graph if graph is not None else get_default_graph()
        self._config = config
        self._closed = False
        self._state = SessionState()
        self._plans: dict[Any, _Plan] = {}
        self._context_stack: list[Any] = []
        #: Called as ``observer(op, inputs, outputs, seconds)`` after every op a run executes
        #: (None: no overhead). The debugger (stowflow.debug) installs one per run.
        self._op_observer: Any = None

    @property
    def graph(self) -> Graph:
        """The session's graph."""
        return self._graph

    @property
    def graph_def(self) -> Any:
        """A GraphDef of the session's graph."""
        return self._graph.as_graph_def()

    @property
    def sess_str(self) -> str:
        """The target ("" for in-process)."""
        return ""

    # -- context management ---------------------------------------------------------------------

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Session]:
        """Makes this the default session for ``eval``/``run``."""
        _default_sessions.items.append(self)
        try:
            yield self
        finally:
            _default_sessions.items.pop()

    def __enter__(self) -> Session:
        stack = contextlib.ExitStack()
        stack.enter_context(self._graph.as_default())
        stack.enter_context(self.as_default())
        self._context_stack.append(stack)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._context_stack.pop().close()
        self.close()

    def close(self) -> None:
        """Releases the session's state (variables, tables, plans); later runs raise."""
        self._closed = True
        self._state = SessionState()
        self._plans.clear()

    # -- running --------------------------------------------------------------------------------

    def run(
        self, fetches: Any, feed_dict: Any = None, options: Any = None, run_metadata: Any = None
    ) -> Any:
        """Runs the ops needed for ``fetches`` and returns their values in the same structure.

        Raises:
            RuntimeError: if the session is closed.
            TypeError / ValueError: for bad fetches or feeds (TF's messages).
            errors.OpError: from a kernel, naming the node.
        """
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if self._graph.version == 0:
            raise RuntimeError(
                "The Session graph is empty. Add operations to the graph before calling run()."
            )
        # TF checks the feeds before the fetches (session.py _run).
        feeds = self._prepare_feeds(feed_dict)
        flat, rebuild = fetch_lib.flatten(fetches, self._graph)
        values = self._execute(flat, feeds)
        return rebuild([_as_fetch_value(v) if v is not None else None for v in values])

    def _prepare_feeds(self, feed_dict: Any) -> dict[Tensor, Any]:
        feeds: dict[Tensor, Any] = {}
        for key, value in fetch_lib.expand_sparse_feeds(feed_dict).items():
            keys = key if isinstance(key, tuple) and not hasattr(key, "_fields") else (key,)
            for k in keys:
                try:
                    tensor = self._graph.as_graph_element(
                        k, allow_tensor=True, allow_operation=False
                    )
                except (KeyError, ValueError, TypeError) as e:
                    raise TypeError(
                        f"Cannot interpret feed_dict key as Tensor: {e.args[0] if e.args else e}"
                    ) from None
                if hasattr(k, "_as_tensor"):
                    tensor = k._as_tensor()
                if not isinstance(tensor, Tensor):
                    raise TypeError(f"Cannot interpret feed_dict key as Tensor: {k!r}")
                feeds[tensor] = self._convert_feed(tensor, value)
        return feeds

    @staticmethod
    def _convert_feed(tensor: Tensor, value: Any) -> np.ndarray:
        base = tensor.dtype.base_dtype
        if isinstance(value, Tensor):
            raise TypeError(
                "The value of a feed cannot be a tf.Tensor object. Acceptable feed values "
                "include Python scalars, strings, lists, numpy ndarrays, or TensorHandles."
            )
        if base == dtypes.string:
            array = np.asarray(value, dtype=object)
            array = (
                np.vectorize(lambda s: s.encode() if isinstance(s, str) else s, otypes=[object])(
                    array
                )
                if array.size
                else array
            )
        else:
            try:
                array = np.asarray(value, dtype=base.as_numpy_dtype)
            except (TypeError, ValueError) as e:
                raise ValueError(
                    f"Cannot feed value {value!r} for Tensor {tensor.name!r}: {e}"
                ) from None
        if not _shape_accepts(tensor._shape._dims, array.shape):
            raise ValueError(
                f"Cannot feed value of shape {array.shape} for Tensor {tensor.name}, which has "
                f"shape {tensor.shape}"
            )
        return array

    def _execute(self, flat: list[Tensor | Operation], feeds: dict[Tensor, Any]) -> list[Any]:
        plan = self._plan(flat, feeds)
        if plan.dataflow:
            values = executor.DataflowRun(plan.order, feeds, self._invoke).run()
        else:
            values = dict(feeds)
            if self._op_observer is not None:  # the debugger keeps every value
                for op in plan.order:
                    self._run_op(op, values)
            else:
                self._run_program(plan.program, values)
        out: list[Any] = []
        for index, element in enumerate(flat):
            if isinstance(element, Operation):
                out.append(None)
                continue
            value = values.get(element, executor.DEAD)
            if value is executor.DEAD:
                raise errors.InvalidArgumentError(
                    None, None, f"Retval[{index}] does not have value"
                )
            out.append(self._state.deref(value, element))
        return out

    def _plan(self, flat: list[Tensor | Operation], feeds: dict[Tensor, Any]) -> _Plan:
        """How to run these fetches with these feeds; cached until the graph changes."""
        graph = self._graph
        key = (len(graph._ops), graph._mutations, tuple(map(id, flat)), frozenset(map(id, feeds)))
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) > 256:
                self._plans.clear()
            # A fetched tensor that is also fed needs nothing computed (TF prunes its producer).
            targets = [
                e.op if isinstance(e, Tensor) else e
                for e in flat
                if not (isinstance(e, Tensor) and e in feeds)
            ]
            order = _schedule(targets, feeds)
            _check_runnable(order)
            dataflow = executor.needs_dataflow(order)
            keep = {e for e in flat if isinstance(e, Tensor)}
            program = [] if dataflow else self._compile(order, keep, feeds)
            plan = self._plans[key] = _Plan(order, dataflow, program)
        return plan

    def _compile(
        self, order: list[Operation], keep: set[Tensor], feeds: dict[Tensor, Any]
    ) -> list[_Step]:
        """One :class:`_Step` per op of a straight-line run; ops whose outputs are all fed
        compute nothing and are left out."""
        program = []
        for op, dead in zip(order, _last_uses(order), strict=True):
            if op._outputs and all(t in feeds for t in op._outputs):
                continue
            freed = tuple(t for t in dead if t not in keep)
            reusable = tuple(p for p, t in enumerate(op._inputs) if t in freed)
            inplace = INPLACE_KERNELS.get(op.type) if reusable else None
            outputs = tuple(t for t in op._outputs if t not in feeds)
            step = _Step(op, tuple(op._inputs), outputs, freed, inplace, reusable, self._runner(op))
            program.append(step)
        return program

    def _runner(self, op: Operation) -> Callable[[list[Any]], list[Any]]:
        """``fn(inputs) -> outputs`` computing what :meth:`_compute` does for ``op``, with the
        dispatch decided once."""
        op_type = op.type
        special = (STATEFUL_KERNELS, CALL_OPS, FUNCTIONAL_KERNELS, RANDOM_OPS)
        if op_type not in KERNELS or any(op_type in table for table in special):
            return functools.partial(self._compute, op)
        kernel = get_kernel(op_type)
        attrs = _decoded_attrs(op)
        deref = self._deref_all
        layout = _input_layout_of(op)
        if layout is None or all(count is None for count in layout):
            return lambda inputs: kernel(deref(inputs), attrs)
        return lambda inputs: kernel(_group_inputs(op, deref(inputs)), attrs)

    def _deref_all(self, inputs: list[Any]) -> list[Any]:
        """``inputs`` with variable references replaced by their arrays."""
        for value in inputs:
            if type(value) is VarRef:
                return [self._state.deref(v) for v in inputs]
        return inputs

    def _run_program(self, program: list[_Step], values: dict[Tensor, Any]) -> None:
        """Runs compiled steps. Each step first forgets the tensors no later op reads; an
        element-wise op then writes into such an input when nothing else holds it (see
        kernels.inplace)."""
        for op, in_tensors, out_tensors, freed, inplace, reusable, run in program:
            inputs = [values[t] for t in in_tensors]
            outputs = None
            if freed:
                for tensor in freed:
                    values.pop(tensor, None)
                if inplace is not None:
                    for position in reusable:
                        if can_overwrite(inputs[position], 1):
                            outputs = inplace(inputs, _decoded_attrs(op), position)
                            break
            if outputs is None:
                try:
                    outputs = run(inputs)
                except Exception as e:  # noqa: BLE001 - re-raised naming the node
                    self._raise_for(op, e)
            for tensor, value in zip(out_tensors, outputs, strict=False):
                values[tensor] = value

    def _run_op(self, op: Operation, values: dict[Tensor, Any]) -> None:
        if all(t in values for t in op._outputs) and op._outputs:
            return
        outputs = self._invoke(op, [values[t] for t in op._inputs])
        for tensor, value in zip(op._outputs, outputs, strict=False):
            if tensor not in values:
                values[tensor] = value

    def _invoke(self, op: Operation, inputs: list[Any]) -> list[Any]:
        """Runs one graph op, naming it in errors and reporting it to the observer."""
        observer = self._op_observer
        started = time.perf_counter() if observer is not None else 0.0
        try:
            outputs = self._compute(op, inputs)
        except Exception as e:  # noqa: BLE001 - re-raised with the node's name
            self._raise_for(op, e)
        if observer is not None:
            observer(op, inputs, outputs, time.perf_counter() - started)
        return outputs

    @staticmethod
    def _raise_for(op: Operation, e: Exception) -> NoReturn:
        """Re-raises a kernel's exception as the OpError TF reports, naming the node."""
        if isinstance(e, errors.OpError):
            raise type(e)(op.node_def, op, _graph_error_message(op, e.message)) from None
        if isinstance(e, MemoryError):
            message = _graph_error_message(op, f"OOM running {op.type}")
            raise errors.ResourceExhaustedError(op.node_def, op, message) from None
        if isinstance(e, _KERNEL_BUGS_ON_BAD_GRAPHS):  # a malformed graph fed a kernel nonsense
            message = _graph_error_message(op, f"{op.type}: {type(e).__name__}: {e}")
            raise errors.InvalidArgumentError(op.node_def, op, message) from e
        raise e

    def _compute(self, op: Any, inputs: list[Any]) -> list[Any]:
        """Runs one op (graph op or function-body node) on its input values."""
        stateful = STATEFUL_KERNELS.get(op.type)
        if stateful is not None:
            return stateful(self._state, op, inputs)
        if op.type in CALL_OPS:
            return self._call(op.get_attr("f").name, inputs)
        functional = FUNCTIONAL_KERNELS.get(op.type)
        if functional is not None:
            return functional(op, inputs, self._call)
        inputs = [self._state.deref(v) for v in inputs]
        attrs = _decoded_attrs(op)
        if op.type in RANDOM_OPS:
            attrs = {**attrs, "_rng_state": self._state.per_op.setdefault(op.name, RngState())}
        return get_kernel(op.type)(_group_inputs(op, inputs), attrs)

    def _call(self, name: str, args: list[Any]) -> list[Any]:
        """Runs function ``name`` of the graph's library on ``args``."""
        return call_function(self._graph.library, name, args, self._compute)


def _shape_accepts(static: tuple[int | None, ...] | None, shape: tuple[int, ...]) -> bool:
    """``TensorShape(static).is_compatible_with(shape)`` for a concrete ``shape``, without
    building shapes (this runs for every feed of every run)."""
    if static is None:
        return True
    if len(static) != len(shape):
        return False
    return all(d is None or d == n for d, n in zip(static, shape, strict=True))


def _last_uses(order: list[Operation]) -> list[list[Tensor]]:
    """Per op of a run, the tensors no later op of the run reads."""
    last: dict[Tensor, int] = {}
    for k, op in enumerate(order):
        for tensor in op._inputs:
            last[tensor] = k
    dead: list[list[Tensor]] = [[] for _ in order]
    for tensor, k in last.items():
        dead[k].append(tensor)
    return dead


def _check_runnable(order: list[Operation]) -> None:
    """Names every op type of a run that stowflow cannot execute, before running any."""
    missing: dict[str, list[str]] = {}
    for op in order:
        if not coverage.runnable(op.type):
            missing.setdefault(op.type, []).append(op.name)
    if missing:
        listed = "; ".join(
            f"'{t}' (nodes: {', '.join(names[:3])}{', ...' if len(names) > 3 else ''})"
            for t, names in sorted(missing.items())
        )
        raise errors.NotFoundError(
            None, None, f"No kernel registered in stowflow for op types {listed}"
        )


def _decoded_attrs(op: Operation) -> dict[str, Any]:
    cache = op.__dict__.get("_decoded_attrs")
    if cache is None:
        cache = {k: op.get_attr(k) for k in op._attrs if not k.startswith("_")}
        op.__dict__["_decoded_attrs"] = cache
    return cache


def _group_inputs(op: Operation, flat: list[Any]) -> list[Any]:
    """Regroups flat input values into one entry per OpDef input arg (lists for list args)."""
    layout = _input_layout_of(op)
    if layout is None:
        return flat
    grouped: list[Any] = []
    pos = 0
    for count in layout:
        if count is None:
            grouped.append(flat[pos])
            pos += 1
        else:
            grouped.append(flat[pos : pos + count])
            pos += count
    return grouped


def _input_layout_of(op: Operation) -> list[int | None] | None:
    """:func:`_input_layout`, cached on the op."""
    if "_input_layout" not in op.__dict__:
        op.__dict__["_input_layout"] = _input_layout(op)
    layout: list[int | None] | None = op.__dict__["_input_layout"]
    return layout


def _input_layout(op: Operation) -> list[int | None] | None:
    """Per OpDef input arg: None for a single tensor, else the list length (None: no OpDef)."""
    op_def = op.op_def
    if op_def is None:
        return None
    layout: list[int | None] = []
    for arg in op_def.input_arg:
        if arg.number_attr:
            layout.append(op._attrs[arg.number_attr].i)
        elif arg.type_list_attr:
            layout.append(len(op._attrs[arg.type_list_attr].list.type))
        else:
            layout.append(None)
    return layout


def _schedule(targets: list[Operation], feeds: dict[Tensor, Any]) -> list[Operation]:
    """Ops needed for ``targets`` in dependency order, not looking past fed tensors."""
    order: list[Operation] = []
    state: dict[Operation, int] = {}  # 1 = visiting, 2 = done
    for root in targets:
        stack: list[tuple[Operation, bool]] = [(root, False)]
        while stack:
            op, expanded = stack.pop()
            if expanded:
                state[op] = 2
                order.append(op)
                continue
            if state.get(op):
                continue
            state[op] = 1
            stack.append((op, True))
            deps = [c for c in op._control_inputs]
            deps += [t.op for t in op._inputs if t not in feeds]
            for dep in reversed(deps):
                if not state.get(dep):
                    stack.append((dep, False))
    return order


class InteractiveSession(Session):
    """A Session that installs itself as the default on construction."""

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None) -> None:
        super().__init__(target, graph, config)
        self._default_cm = self.as_default()
        self._default_cm.__enter__()

    def close(self) -> None:
        """Closes and uninstalls the session."""
        if not self._closed:
            self._default_cm.__exit__(None, None, None)
        super().close()
