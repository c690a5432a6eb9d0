"""TF1 variables: ``tf.Variable`` (reference and resource variables), ``tf.get_variable``.

A reference variable is four ops, named as TensorFlow names them: ``v`` (VariableV2), its
initial value (``v/initial_value`` or ``v/Initializer/...``), ``v/Assign`` (the
initializer) and ``v/read`` (the snapshot every reader uses).

A resource variable (``use_resource=True``, ``tf.enable_resource_variables()``) is TF's
``ResourceVariable`` in graph mode: ``v`` (VarHandleOp, ``shared_name`` = its name),
``v/Initializer/...``, ``v/IsInitialized/VarIsInitializedOp``, ``v/Assign``
(AssignVariableOp) and ``v/Read/ReadVariableOp``; every other use reads afresh with a
``ReadVariableOp`` in the caller's name scope.
"""

from __future__ import annotations

import contextlib
import enum
import logging
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from stowflow import _deprecation, dtypes
from stowflow.graph import initializers as init_ops
from stowflow.graph.builder import apply_op, apply_op_outputs, convert_to_tensor
from stowflow.graph.core import (
    OPERATOR_METHODS,
    Graph,
    GraphKeys,
    Operation,
    Tensor,
    get_default_graph,
)
from stowflow.graph.shape import TensorShape, as_shape
from stowflow.proto import variable_pb2

logger = logging.getLogger("tensorflow")


def _one(op_type: str, inputs: dict[str, Any], attrs: dict[str, Any] | None, name: str) -> Tensor:
    result = apply_op_outputs(op_type, inputs, attrs, name=name)
    return result[0]


class SaveSliceInfo:
    """Where a partition sits inside its full variable (``Variable.SaveSliceInfo``)."""

    def __init__(
        self, full_name: str, full_shape: list[int], var_offset: list[int], var_shape: list[int]
    ) -> None:
        self.full_name = full_name
        self.full_shape = list(full_shape)
        self.var_offset = list(var_offset)
        self.var_shape = list(var_shape)

    @property
    def spec(self) -> str:
        """TF's shape-and-slice string, e.g. ``"5 2 0,3:0,2"``."""
        dims = " ".join(str(d) for d in self.full_shape)
        ext = ":".join(f"{o},{s}" for o, s in zip(self.var_offset, self.var_shape, strict=True))
        return f"{dims} {ext}"

    def to_proto(self) -> Any:
        """A SaveSliceInfoDef."""
        return variable_pb2.SaveSliceInfoDef(
            full_name=self.full_name,
            full_shape=self.full_shape,
            var_offset=self.var_offset,
            var_shape=self.var_shape,
        )


