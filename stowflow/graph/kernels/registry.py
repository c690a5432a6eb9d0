"""Kernel and shape-function registries, keyed by TensorFlow's exact op type.

A kernel is a pure function ``fn(inputs, attrs) -> list of outputs``: ``inputs`` is a
list of NumPy arrays (a list-typed input such as AddN's arrives as a Python list of
arrays), ``attrs`` a dict of decoded attr values (see ``stowflow.graph.attrs``). Kernels
raise ``stowflow.errors`` exceptions; the Session adds the failing node's name.

A shape function is ``fn(op) -> list of TensorShape`` for the op's outputs, given the
``Operation`` (its ``inputs`` carry static shapes and ``op.get_attr`` the attrs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stowflow.errors import NotFoundError

Kernel = Callable[[list[Any], dict[str, Any]], list[Any]]
ShapeFn = Callable[[Any], list[Any]]

KERNELS: dict[str, Kernel] = {}
SHAPE_FNS: dict[str, ShapeFn] = {}


def _register(table: dict[str, Any], kind: str, op_types: tuple[str, ...]) -> Callable[[Any], Any]:
    def decorate(fn: Any) -> Any:
        for op_type in op_types:
            if op_type in table:
                raise ValueError(f"{kind} for op type {op_type!r} is already registered")
            table[op_type] = fn
        return fn

    return decorate


def register_kernel(*op_types: str) -> Callable[[Kernel], Kernel]:
    """Registers a kernel for one or more op types; registering twice raises ValueError."""
    return _register(KERNELS, "kernel", op_types)


def register_shape(*op_types: str) -> Callable[[ShapeFn], ShapeFn]:
    """Registers a static shape function for one or more op types."""
    return _register(SHAPE_FNS, "shape function", op_types)


def get_kernel(op_type: str) -> Kernel:
    """The kernel of ``op_type``.

    Raises:
        NotFoundError: naming the op type when stowflow has no kernel for it.
    """
    try:
        return KERNELS[op_type]
    except KeyError:
        raise NotFoundError(
            None, None, f"No kernel registered for op type '{op_type}' in stowflow"
        ) from None
