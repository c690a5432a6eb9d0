"""Rewrites of a compiled function body that make it faster and compute the same values.

Keras 3 exports BatchNormalization unfused: ``conv(x, w) * scale + offset``, where
``scale = gamma * rsqrt(var + eps)`` is a per-channel vector. Multiplying the activation
is a full pass over it; multiplying the (small) filter instead is nearly free:
``conv(x, w) * s == conv(x, w * s)`` for a per-output-channel ``s``. :func:`fuse_conv_scale`
turns each such Conv2D/DepthwiseConv2dNative -> Mul pair into one step that scales the
filter at call time (so variables may still change) and falls back to the two ops when the
runtime shapes or dtypes are not the expected ones. Results differ from TF's only by float
rounding order (within the model tolerances of issue 7; TF's own Grappler remapper folds the
same way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Ref = tuple[int, int]
Compute = Callable[[Any, list[Any]], list[Any]]

_CONVS = frozenset({"Conv2D", "DepthwiseConv2dNative"})
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class Skipped:
    """A step whose only consumer was fused into a later step: it is not run."""

    type = "_Skipped"

    def __init__(self, replaced: Any) -> None:
        self.name = replaced.name
        self.replaced = replaced


class ConvScale:
    """``Mul(Conv(x, w), s)`` (either operand order) as ``Conv(x, w * s)``."""

    type = "_FusedConvScale"

    def __init__(self, conv: Any, mul: Any, scale_first: bool) -> None:
        self.name = mul.name
        self.conv = conv
        self.mul = mul
        self.scale_first = scale_first

    def run(self, inputs: list[Any], compute: Compute) -> list[Any]:
        """Runs the fused step on ``[x, w, s]``."""
        x, w, scale = inputs
        scaled = _scaled_filter(self.conv.type, w, scale)
        if scaled is not None:
            return compute(self.conv, [x, scaled])
        y = compute(self.conv, [x, w])[0]
        return compute(self.mul, [scale, y] if self.scale_first else [y, scale])


def _scaled_filter(conv_type: str, w: Any, scale: Any) -> np.ndarray | None:
    if not (isinstance(w, np.ndarray) and isinstance(scale, np.ndarray)):
        return None
    if w.dtype not in _FLOATS or scale.dtype != w.dtype or scale.ndim != 1 or w.ndim != 4:
        return None
    if conv_type == "Conv2D":
        return w * scale if scale.shape[0] == w.shape[3] else None
    channels, multiplier = w.shape[2], w.shape[3]
    if scale.shape[0] != channels * multiplier:
        return None
    return w * scale.reshape(channels, multiplier)


def _is_nhwc(node: Any) -> bool:
    fmt = node.get_attr("data_format")
    return (fmt.decode() if isinstance(fmt, bytes) else fmt) == "NHWC"


def fuse_conv_scale(steps: list[tuple[Any, list[Ref]]], returns: list[Ref]) -> int:
    """Fuses Conv -> Mul pairs of ``steps`` in place; returns how many it fused."""
    readers: dict[Ref, int] = {}
    for _, refs in steps:
        for ref in refs:
            readers[ref] = readers.get(ref, 0) + 1
    for ref in returns:
        readers[ref] = readers.get(ref, 0) + 1
    fused = 0
    for k, (node, refs) in enumerate(steps):
        if node.type != "Mul" or len(refs) != 2:
            continue
        for position in (0, 1):
            source, index = refs[position]
            if source < 0 or index != 0 or readers.get((source, 0)) != 1:
                continue
            conv, conv_refs = steps[source]
            if conv.type not in _CONVS or not _is_nhwc(conv):
                continue
            scale_first = position == 1
            steps[k] = (ConvScale(conv, node, scale_first), [*conv_refs, refs[1 - position]])
            steps[source] = (Skipped(conv), [])
            fused += 1
            break
    return fused