class Variable:
    """A TF1 reference variable (``tf.Variable`` / ``RefVariable``).

    Args:
        initial_value: a value, Tensor, or callable returning one.
        trainable: add to TRAINABLE_VARIABLES.
        collections: collections to add to (default GLOBAL_VARIABLES).
        validate_shape: require assignments to keep the shape.
        name: the variable's op name (made unique).
        dtype: convert the initial value to this type.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """``tf.Variable(..., use_resource=True)`` (or after ``enable_resource_variables``)
        and a resource VariableDef make a :class:`ResourceVariable`, as TF1's VariableV1."""
        if cls is Variable and _wants_resource(args, kwargs):
            return object.__new__(ResourceVariable)
        return object.__new__(cls)

    def __init__(
        self,
        initial_value: Any = None,
        trainable: bool = True,
        collections: list[str] | None = None,
        validate_shape: bool = True,
        caching_device: Any = None,
        name: str | None = None,
        variable_def: Any = None,
        dtype: Any = None,
        expected_shape: Any = None,
        import_scope: str | None = None,
        constraint: Any = None,
        use_resource: Any = None,
        synchronization: Any = None,
        aggregation: Any = None,
        shape: Any = None,
        **_: Any,
    ) -> None:
        self._save_slice_info: SaveSliceInfo | None = None
        self._trainable = trainable
        if variable_def is not None:
            self._init_from_proto(variable_def, import_scope)
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        graph = get_default_graph()
        collections = list(collections) if collections is not None else [GraphKeys.GLOBAL_VARIABLES]
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        with (
            graph.control_dependencies(None),
            graph.name_scope(name or "Variable") as scope,
            contextlib.ExitStack() as loc_scope,
        ):
            if callable(initial_value):
                # TF's RefVariable: the initializer and the VariableV2 carry the variable's
                # colocation group through an attr scope (the variable does not exist yet).
                loc_scope.enter_context(graph._attr_scope({"_class": _loc_attr(scope[:-1])}))
                with graph.name_scope("Initializer"):
                    init_value = initial_value()
                self._initial_value = convert_to_tensor(
                    init_value, dtype=dtype, name="initial_value"
                )
            else:
                self._initial_value = convert_to_tensor(
                    initial_value, dtype=dtype, name="initial_value"
                )
            init_shape = as_shape(shape) if shape is not None else self._initial_value.shape
            if validate_shape and not init_shape.is_fully_defined():
                raise ValueError(
                    f"initial_value must have a shape specified: {self._initial_value!r}"
                )
            base = self._initial_value.dtype.base_dtype
            self._variable = _one(
                "VariableV2",
                {},
                {
                    "shape": init_shape if validate_shape else TensorShape(None),
                    "dtype": base,
                    "container": "",
                    "shared_name": "",
                },
                name=scope,
            )
            loc_scope.close()
            self._variable._shape = init_shape if validate_shape else TensorShape(None)
            with graph.colocate_with(self._variable.op):
                self._initializer_op = _one(
                    "Assign",
                    {"ref": self._variable, "value": self._initial_value},
                    {"validate_shape": validate_shape, "use_locking": True},
                    name="Assign",
                ).op
                self._initializer_op._outputs[0]._shape = self._variable.shape
                self._snapshot = _one("Identity", {"input": self._variable}, None, name="read")
                self._snapshot._shape = self._variable.shape
        graph.add_to_collections(collections, self)

    def _init_from_proto(self, variable_def: Any, import_scope: str | None) -> None:
        graph = get_default_graph()

        def scoped(name: str) -> str:
            return f"{import_scope}/{name}" if import_scope else name

        self._variable = graph.as_graph_element(scoped(variable_def.variable_name))  # type: ignore[assignment]
        self._initializer_op = graph.as_graph_element(scoped(variable_def.initializer_name))  # type: ignore[assignment]
        self._snapshot = graph.as_graph_element(scoped(variable_def.snapshot_name))  # type: ignore[assignment]
        initial: Any = None
        if variable_def.initial_value_name:
            initial = graph.as_graph_element(scoped(variable_def.initial_value_name))
        self._initial_value = initial
        self._trainable = variable_def.trainable
        if variable_def.HasField("save_slice_info_def"):
            info = variable_def.save_slice_info_def
            self._save_slice_info = SaveSliceInfo(
                info.full_name, list(info.full_shape), list(info.var_offset), list(info.var_shape)
            )

    # -- properties -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """``"v:0"``."""
        return self._variable.name

    @property
    def op(self) -> Operation:
        """The VariableV2 op."""
        return self._variable.op

    @property
    def dtype(self) -> dtypes.DType:
        """The reference dtype, e.g. ``float32_ref``."""
        return self._variable.dtype

    @property
    def shape(self) -> TensorShape:
        """The variable's static shape."""
        return self._variable.shape

    def get_shape(self) -> TensorShape:
        """Same as :attr:`shape`."""
        return self.shape

    @property
    def graph(self) -> Graph:
        """The owning graph."""
        return self._variable.graph

    @property
    def device(self) -> str:
        """The variable op's device."""
        return self._variable.device

    @property
    def initializer(self) -> Operation:
        """The op that assigns the initial value."""
        return self._initializer_op

    @property
    def initial_value(self) -> Tensor | None:
        """The initial value tensor."""
        return self._initial_value

    @property
    def trainable(self) -> bool:
        """True if the variable is trainable."""
        return self._trainable

    def value(self) -> Tensor:
        """The snapshot (``v/read``) every reader of the variable uses."""
        return self._snapshot

    def read_value(self) -> Tensor:
        """A fresh read of the variable (an Identity op)."""
        return _one("Identity", {"input": self._variable}, None, name="read")

    def _ref(self) -> Tensor:
        return self._variable

    def _as_tensor(self, as_ref: bool = False) -> Tensor:
        return self._variable if as_ref else self._snapshot

    def _as_graph_element(self) -> Tensor:
        return self._variable

    def eval(self, session: Any = None) -> Any:
        """The current value in ``session`` (or the default session)."""
        from stowflow.graph import session as session_lib

        return session_lib.run_with_default(self._snapshot, None, session, "variable", "eval")

    def assign(
        self,
        value: Any,
        use_locking: bool = False,
        name: str | None = None,
        read_value: bool = True,
    ) -> Any:
        """Assigns ``value``; returns the assigned reference tensor (or the op)."""
        out = assign(self._variable, value, use_locking=use_locking, name=name)
        return out if read_value else out.op

    def assign_add(
        self,
        delta: Any,
        use_locking: bool = False,
        name: str | None = None,
        read_value: bool = True,
    ) -> Any:
        """Adds ``delta`` in place; returns the updated reference (or the op)."""
        out = _update("AssignAdd", self, delta, use_locking, name)
        return out if read_value else out.op

    def assign_sub(
        self,
        delta: Any,
        use_locking: bool = False,
        name: str | None = None,
        read_value: bool = True,
    ) -> Any:
        """Subtracts ``delta`` in place; returns the updated reference (or the op)."""
        out = _update("AssignSub", self, delta, use_locking, name)
        return out if read_value else out.op

    def load(self, value: Any, session: Any = None) -> None:
        """Assigns ``value`` by feeding the initializer (TF1 ``Variable.load``)."""
        from stowflow.graph import session as session_lib

        sess = session or session_lib.get_default_session()
        sess.run(self._initializer_op, {self._initial_value: value})

    def _get_save_slice_info(self) -> SaveSliceInfo | None:
        return self._save_slice_info

    def _set_save_slice_info(self, info: SaveSliceInfo) -> None:
        self._save_slice_info = info

    def to_proto(self, export_scope: str | None = None) -> Any:
        """A VariableDef for MetaGraph collections."""
        proto = variable_pb2.VariableDef(
            variable_name=self._variable.name,
            initializer_name=self._initializer_op.name,
            snapshot_name=self._snapshot.name,
            trainable=self._trainable,
        )
        if self._initial_value is not None:
            proto.initial_value_name = self._initial_value.name
        if self._save_slice_info is not None:
            proto.save_slice_info_def.CopyFrom(self._save_slice_info.to_proto())
        return proto

    @staticmethod
    def from_proto(variable_def: Any, import_scope: str | None = None) -> Variable:
        """Rebuilds a Variable around existing ops from a VariableDef."""
        return Variable(variable_def=variable_def, import_scope=import_scope)

    def __repr__(self) -> str:
        return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"'Variable' object has no attribute '{name}'")


