"""TF1 control flow cases shared by the golden generator (TensorFlow) and the test (stowflow).

Each case is ``fn(tf, grads) -> (fetches, feeds)``: it builds its graph in the default graph with
the TF1 API object ``tf`` (``tensorflow.compat.v1`` or a stowflow namespace with ``cond``,
``while_loop``, ``case`` and ``gradients``), returning the named tensors to fetch and a list
of feed dicts (placeholder name -> value). Every case runs once per feed dict. With
``grads`` False a case builds only its forward graph (no ``tf.gradients``, no optimizer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Result = tuple[dict[str, Any], list[dict[str, Any]]]
Case = Callable[[Any, bool], Result]
CASES: dict[str, Case] = {}


def case(fn: Case) -> Case:
    CASES[fn.__name__] = fn
    return fn


def _x(tf: Any) -> Any:
    return tf.placeholder(tf.float32, [], name="x")


def _grads(tf: Any, grads: bool, fetches: dict[str, Any], ys: Any, xs: dict[str, Any]) -> Any:
    """``fetches`` plus ``tf.gradients(ys, xs)`` under the names of ``xs`` (if ``grads``)."""
    if grads:
        values = tf.gradients(ys, list(xs.values()))
        fetches = {**fetches, **dict(zip(xs, values, strict=True))}
    return fetches


X_FEEDS = [{"x:0": 1.5}, {"x:0": 4.0}]


@case
def cond_capture(tf: Any, grads: bool) -> Result:
    x = _x(tf)
    y = tf.constant(3.0, name="y")
    r = tf.cond(x < y, lambda: x * x, lambda: y + x * 2.0)
    return _grads(tf, grads, {"r": r}, r, {"gx": x}), X_FEEDS


@case
def cond_lambda_passthrough(tf: Any, grads: bool) -> Result:
    x = _x(tf)
    y = tf.constant(2.0, name="y")
    r = tf.cond(x > 2.0, lambda: x, lambda: y * x)
    return _grads(tf, grads, {"r": r}, r, {"gx": x}), X_FEEDS


@case
def cond_nested(tf: Any, grads: bool) -> Result:
    x = _x(tf)
    z = tf.constant(0.5, name="z")

    def outer_true() -> Any:
        return tf.cond(x > 1.0, lambda: tf.square(x) * z, lambda: x - z)

    r = tf.cond(x < 3.0, outer_true, lambda: tf.sin(x) + z)
    fetches = _grads(tf, grads, {"r": r}, r, {"gx": x, "gz": z})
    return fetches, [{"x:0": 0.5}, {"x:0": 2.0}, {"x:0": 5.0}]


@case
def cond_structures(tf: Any, grads: bool) -> Result:
    x = _x(tf)
    y = tf.constant(3.0, name="y")
    r = tf.cond(
        x < y,
        lambda: (x + 1.0, {"a": x * y, "b": [y]}),
        lambda: (x - 1.0, {"a": y, "b": [x * x]}),
    )
    first, rest = r
    single = tf.cond(x < y, lambda: [x], lambda: [y])
    fetches = {"first": first, "a": rest["a"], "b0": rest["b"][0], "single": single}
    return _grads(tf, grads, fetches, [first, rest["a"], rest["b"][0]], {"gx": x}), X_FEEDS


@case
def cond_control_deps(tf: Any, grads: bool) -> Result:
    x = _x(tf)
    outside = tf.identity(x, name="outside")

    def true_fn() -> Any:
        with tf.control_dependencies([outside]):
            y = tf.identity(x)
        return y + tf.constant(7.0)

    def false_fn() -> Any:
        c = tf.constant([1.0, 2.0])
        return tf.reduce_sum(c) * x

    r = tf.cond(tf.less(x, 2.0), true_fn, false_fn, name="gate")
    return _grads(tf, grads, {"r": r}, r, {"gx": x}), X_FEEDS


@case
def cond_matmul_grads(tf: Any, grads: bool) -> Result:
    a = tf.placeholder(tf.float32, [2, 3], name="a")
    w = tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4) / 10.0, name="w")
    p = tf.placeholder(tf.bool, [], name="p")
    h = tf.cond(p, lambda: tf.matmul(a, w), lambda: tf.tanh(tf.matmul(a, w * 2.0)))
    loss = tf.reduce_sum(h * h)
    av = (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.0) / 4.0
    fetches = _grads(tf, grads, {"h": h}, loss, {"ga": a, "gw": w})
    return fetches, [{"a:0": av, "p:0": True}, {"a:0": av, "p:0": False}]


@case
def cond_optimizer_step(tf: Any, grads: bool) -> Result:
    x = _x(tf)
    w = tf.get_variable("w", initializer=tf.constant([1.0, -2.0]))
    b = tf.get_variable("b", initializer=tf.constant(0.5))
    loss = tf.cond(
        x > 2.0,
        lambda: tf.reduce_sum(w * x) + b,
        lambda: tf.reduce_sum(w * w) * b,
    )
    deps = [tf.train.GradientDescentOptimizer(0.1).minimize(loss)] if grads else []
    # The reads run after the update. (Not the loss: TF may read the updated variables for
    # it, as its ref-variable reads alias the buffer the update writes.)
    with tf.control_dependencies(deps):
        w_after, b_after = w.read_value(), b.read_value()
    init = tf.global_variables_initializer()
    return {"__init__": init, "w": w_after, "b": b_after}, X_FEEDS


@case
def case_default(tf: Any, grads: bool) -> Result:
    x = _x(tf)
    r = tf.case(
        [(x < 1.0, lambda: x * 10.0), (x < 3.0, lambda: x * 100.0)],
        default=lambda: -x,
    )
    return _grads(tf, grads, {"r": r}, r, {"gx": x}), [{"x:0": 0.5}, {"x:0": 1.5}, {"x:0": 4.0}]


@case
def while_count(tf: Any, grads: bool) -> Result:
    n = tf.placeholder(tf.int32, [], name="n")
    i = tf.while_loop(lambda i: i < n, lambda i: i + 1, [tf.constant(0)])
    return {"i": i}, [{"n:0": 0}, {"n:0": 5}]


@case
def while_matmul(tf: Any, grads: bool) -> Result:
    m0 = tf.placeholder(tf.float32, [2, 2], name="m0")
    w = tf.constant([[0.5, 0.1], [-0.2, 0.9]], name="w")
    _, m = tf.while_loop(
        lambda i, m: i < 3, lambda i, m: (i + 1, tf.matmul(m, w)), (tf.constant(0), m0)
    )
    fetches = _grads(tf, grads, {"m": m}, m, {"gm0": m0, "gw": w})
    return fetches, [{"m0:0": np.eye(2, dtype=np.float32) * 2.0}]


@case
def while_nested(tf: Any, grads: bool) -> Result:
    x = _x(tf)

    def outer_body(i: Any, acc: Any) -> Any:
        _, inner = tf.while_loop(
            lambda j, a: j < i, lambda j, a: (j + 1, a * x + 1.0), (tf.constant(0), acc)
        )
        return i + 1, inner

    _, acc = tf.while_loop(lambda i, a: i < 3, outer_body, [tf.constant(0), tf.constant(1.0)])
    return _grads(tf, grads, {"acc": acc}, acc, {"gx": x}), X_FEEDS


@case
def while_max_iterations(tf: Any, grads: bool) -> Result:
    x = _x(tf)
    v = tf.while_loop(
        lambda v: v < 100.0, lambda v: v * x, [tf.constant(1.0)], maximum_iterations=4
    )
    a, b = tf.while_loop(
        lambda a, b: a < 1000.0,
        lambda a, b: (a * 2.0, b + a),
        (x, tf.constant(0.0)),
        maximum_iterations=tf.constant(5),
    )
    return _grads(tf, grads, {"v": v, "a": a, "b": b}, [v, b], {"gx": x}), X_FEEDS


@case
def while_cond_inside(tf: Any, grads: bool) -> Result:
    x = _x(tf)

    def body(i: Any, s: Any) -> Any:
        s2 = tf.cond(tf.equal(i % 2, 0), lambda: s + x, lambda: s * x)
        return i + 1, s2

    _, s = tf.while_loop(lambda i, s: i < 4, body, [tf.constant(0), tf.constant(1.0)])
    return _grads(tf, grads, {"s": s}, s, {"gx": x}), X_FEEDS


@case
def while_optimizer_step(tf: Any, grads: bool) -> Result:
    x = tf.placeholder(tf.float32, [1, 3], name="x")
    w = tf.get_variable("w", initializer=tf.constant([[0.5, -0.25, 1.0]]))
    scale = tf.get_variable("scale", initializer=tf.constant(0.9))

    def body(i: Any, h: Any) -> Any:
        return i + 1, tf.tanh(h * w * scale + x)

    _, h = tf.while_loop(lambda i, h: i < 3, body, [tf.constant(0), tf.zeros([1, 3])])
    loss = tf.reduce_sum(tf.square(h - 0.5))
    deps = [tf.train.GradientDescentOptimizer(0.2).minimize(loss)] if grads else []
    with tf.control_dependencies(deps):
        w_after, scale_after = w.read_value(), scale.read_value()
    init = tf.global_variables_initializer()
    feeds = [{"x:0": np.array([[0.1, -0.3, 0.7]], np.float32)}]
    return {"__init__": init, "w": w_after, "scale": scale_after}, feeds


@case
def while_shape_invariants(tf: Any, grads: bool) -> Result:
    x = tf.placeholder(tf.float32, [2], name="x")

    def body(i: Any, v: Any) -> Any:
        return i + 1, tf.tanh(v * x) + x[1]

    _, v = tf.while_loop(
        lambda i, v: i < 3,
        body,
        [tf.constant(0), x],
        shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])],
    )
    total = tf.reduce_sum(v * v)
    return _grads(tf, grads, {"v": v}, total, {"gx": x}), [
        {"x:0": np.array([0.5, -1.5], np.float32)}
    ]


@case
def while_control_deps(tf: Any, grads: bool) -> Result:
    x = _x(tf)
    outside = tf.identity(x, name="outside")

    def body(i: Any, v: Any) -> Any:
        with tf.control_dependencies([outside]):
            w = tf.identity(v)
        return i + 1, w * x

    _, v = tf.while_loop(lambda i, v: i < 3, body, [tf.constant(0), tf.constant(2.0)])
    return _grads(tf, grads, {"v": v}, v, {"gx": x}), X_FEEDS


@case
def while_gather_training(tf: Any, grads: bool) -> Result:
    ids = tf.placeholder(tf.int32, [4], name="ids")
    emb = tf.get_variable(
        "emb", initializer=tf.constant(np.arange(10, dtype=np.float32).reshape(5, 2) / 10.0)
    )

    def body(i: Any, h: Any) -> Any:
        row = tf.gather(emb, tf.gather(ids, i))
        return i + 1, tf.tanh(h + row)

    _, h = tf.while_loop(lambda i, h: i < 4, body, [tf.constant(0), tf.zeros([2])])
    loss = tf.reduce_sum(h * h)
    deps = [tf.train.GradientDescentOptimizer(0.5).minimize(loss)] if grads else []
    with tf.control_dependencies(deps):
        emb_after = emb.read_value()
    init = tf.global_variables_initializer()
    return {"__init__": init, "emb": emb_after}, [{"ids:0": np.array([1, 3, 1, 0], np.int32)}]


@case
def cond_gather_training(tf: Any, grads: bool) -> Result:
    ids = tf.placeholder(tf.int32, [3], name="ids")
    p = tf.placeholder(tf.bool, [], name="p")
    emb = tf.get_variable(
        "emb", initializer=tf.constant(np.arange(10, dtype=np.float32).reshape(5, 2) / 10.0)
    )
    rows = tf.cond(p, lambda: tf.gather(emb, ids), lambda: tf.gather(emb, ids + 1) * 2.0)
    loss = tf.reduce_sum(rows * rows)
    deps = [tf.train.GradientDescentOptimizer(0.5).minimize(loss)] if grads else []
    with tf.control_dependencies(deps):
        emb_after = emb.read_value()
    init = tf.global_variables_initializer()
    feeds = [{"ids:0": np.array([1, 3, 1], np.int32), "p:0": flag} for flag in (True, False)]
    return {"__init__": init, "emb": emb_after}, feeds


@case
def cond_branch_ops(tf: Any, grads: bool) -> Result:
    p = tf.placeholder(tf.bool, [], name="p")
    counter = tf.get_variable("counter", initializer=tf.constant(0.0))
    bump = tf.cond(p, lambda: tf.assign_add(counter, 1.0).op, lambda: tf.no_op())
    with tf.control_dependencies([bump]):
        after = counter.read_value()
    init = tf.global_variables_initializer()
    return {"__init__": init, "after": after}, [{"p:0": True}, {"p:0": False}]
