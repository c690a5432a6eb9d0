"""Graph cases shared by the TF golden generator and stowflow's training tests.

Every builder takes a namespace ``ns`` spelled like ``tf.compat.v1`` (TensorFlow's own in
``make_training_goldens.py``; stowflow's in the tests) and builds into the default graph, so
both sides make the same forward graph, node for node. Input values come from a seeded
``np.random.RandomState``, whose stream is stable across NumPy versions.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def rand(seed: int, *shape: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    """Seeded float32 values in [low, high)."""
    return np.random.RandomState(seed).uniform(low, high, size=shape).astype(np.float32)


def _ph(ns: Any, name: str, value: np.ndarray, shape: Any = None) -> tuple[Any, np.ndarray]:
    dtype = ns.float32 if value.dtype == np.float32 else ns.int32
    return ns.placeholder(dtype, value.shape if shape is None else shape, name=name), value


def mlp_logits(ns: Any, x: Any, use_resource: bool) -> tuple[Any, list[Any]]:
    """dense(4->5) + relu + dense(5->3), variables with explicit initial values."""
    w1 = ns.Variable(rand(1, 4, 5), name="w1", use_resource=use_resource)
    b1 = ns.Variable(rand(2, 5, low=-0.1, high=0.1), name="b1", use_resource=use_resource)
    w2 = ns.Variable(rand(3, 5, 3), name="w2", use_resource=use_resource)
    b2 = ns.Variable(rand(4, 3, low=-0.1, high=0.1), name="b2", use_resource=use_resource)
    h = ns.nn.relu(ns.nn.bias_add(ns.matmul(x, w1), b1))
    return ns.nn.bias_add(ns.matmul(h, w2), b2), [w1, b1, w2, b2]


MLP_X = rand(10, 8, 4)
MLP_Y = np.array([0, 1, 2, 1, 0, 2, 2, 1], dtype=np.int32)


def mlp(ns: Any, use_resource: bool = False, batch: Any = 8) -> dict[str, Any]:
    x, xv = _ph(ns, "x", MLP_X, [batch, 4])
    y, yv = _ph(ns, "y", MLP_Y, [batch])
    logits, variables = mlp_logits(ns, x, use_resource)
    xent = ns.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
    loss = ns.reduce_mean(xent)
    return {"ys": [loss], "xs": variables, "feeds": [(x, xv), (y, yv)]}


def matmul_transposes(ns: Any) -> dict[str, Any]:
    a, av = _ph(ns, "a", rand(20, 3, 4))
    b, bv = _ph(ns, "b", rand(21, 5, 4))
    c, cv = _ph(ns, "c", rand(22, 3, 2))
    d, dv = _ph(ns, "d", rand(23, 4, 6))
    ab = ns.matmul(a, b, transpose_b=True)  # [3, 5]
    ca = ns.matmul(c, a, transpose_a=True)  # [2, 4]
    dc = ns.matmul(d, ca, transpose_a=True, transpose_b=True)  # [6, 2]
    loss = ns.reduce_sum(ab * ab) + ns.reduce_sum(dc * dc)
    feeds = [(a, av), (b, bv), (c, cv), (d, dv)]
    return {"ys": [loss], "xs": [a, b, c, d], "feeds": feeds}


def broadcasting(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(30, 3, 4))
    y, yv = _ph(ns, "y", rand(31, 4, low=0.5, high=2.0))
    z, zv = _ph(ns, "z", rand(32, 3, 1))
    w, wv = _ph(ns, "w", rand(33, 3, 4))
    s = ns.add(x, y)
    d = ns.subtract(z, y)
    m = ns.multiply(s, w)
    q = ns.realdiv(m, y)
    r = ns.add(d, q)
    return {"ys": [r], "xs": [x, y, z, w], "feeds": [(x, xv), (y, yv), (z, zv), (w, wv)]}


def unary_chain(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(40, 2, 3, low=0.2, high=1.5))
    a = ns.sqrt(ns.exp(x))
    b = ns.log(ns.square(x))
    c = ns.negative(ns.sigmoid(x))
    d = ns.tanh(x)
    loss = ns.reduce_sum(ns.add_n([a, b, c, d]) * x)
    return {"ys": [loss], "xs": [x], "feeds": [(x, xv)]}


def softmax_dense_xent(ns: Any) -> dict[str, Any]:
    logits, lv = _ph(ns, "logits", rand(50, 4, 3))
    labels, yv = _ph(ns, "labels", np.abs(rand(51, 4, 3)))
    w, wv = _ph(ns, "w", rand(52, 4, 3))
    xent = ns.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
    sm = ns.reduce_sum(ns.nn.softmax(logits) * w, axis=1)
    loss = ns.reduce_mean(xent + sm)
    return {"ys": [loss], "xs": [logits, labels, w], "feeds": [(logits, lv), (labels, yv), (w, wv)]}


def array_ops(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(60, 2, 6))
    r = ns.reshape(ns.identity(x), [3, 4])
    c = ns.cast(ns.cast(r, ns.float64), ns.float32)
    frozen = ns.stop_gradient(ns.square(x))
    loss = ns.reduce_mean(ns.square(c), axis=0) + ns.reduce_sum(frozen)
    return {"ys": [loss], "xs": [x], "feeds": [(x, xv)]}


def multi_ys_grad_ys(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(70, 3))
    y1 = x * x + x
    y2 = ns.exp(x)
    return {
        "ys": [y1, y2],
        "xs": [x],
        "feeds": [(x, xv)],
        "grad_ys": [ns.constant(rand(71, 3)), None],
    }


def stop_gradients_arg(ns: Any) -> dict[str, Any]:
    x, xv = _ph(ns, "x", rand(80, 3))
    a = ns.square(x)
    b = ns.multiply(a, x)
    return {"ys": [b], "xs": [x, a], "feeds": [(x, xv)], "stop_gradients": [a]}


def broadcast_dynamic(ns: Any) -> dict[str, Any]:
    """Shapes unknown at graph time: BroadcastGradientArgs decides at run time."""
    x, xv = _ph(ns, "x", rand(85, 3, 4), [None, 4])
    y, yv = _ph(ns, "y", rand(86, 3, 1), [None, 1])
    loss = ns.reduce_sum(ns.multiply(x, y) - y)
    return {"ys": [loss], "xs": [x, y], "feeds": [(x, xv), (y, yv)]}


GRADIENT_CASES = {
    "mlp_ref": lambda ns: mlp(ns, use_resource=False),
    "mlp_resource": lambda ns: mlp(ns, use_resource=True),
    "mlp_dynamic_batch": lambda ns: mlp(ns, use_resource=False, batch=None),
    "matmul_transposes": matmul_transposes,
    "broadcasting": broadcasting,
    "unary_chain": unary_chain,
    "softmax_dense_xent": softmax_dense_xent,
    "array_ops": array_ops,
    "multi_ys_grad_ys": multi_ys_grad_ys,
    "stop_gradients_arg": stop_gradients_arg,
    "broadcast_dynamic": broadcast_dynamic,
}


def make_optimizer(ns: Any, kind: str) -> Any:
    """The optimizer of an OPTIMIZER_CASES entry."""
    table = {
        "gd": lambda: ns.train.GradientDescentOptimizer(0.1),
        "momentum": lambda: ns.train.MomentumOptimizer(0.1, 0.9),
        "nesterov": lambda: ns.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
        "adam": lambda: ns.train.AdamOptimizer(0.01),
    }
    return table[kind]()


OPTIMIZER_CASES = [
    (kind, resource)
    for kind in ("gd", "momentum", "nesterov", "adam")
    for resource in (False, True)
]
STEPS = 20


def training_graph(ns: Any, kind: str, use_resource: bool) -> dict[str, Any]:
    """The MLP and ``minimize`` with a global step; returns the pieces a run needs."""
    case = mlp(ns, use_resource=use_resource)
    global_step = ns.train.get_or_create_global_step()
    train_op = make_optimizer(ns, kind).minimize(case["ys"][0], global_step=global_step)
    return {**case, "train_op": train_op, "global_step": global_step}


# --------------------------------------------------------------------------------- kernels

_I32 = np.int32


def kernel_cases() -> list[tuple[str, str, list[np.ndarray], dict[str, Any]]]:
    """(case id, op type, inputs in OpDef order, attrs) for the pure training kernels."""
    x, y = rand(90, 3, 4), rand(91, 3, 4)
    labels = np.abs(rand(92, 3, 4))
    return [
        ("bga_basic", "BroadcastGradientArgs", [np.array([3, 4], _I32), np.array([4], _I32)], {}),
        (
            "bga_ones",
            "BroadcastGradientArgs",
            [np.array([2, 1, 5], _I32), np.array([1, 1, 1], _I32)],
            {},
        ),
        ("bga_both", "BroadcastGradientArgs", [np.array([1, 3], _I32), np.array([2, 1], _I32)], {}),
        ("bga_scalar", "BroadcastGradientArgs", [np.array([], _I32), np.array([2, 3], _I32)], {}),
        (
            "bga_int64",
            "BroadcastGradientArgs",
            [np.array([5, 1], np.int64), np.array([1, 6], np.int64)],
            {},
        ),
        ("bga_bad", "BroadcastGradientArgs", [np.array([3, 4], _I32), np.array([5], _I32)], {}),
        ("relu_grad", "ReluGrad", [x, y], {}),
        ("sigmoid_grad", "SigmoidGrad", [1 / (1 + np.exp(-x)), y], {}),
        ("tanh_grad", "TanhGrad", [np.tanh(x), y], {}),
        ("sqrt_grad", "SqrtGrad", [np.abs(x) + 0.5, y], {}),
        ("rsqrt_grad", "RsqrtGrad", [np.abs(x) + 0.5, y], {}),
        ("relu_grad_f64", "ReluGrad", [x.astype(np.float64), y.astype(np.float64)], {}),
        ("bias_add_grad", "BiasAddGrad", [rand(93, 2, 3, 4)], {}),
        ("bias_add_grad_nchw", "BiasAddGrad", [rand(94, 2, 3, 4, 5)], {"data_format": "NCHW"}),
        ("xent", "SoftmaxCrossEntropyWithLogits", [x, labels], {}),
        ("xent_broadcast", "SoftmaxCrossEntropyWithLogits", [x, labels[:1]], {}),
        ("xent_bad", "SoftmaxCrossEntropyWithLogits", [x, labels[:, :3]], {}),
        ("sparse_xent", "SparseSoftmaxCrossEntropyWithLogits", [x, np.array([0, 3, 1], _I32)], {}),
        (
            "sparse_xent_i64",
            "SparseSoftmaxCrossEntropyWithLogits",
            [x * 30, np.array([2, 0, 1], np.int64)],
            {},
        ),
        (
            "sparse_xent_bad_label",
            "SparseSoftmaxCrossEntropyWithLogits",
            [x, np.array([0, 4, 1], _I32)],
            {},
        ),
    ]


def update_cases() -> list[tuple[str, str, list[np.ndarray], list[Any], dict[str, Any]]]:
    """(case id, op base name, variable + slot values, other inputs in OpDef order, attrs).

    Each runs as ``Apply<op>`` on ref variables and ``ResourceApply<op>`` on resource ones.
    """
    var, grad = rand(95, 2, 3), rand(96, 2, 3)
    m, v = rand(97, 2, 3) * 0.1, np.abs(rand(98, 2, 3)) * 0.01
    f = np.float32
    return [
        ("gd", "GradientDescent", [var], [f(0.1), grad], {}),
        ("momentum", "Momentum", [var, m], [f(0.05), grad, f(0.9)], {"use_nesterov": False}),
        ("nesterov", "Momentum", [var, m], [f(0.05), grad, f(0.9)], {"use_nesterov": True}),
        (
            "adam",
            "Adam",
            [var, m, v],
            [f(0.81), f(0.998), f(0.01), f(0.9), f(0.999), f(1e-7), grad],
            {"use_nesterov": False},
        ),
        (
            "adam_nesterov",
            "Adam",
            [var, m, v],
            [f(0.81), f(0.998), f(0.01), f(0.9), f(0.999), f(1e-7), grad],
            {"use_nesterov": True},
        ),
    ]
