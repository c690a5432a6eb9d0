"""Image resize kernels: ResizeBilinear and ResizeNearestNeighbor (NHWC).

TF facts (tensorflow/core/kernels/image/resize_bilinear_op.cc, resize_nearest_neighbor_op.cc,
image_resizer_state.h), all arithmetic in float32:
- scale = (in - 1) / (out - 1) with align_corners (and out > 1), else in / out;
- bilinear source coordinate: ``(o + 0.5) * scale - 0.5`` with half_pixel_centers, else
  ``o * scale``; neighbours ``max(floor(c), 0)`` and ``min(ceil(c), in - 1)``, weight
  ``c - floor(c)``; the result is always float32;
- nearest: ``(o + 0.5) * scale`` with half_pixel_centers, else ``o * scale``; rounded half
  away from zero with align_corners, floored otherwise; clamped to ``[0, in - 1]``; the
  result keeps the input dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.graph.kernels.nn_common import Array, Attrs, invalid, shape_str
from stowflow.graph.kernels.registry import register_kernel

f32 = np.float32


def _validate(inputs: list[Any], attrs: Attrs) -> tuple[Array, int, int, bool, bool]:
    images, size = np.asarray(inputs[0]), np.asarray(inputs[1])
    align, half = bool(attrs.get("align_corners")), bool(attrs.get("half_pixel_centers"))
    if align and half:
        raise invalid("If half_pixel_centers is True, align_corners must be False.")
    if images.ndim != 4:
        raise invalid(f"input must be 4-dimensional{shape_str(images.shape)}")
    if size.ndim != 1:
        raise invalid(f"shape_t must be 1-dimensional{shape_str(size.shape)}")
    if size.size != 2:
        raise invalid(f"shape_t must have two elements{shape_str(size.shape)}")
    height, width = (int(v) for v in size)
    if height <= 0 or width <= 0:
        raise invalid("output dimensions must be positive")
    if images.shape[0] and (images.shape[1] == 0 or images.shape[2] == 0):
        raise invalid("input image must be of non-zero size")
    return images, height, width, align, half


def _scale(size_in: int, size_out: int, align: bool) -> np.float32:
    if align and size_out > 1:
        return f32(size_in - 1) / f32(size_out - 1)
    return f32(size_in) / f32(size_out)


def _bilinear_axis(
    size_in: int, size_out: int, align: bool, half: bool
) -> tuple[Array, Array, Array]:
    scale = _scale(size_in, size_out, align)
    o = np.arange(size_out, dtype=f32)
    coord = (o + f32(0.5)) * scale - f32(0.5) if half else o * scale
    floor = np.floor(coord)
    lower = np.maximum(floor, 0).astype(np.int64)
    upper = np.minimum(np.ceil(coord).astype(np.int64), size_in - 1)
    return lower, upper, (coord - floor).astype(f32)


@register_kernel("ResizeBilinear")
def _resize_bilinear(inputs: list[Any], attrs: Attrs) -> list[Array]:
    images, height, width, align, half = _validate(inputs, attrs)
    n, h, w, c = images.shape
    if images.size == 0:
        return [np.zeros((n, height, width, c), f32)]
    x = images.astype(f32, copy=False)
    y0, y1, ly = _bilinear_axis(h, height, align, half)
    x0, x1, lx = _bilinear_axis(w, width, align, half)
    lx = lx[None, None, :, None]
    top_rows, bottom_rows = x[:, y0], x[:, y1]
    top = top_rows[:, :, x0] + (top_rows[:, :, x1] - top_rows[:, :, x0]) * lx
    bottom = bottom_rows[:, :, x0] + (bottom_rows[:, :, x1] - bottom_rows[:, :, x0]) * lx
    return [top + (bottom - top) * ly[None, :, None, None]]


def _nearest_axis(size_in: int, size_out: int, align: bool, half: bool) -> Array:
    scale = _scale(size_in, size_out, align)
    o = np.arange(size_out, dtype=f32)
    coord = (o + f32(0.5)) * scale if half else o * scale
    index = np.floor(coord)
    if align:  # C's roundf: half away from zero (coordinates are non-negative here)
        index = np.where(coord - index >= f32(0.5), index + 1, index)
    return np.clip(index.astype(np.int64), 0, size_in - 1)


@register_kernel("ResizeNearestNeighbor")
def _resize_nearest(inputs: list[Any], attrs: Attrs) -> list[Array]:
    images, height, width, align, half = _validate(inputs, attrs)
    n, h, w, c = images.shape
    if images.size == 0:
        return [np.zeros((n, height, width, c), images.dtype)]
    rows = _nearest_axis(h, height, align, half)
    cols = _nearest_axis(w, width, align, half)
    return [images[:, rows][:, :, cols]]
