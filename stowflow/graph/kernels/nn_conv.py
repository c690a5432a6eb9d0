"""Convolution kernels: Conv2D, DepthwiseConv2dNative, Conv2DBackpropInput, Conv3D.

How they run: a general convolution is im2col -- every window tap is copied once into a
``[batch, *out, *kernel, channels]`` buffer, batch chunk by batch chunk -- followed by one
``np.matmul`` per chunk against the reshaped filter (multi-threaded BLAS). 1x1 convolutions
skip the copy (a strided view times the filter). Depthwise convolutions multiply-add one
kernel tap at a time over whole row blocks (vectorised over pixels and channels).
Transposed convolution is a matmul against the filter followed by col2im (a strided add
per tap). Half and bfloat16 run in float32 and round once, as TF's Eigen kernels do.

TF facts (tensorflow/core/kernels/conv_ops*.cc, depthwise_conv_op.cc,
conv_grad_input_ops.cc): the CPU kernels accept NHWC / NDHWC only; Conv2D supports
groups (input depth a multiple of the filter's) and dilations; depthwise needs equal row
and column strides; the CPU transposed convolution and Conv3D reject dilations > 1.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from stowflow.graph.kernels.nn_common import (
    Array,
    Attrs,
    Window,
    compute_dtype,
    explicit_pairs,
    invalid,
    parallel,
    shape_str,
    text,
    unimplemented,
    window,
)
from stowflow.graph.kernels.registry import register_kernel

# Elements of the im2col buffer per chunk: big enough for efficient BLAS calls, small
# enough to stay far below the activations' own size.
_COLS_BUDGET = 1 << 23
# Output elements per depthwise block: a block's rows stay in the L2 cache across taps.
_DEPTHWISE_BLOCK = 1 << 16


# --------------------------------------------------------------------------- attrs


def _spatial(attrs: Attrs, name: str, rank: int, what: str) -> list[int]:
    """The spatial entries of a ``strides``/``dilations`` attr (batch and depth must be 1)."""
    values = [int(v) for v in attrs.get(name) or [1] * rank]
    if len(values) != rank:
        raise invalid(f"Sliding window {what} field must specify {rank} dimensions")
    if values[0] != 1 or values[-1] != 1:
        raise unimplemented(
            f"Current implementation does not yet support {what} in the batch and depth dimensions."
        )
    if any(v <= 0 for v in values):
        raise invalid(f"Sliding window {what} must be positive: {values}")
    return values[1:-1]


def _windows(x_shape: tuple[int, ...], k: tuple[int, ...], attrs: Attrs) -> list[Window]:
    rank = len(x_shape)
    strides = _spatial(attrs, "strides", rank, "strides")
    dilations = _spatial(attrs, "dilations", rank, "dilations")
    explicit = explicit_pairs(attrs, rank)[1:-1]
    padding = text(attrs.get("padding"))
    return [
        window(x_shape[i + 1], k[i], strides[i], dilations[i], padding, explicit[i])
        for i in range(rank - 2)
    ]


def _taps(
    k: tuple[int, ...], attrs: Attrs, wins: list[Window]
) -> list[tuple[tuple[int, ...], tuple[slice, ...]]]:
    """Every kernel tap with the strided slices it reads from the padded input."""
    rank = len(k) + 2
    strides = [int(s) for s in (attrs.get("strides") or [1] * rank)[1:-1]]
    dilations = [int(d) for d in (attrs.get("dilations") or [1] * rank)[1:-1]]
    out = []
    for tap in itertools.product(*(range(n) for n in k)):
        slices = tuple(
            slice(t * d, t * d + (w.out - 1) * s + 1, s)
            for t, d, s, w in zip(tap, dilations, strides, wins, strict=True)
        )
        out.append((tap, slices))
    return out


def _pad(x: Array, wins: list[Window]) -> Array:
    pads = [(0, 0)] + [(w.before, w.after) for w in wins] + [(0, 0)]
    return np.pad(x, pads) if any(p != (0, 0) for p in pads) else x


# --------------------------------------------------------------------------- core


def convolve(x: Array, w: Array, attrs: Attrs, wins: list[Window]) -> Array:
    """Grouped N-d convolution of ``x [N, *S, C]`` with ``w [*K, C/groups, O]``."""
    dtype = x.dtype
    work = compute_dtype(dtype)
    x, w = x.astype(work, copy=False), w.astype(work, copy=False)
    k = w.shape[:-2]
    n, c, o = x.shape[0], x.shape[-1], w.shape[-1]
    groups = c // w.shape[-2] if w.shape[-2] else 1
    out_sizes = tuple(win.out for win in wins)
    out = np.zeros((n, *out_sizes, o), work)
    if out.size == 0 or c == 0:
        return out.astype(dtype, copy=False)
    xp = _pad(x, wins)
    taps = _taps(k, attrs, wins)
    if len(taps) == 1:  # 1x1: a strided view of the input is already the column matrix
        cols = xp[(slice(None), *taps[0][1], slice(None))]
        _matmul(cols.reshape(-1, c), w.reshape(c // groups, o), groups, out.reshape(-1, o))
        return out.astype(dtype, copy=False)
    pieces, width, source = _fill_plan(np.ascontiguousarray(xp), k, attrs, wins, taps)
    per_image = int(np.prod(out_sizes)) * len(taps) * c
    chunk = max(1, _COLS_BUDGET // max(per_image, 1))
    buf = np.empty((min(chunk, n), *out_sizes, pieces, width), work)
    w2 = w.reshape(len(taps) * (c // groups), o)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        cols = buf[: stop - start]

        def fill(
            p0: int, p1: int, cols: Array = cols, start: int = start, stop: int = stop
        ) -> None:
            for p in range(p0, p1):
                cols[..., p, :] = source(p, start, stop)

        parallel(fill, pieces, work=cols.size)
        _matmul(cols.reshape(-1, len(taps), c), w2, groups, out[start:stop].reshape(-1, o))
    return out.astype(dtype, copy=False)


Source = Callable[[int, int, int], Array]


def _fill_plan(
    xp: Array, k: tuple[int, ...], attrs: Attrs, wins: list[Window], taps: list[Any]
) -> tuple[int, int, Source]:
    """How to fill an im2col chunk: ``(pieces, piece width, source(piece, first, last))``.

    Generally a piece is one tap (``C`` values per output pixel). For 2-D inputs without
    column dilation, a piece is a whole kernel row: its ``KW * C`` values per output pixel
    are contiguous in the padded input, so one strided view copies them with long inner
    loops -- much faster when ``C`` is small (an RGB stem convolution has ``C = 3``).
    """
    c = xp.shape[-1]
    rank = xp.ndim
    strides = [int(v) for v in (attrs.get("strides") or [1] * rank)[1:-1]]
    dilations = [int(v) for v in (attrs.get("dilations") or [1] * rank)[1:-1]]
    if rank == 4 and dilations[1] == 1:
        (oh, ow), (kh, kw) = (w.out for w in wins), k
        ns, hs, ws, cs = xp.strides

        def row(p: int, first: int, last: int) -> Array:
            base = xp[first:last, p * dilations[0] :]
            shape = (last - first, oh, ow, kw * c)
            view = (ns, strides[0] * hs, strides[1] * ws, cs)
            return as_strided(base, shape, view, writeable=False)

        return kh, kw * c, row

    def tap(p: int, first: int, last: int) -> Array:
        return xp[(slice(first, last), *taps[p][1], slice(None))]

    return len(taps), c, tap


def _matmul(cols: Array, w2: Array, groups: int, out: Array) -> None:
    """``out = cols @ w2`` where ``cols`` is ``[M, taps*C]`` (or ``[M, taps, C]``), grouped."""
    m, o = out.shape
    if groups == 1:
        np.matmul(cols.reshape(m, -1), w2, out=out)
        return
    c = cols.shape[-1]
    taps = cols.size // (m * c)
    cg, og = c // groups, o // groups
    lhs = cols.reshape(m, taps, groups, cg).transpose(2, 0, 1, 3).reshape(groups, m, taps * cg)
    rhs = w2.reshape(taps, cg, groups, og).transpose(2, 0, 1, 3).reshape(groups, taps * cg, og)
    out[...] = np.matmul(lhs, rhs).transpose(1, 0, 2).reshape(m, o)


# --------------------------------------------------------------------------- Conv2D / Conv3D


def _check_conv_shapes(x: Array, w: Array, rank: int, lead: str) -> None:
    if x.ndim != rank:
        raise invalid(f"{lead}input must be {rank}-dimensional: {shape_str(x.shape)}")
    if w.ndim != rank:
        raise invalid(f"{lead}filter must be {rank}-dimensional: {shape_str(w.shape)}")


@register_kernel("Conv2D")
def _conv2d(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x, w = np.asarray(inputs[0]), np.asarray(inputs[1])
    _spatial(attrs, "strides", 4, "strides")
    _spatial(attrs, "dilations", 4, "dilations")
    explicit_pairs(attrs, 4)
    fmt = text(attrs.get("data_format"), "NHWC")
    if fmt != "NHWC":
        raise unimplemented(
            "The Conv2D op currently only supports the NHWC tensor format on the CPU. "
            f"The op was given the format: {fmt}"
        )
    _check_conv_shapes(x, w, 4, "convolution ")
    in_depth, filter_depth, out_depth = x.shape[3], w.shape[2], w.shape[3]
    if filter_depth <= 0:
        raise invalid(f"filter depth must be stricly positive, got {filter_depth}")
    if in_depth % filter_depth:
        raise invalid(
            f"input depth must be evenly divisible by filter depth: {in_depth} vs {filter_depth}"
        )
    groups = in_depth // filter_depth
    if out_depth % groups:
        raise invalid(
            f"output depth must be evenly divisible by number of groups: {out_depth} vs {groups}"
        )
    return [convolve(x, w, attrs, _windows(x.shape, w.shape[:2], attrs))]


@register_kernel("Conv3D")
def _conv3d(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x, w = np.asarray(inputs[0]), np.asarray(inputs[1])
    _spatial(attrs, "strides", 5, "strides")
    if any(int(d) != 1 for d in attrs.get("dilations") or []):
        raise invalid("CPU implementation of Conv3D currently only supports dilated rates of 1.")
    if text(attrs.get("data_format"), "NDHWC") != "NDHWC":
        raise invalid(
            "CPU implementation of Conv3D currently only supports the NHWC tensor format."
        )
    _check_conv_shapes(x, w, 5, "")
    in_depth, filter_depth = x.shape[4], w.shape[3]
    if filter_depth <= 0 or in_depth % filter_depth:
        raise invalid(
            f"Input depth must be evenly divisible by filter depth: {in_depth} vs {filter_depth}"
        )
    return [convolve(x, w, attrs, _windows(x.shape, w.shape[:3], attrs))]


# --------------------------------------------------------------------------- depthwise


@register_kernel("DepthwiseConv2dNative")
def _depthwise(inputs: list[Any], attrs: Attrs) -> list[Array]:
    x, w = np.asarray(inputs[0]), np.asarray(inputs[1])
    strides = _spatial(attrs, "strides", 4, "strides")
    _spatial(attrs, "dilations", 4, "dilations")
    explicit_pairs(attrs, 4)
    if strides[0] != strides[1]:
        raise invalid(
            "Current implementation only supports equal length strides in the row and column "
            "dimensions."
        )
    if text(attrs.get("data_format"), "NHWC") != "NHWC":
        raise unimplemented("Depthwise convolution on CPU is only supported for NHWC format")
    dilations = [int(d) for d in attrs.get("dilations") or []]
    if any(d != 1 for d in dilations):
        listed = " ".join(str(d) for d in dilations)
        raise unimplemented(
            f"Current kernel implementation does not support dilations, received [{listed}]"
        )
    if x.ndim != 4:
        raise invalid(f"input must be 4-dimensional{shape_str(x.shape)}")
    if w.ndim != 4:
        raise invalid(f"filter must be 4-dimensional: {shape_str(w.shape)}")
    if x.shape[3] != w.shape[2]:
        raise invalid(f"input and filter must have the same depth: {x.shape[3]} vs {w.shape[2]}")
    wins = _windows(x.shape, w.shape[:2], attrs)
    return [depthwise(x, w, attrs, wins)]


def depthwise(x: Array, w: Array, attrs: Attrs, wins: list[Window]) -> Array:
    """Depthwise convolution: ``out[..., c * M + m] = sum_taps x[..., c] * w[tap, c, m]``.

    Unlike the other convolutions, TF's depthwise kernel accumulates half types in their
    own precision, tap by tap in row-major order; so does this one. Work is split into
    blocks of output rows (one image each) spread over the CPUs.
    """
    n, c, mult = x.shape[0], x.shape[3], w.shape[3]
    w = w.astype(x.dtype, copy=False)
    oh, ow = wins[0].out, wins[1].out
    out = np.zeros((mult, n, oh, ow, c), x.dtype)  # zeros: a 0x0 window sums to 0
    if out.size:
        xp = _pad(x, wins)
        taps = _taps(w.shape[:2], attrs, wins)
        stride = int((attrs.get("strides") or [1, 1])[1])
        rows = max(1, min(oh, _DEPTHWISE_BLOCK // max(ow * c, 1)))
        blocks = [(b, r0, min(oh, r0 + rows)) for b in range(n) for r0 in range(0, oh, rows)]

        def run(first: int, last: int) -> None:
            scratch = np.empty((rows, ow, c), x.dtype)
            for b, r0, r1 in blocks[first:last]:
                tmp = scratch[: r1 - r0]
                for m in range(mult):
                    acc = out[m, b, r0:r1]
                    for t, ((i, j), (hs, ws)) in enumerate(taps):
                        start = hs.start + r0 * stride
                        src = xp[b, start : start + (r1 - r0 - 1) * stride + 1 : stride, ws]
                        if t == 0:  # 0 + x * w is exact: the first product is the sum
                            np.multiply(src, w[i, j, :, m], out=acc)
                            continue
                        np.multiply(src, w[i, j, :, m], out=tmp)
                        np.add(acc, tmp, out=acc)

        parallel(run, len(blocks), work=out.size * len(taps))
    return np.moveaxis(out, 0, -1).reshape(n, oh, ow, c * mult)


# --------------------------------------------------------------------------- transposed


@register_kernel("Conv2DBackpropInput")
def _conv2d_backprop_input(inputs: list[Any], attrs: Attrs) -> list[Array]:
    sizes, w, dy = (np.asarray(v) for v in inputs[:3])
    _spatial(attrs, "strides", 4, "strides")
    if text(attrs.get("data_format"), "NHWC") != "NHWC":
        raise invalid("Conv2DCustomBackpropInputOp only supports NHWC.")
    if any(int(d) != 1 for d in attrs.get("dilations") or []):
        raise invalid(
            "Current CPU implementations do not yet support dilation rates larger than 1."
        )
    explicit_pairs(attrs, 4)
    if sizes.ndim != 1 or sizes.size not in (2, 4):
        raise invalid(
            "Conv2DBackpropInput: input_sizes input must be 1-dim, not "
            f"{sizes.ndim}; and have 2 or 4 elements, not {sizes.size}"
        )
    if w.ndim != 4 or dy.ndim != 4:
        raise invalid(
            "Conv2DCustomBackpropInput: filter and out_backprop must be 4-dimensional: "
            f"{shape_str(w.shape)} {shape_str(dy.shape)}"
        )
    dims = [int(v) for v in sizes]
    x_shape = (dy.shape[0], dims[0], dims[1], w.shape[2]) if len(dims) == 2 else tuple(dims)
    if x_shape[3] != w.shape[2]:
        raise invalid(
            "Conv2DCustomBackpropInput: input depth must be evenly divisible by filter depth"
        )
    if dy.shape[3] != w.shape[3]:
        raise invalid(
            "Conv2DCustomBackpropInput: filter and out_backprop must have the same out_depth"
        )
    wins = _windows(x_shape, w.shape[:2], attrs)
    strides = [int(s) for s in attrs["strides"][1:3]]
    for i, win in enumerate(wins):
        if win.out != dy.shape[i + 1]:
            raise invalid(
                "Conv2DCustomBackpropInput: Size of out_backprop doesn't match computed: "
                f"actual = {dy.shape[i + 1]}, computed = {win.out} spatial_dim: {i + 1} "
                f"input: {x_shape[i + 1]} filter: {w.shape[i]} output: {dy.shape[i + 1]} "
                f"stride: {strides[i]} dilation: 1"
            )
    return [transposed(dy, w, x_shape, attrs, wins)]


def transposed(
    dy: Array, w: Array, x_shape: tuple[int, ...], attrs: Attrs, wins: list[Window]
) -> Array:
    """The input-gradient of a convolution: ``dy [N, *out, O]`` through ``w [*K, C, O]``."""
    dtype = dy.dtype
    work = compute_dtype(dtype)
    dy, w = dy.astype(work, copy=False), w.astype(work, copy=False)
    k, c, o = w.shape[:-2], w.shape[-2], w.shape[-1]
    padded = [x_shape[i + 1] + win.before + win.after for i, win in enumerate(wins)]
    dxp = np.zeros((x_shape[0], *padded, c), work)
    if dxp.size and dy.size:
        taps = _taps(k, attrs, wins)
        cols = np.matmul(dy.reshape(-1, o), w.reshape(len(taps) * c, o).T)
        cols = cols.reshape(*dy.shape[:-1], len(taps), c)
        for i, (_, slices) in enumerate(taps):
            dxp[(slice(None), *slices, slice(None))] += cols[..., i, :]
    crop = tuple(slice(win.before, win.before + x_shape[i + 1]) for i, win in enumerate(wins))
    return np.ascontiguousarray(dxp[(slice(None), *crop, slice(None))]).astype(dtype, copy=False)
