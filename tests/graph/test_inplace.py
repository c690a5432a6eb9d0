"""Dead inputs are reused in place only when nothing else can see the change."""

from __future__ import annotations

import numpy as np

import stowflow as tf
from stowflow.graph.kernels.inplace import INPLACE_KERNELS, can_overwrite
from stowflow.graph.kernels.registry import KERNELS


def test_overwrite_only_unshared_owned_float_memory() -> None:
    held = [np.ones(4, np.float32)]
    alone = can_overwrite(held[0], 1)  # (pytest's assert rewriting would add a reference)
    assert alone
    shared = [np.ones(4, np.float32)]
    also_held = shared[0]  # a second reference
    held_twice = can_overwrite(shared[0], 1)
    assert not held_twice and also_held is shared[0]
    assert not can_overwrite(np.ones(8, np.float32)[::2], 1)  # a view: memory not its own
    assert not can_overwrite(np.ones(4, np.int32), 1)


def test_inplace_kernels_compute_what_the_ordinary_kernels_compute() -> None:
    rng = np.random.default_rng(0)
    for op_type, kernel in INPLACE_KERNELS.items():
        x = rng.standard_normal((3, 4)).astype(np.float32) * 8
        y = rng.standard_normal(4).astype(np.float32) + 0.5
        inputs = [x, y] if op_type not in {"Relu", "Relu6", "Neg", "Square", "Abs"} else [x]
        expected = KERNELS[op_type]([a.copy() for a in inputs], {})[0]
        got = kernel([a.copy() for a in inputs], {}, 0)
        assert got is not None, op_type
        np.testing.assert_array_equal(got[0], expected, err_msg=op_type)


def test_session_never_overwrites_fed_fetched_variable_or_constant_values() -> None:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [3])
        c = tf.constant([1.0, 2.0, 3.0])
        v = tf.Variable([10.0, 20.0, 30.0])
        a = tf.add(x, c)
        b = tf.nn.relu(tf.multiply(a, v.read_value() if hasattr(v, "read_value") else v))
        d = tf.subtract(tf.identity(c), 1.0)
        feed = np.array([1.0, -5.0, 2.0], np.float32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(2):
                got_a, got_b, got_d = sess.run([a, b, d], {x: feed})
                np.testing.assert_array_equal(got_a, [2.0, -3.0, 5.0])
                np.testing.assert_array_equal(got_b, [20.0, 0.0, 150.0])
                np.testing.assert_array_equal(got_d, [0.0, 1.0, 2.0])
            np.testing.assert_array_equal(feed, [1.0, -5.0, 2.0])
            np.testing.assert_array_equal(sess.run(v), [10.0, 20.0, 30.0])
            np.testing.assert_array_equal(sess.run(c), [1.0, 2.0, 3.0])
