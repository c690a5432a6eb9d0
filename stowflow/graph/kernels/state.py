"""Kernels that need Session state: variables, placeholders, per-op random state.

Each is ``fn(state, op, inputs) -> outputs`` where ``inputs`` may still hold variable
references (:class:`VarRef`); everything else in ``stowflow.graph.kernels`` is a pure
function of (inputs, attrs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from stowflow.graph.file_policy import UNRESTRICTED, FilePolicy
from stowflow.graph.kernels.registry import _register

StatefulKernel = Callable[["SessionState", Any, list[Any]], list[Any]]
STATEFUL_KERNELS: dict[str, StatefulKernel] = {}


class VarRef:
    """A TF1 reference to a variable slot in a Session (the value of a ``*_ref`` tensor)."""

    __slots__ = ("key", "name")

    def __init__(self, key: str, name: str) -> None:
        self.key = key
        self.name = name


class ResourceHandle:
    """A resource variable handle (the value of a DT_RESOURCE tensor)."""

    __slots__ = ("key", "name")

    def __init__(self, key: str, name: str) -> None:
        self.key = key
        self.name = name


class SessionState:
    """Variable storage, per-op state and the file-access policy owned by one Session."""

    def __init__(self) -> None:
        self.variables: dict[str, np.ndarray] = {}
        self.per_op: dict[str, Any] = {}
        #: What file-touching kernels may open (see ``stowflow.graph.file_policy``).
        self.file_policy: FilePolicy = UNRESTRICTED

    def deref(self, value: Any, tensor: Any = None) -> Any:
        """The array behind a VarRef (raising TF's uninitialized error), else ``value``."""
        if isinstance(value, VarRef):
            try:
                return self.variables[value.key]
            except KeyError:
                raise FailedPreconditionError(
                    None, None, f"Attempting to use uninitialized value {value.name}"
                ) from None
        return value


def stateful(*op_types: str) -> Callable[[StatefulKernel], StatefulKernel]:
    """Registers a Session-state kernel; registering twice raises ValueError."""
    return _register(STATEFUL_KERNELS, "stateful kernel", op_types)


def _var_key(op: Any) -> str:
    shared = op.get_attr("shared_name")
    return shared.decode() if shared else op.name


@stateful("VariableV2", "Variable")
def _variable(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    return [VarRef(_var_key(op), op.name)]


def _check_assign(op: Any, ref: VarRef, value: np.ndarray, state: SessionState) -> None:
    validate = op.get_attr("validate_shape") if "validate_shape" in op._attrs else True
    declared = op.inputs[0].shape
    if validate and declared.ndims is not None and not declared.is_compatible_with(value.shape):
        raise InvalidArgumentError(
            None,
            None,
            "Assign requires shapes of both tensors to match. lhs shape= "
            f"{list(declared.as_list())} rhs shape= {list(value.shape)}",
        )


@stateful("Assign")
def _assign(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    ref, value = inputs[0], state.deref(inputs[1])
    value = np.array(value, dtype=op.inputs[0].dtype.base_dtype.as_numpy_dtype, copy=True)
    _check_assign(op, ref, value, state)
    state.variables[ref.key] = value
    return [ref]


def _update(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> StatefulKernel:
    def kernel(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
        ref = inputs[0]
        current = state.deref(ref)
        delta = np.asarray(state.deref(inputs[1]))
        if current.shape != delta.shape:
            raise InvalidArgumentError(
                None,
                None,
                f"Must have updates.shape = ref.shape: {list(delta.shape)} vs "
                f"{list(current.shape)}",
            )
        state.variables[ref.key] = fn(current, delta).astype(current.dtype)
        return [ref]

    return kernel


stateful("AssignAdd")(_update(np.add))
stateful("AssignSub")(_update(np.subtract))


@stateful("IsVariableInitialized")
def _is_initialized(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    return [np.array(inputs[0].key in state.variables)]


@stateful("VarHandleOp")
def _var_handle(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    return [ResourceHandle(_var_key(op), op.name)]


@stateful("ReadVariableOp")
def _read_variable(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    handle = inputs[0]
    if handle.key not in state.variables:
        raise FailedPreconditionError(
            None,
            None,
            f"Could not find variable {handle.key}. This could mean that the "
            "variable has been deleted. In TF1, it can also mean the variable is uninitialized.",
        )
    return [state.variables[handle.key]]


@stateful("AssignVariableOp")
def _assign_variable(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    value = np.array(state.deref(inputs[1]), copy=True)
    state.variables[inputs[0].key] = value
    return []


def _missing_resource(state: SessionState, key: str) -> str:
    """TF's words for a resource that was never created in this Session's container."""
    if not state.variables:
        return f"Container localhost does not exist. (Could not find resource: localhost/{key})"
    return f"Resource localhost/{key}/N10tensorflow3VarE does not exist."


def _update_variable(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> StatefulKernel:
    """AssignAddVariableOp / AssignSubVariableOp: in-place update of a resource variable."""

    def kernel(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
        handle = inputs[0]
        if handle.key not in state.variables:
            raise NotFoundError(None, None, _missing_resource(state, handle.key))
        current = state.variables[handle.key]
        delta = np.asarray(state.deref(inputs[1]))
        if current.shape != delta.shape:
            raise InvalidArgumentError(
                None,
                None,
                f"Cannot update variable with shape [{','.join(map(str, current.shape))}] "
                f"using a Tensor with shape [{','.join(map(str, delta.shape))}], "
                "shapes must be equal.",
            )
        state.variables[handle.key] = fn(current, delta.astype(current.dtype)).astype(current.dtype)
        return []

    return kernel


stateful("AssignAddVariableOp")(_update_variable(np.add))
stateful("AssignSubVariableOp")(_update_variable(np.subtract))


@stateful("VarIsInitializedOp")
def _var_is_initialized(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    return [np.array(inputs[0].key in state.variables)]


@stateful("Placeholder")
def _placeholder(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    dtype = op.get_attr("dtype")
    shape = op.get_attr("shape")
    shown = (
        ""
        if shape.dims is None
        else " and shape [" + ",".join("?" if d is None else str(d) for d in shape.dims) + "]"
    )
    raise InvalidArgumentError(
        None,
        None,
        f"You must feed a value for placeholder tensor '{op.name}' with dtype "
        f"{dtypes.as_dtype(dtype).type_string}{shown}",
    )


@stateful("DisableCopyOnRead")
def _disable_copy_on_read(state: SessionState, op: Any, inputs: list[Any]) -> list[Any]:
    return []  # copy-on-read is a TF memory optimisation; values here are never aliased
