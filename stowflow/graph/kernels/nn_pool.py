"""Pooling kernels: MaxPool, MaxPoolV2, AvgPool (NHWC), vectorised one window tap at a time.

TF facts (tensorflow/core/kernels/maxpooling_op.cc, avgpooling_op.cc, pooling_ops_common.cc):
- the CPU kernels take NHWC only and never pool over the batch;
- max pooling starts from the dtype's lowest finite value and keeps ``a > b`` winners, so NaN
  never wins and a window of NaN / -inf yields ``lowest``;
- SAME average pooling divides by the number of in-bounds elements of each window;
- MaxPool may pool across depth instead (window == stride, dividing the depth); AvgPool
  may not.
"""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np

from stowflow.graph.kernels.nn_common import (
    Array,
    Attrs,
    Window,
    compute_dtype,
    explicit_pairs,
    invalid,
    parallel,
    text,
    unimplemented,
    window,
)
from stowflow.graph.kernels.registry import register_kernel


def _lowest(dtype: np.dtype) -> Any:
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    if dtype == np.dtype(ml_dtypes.bfloat16):
        return ml_dtypes.finfo(ml_dtypes.bfloat16).min
    return np.finfo(dtype).min


def _params(x: Array, ksize: list[int], strides: list[int], attrs: Attrs, kind: str) -> None:
    if len(ksize) != 4:
        raise invalid("Sliding window ksize field must specify 4 dimensions")
    if len(strides) != 4:
        raise invalid("Sliding window stride field must specify 4 dimensions")
    if ksize[0] != 1 or strides[0] != 1:
        raise unimplemented("Pooling is not yet supported on the batch dimension.")
    if any(s <= 0 for s in strides):
        raise invalid(f"Stride must be > 0, but got {min(strides)}")
    if text(attrs.get("data_format"), "NHWC") != "NHWC":
        raise invalid(f"Default {kind}Op only supports NHWC on device type CPU")
    if x.ndim != 4:
        raise invalid(f"tensor_in_shape must have 2 spatial dimensions. {x.ndim} 0")


def _windows(x: Array, ksize: list[int], strides: list[int], attrs: Attrs) -> list[Window]:
    explicit = explicit_pairs(attrs, 4)
    padding = text(attrs.get("padding"))
    return [window(x.shape[d], ksize[d], strides[d], 1, padding, explicit[d]) for d in (1, 2)]


def _tap_ranges(size: int, k: int, stride: int, win: Window) -> list[tuple[int, int, slice]]:
    """For each window tap along one axis: the output range it reaches and its input slice.

    Padding positions are simply left out, so no padded copy of the input is ever made.
    """
    out = []
    for t in range(k):
        offset = t - win.before
        lo = max(0, -(offset // stride))
        hi = min(win.out, (size - 1 - offset) // stride + 1)
        if hi > lo:
            start = lo * stride + offset
            out.append((lo, hi, slice(start, start + (hi - lo - 1) * stride + 1, stride)))
    return out


def _separable(
    x: Array, ksize: list[int], strides: list[int], wins: list[Window], op: Any, init: Any
) -> Array:
    """Reduces every window with ``op`` (fmax or add): rows first, then columns."""
    n, h, w, c = x.shape
    out = np.full((n, wins[0].out, wins[1].out, c), init, x.dtype)
    if out.size == 0:
        return out
    row_taps = _tap_ranges(h, ksize[1], strides[1], wins[0])
    col_taps = _tap_ranges(w, ksize[2], strides[2], wins[1])

    def run(b0: int, b1: int) -> None:
        rows = np.full((b1 - b0, wins[0].out, w, c), init, x.dtype)
        for lo, hi, src in row_taps:
            op(rows[:, lo:hi], x[b0:b1, src], out=rows[:, lo:hi])
        dst = out[b0:b1]
        for lo, hi, src in col_taps:
            op(dst[:, :, lo:hi], rows[:, :, src], out=dst[:, :, lo:hi])

    parallel(run, n, work=out.size * len(row_taps))
    return out


def max_pool(x: Array, ksize: list[int], strides: list[int], attrs: Attrs) -> Array:
    """Max pooling with TF's NaN and padding behaviour (see the module docstring)."""
    _params(x, ksize, strides, attrs, "MaxPooling")
    if ksize[3] != 1 or strides[3] != 1:
        return _depth_max_pool(x, ksize, strides)
    wins = _windows(x, ksize, strides, attrs)
    work = compute_dtype(x.dtype)
    out = _separable(x.astype(work, copy=False), ksize, strides, wins, np.fmax, _lowest(x.dtype))
    return out.astype(x.dtype, copy=False)


def _depth_max_pool(x: Array, ksize: list[int], strides: list[int]) -> Array:
    if ksize[1] != 1 or ksize[2] != 1 or strides[1] != 1 or strides[2] != 1:
        raise unimplemented(
            "MaxPooling supports exactly one of pooling across depth or pooling across "
            "width/height."
        )
    depth = ksize[3]
    if depth != strides[3]:
        raise unimplemented(
            "Depthwise max pooling requires the depth window to equal the depth stride."
        )
    if x.shape[3] % depth:
        raise invalid(
            "Depthwise max pooling requires the depth window to evenly divide the input depth."
        )
    grouped = x.reshape(*x.shape[:3], x.shape[3] // depth, depth)
    return np.fmax.reduce(grouped, axis=-1, initial=_lowest(x.dtype)).astype(x.dtype)


@register_kernel("MaxPool")
def _max_pool(inputs: list[Any], attrs: Attrs) -> list[Array]:
    ksize = [int(v) for v in attrs["ksize"]]
    strides = [int(v) for v in attrs["strides"]]
    return [max_pool(np.asarray(inputs[0]), ksize, strides, attrs)]


@register_kernel("MaxPoolV2")
def _max_pool_v2(inputs: list[Any], attrs: Attrs) -> list[Array]:
    ksize = [int(v) for v in np.asarray(inputs[1]).reshape(-1)]
    strides = [int(v) for v in np.asarray(inputs[2]).reshape(-1)]
    return [max_pool(np.asarray(inputs[0]), ksize, strides, attrs)]


@register_kernel("AvgPool")
def _avg_pool(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x = np.asarray(inputs[0])
    ksize = [int(v) for v in attrs["ksize"]]
    strides = [int(v) for v in attrs["strides"]]
    _params(x, ksize, strides, attrs, "AvgPooling")
    if ksize[3] != 1 or strides[3] != 1:
        raise unimplemented("Non-spatial pooling is not yet supported. Volunteers? :)")
    wins = _windows(x, ksize, strides, attrs)
    work = compute_dtype(x.dtype)
    out = _separable(x.astype(work, copy=False), ksize, strides, wins, np.add, 0)
    if out.size:
        counts = [_counts(x.shape[d], ksize[d], strides[d], wins[d - 1]) for d in (1, 2)]
        out /= np.multiply.outer(counts[0], counts[1]).astype(work)[None, :, :, None]
    return [out.astype(x.dtype, copy=False)]


def _counts(size: int, k: int, stride: int, win: Window) -> Array:
    """In-bounds elements of each window along one dimension."""
    start = np.arange(win.out) * stride - win.before
    return np.minimum(start + k, size) - np.maximum(start, 0)