def _install_variable_operators() -> None:
    def make(method: str) -> Callable[..., Any]:
        def operator(self: Variable, *args: Any) -> Any:
            return getattr(self._snapshot, method)(*args)

        return operator

    for method in OPERATOR_METHODS:
        setattr(Variable, method, make(method))


_install_variable_operators()


# -- resource variables -------------------------------------------------------------------------

_RESOURCE_BY_DEFAULT = [
    False
]  # tf.enable_resource_variables() flips it (TF's _DEFAULT_USE_RESOURCE)
_USE_RESOURCE_POSITION = 12  # use_resource's index in Variable.__init__'s positional params
_VARIABLE_DEF_POSITION = 6


def _wants_resource(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    variable_def = kwargs.get("variable_def")
    if variable_def is None and len(args) > _VARIABLE_DEF_POSITION:
        variable_def = args[_VARIABLE_DEF_POSITION]
    if variable_def is not None:
        return bool(getattr(variable_def, "is_resource", False))
    use_resource = kwargs.get("use_resource")
    if use_resource is None and len(args) > _USE_RESOURCE_POSITION:
        use_resource = args[_USE_RESOURCE_POSITION]
    return _RESOURCE_BY_DEFAULT[0] if use_resource is None else bool(use_resource)


def enable_resource_variables() -> None:
    """``tf.enable_resource_variables``: new variables are resource variables by default."""
    _RESOURCE_BY_DEFAULT[0] = True


def disable_resource_variables() -> None:
    """``tf.disable_resource_variables``: new variables are reference variables by default."""
    _RESOURCE_BY_DEFAULT[0] = False


def resource_variables_enabled() -> bool:
    """``tf.resource_variables_enabled``: whether variables default to resource variables."""
    return _RESOURCE_BY_DEFAULT[0]


def _loc_attr(name: str) -> Any:
    from stowflow.graph import attrs as attr_codec

    return attr_codec.encode("list(string)", [f"loc:@{name}"])


def _op(op_type: str, inputs: dict[str, Any], attrs: dict[str, Any], name: str) -> Any:
    """One op: its first output, or the op itself when it has none."""
    result = apply_op(op_type, inputs, attrs, name=name)
    return result[0] if isinstance(result, list) else result


class ResourceVariable(Variable):
    """A TF1 resource variable (``ResourceVariable`` in graph mode).

    Made by ``tf.Variable(..., use_resource=True)``, ``tf.get_variable`` under a resource
    scope, or after :func:`enable_resource_variables`. ``dtype`` is the plain dtype
    (``float32``, not ``float32_ref``); ``handle`` is the DT_RESOURCE tensor of its
    VarHandleOp; each read is a ``ReadVariableOp`` made where it is used.
    """

    def __init__(
        self,
        initial_value: Any = None,
        trainable: bool = True,
        collections: list[str] | None = None,
        validate_shape: bool = True,
        caching_device: Any = None,
        name: str | None = None,
        variable_def: Any = None,
        dtype: Any = None,
        expected_shape: Any = None,
        import_scope: str | None = None,
        constraint: Any = None,
        use_resource: Any = None,
        synchronization: Any = None,
        aggregation: Any = None,
        shape: Any = None,
        **_: Any,
    ) -> None:
        self._save_slice_info = None
        self._trainable = trainable
        if variable_def is not None:
            self._init_from_proto(variable_def, import_scope)
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        graph = get_default_graph()
        collections = list(collections) if collections is not None else [GraphKeys.GLOBAL_VARIABLES]
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        with graph.control_dependencies(None), graph.name_scope(name or "Variable") as scope:
            handle_name = scope[:-1]
            with graph._attr_scope({"_class": _loc_attr(handle_name)}):
                with graph.name_scope("Initializer"):
                    value = initial_value() if callable(initial_value) else initial_value
                    self._initial_value = convert_to_tensor(
                        value, dtype=dtype, name="initial_value"
                    )
                var_shape = as_shape(shape) if shape is not None else self._initial_value.shape
                if validate_shape and not var_shape.is_fully_defined():
                    raise ValueError(
                        f"initial_value must have a shape specified: {self._initial_value!r}"
                    )
                if not validate_shape:
                    var_shape = TensorShape(None)
                self._dtype = self._initial_value.dtype.base_dtype
                self._handle = _op(
                    "VarHandleOp",
                    {},
                    {
                        "dtype": self._dtype,
                        "shape": var_shape,
                        "shared_name": handle_name,
                        "container": "",
                        "debug_name": scope,
                    },
                    name=scope,
                )
            self._shape = var_shape
            with graph.name_scope("IsInitialized"):
                self._is_initialized_op = _op(
                    "VarIsInitializedOp", {"resource": self._handle}, {}, "VarIsInitializedOp"
                )
            with graph.name_scope("Assign") as assign_scope:
                with graph.colocate_with(None, ignore_existing=True):
                    self._initializer_op = _op(
                        "AssignVariableOp",
                        {"resource": self._handle, "value": self._initial_value},
                        {"dtype": self._dtype},
                        assign_scope,
                    )
            with graph.name_scope("Read"):
                self._graph_element = self._read("ReadVariableOp")
        graph.add_to_collections(collections, self)

    def _init_from_proto(self, variable_def: Any, import_scope: str | None) -> None:
        graph = get_default_graph()

        def scoped(name: str) -> str:
            return f"{import_scope}/{name}" if import_scope else name

        self._handle = graph.as_graph_element(scoped(variable_def.variable_name))  # type: ignore[assignment]
        self._initializer_op = graph.as_graph_element(scoped(variable_def.initializer_name))  # type: ignore[assignment]
        self._graph_element = graph.as_graph_element(scoped(variable_def.snapshot_name))  # type: ignore[assignment]
        self._initial_value = (
            graph.as_graph_element(scoped(variable_def.initial_value_name))  # type: ignore[assignment]
            if variable_def.initial_value_name
            else None
        )
        self._trainable = variable_def.trainable
        self._dtype = dtypes.as_dtype(self._handle.op.get_attr("dtype"))
        declared = self._handle.op.get_attr("shape")
        self._shape = declared if isinstance(declared, TensorShape) else as_shape(declared)
        if variable_def.HasField("save_slice_info_def"):
            info = variable_def.save_slice_info_def
            self._save_slice_info = SaveSliceInfo(
                info.full_name, list(info.full_shape), list(info.var_offset), list(info.var_shape)
            )

    def _read(self, name: str) -> Tensor:
        out = _op("ReadVariableOp", {"resource": self._handle}, {"dtype": self._dtype}, name)
        out._shape = self._shape
        return out

    # -- properties -------------------------------------------------------------------------

    @property
    def handle(self) -> Tensor:
        """The DT_RESOURCE output of the VarHandleOp."""
        return self._handle

    @property
    def name(self) -> str:
        """``"v:0"``."""
        return self._handle.name

    @property
    def op(self) -> Operation:
        """The VarHandleOp."""
        return self._handle.op

    @property
    def dtype(self) -> dtypes.DType:
        """The variable's dtype (never a ``_ref`` type)."""
        return self._dtype

    @property
    def shape(self) -> TensorShape:
        """The variable's static shape."""
        return self._shape

    @property
    def device(self) -> str:
        """The VarHandleOp's device."""
        return self._handle.device

    @property
    def graph(self) -> Graph:
        """The owning graph."""
        return self._handle.graph

    @property
    def create(self) -> Operation:
        """The initializer op (TF's alias)."""
        return self._initializer_op

    def value(self) -> Tensor:
        """A fresh read (``ReadVariableOp`` in the current name scope, not colocated)."""
        with self.graph.colocate_with(None, ignore_existing=True):
            return self._read("ReadVariableOp")

    def read_value(self) -> Tensor:
        """``Read/ReadVariableOp`` followed by an ``Identity``, as TF's ``read_value``."""
        from stowflow.graph import array_ops

        with self.graph.name_scope("Read"):
            value = self._read("ReadVariableOp")
        return array_ops.identity(value)

    def is_initialized(self, name: str | None = None) -> Tensor:
        """A bool scalar: has the variable a value in the Session?"""
        return _op(
            "VarIsInitializedOp", {"resource": self._handle}, {}, name or "VarIsInitializedOp"
        )

    def _ref(self) -> Tensor:
        return self._handle

    def _as_tensor(self, as_ref: bool = False) -> Tensor:
        return self._handle if as_ref else self.value()

    def _as_graph_element(self) -> Tensor:
        return self._graph_element

    def eval(self, session: Any = None) -> Any:
        """The current value in ``session`` (or the default session)."""
        from stowflow.graph import session as session_lib

        return session_lib.run_with_default(self._graph_element, None, session, "variable", "eval")

    def _update(
        self, op_type: str, value: Any, name: str | None, read_value: bool, extra: dict[str, Any]
    ) -> Any:
        graph = self.graph
        value_t = convert_to_tensor(value, dtype=self._dtype)
        if not self._shape.is_compatible_with(value_t.shape):
            raise ValueError(
                f"Cannot assign value to variable ' {self.op.name}': Shape mismatch.The variable "
                f"shape {self._shape}, and the assigned value shape {value_t.shape} are "
                "incompatible."
            )
        update = _op(
            op_type,
            {"resource": self._handle, "value": value_t},
            {"dtype": self._dtype, **extra},
            name or op_type,
        )
        if not read_value:
            return update
        with graph.control_dependencies([update]):
            return _UnreadVariable(self, update, self._read("ReadVariableOp"))

    def assign(
        self, value: Any, use_locking: Any = None, name: str | None = None, read_value: bool = True
    ) -> Any:
        """``AssignVariableOp``; returns a read made after it (or the op)."""
        return self._update("AssignVariableOp", value, name, read_value, {"validate_shape": True})

    def assign_add(
        self, delta: Any, use_locking: Any = None, name: str | None = None, read_value: bool = True
    ) -> Any:
        """``AssignAddVariableOp``; returns a read made after it (or the op)."""
        return self._update("AssignAddVariableOp", delta, name, read_value, {})

    def assign_sub(
        self, delta: Any, use_locking: Any = None, name: str | None = None, read_value: bool = True
    ) -> Any:
        """``AssignSubVariableOp``; returns a read made after it (or the op)."""
        return self._update("AssignSubVariableOp", delta, name, read_value, {})

    def to_proto(self, export_scope: str | None = None) -> Any:
        """A VariableDef (``is_resource: true``) for MetaGraph collections."""
        proto = variable_pb2.VariableDef(
            variable_name=self._handle.name,
            initializer_name=self._initializer_op.name,
            snapshot_name=self._graph_element.name,
            is_resource=True,
            trainable=self._trainable,
        )
        if self._initial_value is not None:
            proto.initial_value_name = self._initial_value.name
        if self._save_slice_info is not None:
            proto.save_slice_info_def.CopyFrom(self._save_slice_info.to_proto())
        return proto

    def __repr__(self) -> str:
        return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"'ResourceVariable' object has no attribute '{name}'")


