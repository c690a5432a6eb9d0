"""The graph data model: ``Graph``, ``Operation`` and ``Tensor``, with TF1's naming rules.

A Graph holds operations in creation order, hands out unique names (``c``, ``c_1``),
keeps the name-scope, control-dependency, device and colocation stacks, and the
collections. ``Graph.create_op`` is the one place operations are born.
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any, cast

from stowflow import dtypes
from stowflow.dtypes import DType
from stowflow.graph import attrs as attr_codec
from stowflow.graph.shape import TensorShape, V1TensorShape, unknown_shape, v1_dimensions
from stowflow.proto import graph_pb2, node_def_pb2

GRAPH_DEF_VERSION = 2474  # TF 2.21's GraphDef producer version
_VALID_OP_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$")
_VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\\/>-]*$")


class GraphKeys:
    """Standard collection names (``tf.GraphKeys``)."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    METRIC_VARIABLES = "metric_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    ASSET_FILEPATHS = "asset_filepaths"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    CONCATENATED_VARIABLES = "concatenated_variables"
    SAVERS = "savers"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    SAVEABLE_OBJECTS = "saveable_objects"
    RESOURCES = "resources"
    LOCAL_RESOURCES = "local_resources"
    TRAINABLE_RESOURCE_VARIABLES = "trainable_resource_variables"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    SUMMARY_OP = "summary_op"
    GLOBAL_STEP = "global_step"
    EVAL_STEP = "eval_step"
    TRAIN_OP = "train_op"
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"
    VARIABLES = GLOBAL_VARIABLES


def canonical_device(spec: str | None) -> str:
    """Canonical device string: ``"/cpu:0"`` -> ``"/device:CPU:0"``; job/replica/task kept."""
    if not spec:
        return ""
    parts = []
    for piece in spec.strip("/").split("/"):
        if not piece:
            continue
        low = piece.lower()
        m = re.fullmatch(r"(?:device:)?(cpu|gpu|tpu)(?::(\d+|\*))?", low)
        if m:
            parts.append(f"device:{m.group(1).upper()}:{m.group(2) or '0'}")
        else:
            parts.append(piece)
    return "/" + "/".join(parts)


def merge_device(outer: str, inner: str) -> str:
    """Nested ``tf.device`` scopes (canonical strings): inner fields win, unset ones inherit.

    ``merge_device("/job:ps", "/device:CPU:0")`` is ``"/job:ps/device:CPU:0"`` (TF's
    ``DeviceSpec.make_merged_spec``).
    """
    fields: dict[str, str] = {}
    for spec in (outer, inner):
        for piece in filter(None, spec.split("/")):
            fields[piece.split(":", 1)[0]] = piece
    order = ("job", "replica", "task", "device")
    return "/" + "/".join(fields[k] for k in order if k in fields)


def _called_from_user(frame: Any) -> bool:
    """True when ``frame`` is not stowflow's own code (which always sees int shapes)."""
    return not str(frame.f_globals.get("__name__", "")).startswith("stowflow")


