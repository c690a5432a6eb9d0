"""Gradient cases of the nn/array ops, shared by ``make_grad_goldens.py`` and the tests.

Builders take a ``tf.compat.v1``-like namespace ``ns`` and build into the default graph
(see ``cases.py``); values come from seeded ``np.random.RandomState`` streams.
"""

from __future__ import annotations

from typing import Any

import numpy as np

I32 = np.int32


def rand(seed: int, *shape: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    """Seeded float32 values in [low, high)."""
    return np.random.RandomState(seed).uniform(low, high, size=shape).astype(np.float32)


def _ph(ns: Any, name: str, value: np.ndarray, shape: Any = None) -> tuple[Any, np.ndarray]:
    dtype = ns.float32 if value.dtype == np.float32 else ns.int32
    return ns.placeholder(dtype, value.shape if shape is None else shape, name=name), value


def _sq(ns: Any, t: Any) -> Any:
    return ns.reduce_sum(ns.square(t))


def small_cnn(ns: Any) -> dict[str, Any]:
    """conv + batch norm (training) + relu + max pool + dense + sparse softmax xent."""
    x, xv = _ph(ns, "x", rand(100, 2, 6, 6, 3))
    y, yv = _ph(ns, "y", np.array([1, 2], I32))
    w = ns.Variable(rand(101, 3, 3, 3, 4) * 0.5, name="conv_w")
    gamma = ns.Variable(rand(102, 4, low=0.5, high=1.5), name="gamma")
    beta = ns.Variable(rand(103, 4, low=-0.1, high=0.1), name="beta")
    dw = ns.Variable(rand(104, 36, 3) * 0.3, name="dense_w")
    db = ns.Variable(rand(105, 3, low=-0.1, high=0.1), name="dense_b")
    h = ns.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")
    h, _, _ = ns.nn.fused_batch_norm(h, gamma, beta, is_training=True)
    h = ns.nn.relu(h)
    h = ns.nn.max_pool(h, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
    logits = ns.nn.bias_add(ns.matmul(ns.reshape(h, [2, 36]), dw), db)
    loss = ns.reduce_mean(ns.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return {"ys": [loss], "xs": [x, w, gamma, beta, dw, db], "feeds": [(x, xv), (y, yv)]}


def conv_variants(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(110, 2, 7, 7, 3))
    w, wv = _ph(ns, "w", rand(111, 3, 3, 3, 2))
    a = ns.nn.conv2d(x, w, strides=[1, 2, 2, 1], padding="VALID")
    b = ns.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding=[[0, 0], [1, 2], [0, 1], [0, 0]])
    c = ns.nn.conv2d(x, w, strides=[1, 2, 1, 1], padding="SAME")
    loss = _sq(ns, a) + _sq(ns, b) + _sq(ns, c)
    return {"ys": [loss], "xs": [x, w], "feeds": [(x, xv), (w, wv)]}


def depthwise(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(120, 2, 6, 6, 3))
    w, wv = _ph(ns, "w", rand(121, 3, 3, 3, 2))
    a = ns.nn.depthwise_conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")
    b = ns.nn.depthwise_conv2d(x, w, strides=[1, 2, 2, 1], padding="VALID")
    loss = _sq(ns, a) + _sq(ns, b)
    return {"ys": [loss], "xs": [x, w], "feeds": [(x, xv), (w, wv)]}


def conv_transpose(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(130, 2, 3, 3, 4))
    w, wv = _ph(ns, "w", rand(131, 3, 3, 2, 4))
    y = ns.nn.conv2d_transpose(x, w, output_shape=[2, 6, 6, 2], strides=[1, 2, 2, 1])
    return {"ys": [_sq(ns, y)], "xs": [x, w], "feeds": [(x, xv), (w, wv)]}


def pooling(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(140, 2, 7, 7, 3))
    a = ns.nn.max_pool(x, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="VALID")
    b = ns.nn.avg_pool(x, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME")
    c = ns.nn.avg_pool(x, ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding="VALID")
    d = ns.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
    loss = _sq(ns, a) + _sq(ns, b) + _sq(ns, c) + _sq(ns, d)
    return {"ys": [loss], "xs": [x], "feeds": [(x, xv)]}


def batch_norm_inference(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(150, 2, 3, 3, 4))
    scale, sv = _ph(ns, "scale", rand(151, 4, low=0.5, high=1.5))
    offset, ov = _ph(ns, "offset", rand(152, 4))
    mean, mv = _ph(ns, "mean", rand(153, 4))
    var, vv = _ph(ns, "var", rand(154, 4, low=0.5, high=2.0))
    y, _, _ = ns.nn.fused_batch_norm(x, scale, offset, mean, var, is_training=False)
    feeds = [(x, xv), (scale, sv), (offset, ov), (mean, mv), (var, vv)]
    return {"ys": [_sq(ns, y)], "xs": [x, scale, offset], "feeds": feeds}


def activations(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(160, 3, 5, low=-4.0, high=8.0))
    w, wv = _ph(ns, "w", rand(161, 3, 5))
    parts = [
        ns.nn.relu6(x),
        ns.nn.elu(x),
        ns.nn.selu(x),
        ns.nn.softplus(x),
        ns.nn.leaky_relu(x, alpha=0.3),
        ns.nn.log_softmax(x),
        ns.nn.softmax(x),
    ]
    loss = ns.reduce_sum(ns.add_n(parts) * w)
    return {"ys": [loss], "xs": [x], "feeds": [(x, xv), (w, wv)]}


def array_grads(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(170, 4, 6))
    w, wv = _ph(ns, "w", rand(171, 4, 6))
    parts = [
        _sq(ns, ns.pad(x, [[1, 0], [0, 2]])),
        _sq(ns, ns.pad(x, [[1, 1], [2, 0]], mode="REFLECT")),
        _sq(ns, ns.slice(x, [1, 2], [2, 3])),
        _sq(ns, x[1:, ::2]),
        _sq(ns, x[:, 1]),
        _sq(ns, ns.concat([x, w * x], axis=1)),
        _sq(ns, ns.tile(x, [2, 1])),
        _sq(ns, ns.transpose(x) * ns.transpose(w)),
        _sq(ns, ns.squeeze(ns.expand_dims(x, 0))),
    ]
    a, b = ns.split(x, 2, axis=1)
    c, d = ns.split(x, [2, 4], axis=1)
    parts += [_sq(ns, a * 2.0 + b), _sq(ns, c) + _sq(ns, d * 3.0)]
    u = ns.unstack(x, axis=0)
    parts.append(_sq(ns, ns.stack([u[0] * 2.0, u[2]], axis=1)))
    loss = ns.add_n(parts)
    return {"ys": [loss], "xs": [x], "feeds": [(x, xv), (w, wv)]}


def reductions(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(180, 3, 4, low=0.5, high=1.5))
    parts = [
        ns.reduce_sum(ns.reduce_max(x, axis=1)),
        ns.reduce_sum(ns.reduce_min(x, axis=0, keepdims=True)),
        ns.reduce_max(x),
        ns.reduce_sum(ns.reduce_mean(x, axis=[0, 1])),
        ns.reduce_sum(ns.reduce_prod(x, axis=1)),
        ns.reduce_prod(x * ns.constant([[1.0, 0.0, 1.0, 1.0]])),
    ]
    return {"ys": [ns.add_n(parts)], "xs": [x], "feeds": [(x, xv)]}


def select_minmax(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(190, 3, 4))
    y, yv = _ph(ns, "y", rand(191, 3, 4))
    z, zv = _ph(ns, "z", rand(192, 4))
    parts = [
        ns.where(x > y, x, y * 2.0),
        ns.where_v2(x > 0.0, x, z),
        ns.maximum(x, z),
        ns.minimum(x, y),
        ns.rsqrt(ns.square(x) + 1.0),
        ns.reciprocal(ns.square(y) + 1.0),
    ]
    loss = _sq(ns, ns.add_n(parts))
    return {"ys": [loss], "xs": [x, y, z], "feeds": [(x, xv), (y, yv), (z, zv)]}


def batch_matmul(ns: Any) -> dict[str, Any]:
    a, av = _ph(ns, "a", rand(200, 2, 3, 4))
    b, bv = _ph(ns, "b", rand(201, 2, 4, 5))
    c, cv = _ph(ns, "c", rand(202, 4, 5))
    loss = _sq(ns, ns.matmul(a, b)) + _sq(ns, ns.matmul(a, c))
    return {"ys": [loss], "xs": [a, b, c], "feeds": [(a, av), (b, bv), (c, cv)]}


def embedding(ns: Any) -> dict[str, Any]:
    """Two lookups into one table: IndexedSlices gradients, aggregated."""
    ids, iv = _ph(ns, "ids", np.array([[1, 3, 1], [0, 7, 9]], I32))
    ids2, iv2 = _ph(ns, "ids2", np.array([2, 3], I32))
    table = ns.Variable(rand(210, 10, 4), name="table")
    e = ns.nn.embedding_lookup(table, ids)
    f = ns.cast(ns.gather(ns.cast(table, ns.float64), ids2), ns.float32)
    loss = _sq(ns, e) + ns.reduce_sum(f * 3.0)
    return {"ys": [loss], "xs": [table], "feeds": [(ids, iv), (ids2, iv2)]}


def gather_axis1(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(220, 3, 5))
    idx, iv = _ph(ns, "idx", np.array([4, 0, 4], I32))
    rows, rv = _ph(ns, "rows", np.array([2, 2, 0, 1], I32))
    loss = _sq(ns, ns.gather(x, idx, axis=1)) + _sq(ns, ns.gather(x, rows))
    return {"ys": [loss], "xs": [x], "feeds": [(x, xv), (idx, iv), (rows, rv)]}


def dynamic_shapes(ns: Any) -> dict[str, Any]:
    """Reductions over shapes known only at run time (DynamicStitch / BroadcastTo path)."""
    x, xv = _ph(ns, "x", rand(250, 3, 4), [None, 4])
    parts = [
        ns.reduce_sum(ns.reduce_sum(x * x, axis=1)),
        ns.reduce_sum(ns.reduce_sum(x, axis=0, keepdims=True)),
        ns.reduce_sum(ns.reduce_mean(x, axis=1)),
    ]
    return {"ys": [ns.add_n(parts)], "xs": [x], "feeds": [(x, xv)]}


def more_math(ns: Any) -> dict[str, Any]:
    """The math of losses and non-fused batch norm: SquaredDifference, Pow, Log1p, Abs..."""
    x, xv = _ph(ns, "x", rand(260, 3, 4, low=0.2, high=2.0))
    y, yv = _ph(ns, "y", rand(261, 4))
    parts = [
        ns.squared_difference(x, y),
        ns.pow(x, y),
        ns.log1p(x),
        ns.abs(x - 1.0),
        ns.sign(x - 1.0) * x,
        ns.sin(x) + ns.cos(x),
        ns.erf(x),
        ns.squared_difference(x, x * 2.0),
    ]
    loss = ns.reduce_sum(ns.add_n(parts)) + ns.nn.l2_loss(y)
    return {"ys": [loss], "xs": [x, y], "feeds": [(x, xv), (y, yv)]}


GRADIENT_CASES = {
    "more_math": more_math,
    "dynamic_shapes": dynamic_shapes,
    "small_cnn": small_cnn,
    "conv_variants": conv_variants,
    "depthwise": depthwise,
    "conv_transpose": conv_transpose,
    "pooling": pooling,
    "batch_norm_inference": batch_norm_inference,
    "activations": activations,
    "array_grads": array_grads,
    "reductions": reductions,
    "select_minmax": select_minmax,
    "batch_matmul": batch_matmul,
    "embedding": embedding,
    "gather_axis1": gather_axis1,
}


def clipping(ns: Any) -> dict[str, Any]:
    """clip_by_norm (scalar and tensor limits, axes) and clip_by_global_norm: forward graphs."""
    a, av = _ph(ns, "a", rand(230, 3, 4) * 3.0)
    b, bv = _ph(ns, "b", rand(231, 5) * 0.1)
    limit = ns.constant(1.5, name="limit")
    outs = [
        ns.clip_by_norm(a, 2.0),
        ns.clip_by_norm(b, limit),
        ns.clip_by_norm(a, 1.0, axes=[1]),
    ]
    clipped, norm = ns.clip_by_global_norm([a, None, b], 2.5)
    outs += [clipped[0], clipped[2], norm, ns.global_norm([a, b], name="gn")]
    return {"outputs": outs, "feeds": [(a, av), (b, bv)]}


def options(ns: Any, **kwargs: Any) -> dict[str, Any]:
    """A graph with shared consumers, differentiated with ``tf.gradients`` options."""
    x, xv = _ph(ns, "x", rand(240, 3, 4))
    w, wv = _ph(ns, "w", rand(241, 4, 2))
    h = ns.matmul(x, w)
    loss = ns.reduce_sum(h * h) + ns.reduce_sum(ns.tanh(h)) + ns.reduce_sum(x * 2.0)
    return {"ys": [loss], "xs": [x, w], "feeds": [(x, xv), (w, wv)], "kwargs": kwargs}


OPTION_CASES = {
    "gate_gradients": lambda ns: options(ns, gate_gradients=True),
    "aggregation_tree": lambda ns: options(ns, aggregation_method=1),
    "aggregation_accumulate_n": lambda ns: options(ns, aggregation_method=2),
    "grad_ys_scalar": lambda ns: {
        **options(ns),
        "kwargs": {"grad_ys": [ns.constant(np.float32(0.5))]},
    },
}


# --------------------------------------------------------------------------------- kernels


def kernel_cases() -> list[tuple[str, str, list[Any], dict[str, Any]]]:
    """(case id, op type, inputs in OpDef order, attrs) for the backprop kernels."""
    x = rand(300, 2, 7, 6, 3)
    w = rand(301, 3, 2, 3, 4)

    def conv(pad: Any, s: int, d: int = 1, ex: Any = None) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "strides": [1, s, s, 1],
            "padding": pad,
            "dilations": [1, d, d, 1],
        }
        if ex is not None:
            attrs["explicit_paddings"] = ex
        return attrs

    def out(pad: str, s: int, d: int = 1) -> tuple[int, int]:
        kh, kw = (3 - 1) * d + 1, (2 - 1) * d + 1
        if pad == "SAME":
            return -(-7 // s), -(-6 // s)
        return (7 - kh + s) // s, (6 - kw + s) // s

    cases: list[tuple[str, str, list[Any], dict[str, Any]]] = []
    for pad, s, d in (("SAME", 1, 1), ("VALID", 2, 1), ("SAME", 2, 1), ("VALID", 1, 2)):
        oh, ow = out(pad, s, d)
        dy = rand(302 + s + 10 * d, 2, oh, ow, 4)
        tag = f"{pad.lower()}_s{s}_d{d}"
        cases.append(
            (
                f"conv_filter_{tag}",
                "Conv2DBackpropFilter",
                [x, np.array(w.shape, I32), dy],
                conv(pad, s, d),
            )
        )
        if d == 1:
            cases.append(
                (
                    f"conv_input_{tag}",
                    "Conv2DBackpropInput",
                    [np.array(x.shape, I32), w, dy],
                    conv(pad, s, d),
                )
            )
    ex = [0, 0, 1, 2, 0, 1, 0, 0]
    dy = rand(320, 2, 8, 6, 4)
    cases.append(
        (
            "conv_filter_explicit",
            "Conv2DBackpropFilter",
            [x, np.array(w.shape, I32), dy],
            conv("EXPLICIT", 1, 1, ex),
        )
    )
    dw = rand(330, 3, 2, 3, 2)
    for pad, s in (("SAME", 1), ("VALID", 2)):
        oh, ow = out(pad, s)
        dy = rand(331 + s, 2, oh, ow, 6)
        cases.append(
            (
                f"depthwise_input_{pad.lower()}_s{s}",
                "DepthwiseConv2dNativeBackpropInput",
                [np.array(x.shape, I32), dw, dy],
                conv(pad, s),
            )
        )
        cases.append(
            (
                f"depthwise_filter_{pad.lower()}_s{s}",
                "DepthwiseConv2dNativeBackpropFilter",
                [x, np.array(dw.shape, I32), dy],
                conv(pad, s),
            )
        )
    px = np.round(rand(340, 2, 5, 6, 3) * 4) / 4  # ties inside windows
    for pad, k, s in (("VALID", 2, 2), ("SAME", 3, 2), ("SAME", 2, 1), ("VALID", 3, 1)):
        pool = {"ksize": [1, k, k, 1], "strides": [1, s, s, 1], "padding": pad}
        oh = -(-5 // s) if pad == "SAME" else (5 - k + s) // s
        ow = -(-6 // s) if pad == "SAME" else (6 - k + s) // s
        y = _max_pool_reference(px, k, s, pad)
        dy = rand(341 + k * s, 2, oh, ow, 3)
        tag = f"{pad.lower()}_k{k}_s{s}"
        cases.append((f"max_pool_grad_{tag}", "MaxPoolGrad", [px, y, dy], pool))
        cases.append((f"avg_pool_grad_{tag}", "AvgPoolGrad", [np.array(px.shape, I32), dy], pool))
    bx, bdy = rand(350, 2, 3, 4, 5), rand(351, 2, 3, 4, 5)
    scale = rand(352, 5, low=0.5, high=1.5)
    mean = bx.reshape(-1, 5).mean(0)
    var = bx.reshape(-1, 5).var(0)
    pop_mean, pop_var = rand(353, 5), rand(354, 5, low=0.5, high=2.0)
    reserve3 = np.zeros(0, np.float32)
    for training, (m, v) in ((True, (mean, var)), (False, (pop_mean, pop_var))):
        cases.append(
            (
                f"fused_bn_grad_{'train' if training else 'infer'}",
                "FusedBatchNormGradV3",
                [bdy, bx, scale, m, v, reserve3],
                {"epsilon": 0.001, "is_training": training},
            )
        )
    a, g = rand(360, 3, 4, low=-3.0, high=8.0), rand(361, 3, 4)
    y_elu = np.where(a < 0, np.exp(a) - 1, a).astype(np.float32)
    cases += [
        ("relu6_grad", "Relu6Grad", [g, a], {}),
        ("leaky_relu_grad", "LeakyReluGrad", [g, a], {"alpha": 0.3}),
        ("elu_grad", "EluGrad", [g, y_elu], {}),
        ("selu_grad", "SeluGrad", [g, y_elu * 1.7], {}),
        ("softplus_grad", "SoftplusGrad", [g, a], {}),
        ("reciprocal_grad", "ReciprocalGrad", [a, g], {}),
        ("invert_permutation", "InvertPermutation", [np.array([2, 0, 3, 1], I32)], {}),
        (
            "dynamic_stitch",
            "DynamicStitch",
            [
                [np.array([0, 2], I32), np.array([[1], [2]], I32)],
                [rand(380, 2, 3), rand(381, 2, 1, 3)],
            ],
            {},
        ),
        (
            "concat_offset",
            "ConcatOffset",
            [np.array(1, I32), [np.array([2, 3, 4], I32), np.array([2, 5, 4], I32)]],
            {},
        ),
    ]
    sx = rand(370, 4, 6, 5)
    for tag, begin, end, strides, masks, dy_shape in (
        ("basic", [1, 0, 1], [3, 6, 5], [1, 2, 2], {}, (2, 3, 2)),
        ("shrink", [1, 0], [2, 0], [1, 1], {"shrink_axis_mask": 1, "end_mask": 2}, (6, 5)),
        ("negative", [-1, 4], [0, 0], [-1, -2], {"end_mask": 1}, (4, 2, 5)),
        ("new_axis", [0, 1], [0, 3], [1, 1], {"new_axis_mask": 1, "begin_mask": 1}, (1, 2, 6, 5)),
    ):
        dy = rand(371, *dy_shape)
        cases.append(
            (
                f"strided_slice_grad_{tag}",
                "StridedSliceGrad",
                [
                    np.array(sx.shape, I32),
                    np.array(begin, I32),
                    np.array(end, I32),
                    np.array(strides, I32),
                    dy,
                ],
                {k: masks.get(k, 0) for k in MASK_NAMES},
            )
        )
    return cases


MASK_NAMES = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _max_pool_reference(x: np.ndarray, k: int, s: int, pad: str) -> np.ndarray:
    """MaxPool's output (an input of MaxPoolGrad), by brute force over windows."""
    n, h, w, c = x.shape
    if pad == "SAME":
        oh, ow = -(-h // s), -(-w // s)
        ph = max(0, (oh - 1) * s + k - h) // 2
        pw = max(0, (ow - 1) * s + k - w) // 2
    else:
        oh, ow, ph, pw = (h - k + s) // s, (w - k + s) // s, 0, 0
    out = np.empty((n, oh, ow, c), x.dtype)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - ph, j * s - pw
            win = x[:, max(r0, 0) : r0 + k, max(c0, 0) : c0 + k]
            out[:, i, j] = win.max(axis=(1, 2))
    return out
