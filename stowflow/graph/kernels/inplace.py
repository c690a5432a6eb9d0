"""In-place variants of element-wise kernels, for inputs the executor knows are dead.

When an executor holds the last reference to an input array (nothing later reads it, no
variable, constant or view shares its memory), an element-wise op can write its result
into that array instead of allocating a new one: on a 2-core machine the page faults of a
fresh 50 MB activation cost as much as the arithmetic. Each variant returns ``None`` when
the shapes or dtypes do not allow reuse; the executor then runs the ordinary kernel, which
computes the same values (TF's kernels forward input buffers the same way, see
``OpKernelContext::forward_input_or_allocate_output``).

Only float32/float64 arrays are reused: the ufuncs below compute exactly what the ordinary
kernels compute for them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

InplaceKernel = Callable[[list[Any], dict[str, Any], int], list[Any] | None]

#: op type -> fn(inputs, attrs, reusable_input_index) -> outputs, or None to decline.
INPLACE_KERNELS: dict[str, InplaceKernel] = {}

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def can_overwrite(array: Any, references: int) -> bool:
    """True if ``array`` owns writable, contiguous float memory that only ``references``
    references (the caller's) point at."""
    return (
        type(array) is np.ndarray
        and array.dtype in _FLOATS
        and array.base is None
        and array.flags.writeable
        and array.flags.c_contiguous
        # +2: this function's parameter and getrefcount's own argument
        and sys.getrefcount(array) <= references + 2
    )


def _fits(small: tuple[int, ...], big: tuple[int, ...]) -> bool:
    """True if ``small`` broadcasts to ``big`` by matching trailing dims (scalars, vectors
    along the last axis, equal shapes) - the cases worth a fast check."""
    return len(small) <= len(big) and (not small or big[len(big) - len(small) :] == small)


def _binary(ufunc: Any) -> InplaceKernel:
    def kernel(inputs: list[Any], attrs: dict[str, Any], reuse: int) -> list[Any] | None:
        x, y = inputs
        target = inputs[reuse]
        other = y if reuse == 0 else x
        if not isinstance(other, np.ndarray | np.generic) or other.dtype != target.dtype:
            return None
        if not _fits(other.shape, target.shape):
            return None  # other shapes: the ordinary kernel (and its errors)
        with np.errstate(all="ignore"):
            ufunc(x, y, out=target)
        return [target]

    return kernel


def _unary(fn: Callable[[np.ndarray], None]) -> InplaceKernel:
    def kernel(inputs: list[Any], attrs: dict[str, Any], reuse: int) -> list[Any] | None:
        if reuse != 0:
            return None
        fn(inputs[0])
        return [inputs[0]]

    return kernel


def _relu(x: np.ndarray) -> None:
    np.maximum(x, 0, out=x)


def _relu6(x: np.ndarray) -> None:
    np.clip(x, 0, 6, out=x)  # one pass; NaN stays NaN, as with maximum then minimum


def _bias_add(inputs: list[Any], attrs: dict[str, Any], reuse: int) -> list[Any] | None:
    value, bias = inputs
    fmt = attrs.get("data_format")
    nhwc = fmt is None or (fmt if isinstance(fmt, str) else fmt.decode()) == "NHWC"
    if reuse != 0 or not nhwc or bias.ndim != 1 or value.ndim < 2:
        return None
    if bias.dtype != value.dtype or bias.shape[0] != value.shape[-1]:
        return None
    np.add(value, bias, out=value)
    return [value]


for _name, _ufunc in {
    "Add": np.add,
    "AddV2": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "RealDiv": np.true_divide,
    "Maximum": np.maximum,
    "Minimum": np.minimum,
}.items():
    INPLACE_KERNELS[_name] = _binary(_ufunc)
INPLACE_KERNELS.update(
    {
        "Relu": _unary(_relu),
        "Relu6": _unary(_relu6),
        "Neg": _unary(lambda x: np.negative(x, out=x)),
        "Square": _unary(lambda x: np.square(x, out=x)),
        "Abs": _unary(lambda x: np.abs(x, out=x)),
        "BiasAdd": _bias_add,
    }
)