class Tensor:
    """One output of an Operation (``tf.Tensor`` in graph mode)."""

    # Let NumPy defer to our operators (np.float32(2) * t -> Tensor.__rmul__).
    __array_priority__ = 100

    def __init__(self, op: Operation, value_index: int, dtype: DType) -> None:
        self._op = op
        self._value_index = value_index
        self._dtype = dtype
        self._shape = unknown_shape()
        self._consumers: list[Operation] = []

    @property
    def op(self) -> Operation:
        """The producing Operation."""
        return self._op

    @property
    def value_index(self) -> int:
        """Index of this output in ``op.outputs``."""
        return self._value_index

    @property
    def dtype(self) -> DType:
        """The element type (``*_ref`` for TF1 variable references)."""
        return self._dtype

    @property
    def graph(self) -> Graph:
        """The Graph of the producing op."""
        return self._op.graph

    @property
    def name(self) -> str:
        """``"<op name>:<index>"``."""
        return f"{self._op.name}:{self._value_index}"

    @property
    def device(self) -> str:
        """The producing op's device."""
        return self._op.device

    @property
    def shape(self) -> TensorShape:
        """The static shape (possibly partial); TF1 Dimensions for user code under TF1."""
        if v1_dimensions() and _called_from_user(sys._getframe(1)):
            return V1TensorShape(self._shape)
        return self._shape

    def get_shape(self) -> TensorShape:
        """Same as :attr:`shape`."""
        if v1_dimensions() and _called_from_user(sys._getframe(1)):
            return V1TensorShape(self._shape)
        return self._shape

    def set_shape(self, shape: Any) -> None:
        """Refines the static shape.

        Raises:
            ValueError: if ``shape`` is incompatible with what is known.
        """
        self._shape = self._shape.merge_with(shape)

    def consumers(self) -> list[Operation]:
        """Operations that take this tensor as a data input."""
        return list(self._consumers)

    def eval(self, feed_dict: Any = None, session: Any = None) -> Any:
        """Evaluates this tensor in ``session`` or the default session."""
        from stowflow.graph import session as session_lib

        return session_lib.run_with_default(self, feed_dict, session, "tensor", "eval")

    def _as_node_input(self) -> str:
        return self._op.name if self._value_index == 0 else self.name

    def __repr__(self) -> str:
        return f"<tf.Tensor '{self.name}' shape={self._shape} dtype={self._dtype.name}>"

    def __str__(self) -> str:
        return (
            f'Tensor("{self.name}"'
            # TF omits the shape of an unknown-rank tensor: Tensor("u:0", dtype=float32).
            + (f", shape={self._shape}" if self._shape.ndims is not None else "")
            + f", dtype={self._dtype.name}"
            + (f", device={self.device}" if self.device else "")
            + ")"
        )

    # Equality and hashing are identity (object's defaults), as TF1 tensors compare.

    def __bool__(self) -> bool:
        raise TypeError(
            "Using a `tf.Tensor` as a Python `bool` is not allowed in Graph execution. "
            "Use Eager execution or decorate this function with @tf.function."
        )

    def __iter__(self) -> Iterator[Tensor]:
        dims = self._shape.dims
        if dims is None or not dims or dims[0] is None:
            raise TypeError("Tensor objects are only iterable when eager execution is enabled.")
        return iter([self[i] for i in range(dims[0])])

    def __len__(self) -> int:
        raise TypeError(
            f"len is not well defined for a symbolic Tensor ({self.name}). Please call "
            "`x.shape` rather than `len(x)` for shape information."
        )


#: Python operator methods that Tensors (and Variables, via their value) map to TF ops.
OPERATOR_METHODS = (
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__rtruediv__",
    "__floordiv__",
    "__rfloordiv__",
    "__mod__",
    "__rmod__",
    "__pow__",
    "__rpow__",
    "__matmul__",
    "__rmatmul__",
    "__neg__",
    "__abs__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__and__",
    "__rand__",
    "__or__",
    "__ror__",
    "__invert__",
    "__xor__",
    "__getitem__",
)


def _install_operators() -> None:
    """Python operators on Tensor map to TF ops (defined in ``stowflow.graph.math_ops``)."""

    def make(method: str) -> Any:
        def operator(self: Any, *args: Any) -> Any:
            from stowflow.graph import math_ops

            return math_ops.OPERATORS[method](self, *args)

        operator.__name__ = method
        return operator

    for method in OPERATOR_METHODS:
        setattr(Tensor, method, make(method))


_install_operators()


_TRUE_ATTR = attr_codec.encode("bool", True)