class _UnreadVariable:
    """What a resource variable's ``assign*`` returns (TF's ``_UnreadVariable``, graph mode).

    It converts to the read made right after the update, while its ``op`` is the update
    itself: ``tf.group(v.assign(x))`` waits for the AssignVariableOp, as in TF.
    """

    def __init__(self, variable: ResourceVariable, update: Operation, read: Tensor) -> None:
        self._variable = variable
        self._parent_op = update
        self._read = read

    @property
    def op(self) -> Operation:
        """The update op."""
        return self._parent_op

    @property
    def handle(self) -> Tensor:
        """The variable's handle."""
        return self._variable.handle

    @property
    def name(self) -> str:
        """The name of the variable's handle (TF's)."""
        return self._variable.name

    @property
    def dtype(self) -> dtypes.DType:
        """The variable's dtype."""
        return self._variable.dtype

    @property
    def shape(self) -> TensorShape:
        """The variable's shape."""
        return self._variable.shape

    @property
    def graph(self) -> Graph:
        """The owning graph."""
        return self._variable.graph

    def value(self) -> Tensor:
        """The read made after the update."""
        return self._read

    def _as_tensor(self, as_ref: bool = False) -> Tensor:
        return self._variable.handle if as_ref else self._read

    def _as_graph_element(self) -> Tensor:
        return self._read

    def eval(self, session: Any = None) -> Any:
        """The value after the update, in ``session`` (or the default session)."""
        return self._read.eval(session=session)

    def __repr__(self) -> str:
        return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"


