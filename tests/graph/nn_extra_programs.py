"""``tf.nn`` programs for the functions of ``stowflow.graph.nn_ops`` beyond conv/pool basics,
run by both TensorFlow 2.21 (``tf.compat.v1``) and stowflow.

Each case ``case(tf, nn)`` builds ops in the default graph (a fresh one with graph seed 1)
and returns ``(outputs, feeds)``; ``nn`` is ``tf.nn`` or ``stowflow.graph.nn_ops``.
:func:`run_case` records every op (name, type, inputs) and the outputs' values.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _rand(seed: int, *shape: int) -> np.ndarray:
    return np.random.RandomState(seed).standard_normal(shape).astype(np.float32)


X4 = _rand(1, 2, 5, 5, 3)
X3 = _rand(2, 2, 9, 3)


def _x4(tf: Any) -> tuple[Any, dict]:
    x = tf.placeholder(tf.float32, [None, 5, 5, 3], name="x")
    return x, {x: X4}


def moments(tf: Any, nn: Any) -> tuple[dict, dict]:
    x, feeds = _x4(tf)
    mean, var = nn.moments(x, [0, 1, 2])
    kmean, kvar = nn.moments(x, [1], keep_dims=True, name="kept")
    return {"mean": mean, "var": var, "kmean": kmean, "kvar": kvar}, feeds


def weighted_moments(tf: Any, nn: Any) -> tuple[dict, dict]:
    x, feeds = _x4(tf)
    w = tf.constant(np.abs(_rand(3, 1, 5, 5, 1)))
    mean, var = nn.weighted_moments(x, [0, 1, 2], w)
    kmean, kvar = nn.weighted_moments(x, [1], w, keepdims=True)
    return {"mean": mean, "var": var, "kmean": kmean, "kvar": kvar}, feeds


def normalize_moments(tf: Any, nn: Any) -> tuple[dict, dict]:
    counts = tf.constant(4.0)
    mean_ss = tf.constant([2.0, 4.0])
    var_ss = tf.constant([10.0, 20.0])
    mean, var = nn.normalize_moments(counts, mean_ss, var_ss, None)
    smean, svar = nn.normalize_moments(counts, mean_ss, var_ss, tf.constant([0.5, 1.0]))
    return {"mean": mean, "var": var, "smean": smean, "svar": svar}, {}


def batch_normalization(tf: Any, nn: Any) -> tuple[dict, dict]:
    x, feeds = _x4(tf)
    mean = tf.constant([0.1, -0.2, 0.3])
    var = tf.constant([1.5, 0.5, 2.0])
    full = nn.batch_normalization(
        x, mean, var, tf.constant([1.0, 0.0, -1.0]), tf.constant([2.0, 1.0, 0.5]), 0.001
    )
    bare = nn.batch_normalization(x, 0.5, 2.0, None, None, 0.01, name="bare")
    return {"full": full, "bare": bare}, feeds


def l2_normalize(tf: Any, nn: Any) -> tuple[dict, dict]:
    x, feeds = _x4(tf)
    return {
        "axis1": nn.l2_normalize(x, axis=1),
        "all": nn.l2_normalize(x, epsilon=1e-3, name="everything"),
        "dim": nn.l2_normalize(x, dim=[1, 2]),
    }, feeds


def dropout(tf: Any, nn: Any) -> tuple[dict, dict]:
    x, feeds = _x4(tf)
    rate = tf.placeholder_with_default(0.4, [], name="rate")
    return {
        "keep_prob": nn.dropout(x, keep_prob=0.5),
        "rate_seed": nn.dropout(x, rate=0.3, seed=3),
        "noise_shape": nn.dropout(x, rate=0.5, noise_shape=[2, 1, 1, 3], seed=5),
        "tensor_rate": nn.dropout(x, rate=rate, seed=9, name="tensor_rate"),
        "zero": nn.dropout(x, rate=0.0),
        "static": nn.dropout(tf.constant(X4), rate=0.2),
    }, feeds


def conv1d(tf: Any, nn: Any) -> tuple[dict, dict]:
    x = tf.placeholder(tf.float32, [None, 9, 3], name="x")
    w = tf.constant(_rand(4, 3, 3, 4))
    return {
        "same": nn.conv1d(x, w, stride=1, padding="SAME"),
        "valid2": nn.conv1d(x, w, stride=2, padding="VALID", name="strided"),
        "dilated": nn.conv1d(x, w, stride=1, padding="VALID", dilations=2),
    }, {x: X3}


def separable_conv2d(tf: Any, nn: Any) -> tuple[dict, dict]:
    x, feeds = _x4(tf)
    depthwise = tf.constant(_rand(5, 3, 3, 3, 2))
    pointwise = tf.constant(_rand(6, 1, 1, 6, 4))
    return {
        "valid": nn.separable_conv2d(x, depthwise, pointwise, [1, 1, 1, 1], "VALID"),
        "same2": nn.separable_conv2d(x, depthwise, pointwise, [1, 2, 2, 1], "SAME", name="sep"),
    }, feeds


def pool1d(tf: Any, nn: Any) -> tuple[dict, dict]:
    x = tf.placeholder(tf.float32, [None, 9, 3], name="x")
    return {
        "max": nn.max_pool1d(x, 2, 2, "VALID"),
        "avg": nn.avg_pool1d(x, 3, 1, "SAME"),
        "max_named": nn.max_pool1d(x, [3], [2], "SAME", name="mp"),
    }, {x: X3}


CASES = {
    "moments": moments,
    "weighted_moments": weighted_moments,
    "normalize_moments": normalize_moments,
    "batch_normalization": batch_normalization,
    "l2_normalize": l2_normalize,
    "dropout": dropout,
    "conv1d": conv1d,
    "separable_conv2d": separable_conv2d,
    "pool1d": pool1d,
}


def run_case(tf: Any, nn: Any, name: str) -> dict[str, Any]:
    """Builds and runs one case in a fresh graph with graph seed 1."""
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(1)
        outputs, feeds = CASES[name](tf, nn)
        result: dict[str, Any] = {
            "ops": [
                [op.name, op.type, [t.name for t in op.inputs]] for op in graph.get_operations()
            ],
            "names": {k: v.name for k, v in sorted(outputs.items())},
        }
        with tf.Session() as sess:
            values = sess.run(outputs, feed_dict=feeds)
        result["outputs"] = {
            k: {"shape": list(np.shape(v)), "values": np.asarray(v, np.float64).ravel().tolist()}
            for k, v in sorted(values.items())
        }
    return result
