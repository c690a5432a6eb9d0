"""Shared pieces of the nn kernels: window geometry (TF's padding rules), attrs, errors.

TF facts (tensorflow/core/framework/kernel_shape_util.cc, GetWindowedOutputSizeVerbose):
with effective window ``k' = (k - 1) * dilation + 1``,
- VALID: ``out = (in - k' + stride) // stride``, no padding;
- SAME: ``out = ceil(in / stride)``, total padding ``max(0, (out - 1) * stride + k' - in)``,
  the smaller half before;
- EXPLICIT: ``out = (in + before + after - k' + stride) // stride``.
A negative ``out`` is an error; zero is an empty output.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import ml_dtypes
import numpy as np

from stowflow.errors import UnimplementedError
from stowflow.graph.kernels.math_kernels import invalid, shape_str

Array = np.ndarray
Attrs = dict[str, Any]

__all__ = [
    "Array",
    "Attrs",
    "Window",
    "compute_dtype",
    "explicit_pairs",
    "require_rank",
    "invalid",
    "parallel",
    "shape_str",
    "text",
    "unimplemented",
    "window",
]


def unimplemented(message: str) -> UnimplementedError:
    """An UnimplementedError carrying ``message`` (TF's text for unsupported CPU cases)."""
    return UnimplementedError(None, None, message)


def text(value: Any, default: str = "") -> str:
    """A string attr (bytes when decoded from a NodeDef) as ``str``."""
    if value is None:
        return default
    return value.decode() if isinstance(value, bytes) else str(value)


class Window(NamedTuple):
    """One spatial dimension of a sliding window: output size and padding either side."""

    out: int
    before: int
    after: int


def window(
    size: int,
    k: int,
    stride: int,
    dilation: int,
    padding: str,
    explicit: tuple[int, int] = (0, 0),
) -> Window:
    """The output size and padding of one spatial dimension, as TF computes them.

    Raises:
        InvalidArgumentError: when the output size would be negative.
    """
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = -(-size // stride)
        total = max(0, (out - 1) * stride + eff - size)
        return Window(out, total // 2, total - total // 2)
    before, after = explicit if padding == "EXPLICIT" else (0, 0)
    out = (size + before + after - eff + stride) // stride
    if out < 0:
        raise invalid(
            f"Computed output size would be negative: {out} [input_size: {size}, "
            f"effective_filter_size: {eff}, stride: {stride}]"
        )
    return Window(out, before, after)


def explicit_pairs(attrs: Attrs, rank: int) -> list[tuple[int, int]]:
    """``explicit_paddings`` as (before, after) per dimension; zeros when unused.

    Raises:
        InvalidArgumentError: for a wrong length or a negative padding.
    """
    flat = [int(p) for p in attrs.get("explicit_paddings") or []]
    if text(attrs.get("padding")) != "EXPLICIT":
        if flat:
            raise invalid(
                "explicit_paddings attribute must be empty if the padding attribute is not EXPLICIT"
            )
        return [(0, 0)] * rank
    if len(flat) != 2 * rank:
        raise invalid(
            f"explicit_paddings attribute must contain {2 * rank} values, but got: {len(flat)}"
        )
    if any(p < 0 for p in flat):
        raise invalid("All elements of explicit_paddings must be nonnegative")
    return [(flat[2 * i], flat[2 * i + 1]) for i in range(rank)]


# Half-precision inputs are computed in float32 and rounded once at the end, as Eigen's
# half and bfloat16 paths accumulate in float.
_WIDEN = {np.dtype(np.float16): np.float32, np.dtype(ml_dtypes.bfloat16): np.float32}


def compute_dtype(dtype: np.dtype) -> Any:
    """The dtype arithmetic on ``dtype`` runs in: float32 for half types, else itself."""
    return _WIDEN.get(np.dtype(dtype), dtype)


def require_rank(x: Array, rank: int, what: str) -> None:
    """Raises InvalidArgumentError(``what`` + shape) unless ``x`` has ``rank`` dims."""
    if x.ndim != rank:
        raise invalid(f"{what}{shape_str(x.shape)}")


_POOL: list[ThreadPoolExecutor] = []
_CPUS = os.cpu_count() or 1  # os.cpu_count() reads /sys on every call


_INLINE_WORK = 1 << 18  # elements below which handing work to threads costs more than it saves


def parallel(fn: Callable[[int, int], None], n: int, work: int | None = None) -> None:
    """Runs ``fn(start, stop)`` over ``range(n)`` split into one part per CPU, on threads.

    NumPy releases the GIL inside its loops, so element-wise work on large blocks runs on
    every core. ``work`` (elements touched) below ``_INLINE_WORK`` runs inline: a batch-1
    call's small blocks are faster without the queue and lock round trips. Exceptions
    propagate to the caller.
    """
    workers = 1 if work is not None and work < _INLINE_WORK else min(_CPUS, n)
    if workers <= 1:
        fn(0, n)
        return
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(_CPUS, thread_name_prefix="stowflow-nn"))
    bounds = [n * i // workers for i in range(workers + 1)]
    futures = [_POOL[0].submit(fn, bounds[i], bounds[i + 1]) for i in range(workers)]
    for f in futures:
        f.result()