def _install_resource_operators() -> None:
    def make(method: str) -> Callable[..., Any]:
        def operator(self: Any, *args: Any) -> Any:
            return getattr(self.value(), method)(*args)

        return operator

    for method in OPERATOR_METHODS:
        setattr(ResourceVariable, method, make(method))
        setattr(_UnreadVariable, method, make(method))


_install_resource_operators()


def assign(
    ref: Any,
    value: Any,
    validate_shape: Any = None,
    use_locking: Any = None,
    name: str | None = None,
) -> Tensor:
    """``tf.assign``: stores ``value`` in the reference ``ref``; returns ``ref`` after it."""
    target = ref._ref() if isinstance(ref, Variable) else ref
    attrs: dict[str, Any] = {}
    if validate_shape is not None:
        attrs["validate_shape"] = validate_shape
    if use_locking is not None:
        attrs["use_locking"] = use_locking
    out = _one("Assign", {"ref": target, "value": value}, attrs, name or "Assign")
    out._shape = target.shape
    return out


def _update(op_type: str, ref: Any, value: Any, use_locking: Any, name: str | None) -> Tensor:
    target = ref._ref() if isinstance(ref, Variable) else ref
    attrs = {} if use_locking is None else {"use_locking": use_locking}
    out = _one(op_type, {"ref": target, "value": value}, attrs, name or op_type)
    out._shape = target.shape
    return out


