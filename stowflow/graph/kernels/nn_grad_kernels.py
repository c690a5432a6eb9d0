"""Backprop kernels of the nn and array ops (what ``tf.gradients`` graphs run), NHWC.

Convolution gradients reuse the forward pieces of ``nn_conv``: the filter gradient is one
matmul per kernel tap (strided view of the padded input against ``dy``), the depthwise
gradients multiply-add one tap at a time. Pooling gradients walk the window taps in TF's
order: MaxPoolGrad sends each output's gradient to the first maximum of its window (TF
recomputes the argmax with ``a > b``, so ties go to the earliest tap and padding never
wins); AvgPoolGrad spreads it evenly over the window's in-bounds elements.

TF facts (tensorflow/core/kernels/conv_grad_*_ops.cc, depthwise_conv_grad_op.cc,
maxpooling_op.cc, avgpooling_op.cc, fused_batch_norm_op.cc, relu_op_functor.h,
strided_slice_op.cc, concat_op.cc): the CPU kernels accept NHWC only;
FusedBatchNormGradV3 in training mode reads the batch mean and biased variance from the
reserve spaces, in inference mode the population statistics passed in their place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow.graph.kernels.array_kernels import MASK_NAMES, _numpy_index, strided_slice_plan
from stowflow.graph.kernels.nn_common import (
    Array,
    Attrs,
    compute_dtype,
    explicit_pairs,
    invalid,
    shape_str,
    text,
    unimplemented,
)
from stowflow.graph.kernels.nn_conv import _pad, _spatial, _taps, _windows
from stowflow.graph.kernels.nn_pool import _counts, _params
from stowflow.graph.kernels.nn_pool import _windows as _pool_windows
from stowflow.graph.kernels.registry import register_kernel, register_shape
from stowflow.graph.shape import TensorShape

# --------------------------------------------------------------------------- helpers


def _sizes(value: Any, what: str) -> tuple[int, ...]:
    sizes = np.asarray(value)
    if sizes.ndim != 1 or sizes.size != 4:
        raise invalid(f"{what} must be 1-dim with 4 elements, not {shape_str(sizes.shape)}")
    return tuple(int(v) for v in sizes)


def _nhwc(attrs: Attrs, op_type: str) -> None:
    fmt = text(attrs.get("data_format"), "NHWC")
    if fmt != "NHWC":
        raise unimplemented(f"{op_type} only supports NHWC on the CPU, got {fmt}")


def _check_out(dy: Array, wins: list[Any], op_type: str) -> None:
    want = [w.out for w in wins]
    if dy.ndim != 4 or list(dy.shape[1:3]) != want:
        raise invalid(
            f"{op_type}: Size of out_backprop doesn't match computed: actual = "
            f"{shape_str(dy.shape)}, computed = {want}"
        )


# --------------------------------------------------------------------------- Conv2D


@register_kernel("Conv2DBackpropFilter")
def _conv2d_backprop_filter(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x, dy = np.asarray(inputs[0]), np.asarray(inputs[2])
    k = _sizes(inputs[1], "Conv2DBackpropFilter: filter_sizes input")
    _nhwc(attrs, "Conv2DBackpropFilter")
    _spatial(attrs, "strides", 4, "strides")
    _spatial(attrs, "dilations", 4, "dilations")
    if any(int(d) != 1 for d in attrs.get("dilations") or []):
        raise invalid(
            "Current CPU implementations do not yet support dilation rates larger than 1."
        )
    explicit_pairs(attrs, 4)
    if x.ndim != 4:
        raise invalid(f"input must be 4-dimensional: {shape_str(x.shape)}")
    if k[2] <= 0 or x.shape[3] % k[2]:
        raise invalid(
            f"Conv2DBackpropFilter: input depth must be evenly divisible by filter depth: "
            f"{x.shape[3]} vs {k[2]}"
        )
    wins = _windows(x.shape, k[:2], attrs)
    _check_out(dy, wins, "Conv2DBackpropFilter")
    if dy.shape[3] != k[3]:
        raise invalid("Conv2DBackpropFilter: filter and out_backprop must have the same out_depth")
    return [filter_grad(x, dy, k, attrs, wins)]


def filter_grad(x: Array, dy: Array, k: tuple[int, ...], attrs: Attrs, wins: list[Any]) -> Array:
    """``dw[tap] = cols(tap)^T @ dy`` per kernel tap, per group."""
    dtype = x.dtype
    work = compute_dtype(dtype)
    xp = _pad(x.astype(work, copy=False), wins)
    dy2 = dy.astype(work, copy=False).reshape(-1, k[3])
    c, cg, o = x.shape[3], k[2], k[3]
    groups = c // cg
    og = o // groups
    dw = np.zeros(k, work)
    cols = np.empty((dy2.shape[0], c), work)  # one tap's window values, reused per tap
    for (i, j), slices in _taps(k[:2], attrs, wins):
        np.copyto(cols.reshape(dy.shape[:3] + (c,)), xp[(slice(None), *slices, slice(None))])
        for gi in range(groups):
            lhs = cols[:, gi * cg : (gi + 1) * cg]
            dw[i, j, :, gi * og : (gi + 1) * og] = lhs.T @ dy2[:, gi * og : (gi + 1) * og]
    return dw.astype(dtype, copy=False)


# --------------------------------------------------------------------------- depthwise


def _depthwise_checks(attrs: Attrs, op_type: str) -> None:
    _nhwc(attrs, op_type)
    strides = _spatial(attrs, "strides", 4, "strides")
    _spatial(attrs, "dilations", 4, "dilations")
    explicit_pairs(attrs, 4)
    if strides[0] != strides[1]:
        raise invalid(
            "Current implementation only supports equal length strides in the row and column "
            "dimensions."
        )


@register_kernel("DepthwiseConv2dNativeBackpropInput")
def _depthwise_backprop_input(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x_shape = _sizes(inputs[0], "DepthwiseConv2DBackpropInput: input_sizes input")
    w, dy = np.asarray(inputs[1]), np.asarray(inputs[2])
    _depthwise_checks(attrs, "DepthwiseConv2dNativeBackpropInput")
    if w.ndim != 4 or w.shape[2] != x_shape[3]:
        raise invalid(
            "DepthwiseConv2DBackpropInput: input and filter must have the same depth: "
            f"{x_shape[3]} vs {w.shape[2] if w.ndim == 4 else shape_str(w.shape)}"
        )
    wins = _windows(x_shape, w.shape[:2], attrs)
    _check_out(dy, wins, "DepthwiseConv2DBackpropInput")
    work = compute_dtype(dy.dtype)
    c, mult = w.shape[2], w.shape[3]
    g = dy.astype(work, copy=False).reshape(*dy.shape[:3], c, mult)
    wf = w.astype(work, copy=False)
    padded = [x_shape[i + 1] + win.before + win.after for i, win in enumerate(wins)]
    dxp = np.zeros((x_shape[0], *padded, c), work)
    for (i, j), slices in _taps(w.shape[:2], attrs, wins):
        dxp[(slice(None), *slices, slice(None))] += np.einsum("nhwcm,cm->nhwc", g, wf[i, j])
    crop = tuple(slice(win.before, win.before + x_shape[i + 1]) for i, win in enumerate(wins))
    dx = np.ascontiguousarray(dxp[(slice(None), *crop, slice(None))])
    return [dx.astype(dy.dtype, copy=False)]


@register_kernel("DepthwiseConv2dNativeBackpropFilter")
def _depthwise_backprop_filter(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x, dy = np.asarray(inputs[0]), np.asarray(inputs[2])
    k = _sizes(inputs[1], "DepthwiseConv2DBackpropFilter: filter_sizes input")
    _depthwise_checks(attrs, "DepthwiseConv2dNativeBackpropFilter")
    if x.ndim != 4 or x.shape[3] != k[2]:
        raise invalid(
            "DepthwiseConv2DBackpropFilter: input and filter must have the same depth: "
            f"{x.shape[3] if x.ndim == 4 else shape_str(x.shape)} vs {k[2]}"
        )
    wins = _windows(x.shape, k[:2], attrs)
    _check_out(dy, wins, "DepthwiseConv2DBackpropFilter")
    work = compute_dtype(x.dtype)
    xp = _pad(x.astype(work, copy=False), wins)
    g = dy.astype(work, copy=False).reshape(*dy.shape[:3], k[2], k[3])
    dw = np.zeros(k, work)
    for (i, j), slices in _taps(k[:2], attrs, wins):
        dw[i, j] = np.einsum("nhwc,nhwcm->cm", xp[(slice(None), *slices, slice(None))], g)
    return [dw.astype(x.dtype, copy=False)]


# --------------------------------------------------------------------------- pooling


def _pool_attrs(attrs: Attrs) -> tuple[list[int], list[int]]:
    return [int(v) for v in attrs["ksize"]], [int(v) for v in attrs["strides"]]


def _window_taps(
    shape: tuple[int, ...], ksize: list[int], strides: list[int], wins: list[Any]
) -> list[tuple[slice, slice]]:
    """Per window tap (row-major): the strided slices of the padded input it reads."""
    return [
        (
            slice(i, i + (wins[0].out - 1) * strides[1] + 1, strides[1]),
            slice(j, j + (wins[1].out - 1) * strides[2] + 1, strides[2]),
        )
        for i in range(ksize[1])
        for j in range(ksize[2])
    ]


@register_kernel("MaxPoolGrad")
def _max_pool_grad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x, y, dy = (np.asarray(v) for v in inputs[:3])
    ksize, strides = _pool_attrs(attrs)
    _params(x, ksize, strides, attrs, "MaxPoolingGrad")
    if ksize[3] != 1 or strides[3] != 1:
        raise unimplemented("MaxPoolingGrad is not yet supported on the depth dimension.")
    wins = _pool_windows(x, ksize, strides, attrs)
    if dy.shape != y.shape or dy.shape[1:3] != (wins[0].out, wins[1].out):
        raise invalid(
            f"Expected grad shape to be {shape_str(y.shape)}, but got {shape_str(dy.shape)}"
        )
    work = compute_dtype(x.dtype)
    pads = [(0, 0), (wins[0].before, wins[0].after), (wins[1].before, wins[1].after), (0, 0)]
    xp = np.pad(x.astype(work, copy=False), pads, constant_values=-np.inf)
    taps = _window_taps(x.shape, ksize, strides, wins)
    arg = _window_argmax(xp, taps, dy.shape, work)
    if strides[1] >= ksize[1] and strides[2] >= ksize[2]:
        dxp = _scatter_disjoint(arg, dy.astype(work, copy=False), ksize, strides, taps, xp.shape)
    else:
        dxp = _scatter_overlapping(arg, dy.astype(work), ksize, strides, xp.shape)
    dx = dxp[
        :,
        wins[0].before : wins[0].before + x.shape[1],
        wins[1].before : wins[1].before + x.shape[2],
    ]
    return [np.ascontiguousarray(dx).astype(x.dtype)]


def _window_argmax(
    xp: Array, taps: list[tuple[slice, slice]], shape: tuple[int, ...], work: Any
) -> Array:
    """Per pooling output, the first tap (row-major) holding the window's maximum; NaN never
    wins, and a window of only -inf (padding) picks tap 0.

    ``best`` is a running ``fmax`` (NaN-ignoring); a tap wins where it is strictly greater,
    and as taps only grow, the winner is the running maximum of ``t * won``.
    """
    best = np.full(shape, -np.inf, work)
    arg = np.zeros(shape, np.uint8 if len(taps) <= 256 else np.int64)
    won = np.empty(shape, np.bool_)
    scratch = np.empty(shape, arg.dtype)
    for t, (rs, cs) in enumerate(taps):
        vals = xp[:, rs, cs, :]
        np.greater(vals, best, out=won)
        np.fmax(best, vals, out=best)
        if t:
            np.multiply(won, arg.dtype.type(t), out=scratch)
            np.maximum(arg, scratch, out=arg)
    return arg


def _scatter_disjoint(
    arg: Array,
    dy: Array,
    ksize: list[int],
    strides: list[int],
    taps: list[tuple[slice, slice]],
    shape: tuple[int, ...],
) -> Array:
    """The padded input's gradient when windows do not overlap: each input position gets
    ``0 + dy`` of the one window that chose it (what the general sum gives it), else 0."""
    dy0 = dy + dy.dtype.type(0)  # -0.0 becomes +0.0, as in a sum starting from zero
    zero = dy.dtype.type(0)
    n, oh, ow, c = dy.shape
    kh, kw = ksize[1], ksize[2]
    if strides[1:3] == [kh, kw] and shape[1:3] == (oh * kh, ow * kw):
        # windows tile the padded input: build it as [n, oh, kh, ow, kw, c] in one pass
        tap_ids = (np.arange(kh)[:, None] * kw + np.arange(kw)).astype(arg.dtype)
        chosen = arg[:, :, None, :, None, :] == tap_ids[None, None, :, None, :, None]
        return np.where(chosen, dy0[:, :, None, :, None, :], zero).reshape(shape)
    dxp = np.zeros(shape, dy.dtype)
    for t, (rs, cs) in enumerate(taps):
        dxp[:, rs, cs, :] = np.where(arg == t, dy0, zero)
    return dxp


def _scatter_overlapping(
    arg: Array, dy: Array, ksize: list[int], strides: list[int], shape: tuple[int, ...]
) -> Array:
    """The padded input's gradient summed over every window choosing each position (in
    float64, rounded once)."""
    n, oh, ow, c = dy.shape
    ti, tj = np.divmod(arg, ksize[2])
    rows = np.arange(oh)[None, :, None, None] * strides[1] + ti
    cols = np.arange(ow)[None, None, :, None] * strides[2] + tj
    flat = np.ravel_multi_index(
        (np.arange(n)[:, None, None, None], rows, cols, np.arange(c)[None, None, None, :]),
        shape,
    )
    total = int(np.prod(shape))
    return np.bincount(flat.reshape(-1), dy.reshape(-1), minlength=total).reshape(shape)


@register_kernel("AvgPoolGrad")
def _avg_pool_grad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x_shape = _sizes(inputs[0], "orig_input_shape")
    dy = np.asarray(inputs[1])
    ksize, strides = _pool_attrs(attrs)
    probe = np.empty((x_shape[0], x_shape[1], x_shape[2], 0), dy.dtype)
    _params(probe, ksize, strides, attrs, "AvgPoolingGrad")
    if ksize[3] != 1 or strides[3] != 1:
        raise unimplemented("Non-spatial pooling is not yet supported. Volunteers? :)")
    wins = _pool_windows(probe, ksize, strides, attrs)
    if dy.ndim != 4 or dy.shape[1:3] != (wins[0].out, wins[1].out):
        raise invalid(f"out_backprop has the wrong shape: {shape_str(dy.shape)}")
    work = compute_dtype(dy.dtype)
    counts = [_counts(x_shape[d], ksize[d], strides[d], wins[d - 1]) for d in (1, 2)]
    share = dy.astype(work) / np.multiply.outer(*counts).astype(work)[None, :, :, None]
    padded = (
        x_shape[0],
        x_shape[1] + wins[0].before + wins[0].after + ksize[1],
        x_shape[2] + wins[1].before + wins[1].after + ksize[2],
        x_shape[3],
    )
    dxp = np.zeros(padded, work)
    for rs, cs in _window_taps(x_shape, ksize, strides, wins):
        dxp[:, rs, cs, :] += share
    dx = dxp[
        :,
        wins[0].before : wins[0].before + x_shape[1],
        wins[1].before : wins[1].before + x_shape[2],
    ]
    return [np.ascontiguousarray(dx).astype(dy.dtype)]


# --------------------------------------------------------------------------- batch norm


@register_kernel("FusedBatchNormGradV3", "FusedBatchNormGradV2", "FusedBatchNormGrad")
def _fused_batch_norm_grad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    dy, x, scale, mean, var = (np.asarray(v) for v in inputs[:5])
    _nhwc(attrs, "FusedBatchNormGrad")
    if x.ndim != 4 or dy.shape != x.shape:
        raise invalid(
            f"x and y_backprop must be 4-dimensional and of one shape: {shape_str(x.shape)} "
            f"vs {shape_str(dy.shape)}"
        )
    eps = float(attrs.get("epsilon", 1e-4))
    work = np.float32 if x.dtype != np.float64 else np.float64
    xf, g = x.astype(work).reshape(-1, x.shape[3]), dy.astype(work).reshape(-1, x.shape[3])
    sf, mf, vf = scale.astype(work), mean.astype(work), var.astype(work)
    inv = 1.0 / np.sqrt(vf + work(eps))
    centered = xf - mf
    dscale = np.sum(g * centered, axis=0) * inv
    doffset = np.sum(g, axis=0)
    if attrs.get("is_training", True):
        count = max(xf.shape[0], 1)
        mean_dy = doffset / count
        mean_dyc = np.sum(g * centered, axis=0) / count
        dx = sf * inv * (g - mean_dy - centered * mean_dyc * inv * inv)
    else:
        dx = g * (sf * inv)
    empty = np.zeros((0,), scale.dtype)
    return [
        dx.reshape(x.shape).astype(x.dtype),
        dscale.astype(scale.dtype),
        doffset.astype(scale.dtype),
        empty,
        empty.copy(),
    ]


# --------------------------------------------------------------------------- activations


def _pair(inputs: list[Any]) -> tuple[Array, Array]:
    g, x = np.asarray(inputs[0]), np.asarray(inputs[1])
    if g.shape != x.shape:
        raise invalid(
            "gradients and features must have the same shape: "
            f"{shape_str(g.shape)} vs {shape_str(x.shape)}"
        )
    return g, x


@register_kernel("Relu6Grad")
def _relu6_grad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    g, x = _pair(inputs)
    return [np.where((x > 0) & (x < 6), g, np.zeros_like(g))]


@register_kernel("LeakyReluGrad")
def _leaky_relu_grad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    g, x = _pair(inputs)
    alpha = g.dtype.type(attrs.get("alpha", 0.2))
    return [np.where(x > 0, g, g * alpha).astype(g.dtype)]


@register_kernel("EluGrad")
def _elu_grad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    g, y = _pair(inputs)
    one = g.dtype.type(1)
    return [np.where(y < 0, g * (y + one), g).astype(g.dtype)]


_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717


@register_kernel("SeluGrad")
def _selu_grad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    g, y = _pair(inputs)
    t = g.dtype.type
    neg = g * (y + t(_SELU_SCALE * _SELU_ALPHA))
    return [np.where(y < 0, neg, g * t(_SELU_SCALE)).astype(g.dtype)]


@register_kernel("SoftplusGrad")
def _softplus_grad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    g, x = _pair(inputs)
    one = g.dtype.type(1)
    return [(g / (one + np.exp(-x))).astype(g.dtype)]


@register_kernel("ReciprocalGrad")
def _reciprocal_grad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    y, dy = np.asarray(inputs[0]), np.asarray(inputs[1])
    return [(-dy * y * y).astype(y.dtype)]


# --------------------------------------------------------------------------- array grads


@register_kernel("StridedSliceGrad")
def _strided_slice_grad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    shape = [int(v) for v in np.asarray(inputs[0]).reshape(-1)]
    begin, end, strides = ([int(v) for v in np.asarray(inputs[i]).reshape(-1)] for i in (1, 2, 3))
    dy = np.asarray(inputs[4])
    masks = {name: int(attrs.get(name, 0)) for name in MASK_NAMES}
    plan = strided_slice_plan(list(shape), begin, end, strides, masks)
    index = tuple(_numpy_index(s) for s in plan)
    dx = np.zeros(shape, dy.dtype)
    target = dx[index]
    if dy.size != target.size:
        raise invalid(f"shape of dy was {shape_str(dy.shape)} instead of {shape_str(target.shape)}")
    dx[index] = dy.reshape(target.shape)
    return [dx]


@register_kernel("MirrorPadGrad")
def _mirror_pad_grad(inputs: list[Any], attrs: Attrs) -> list[Array]:
    grad, paddings = np.asarray(inputs[0]), np.asarray(inputs[1])
    if paddings.shape != (grad.ndim, 2):
        raise invalid(f"paddings must be a matrix with 2 columns: {shape_str(paddings.shape)}")
    offset = 0 if text(attrs.get("mode")) == "SYMMETRIC" else 1
    out = grad
    for axis, (before, after) in enumerate(paddings.astype(int)):
        n = out.shape[axis] - before - after
        if n < 0:
            raise invalid(f"Paddings must be less than the dimension size: {before}, {after}")
        core = np.take(out, np.arange(before, before + n), axis=axis).copy()
        # a pad position mirrors onto an input position; its gradient adds there
        left = before - np.arange(before) - 1 + offset
        right = n - 1 - offset - np.arange(after)
        targets = np.concatenate([left, right]).astype(np.int64)
        sources = np.concatenate([np.arange(before), before + n + np.arange(after)])
        if targets.size:
            moved = np.moveaxis(core, axis, 0)
            np.add.at(moved, targets, np.moveaxis(np.take(out, sources, axis=axis), axis, 0))
        out = core
    return [out]


@register_kernel("DynamicStitch", "ParallelDynamicStitch")
def _dynamic_stitch(inputs: list[Any], attrs: Attrs) -> list[Array]:
    indices = [np.asarray(i) for i in inputs[0]]
    data = [np.asarray(d) for d in inputs[1]]
    if len(indices) != len(data):
        raise invalid(f"indices and data must have the same length: {len(indices)} vs {len(data)}")
    rows = max((int(i.max()) + 1 for i in indices if i.size), default=0)
    inner = data[0].shape[indices[0].ndim :]
    out = np.zeros((rows, *inner), data[0].dtype)
    for i, (idx, d) in enumerate(zip(indices, data, strict=True)):
        if d.shape[: idx.ndim] != idx.shape:
            raise invalid(
                f"data[{i}].shape = {shape_str(d.shape)} does not start with "
                f"indices[{i}].shape = {shape_str(idx.shape)}"
            )
        if np.any(idx < 0):
            raise invalid(f"indices[{i}] has a negative value")
        out[idx.reshape(-1)] = d.reshape(-1, *inner)
    return [out]


@register_kernel("ListDiff")
def _list_diff(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x, y = np.asarray(inputs[0]), np.asarray(inputs[1])
    if x.ndim != 1 or y.ndim != 1:
        raise invalid(f"x should be a 1D vector.  {shape_str(x.shape)}")
    keep = ~np.isin(x, y)
    out_idx = attrs.get("out_idx", np.int32)
    index_dtype = getattr(out_idx, "as_numpy_dtype", out_idx)
    return [x[keep], np.flatnonzero(keep).astype(index_dtype)]


@register_kernel("InvertPermutation")
def _invert_permutation(inputs: list[Any], attrs: Attrs) -> list[Array]:
    perm = np.asarray(inputs[0])
    if perm.ndim != 1:
        raise invalid(f"invert_permutation expects a 1D vector. {shape_str(perm.shape)}")
    n = perm.size
    if np.any((perm < 0) | (perm >= n)):
        bad = int(perm[(perm < 0) | (perm >= n)][0])
        raise invalid(f"{bad} is not between 0 and {n}")
    out = np.full(n, -1, perm.dtype)
    out[perm] = np.arange(n, dtype=perm.dtype)
    if np.any(out < 0):
        raise invalid(f"{int(np.bincount(perm).argmax())} is duplicated in the input.")
    return [out]


@register_kernel("ConcatOffset")
def _concat_offset(inputs: list[Any], attrs: Attrs) -> list[Array]:
    axis = int(np.asarray(inputs[0]))
    shapes = [np.asarray(s) for s in inputs[1]]
    rank = shapes[0].size
    if not -rank <= axis < rank:
        raise invalid(f"Concat dim is out of range: {axis} vs. {rank}")
    axis %= rank
    out, offset = [], 0
    for s in shapes:
        if s.size != rank:
            raise invalid(f"input 1 should contain {rank} elements, but got {s.size}")
        o = np.zeros(rank, s.dtype)
        o[axis] = offset
        offset += int(s[axis])
        out.append(o)
    return out


# --------------------------------------------------------------------------- shapes


def _shape_input(op: Any, index: int) -> list[TensorShape]:
    from stowflow.graph.shape_fns import shape_from_tensor

    return [shape_from_tensor(op.inputs[index])]


def _like_input(index: int) -> Any:
    return lambda op: [op.inputs[index].shape]


register_shape("Conv2DBackpropFilter")(lambda op: _shape_input(op, 1))
register_shape("DepthwiseConv2dNativeBackpropFilter")(lambda op: _shape_input(op, 1))
register_shape("DepthwiseConv2dNativeBackpropInput")(lambda op: _shape_input(op, 0))
register_shape("AvgPoolGrad")(lambda op: _shape_input(op, 0))
register_shape("StridedSliceGrad")(lambda op: _shape_input(op, 0))
register_shape("MaxPoolGrad")(_like_input(0))
for _t in ("Relu6Grad", "LeakyReluGrad", "EluGrad", "SeluGrad", "SoftplusGrad"):
    register_shape(_t)(_like_input(0))
register_shape("ReciprocalGrad")(_like_input(0))
register_shape("InvertPermutation")(_like_input(0))
register_shape("ListDiff")(lambda op: [TensorShape([None]), TensorShape([None])])


@register_shape("MirrorPadGrad")
def _mirror_pad_grad_shape(op: Any) -> list[TensorShape]:
    from stowflow.graph.shape_fns import constant_value

    dims = op.inputs[0].shape.as_list() if op.inputs[0].shape.ndims is not None else None
    pads = constant_value(op.inputs[1])
    if dims is None or pads is None:
        return [TensorShape(None) if dims is None else TensorShape([None] * len(dims))]
    sizes = [None if d is None else d - int(p[0]) - int(p[1]) for d, p in zip(dims, pads)]
    return [TensorShape(sizes)]


@register_shape("DynamicStitch", "ParallelDynamicStitch")
def _dynamic_stitch_shape(op: Any) -> list[TensorShape]:
    n = len(op.inputs) // 2
    first_idx, first_data = op.inputs[0].shape, op.inputs[n].shape
    if first_idx.ndims is None or first_data.ndims is None:
        return [TensorShape(None)]
    return [TensorShape([None] + first_data.as_list()[first_idx.ndims :])]


@register_shape("ConcatOffset")
def _concat_offset_shape(op: Any) -> list[TensorShape]:
    return [t.shape for t in op.inputs[1:]]  # the N shape inputs follow concat_dim


@register_shape("FusedBatchNormGradV3", "FusedBatchNormGradV2", "FusedBatchNormGrad")
def _fused_batch_norm_grad_shape(op: Any) -> list[TensorShape]:
    x = op.inputs[1].shape
    channels = x.as_list()[-1] if x.ndims == 4 else None
    vec = TensorShape([channels])
    return [x, vec, vec, TensorShape([0]), TensorShape([0])]
