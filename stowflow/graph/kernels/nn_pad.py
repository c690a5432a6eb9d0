"""Padding kernels: Pad, PadV2 (constant) and MirrorPad (REFLECT / SYMMETRIC).

TF facts (tensorflow/core/kernels/pad_op.cc, mirror_pad_op.cc): ``paddings`` is a
``[rank, 2]`` matrix of non-negative (before, after) counts; REFLECT padding must be
smaller than the dimension, SYMMETRIC no greater than it. Strings pad with ``b""``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.graph.kernels.nn_common import Array, Attrs, invalid, shape_str, text
from stowflow.graph.kernels.registry import register_kernel


def _paddings(x: Array, paddings: Any, lower: bool = False) -> list[tuple[int, int]]:
    p = np.asarray(paddings)
    if p.ndim != 2 or p.shape[1] != 2:
        raise invalid(f"paddings must be a matrix with 2 columns: {shape_str(p.shape)}")
    if p.shape[0] != x.ndim:
        raise invalid(
            "The first dimension of paddings must be the rank of inputs"
            f"{shape_str(p.shape)} {shape_str(x.shape)}"
        )
    pairs = [(int(b), int(a)) for b, a in p]
    for b, a in pairs:
        if b < 0 or a < 0:
            raise invalid(f"{'p' if lower else 'P'}addings must be non-negative: {b} {a}")
    return pairs


def _constant_pad(x: Array, pairs: list[tuple[int, int]], value: Any) -> Array:
    out = np.full(
        tuple(d + b + a for d, (b, a) in zip(x.shape, pairs, strict=True)), value, x.dtype
    )
    inner = tuple(slice(b, b + d) for d, (b, _) in zip(x.shape, pairs, strict=True))
    out[inner] = x
    return out


@register_kernel("Pad")
def _pad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x = np.asarray(inputs[0])
    zero = b"" if x.dtype.kind == "O" else 0
    return [_constant_pad(x, _paddings(x, inputs[1]), zero)]


@register_kernel("PadV2")
def _pad_v2(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x, value = np.asarray(inputs[0]), np.asarray(inputs[2])
    pairs = _paddings(x, inputs[1])
    if value.ndim != 0:
        raise invalid(f"constant_values must be a scalar. Found: {shape_str(value.shape)}")
    return [_constant_pad(x, pairs, value[()])]


@register_kernel("MirrorPad")
def _mirror_pad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x = np.asarray(inputs[0])
    mode = text(attrs.get("mode"))
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise invalid(f"mode must be either REFLECT or SYMMETRIC, got {mode}")
    pairs = _paddings(x, inputs[1], lower=True)
    offset = 1 if mode == "REFLECT" else 0
    for d, (b, a) in zip(x.shape, pairs, strict=True):
        if offset and (b >= d or a >= d):
            raise invalid(
                f"paddings must be less than the dimension size: {b}, {a} not less than {d}"
            )
        if not offset and (b > d or a > d):
            raise invalid(
                f"paddings must be no greater than the dimension size: {b}, {a} greater than {d}"
            )
    return [np.pad(x, pairs, mode="reflect" if offset else "symmetric")]