def assign_add(ref: Any, value: Any, use_locking: Any = None, name: str | None = None) -> Tensor:
    """``tf.assign_add``: ``ref += value``; returns ``ref`` after the update."""
    return _update("AssignAdd", ref, value, use_locking, name)


def assign_sub(ref: Any, value: Any, use_locking: Any = None, name: str | None = None) -> Tensor:
    """``tf.assign_sub``: ``ref -= value``; returns ``ref`` after the update."""
    return _update("AssignSub", ref, value, use_locking, name)


# -- collections helpers ------------------------------------------------------------------------


def global_variables(scope: str | None = None) -> list[Variable]:
    """``tf.global_variables``."""
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def all_variables() -> list[Variable]:
    """Deprecated alias of :func:`global_variables` (logs TF's deprecation warning)."""
    _deprecation.warn(
        "all_variables",
        "tensorflow.python.ops.variables",
        "Please use tf.global_variables instead.",
        date="2017-03-02",
    )
    return global_variables()


def trainable_variables(scope: str | None = None) -> list[Variable]:
    """``tf.trainable_variables``."""
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope: str | None = None) -> list[Variable]:
    """``tf.local_variables``."""
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def moving_average_variables(scope: str | None = None) -> list[Variable]:
    """``tf.moving_average_variables``."""
    return get_default_graph().get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)


def variables_initializer(var_list: list[Any], name: str = "init") -> Operation:
    """A NoOp running every variable's initializer (``tf.variables_initializer``)."""
    from stowflow.graph import array_ops

    inits = [v.initializer for v in var_list]
    return array_ops.group(*inits, name=name) if inits else array_ops.no_op(name=name)


def global_variables_initializer() -> Operation:
    """``tf.global_variables_initializer``."""
    return variables_initializer(global_variables())


def local_variables_initializer() -> Operation:
    """``tf.local_variables_initializer``."""
    return variables_initializer(local_variables(), name="init")


def initialize_all_variables() -> Operation:
    """Deprecated alias of :func:`global_variables_initializer`."""
    # TF reports this one from inside TF (tf_should_use.py), not from the caller.
    _deprecation.warn(
        "initialize_all_variables",
        "tensorflow.python.ops.variables",
        "Use `tf.global_variables_initializer` instead.",
        date="2017-03-02",
        caller_depth=1,
    )
    return global_variables_initializer()


def is_variable_initialized(variable: Any) -> Tensor:
    """A bool tensor: has ``variable`` been initialized?"""
    if isinstance(variable, ResourceVariable):
        return variable.is_initialized()
    return _one("IsVariableInitialized", {"ref": variable._ref()}, None, "IsVariableInitialized")


