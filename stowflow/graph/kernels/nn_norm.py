"""FusedBatchNorm, FusedBatchNormV2 and FusedBatchNormV3, inference and training mode.

Outputs: ``y``, ``batch_mean``, ``batch_variance``, ``reserve_space_1``, ``reserve_space_2``
(and for V3 ``reserve_space_3``, a float scalar 0 on CPU). TF facts
(tensorflow/core/kernels/fused_batch_norm_op.cc, CPU path):
- inference: ``y = (x - mean) * rsqrt(variance + epsilon) * scale + offset``; batch_mean and
  batch_variance echo the estimates (NaN when ``x`` is empty). TF leaves the reserve spaces
  uninitialised there; stowflow returns the estimates in them;
- training: statistics over every axis but the channel; ``y`` uses the biased variance,
  ``batch_variance`` the Bessel-corrected one (``n / max(n - 1, 1)``); with
  ``exponential_avg_factor`` f != 1 both become running averages ``(1 - f) * old + f * new``;
  reserve_space_1 / 2 hold the batch mean and biased variance;
- half and bfloat16 ``x`` compute in float32 (the ``U`` type of scale/offset/statistics).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.graph.kernels.nn_common import Array, Attrs, invalid, parallel, shape_str, text
from stowflow.graph.kernels.registry import register_kernel

_CHANNELS_FIRST = ("NCHW", "NCDHW")
_ARG_NAMES = ("scale", "offset", "estimated_mean", "estimated_variance")


def _check(x: Array, params: list[Array], attrs: Attrs, v3: bool) -> int:
    """Validates shapes as TF's kernel does; returns the channel axis."""
    if v3 and x.ndim not in (4, 5):
        raise invalid(f"input must be 4 or 5-dimensional{shape_str(x.shape)}")
    if not v3 and x.ndim != 4:
        raise invalid(f"input must be 4-dimensional{shape_str(x.shape)}")
    for name, p in zip(_ARG_NAMES, params, strict=True):
        if p.ndim != 1:
            raise invalid(f"{name} must be 1-dimensional{shape_str(p.shape)}")
    fmt = text(attrs.get("data_format"), "NHWC")
    axis = 1 if fmt in _CHANNELS_FIRST else x.ndim - 1
    depth = x.shape[axis]
    for name, p in zip(("scale", "offset"), params[:2], strict=True):
        if p.shape[0] != depth:
            raise invalid(
                f"{name} must have the same number of elements as the channels of x, "
                f"got {p.shape[0]} and {depth}"
            )
    training = bool(attrs.get("is_training", True))
    factor = float(attrs.get("exponential_avg_factor", 1.0))
    when = "When is_training=false" if not training else "When exponential_avg_factor != 1"
    if not training or factor != 1.0:
        for name, p in zip(("mean", "variance"), params[2:], strict=True):
            if p.shape[0] != depth:
                raise invalid(
                    f"{when}, {name} must have the same number of elements as the channels "
                    f"of x, got {p.shape[0]} and {depth}"
                )
    return axis


def batch_norm(inputs: list[Any], attrs: Attrs, v3: bool) -> list[Array]:
    """The outputs of FusedBatchNorm(V2/V3) for ``inputs`` = x, scale, offset, mean, variance."""
    x = np.asarray(inputs[0])
    params = [np.asarray(p) for p in inputs[1:5]]
    axis = _check(x, params, attrs, v3)
    u = params[0].dtype
    scale, offset, est_mean, est_var = (p.astype(np.float32, copy=False) for p in params)
    eps = np.float32(attrs.get("epsilon", 1e-4))
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    xf = x.astype(np.float32, copy=False)
    if bool(attrs.get("is_training", True)):
        y, stats = _training(xf, axis, scale, offset, est_mean, est_var, eps, shape, attrs)
    else:
        mult = scale / np.sqrt(est_var + eps)
        y = _normalise(xf, est_mean.reshape(shape), mult.reshape(shape), offset.reshape(shape))
        echo_mean, echo_var = (
            np.full_like(v, np.nan) if x.size == 0 else v.copy() for v in (est_mean, est_var)
        )
        stats = [echo_mean, echo_var, est_mean.copy(), est_var.copy()]
    outputs = [y.astype(x.dtype, copy=False)] + [s.astype(u, copy=False) for s in stats]
    if v3:
        outputs.append(np.zeros((), u))
    return outputs


def _normalise(x: Array, mean: Array, mult: Array, offset: Array) -> Array:
    """``(x - mean) * mult + offset`` in float32, in place on the output, batch-parallel."""
    y = np.empty(x.shape, np.float32)

    def run(b0: int, b1: int) -> None:
        part = y[b0:b1]
        np.subtract(x[b0:b1], mean, out=part)
        np.multiply(part, mult, out=part)
        np.add(part, offset, out=part)

    parallel(run, x.shape[0], work=x.size)
    return y


def _training(
    x: Array,
    axis: int,
    scale: Array,
    offset: Array,
    old_mean: Array,
    old_var: Array,
    eps: np.float32,
    shape: list[int],
    attrs: Attrs,
) -> tuple[Array, list[Array]]:
    axes = tuple(i for i in range(x.ndim) if i != axis)
    n = x.size // max(x.shape[axis], 1)
    mean: Array = np.full(x.shape[axis], np.nan, np.float32)
    var: Array = mean.copy()
    if n:
        mean = np.asarray(x.mean(axis=axes, dtype=np.float64), np.float32)
        centred = x - mean.reshape(shape)
        var = np.asarray(np.mean(np.square(centred), axis=axes, dtype=np.float64), np.float32)
    mult = scale / np.sqrt(var + eps)
    y = _normalise(x, mean.reshape(shape), mult.reshape(shape), offset.reshape(shape))
    unbiased = var * np.float32(n / max(n - 1, 1))
    factor = np.float32(attrs.get("exponential_avg_factor", 1.0))
    if factor != 1:
        run_mean = (1 - factor) * old_mean + factor * mean
        run_var = (1 - factor) * old_var + factor * unbiased
    else:
        run_mean, run_var = mean, unbiased
    return y, [run_mean, run_var, mean, var]


@register_kernel("FusedBatchNorm", "FusedBatchNormV2")
def _fused_batch_norm(inputs: list[Any], attrs: Attrs) -> list[Array]:
    return batch_norm(inputs, attrs, v3=False)


@register_kernel("FusedBatchNormV3")
def _fused_batch_norm_v3(inputs: list[Any], attrs: Attrs) -> list[Array]:
    return batch_norm(inputs, attrs, v3=True)