def colocation_groups(op: Any) -> list[str]:
    """TF's ``Operation.colocation_groups``: the ``loc:@`` entries of ``_class``, else own name."""
    attrs = getattr(op, "_attrs", None) or {}
    if "_class" in attrs:
        entries = [
            e.decode() if isinstance(e, bytes) else str(e)
            for e in attr_codec.decode(attrs["_class"])
        ]
        groups = [e for e in entries if e.startswith("loc:@")]
        if groups:
            return groups
    return [f"loc:@{op.name}"]


class Operation:
    """A node in a Graph (``tf.Operation``)."""

    def __init__(
        self,
        graph: Graph,
        name: str,
        op_type: str,
        inputs: Sequence[Tensor],
        output_dtypes: Sequence[DType],
        attrs: dict[str, Any],
        control_inputs: Sequence[Operation],
        device: str,
        op_def: Any,
    ) -> None:
        self._graph = graph
        self._name = name
        self._type = op_type
        self._inputs = list(inputs)
        self._control_inputs = list(control_inputs)
        self._outputs = [Tensor(self, i, dt) for i, dt in enumerate(output_dtypes)]
        self._attrs = dict(attrs)
        self._device = device
        self._op_def = op_def
        self._id = len(graph._ops)

    @property
    def name(self) -> str:
        """The unique node name."""
        return self._name

    @property
    def type(self) -> str:
        """The op type, e.g. ``"MatMul"``."""
        return self._type

    @property
    def graph(self) -> Graph:
        """The owning Graph."""
        return self._graph

    @property
    def inputs(self) -> list[Tensor]:
        """Data inputs, flattened."""
        return list(self._inputs)

    @property
    def control_inputs(self) -> list[Operation]:
        """Operations that must run before this one."""
        return list(self._control_inputs)

    @property
    def outputs(self) -> list[Tensor]:
        """Output tensors."""
        return list(self._outputs)

    @property
    def device(self) -> str:
        """The requested device ("" if none)."""
        return self._device

    @property
    def op_def(self) -> Any:
        """The OpDef this op was built from."""
        return self._op_def

    @property
    def node_def(self) -> Any:
        """The NodeDef proto of this op."""
        node = node_def_pb2.NodeDef(name=self._name, op=self._type, device=self._device)
        node.input.extend(t._as_node_input() for t in self._inputs)
        node.input.extend("^" + op.name for op in self._control_inputs)
        for key, value in self._attrs.items():
            node.attr[key].CopyFrom(value)
        return node

    def get_attr(self, name: str) -> Any:
        """The decoded value of attr ``name``.

        Raises:
            ValueError: if the op has no such attr (TF's wording).
        """
        if name not in self._attrs:
            raise ValueError(f"Operation '{self._name}' has no attr named '{name}'.")
        return attr_codec.decode(self._attrs[name])

    def _set_attr(self, name: str, value: Any) -> None:
        self._attrs[name] = value

    def colocation_groups(self) -> list[str]:
        """The ``loc:@...`` groups this op belongs to (``[loc:@<name>]`` by default)."""
        return colocation_groups(self)

    def values(self) -> tuple[Tensor, ...]:
        """The outputs as a tuple."""
        return tuple(self._outputs)

    def run(self, feed_dict: Any = None, session: Any = None) -> None:
        """Runs this op in ``session`` or the default session."""
        from stowflow.graph import session as session_lib

        session_lib.run_with_default(self, feed_dict, session, "operation", "run")

    def _add_control_input(self, op: Operation) -> None:
        if op not in self._control_inputs:
            self._control_inputs.append(op)
            self._graph._mutations += 1  # invalidates cached Session plans

    def __repr__(self) -> str:
        return f"<tf.Operation '{self._name}' type={self._type}>"

    def __str__(self) -> str:
        return str(self.node_def)