def report_uninitialized_variables(
    var_list: list[Any] | None = None, name: str = "report_uninitialized_variables"
) -> Tensor:
    """A string vector of the names of uninitialized variables."""
    from stowflow.graph import array_ops, math_ops

    var_list = global_variables() if var_list is None else var_list
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        if not var_list:
            return array_ops.constant_strings([], name=scope)
        mask = math_ops.logical_not(array_ops.stack([is_variable_initialized(v) for v in var_list]))
        names = array_ops.constant_strings([v.op.name for v in var_list], name="Const")
        return array_ops.boolean_mask(names, mask, name=scope)


# -- get_variable and variable scopes -----------------------------------------------------------


class VariableScope:
    """A TF1 variable scope: a name prefix plus defaults for ``get_variable``."""

    def __init__(
        self,
        name: str,
        reuse: Any = False,
        initializer: Any = None,
        partitioner: Any = None,
        dtype: Any = dtypes.float32,
        use_resource: Any = None,
    ) -> None:
        self.name = name
        self.reuse = reuse
        self.initializer = initializer
        self.partitioner = partitioner
        self.dtype = dtype
        self.use_resource = use_resource
        self.original_name_scope = name + "/" if name else ""

    def reuse_variables(self) -> None:
        """Sets ``reuse=True`` for the rest of this scope."""
        self.reuse = True

    def set_use_resource(self, use_resource: bool) -> None:
        """New variables in this scope are resource variables when ``use_resource``."""
        self.use_resource = use_resource


class _ReuseMode(enum.Enum):
    """TF's reuse modes beyond True/False (``tf.AUTO_REUSE``)."""

    AUTO_REUSE = 1


AUTO_REUSE = _ReuseMode.AUTO_REUSE


def _store(graph: Graph) -> dict[str, Any]:
    if graph._variable_store is None:
        graph._variable_store = {}
    return graph._variable_store


def get_variable_scope() -> VariableScope:
    """The current variable scope."""
    graph = get_default_graph()
    if graph._var_scope is None:
        graph._var_scope = VariableScope("")
    return graph._var_scope


@contextlib.contextmanager
def variable_scope(
    name_or_scope: Any,
    default_name: str | None = None,
    values: Any = None,
    initializer: Any = None,
    regularizer: Any = None,
    caching_device: Any = None,
    partitioner: Any = None,
    custom_getter: Any = None,
    reuse: Any = None,
    dtype: Any = None,
    use_resource: Any = None,
    constraint: Any = None,
    auxiliary_name_scope: bool = True,
) -> Iterator[VariableScope]:
    """``tf.variable_scope``: prefixes ``get_variable`` names and opens a name scope."""
    graph = get_default_graph()
    outer = get_variable_scope()
    if isinstance(name_or_scope, VariableScope):
        full = name_or_scope.name
        name_scope_name = name_or_scope.original_name_scope
    else:
        short = name_or_scope if name_or_scope is not None else default_name
        if short is None:
            raise ValueError("variable_scope needs name_or_scope or default_name")
        if name_or_scope is None:
            short = _unique_scope_name(graph, outer.name, short)
        full = f"{outer.name}/{short}" if outer.name else short
        name_scope_name = short
    scope = VariableScope(
        full,
        reuse=reuse or outer.reuse,  # reuse is inherited: a sub-scope cannot turn it off
        initializer=initializer if initializer is not None else outer.initializer,
        partitioner=partitioner if partitioner is not None else outer.partitioner,
        dtype=dtype if dtype is not None else outer.dtype,
        use_resource=_scope_use_resource(use_resource, name_or_scope, outer),
    )
    if isinstance(name_or_scope, VariableScope):
        # Re-entering a scope object keeps the name scope it was captured with (TF).
        scope.original_name_scope = name_or_scope.original_name_scope
    graph._var_scope = scope
    counts = _scope_counts(graph)
    counts[full] = counts.get(full, 0) + 1
    # TF's _VariableScopeStore: re-entering a scope object restores the counts on exit;
    # leaving a scope opened by name forgets the sub-scopes opened inside it.
    snapshot = dict(counts) if isinstance(name_or_scope, VariableScope) else None
    try:
        if auxiliary_name_scope:
            with graph.name_scope(name_scope_name) as ns:
                scope.original_name_scope = ns
                yield scope
        else:
            yield scope
    finally:
        graph._var_scope = outer
        if snapshot is not None:
            counts.clear()
            counts.update(snapshot)
        else:
            prefix = full + "/"
            for key in counts:
                if key.startswith(prefix):
                    counts[key] = 0


def _scope_use_resource(explicit: Any, name_or_scope: Any, outer: VariableScope) -> Any:
    """The explicit flag, else a re-entered scope's own, else the enclosing scope's."""
    if explicit is not None:
        return explicit
    if isinstance(name_or_scope, VariableScope) and name_or_scope.use_resource is not None:
        return name_or_scope.use_resource
    return outer.use_resource