class Graph:
    """A TF1 dataflow graph (``tf.Graph``)."""

    def __init__(self) -> None:
        self._ops: list[Operation] = []
        self._ops_by_name: dict[str, Operation] = {}
        self._names_in_use: dict[str, int] = {}
        self._name_stack = ""
        self._control_stack: list[list[Operation] | None] = []
        self._device_stack: list[str] = []
        self._colocation_stack: list[Any] = []
        self._attr_scope_map: dict[str, Any] = {}
        self._collections: dict[str, list[Any]] = {}
        self._finalized = False
        self._mutations = 0  # bumped by edits that don't add ops (Session plan cache key)
        self._seed: int | None = None
        self._lock = threading.RLock()
        self._variable_store: Any = None
        self._var_scope: Any = None
        self.library = None

    # -- naming ---------------------------------------------------------------------------------

    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """``name`` under the current scope, suffixed ``_1``, ``_2``... if already used."""
        if self._name_stack:
            name = f"{self._name_stack}/{name}"
        key = name.lower()
        count = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = count + 1
        if count > 0:
            base = key
            while key in self._names_in_use:
                key = f"{base}_{count}"
                count += 1
            if mark_as_used:
                self._names_in_use[key] = 1
            name = f"{name}_{count - 1}"
        return name

    def get_name_scope(self) -> str:
        """The current name scope ("" at top level)."""
        return self._name_stack

    @contextlib.contextmanager
    def name_scope(self, name: str | None) -> Iterator[str]:
        """Opens a name scope; yields it with a trailing "/" ("" at top level).

        A name ending in "/" re-enters that exact scope; None or "" resets to the top.

        Raises:
            ValueError: for a name with characters TF does not allow.
        """
        if name:
            self._check_name(name)
            new_stack = name[:-1] if name.endswith("/") else self.unique_name(name)
        else:
            new_stack = ""
        old = self._name_stack
        self._name_stack = new_stack
        try:
            yield f"{new_stack}/" if new_stack else ""
        finally:
            self._name_stack = old

    def _check_name(self, name: str) -> None:
        """TF's name_scope check of a node or scope name.

        Raises:
            ValueError: TF's message, for the root or a nested scope.
        """
        if self._name_stack:
            if not _VALID_SCOPE_NAME.match(name):
                raise ValueError(
                    f"'{name}' is not a valid scope name. A scope name has to match the "
                    f"following pattern: {_VALID_SCOPE_NAME.pattern}"
                )
        elif not _VALID_OP_NAME.match(name):
            raise ValueError(
                f"'{name}' is not a valid root scope name. A root scope name has to match the "
                f"following pattern: {_VALID_OP_NAME.pattern}"
            )

    def _rollback(self, count: int) -> None:
        """Removes the ops created after the first ``count`` (a failed import is atomic)."""
        with self._lock:
            for op in self._ops[count:]:
                self._ops_by_name.pop(op.name, None)
                for t in op._inputs:
                    if op in t._consumers:
                        t._consumers.remove(op)
            del self._ops[count:]
            self._mutations += 1

    # -- context stacks -------------------------------------------------------------------------

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs: Sequence[Any] | None) -> Iterator[None]:
        """Ops created inside depend on ``control_inputs`` (None clears outer ones)."""
        if control_inputs is None:
            self._control_stack.append(None)
        else:
            current = set(self._current_control_inputs())
            ops = []
            for item in control_inputs:
                # A variable-like object with a handle stands for its op (TF's rule): a
                # resource variable's VarHandleOp, an unread assign result's update op.
                if hasattr(item, "handle") and isinstance(getattr(item, "op", None), Operation):
                    item = item.op
                element = self.as_graph_element(item, allow_tensor=True, allow_operation=True)
                op = element.op if isinstance(element, Tensor) else element
                ops.append(op)
                if op not in current and isinstance(op, Operation):
                    # TF marks every new manual control input (ops.py, Graph.control_dependencies)
                    op._set_attr("_has_manual_control_dependencies", _TRUE_ATTR)
                    current.add(op)
            self._control_stack.append(ops)
        try:
            yield
        finally:
            self._control_stack.pop()

    def _current_control_inputs(self) -> list[Operation]:
        out: list[Operation] = []
        for frame in reversed(self._control_stack):
            if frame is None:
                break
            out[:0] = [op for op in frame if op not in out]
        return out

    @contextlib.contextmanager
    def device(self, device_name_or_function: str | None) -> Iterator[None]:
        """Ops created inside record this device in their NodeDef."""
        spec = canonical_device(device_name_or_function or "")
        if spec and self._device_stack:
            spec = merge_device(self._device_stack[-1], spec)
        self._device_stack.append(spec)
        try:
            yield
        finally:
            self._device_stack.pop()

    @contextlib.contextmanager
    def colocate_with(self, op: Any, ignore_existing: bool = False) -> Iterator[None]:
        """Ops created inside carry ``op``'s colocation groups in ``_class``.

        ``op``'s groups are its own ``_class`` entries (``loc:@w`` for a slot colocated with
        ``w``), else ``loc:@<op name>``; nested blocks add up, ``ignore_existing`` starts
        afresh and ``colocate_with(None, ignore_existing=True)`` clears them, as in TF.

        Raises:
            ValueError: for ``op=None`` without ``ignore_existing`` (TF's message).
        """
        if op is None and not ignore_existing:
            raise ValueError(
                "Trying to reset colocation (op is None) but ignore_existing is not True"
            )
        if isinstance(op, Tensor):
            op = op.op
        elif op is not None and hasattr(op, "op") and not isinstance(op, Operation):
            op = op.op
        saved = self._colocation_stack
        if ignore_existing:
            self._colocation_stack = []
        if op is not None:
            self._colocation_stack = [*self._colocation_stack, op]
        try:
            yield
        finally:
            self._colocation_stack = saved

    def _colocation_attr(self) -> Any:
        """The ``_class`` AttrValue the colocation stack gives a new op (None if empty)."""
        groups: set[str] = set()
        for target in self._colocation_stack:
            groups.update(colocation_groups(target))
        if not groups:
            return None
        return attr_codec.encode("list(string)", sorted(groups))

    @contextlib.contextmanager
    def _attr_scope(self, attr_map: dict[str, Any]) -> Iterator[None]:
        """Ops created inside get these attrs (AttrValue protos; None removes), as TF's."""
        saved = dict(self._attr_scope_map)
        self._attr_scope_map.update(attr_map)
        try:
            yield
        finally:
            self._attr_scope_map = saved

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Graph]:
        """Makes this graph the default graph inside the block."""
        _default_graph_stacks.items.append(self)
        try:
            yield self
        finally:
            _default_graph_stacks.items.pop()

    # -- ops ------------------------------------------------------------------------------------

    def create_op(
        self,
        op_type: str,
        inputs: Sequence[Tensor],
        output_dtypes: Sequence[DType],
        attrs: dict[str, Any],
        name: str,
        op_def: Any = None,
        *,
        name_is_final: bool = False,
    ) -> Operation:
        """Adds an op; ``name`` is made unique under the current scope.

        Raises:
            RuntimeError: if the graph is finalized.
            ValueError: if an input belongs to another graph.
        """
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")
        for t in inputs:
            if t.graph is not self:
                raise ValueError(f"Tensor {t.name} must be from the same graph as the new op.")
        with self._lock:
            if name_is_final:
                unique = name
                self._names_in_use.setdefault(name.lower(), 1)
            elif name.endswith("/"):
                unique = name[:-1]
            else:
                self._check_name(name)
                unique = self.unique_name(name)
            controls = [
                op for op in self._current_control_inputs() if op not in {t.op for t in inputs}
            ]
            all_attrs = dict(attrs)
            for key, value in self._attr_scope_map.items():
                if value is None:
                    all_attrs.pop(key, None)
                else:
                    all_attrs[key] = value
            colocation = self._colocation_attr()
            if colocation is not None:
                all_attrs["_class"] = colocation
            device = self._device_stack[-1] if self._device_stack else ""
            op = Operation(
                self, unique, op_type, inputs, output_dtypes, all_attrs, controls, device, op_def
            )
            self._ops.append(op)
            self._ops_by_name[unique] = op
            for t in inputs:
                t._consumers.append(op)
        return op

    def get_operations(self) -> list[Operation]:
        """Every op, in creation order."""
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        """The op named ``name``.

        Raises:
            KeyError: if there is none (TF's wording).
        """
        element = self.as_graph_element(name, allow_tensor=False, allow_operation=True)
        return cast(Operation, element)  # as_graph_element returns only operations here

    def get_tensor_by_name(self, name: str) -> Tensor:
        """The tensor ``"op:index"``.

        Raises:
            KeyError / ValueError: as TF does for unknown or malformed names.
        """
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}.")
        element = self.as_graph_element(name, allow_tensor=True, allow_operation=False)
        return cast(Tensor, element)  # as_graph_element returns only tensors here

    def as_graph_element(
        self, obj: Any, allow_tensor: bool = True, allow_operation: bool = True
    ) -> Tensor | Operation:
        """Resolves a Tensor, Operation, Variable or name into a graph element."""
        if isinstance(obj, Tensor | Operation):
            if obj.graph is not self:
                kind = "Tensor" if isinstance(obj, Tensor) else "Operation"
                raise ValueError(f"{kind} {obj} is not an element of this graph.")
            return obj
        if hasattr(obj, "_as_graph_element"):
            return self.as_graph_element(obj._as_graph_element(), allow_tensor, allow_operation)
        if not isinstance(obj, str):
            raise TypeError(
                f"Can not convert a {type(obj).__name__} into a "
                f"{'Tensor or Operation' if allow_tensor and allow_operation else 'Tensor' if allow_tensor else 'Operation'}."
            )
        return self._element_by_name(obj, allow_tensor, allow_operation)

    def _element_by_name(self, name: str, allow_tensor: bool, allow_operation: bool) -> Any:
        if ":" in name and allow_tensor:
            op_name, _, index = name.rpartition(":")
            try:
                out_index = int(index)
            except ValueError:
                raise ValueError(
                    f"The name {name!r} looks a like a Tensor name, but is not a valid one. "
                    'Tensor names must be of the form "<op_name>:<output_index>".'
                ) from None
            op = self._ops_by_name.get(op_name)
            if op is None:
                raise KeyError(
                    f"The name {name!r} refers to a Tensor which does not exist. The operation, "
                    f"{op_name!r}, does not exist in the graph."
                )
            if out_index >= len(op._outputs):
                raise KeyError(
                    f"The name {name!r} refers to a Tensor which does not exist. The operation, "
                    f"{op_name!r}, exists but only has {len(op._outputs)} outputs."
                )
            return op._outputs[out_index]
        if ":" in name:
            raise ValueError(f"Name {name!r} appears to refer to a Tensor, not a Operation.")
        op = self._ops_by_name.get(name)
        if op is None or not allow_operation:
            if op is not None and allow_tensor:
                raise ValueError(
                    f"The name {name!r} refers to an Operation, not a Tensor. Tensor names must "
                    'be of the form "<op_name>:<output_index>".'
                )
            raise KeyError(f"The name {name!r} refers to an Operation not in the graph.")
        return op

    # -- collections ----------------------------------------------------------------------------

    def add_to_collection(self, name: str, value: Any) -> None:
        """Appends ``value`` to collection ``name``."""
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names: Any, value: Any) -> None:
        """Adds ``value`` to each collection in ``names`` (once each)."""
        names = (names,) if isinstance(names, str) else set(names)
        for name in names:
            self.add_to_collection(name, value)

    def get_collection_ref(self, name: str) -> list[Any]:
        """The live list of a collection (created empty if needed)."""
        return self._collections.setdefault(name, [])

    def get_collection(self, name: str, scope: str | None = None) -> list[Any]:
        """A copy of a collection, optionally filtered by ``re.match(scope, item.name)``."""
        items = list(self._collections.get(name, []))
        if scope is None:
            return items
        regex = re.compile(scope)
        return [i for i in items if hasattr(i, "name") and regex.match(i.name)]

    def get_all_collection_keys(self) -> list[str]:
        """Names of non-empty collections."""
        return [k for k, v in self._collections.items() if v]

    def clear_collection(self, name: str) -> None:
        """Empties a collection."""
        self._collections.pop(name, None)

    # -- state ----------------------------------------------------------------------------------

    @property
    def seed(self) -> int | None:
        """The graph-level random seed."""
        return self._seed

    @seed.setter
    def seed(self, value: int | None) -> None:
        """Sets the graph-level random seed (``tf.set_random_seed``)."""
        self._seed = value

    def finalize(self) -> None:
        """Makes the graph read-only."""
        self._finalized = True

    @property
    def finalized(self) -> bool:
        """True after :meth:`finalize`."""
        return self._finalized

    @property
    def version(self) -> int:
        """Number of ops created so far."""
        return len(self._ops)

    @property
    def graph_def_versions(self) -> Any:
        """The VersionDef written into GraphDefs."""
        versions = graph_pb2.GraphDef().versions
        versions.producer = GRAPH_DEF_VERSION
        return versions

    def as_graph_def(self, from_version: int | None = None, add_shapes: bool = False) -> Any:
        """A GraphDef of the ops (optionally only those created after ``from_version``)."""
        graph_def = graph_pb2.GraphDef()
        graph_def.versions.producer = GRAPH_DEF_VERSION
        for op in self._ops[from_version or 0 :]:
            node = graph_def.node.add()
            node.CopyFrom(op.node_def)
            if add_shapes:
                node.attr["_output_shapes"].CopyFrom(
                    attr_codec.encode("list(shape)", [t.shape for t in op._outputs])
                )
        if self.library is not None:
            graph_def.library.CopyFrom(self.library)
        return graph_def

    @property
    def building_function(self) -> bool:
        """Always False: stowflow graphs are TF1 graphs."""
        return False

    def is_fetchable(self, tensor_or_op: Any) -> bool:
        """True (stowflow has no unfetchable ops)."""
        return True

    def is_feedable(self, tensor: Any) -> bool:
        """True (stowflow allows feeding any tensor)."""
        return True


class _ThreadStack(threading.local):
    """A per-thread stack, as TF keeps its default graph and session stacks."""

    def __init__(self) -> None:
        self.items: list[Any] = []


_default_graph_stacks = _ThreadStack()
_global_default_graph: list[Graph] = []


def get_default_graph() -> Graph:
    """The innermost ``as_default`` graph, or the global default graph."""
    if _default_graph_stacks.items:
        return _default_graph_stacks.items[-1]
    if not _global_default_graph:
        _global_default_graph.append(Graph())
    return _global_default_graph[0]


def reset_default_graph() -> None:
    """Replaces the global default graph with a new empty one.

    Raises:
        AssertionError: inside a ``with graph.as_default()`` block, as TF does.
    """
    if _default_graph_stacks.items:
        raise AssertionError(
            "Do not use tf.reset_default_graph() to clear nested graphs. If you need a cleared "
            "graph, exit the nesting and create a new graph."
        )
    _global_default_graph[:] = [Graph()]


def name_scope(name: str | None, default_name: str | None = None, values: Any = None) -> Any:
    """``tf.name_scope`` (TF1 signature) on the default graph."""
    graph = get_default_graph()
    if values:
        for v in values:
            if isinstance(v, Tensor | Operation):
                graph = v.graph
                break
    return graph.name_scope(name if name is not None else default_name)


def dtype_of(value: Any) -> DType:
    """``value.dtype`` as a DType (helper for builders)."""
    return dtypes.as_dtype(value.dtype)