def _scope_counts(graph: Graph) -> dict[str, int]:
    """How often each variable scope was opened (TF's ``variable_scopes_count``)."""
    counts = getattr(graph, "_variable_scope_counts", None)
    if counts is None:
        counts = {}
        graph._variable_scope_counts = counts  # type: ignore[attr-defined]
    return counts


def _unique_scope_name(graph: Graph, outer: str, base: str) -> str:
    """``base`` or ``base_<n>``: the first not opened yet in the current scope (TF's
    ``_get_unique_variable_scope``)."""
    counts = _scope_counts(graph)
    prefix = f"{outer}/" if outer else ""
    if counts.get(prefix + base, 0) == 0:
        return base
    n = 1
    while counts.get(f"{prefix}{base}_{n}", 0) > 0:
        n += 1
    return f"{base}_{n}"


def get_variable(
    name: str,
    shape: Any = None,
    dtype: Any = None,
    initializer: Any = None,
    regularizer: Any = None,
    trainable: bool | None = None,
    collections: list[str] | None = None,
    caching_device: Any = None,
    partitioner: Any = None,
    validate_shape: bool = True,
    use_resource: Any = None,
    custom_getter: Any = None,
    constraint: Any = None,
    **_: Any,
) -> Any:
    """``tf.get_variable``: creates or (with reuse) returns a variable by full name.

    Raises:
        ValueError: TF's messages for an existing variable without reuse, a missing one
            with reuse, or a shape/dtype mismatch.
    """
    scope = get_variable_scope()
    full_name = f"{scope.name}/{name}" if scope.name else name
    store = _store(get_default_graph())
    existing = store.get(full_name)
    reuse = scope.reuse
    if existing is not None:
        if not reuse:
            raise ValueError(
                f"Variable {full_name} already exists, disallowed. Did you mean to set "
                "reuse=True or reuse=tf.AUTO_REUSE in VarScope?"
            )
        if shape is not None and not as_shape(shape).is_compatible_with(existing.get_shape()):
            raise ValueError(
                f"Trying to share variable {full_name}, but specified shape {as_shape(shape)} "
                f"and found shape {existing.get_shape()}."
            )
        found = existing.dtype.base_dtype
        if dtype is not None and dtypes.as_dtype(dtype).base_dtype != found:
            raise ValueError(
                f"Trying to share variable {full_name}, but specified dtype "
                f"{dtypes.as_dtype(dtype).name} and found dtype {found.name}."
            )
        return existing
    if reuse is True:
        raise ValueError(
            f"Variable {full_name} does not exist, or was not created with tf.get_variable(). "
            "Did you mean to set reuse=tf.AUTO_REUSE in VarScope?"
        )
    tf_dtype = dtypes.as_dtype(dtype if dtype is not None else scope.dtype)
    initializer = initializer if initializer is not None else scope.initializer
    partitioner = partitioner if partitioner is not None else scope.partitioner
    from_value = isinstance(initializer, np.ndarray | np.generic | list | int | float | Tensor)
    if from_value and shape is not None and validate_shape:
        raise ValueError("If initializer is a constant, do not specify shape.")
    if from_value:
        value = initializer
        init_fn: Callable[..., Any] = lambda *a, **k: value  # noqa: E731
        if shape is None:
            shape = np.shape(value) if not isinstance(value, Tensor) else value.shape.as_list()
    else:
        init_fn = init_ops.resolve(initializer, tf_dtype)
    if shape is None:
        raise ValueError(
            f"Shape of a new variable ({full_name}) must be fully defined, but "
            "instead was <unknown>."
        )
    full_shape = as_shape(shape).as_list()
    trainable = True if trainable is None else trainable
    if use_resource is None:
        use_resource = scope.use_resource
    if use_resource is None:
        use_resource = _RESOURCE_BY_DEFAULT[0]
    if partitioner is not None:
        from stowflow.graph import partitioned

        var: Any = partitioned.create(
            full_name, full_shape, tf_dtype, init_fn, partitioner, trainable, collections
        )
    else:
        # TF creates the variable from the root name scope under its full name.
        with get_default_graph().name_scope(None):
            var = Variable(
                initial_value=lambda: init_fn(full_shape, tf_dtype),
                name=full_name,
                trainable=trainable,
                collections=collections,
                # A value initializer keeps its own dtype (TF passes dtype=None then).
                dtype=None if from_value else tf_dtype,
                validate_shape=validate_shape,
                use_resource=use_resource,
            )
    store[full_name] = var
    return var
