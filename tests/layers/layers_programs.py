"""Small TF1 ``tf.layers`` programs run by both TensorFlow 2.15 and stowflow.

Each case is a function ``case(tf, layers, regs)`` that builds a graph in the default graph
(the runner makes a fresh one with graph seed 1) and returns ``(outputs, feeds)``: a dict of
named tensors to evaluate and a ``{placeholder: array}`` feed dict. ``tf`` is the TF1 API
(``tensorflow.compat.v1`` or stowflow), ``layers`` is ``tf.compat.v1.layers`` or
``stowflow.layers``; ``regs`` offers ``keras`` (Keras-style regularizer objects) and the
``tf.contrib.layers``-style ``l1_regularizer`` / ``l2_regularizer`` / ``l1_l2_regularizer``.

:func:`run_case` records what the tests compare: every op (name, type, inputs), the global /
trainable / update-op / regularization-loss names, the initial variable values, the outputs
for fixed inputs, the moving statistics after one run of the update ops, and the total
regularization loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _rand(seed: int, *shape: int) -> np.ndarray:
    return np.random.RandomState(seed).standard_normal(shape).astype(np.float32)


def mlp(tf: Any, layers: Any, regs: Any) -> tuple[dict, dict]:
    x = tf.placeholder(tf.float32, [None, 5], name="x")
    h = layers.dense(x, 8, activation=tf.nn.relu)
    h = layers.dense(h, 6, activation=tf.nn.tanh, use_bias=False)
    y = layers.dense(h, 3, name="logits")
    return {"h": h, "y": y}, {x: _rand(1, 4, 5)}


def cnn(tf: Any, layers: Any, regs: Any, training: bool) -> tuple[dict, dict]:
    x = tf.placeholder(tf.float32, [None, 6, 6, 2], name="x")
    h = layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
    h = layers.batch_normalization(h, training=training)
    h = layers.max_pooling2d(h, 2, 2)
    h = layers.dropout(h, 0.25, training=training, seed=7)
    h = layers.flatten(h)
    y = layers.dense(h, 3)
    return {"y": y}, {x: _rand(2, 3, 6, 6, 2)}


def cnn_train(tf: Any, layers: Any, regs: Any) -> tuple[dict, dict]:
    return cnn(tf, layers, regs, True)


def cnn_infer(tf: Any, layers: Any, regs: Any) -> tuple[dict, dict]:
    return cnn(tf, layers, regs, False)


def conv1d_pools(tf: Any, layers: Any, regs: Any) -> tuple[dict, dict]:
    x = tf.placeholder(tf.float32, [None, 8, 3], name="x")
    h = layers.conv1d(x, 4, 3, strides=1, padding="valid", activation=tf.nn.relu)
    a = layers.max_pooling1d(h, 2, 2)
    b = layers.average_pooling1d(h, 3, 1, padding="same")
    img = tf.placeholder(tf.float32, [2, 5, 5, 3], name="img")
    c = layers.average_pooling2d(img, 2, 1)
    d = layers.conv2d(img, 2, (2, 3), strides=(2, 1), use_bias=False)
    return {"a": a, "b": b, "c": c, "d": d}, {x: _rand(3, 2, 8, 3), img: _rand(4, 2, 5, 5, 3)}


def deconv(tf: Any, layers: Any, regs: Any) -> tuple[dict, dict]:
    x = tf.placeholder(tf.float32, [None, 3, 3, 2], name="x")
    a = layers.conv2d_transpose(x, 4, 3, strides=2, padding="same")
    b = layers.conv2d_transpose(x, 1, 2, strides=1, padding="valid", activation=tf.nn.relu)
    return {"a": a, "b": b}, {x: _rand(5, 2, 3, 3, 2)}


def classes(tf: Any, layers: Any, regs: Any) -> tuple[dict, dict]:
    x = tf.placeholder(tf.float32, [None, 4, 4, 1], name="x")
    conv = layers.Conv2D(2, 2, activation=tf.nn.relu)
    pool = layers.MaxPooling2D(2, 1)
    norm = layers.BatchNormalization(momentum=0.5)
    drop = layers.Dropout(0.5, seed=3)
    flat = layers.Flatten()
    fc = layers.Dense(2, name="fc")
    first = fc(flat(drop(norm(pool(conv(x)), training=True), training=True)))
    second = fc(flat(norm(pool(conv(x)))))
    facts = {
        "names": [conv.name, pool.name, norm.name, drop.name, flat.name, fc.name],
        "scopes": [conv.scope_name, norm.scope_name, fc.scope_name],
        "norm_trainable": [v.name for v in norm.trainable_variables],
        "norm_non_trainable": [v.name for v in norm.non_trainable_variables],
        "norm_updates": [op.name for op in norm.updates],
        "fc_weights": [v.name for v in fc.weights],
    }
    return {"first": first, "second": second, "facts": facts}, {x: _rand(6, 2, 4, 4, 1)}


def scopes(tf: Any, layers: Any, regs: Any) -> tuple[dict, dict]:
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.variable_scope("net"):
        a = layers.dense(x, 2)
        b = layers.dense(a, 2)
    with tf.variable_scope("net", reuse=True):
        c = layers.dense(x, 2)
    with tf.variable_scope("net", reuse=tf.AUTO_REUSE):
        d = layers.dense(a, 2, name="dense_1")
    e = layers.dense(x, 2, name="head")
    f = layers.dense(x, 2, name="head", reuse=True)
    g = layers.dense(x, 2, trainable=False)
    return {"b": b, "c": c, "d": d, "e": e, "f": f, "g": g}, {x: _rand(7, 2, 3)}


def regularized(tf: Any, layers: Any, regs: Any) -> tuple[dict, dict]:
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    h = layers.dense(
        x,
        3,
        activation=tf.nn.relu,
        kernel_regularizer=regs.keras.l2(0.1),
        bias_regularizer=regs.keras.l1(0.2),
        activity_regularizer=regs.keras.l1(0.01),
    )
    h = layers.dense(h, 3, kernel_regularizer=tf.nn.l2_loss)
    h = layers.dense(h, 2, kernel_regularizer=regs.l2_regularizer(0.5))
    h = layers.dense(h, 2, kernel_regularizer=regs.l1_regularizer(0.25))
    h = layers.dense(h, 2, kernel_regularizer=regs.keras.l1_l2(0.1, 0.2))
    img = tf.placeholder(tf.float32, [None, 3, 3, 1], name="img")
    c = layers.conv2d(img, 2, 2, kernel_regularizer=regs.keras.l2(0.3))
    n = layers.batch_normalization(c, gamma_regularizer=regs.keras.l2(0.4))
    total = tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
    return {"h": h, "n": n, "total": total}, {x: _rand(8, 3, 4), img: _rand(9, 2, 3, 3, 1)}


def bn_unfused(tf: Any, layers: Any, regs: Any) -> tuple[dict, dict]:
    x = tf.placeholder(tf.float32, [None, 5], name="x")
    a = layers.batch_normalization(x, training=True, momentum=0.9)
    b = layers.batch_normalization(x, training=False, center=False)
    img = tf.placeholder(tf.float32, [4, 3, 3, 2], name="img")
    c = layers.batch_normalization(img, training=True, fused=False, scale=False)
    d = layers.batch_normalization(img, axis=1, training=True, epsilon=0.01)
    return {"a": a, "b": b, "c": c, "d": d}, {x: _rand(10, 6, 5), img: _rand(11, 4, 3, 3, 2)}


def training_tensor(tf: Any, layers: Any, regs: Any) -> tuple[dict, dict]:
    x = tf.placeholder(tf.float32, [None, 4, 4, 2], name="x")
    is_training = tf.placeholder_with_default(True, [], name="is_training")
    h = layers.batch_normalization(x, training=is_training)
    h = layers.dropout(h, 0.5, training=is_training, seed=1)
    return {"h": h}, {x: _rand(12, 2, 4, 4, 2)}


def dense_rank3(tf: Any, layers: Any, regs: Any) -> tuple[dict, dict]:
    fixed = tf.placeholder(tf.float32, [2, 5, 4], name="fixed")
    batch = tf.placeholder(tf.float32, [None, 5, 4], name="batch")
    ragged = tf.placeholder(tf.float32, [None, None, 4], name="ragged")
    a = layers.dense(fixed, 3, activation=tf.nn.relu)
    b = layers.dense(batch, 2)
    c = layers.Dense(2, use_bias=False)(ragged)
    feeds = {fixed: _rand(13, 2, 5, 4), batch: _rand(14, 3, 5, 4), ragged: _rand(15, 2, 3, 4)}
    return {"a": a, "b": b, "c": c}, feeds


def separable(tf: Any, layers: Any, regs: Any) -> tuple[dict, dict]:
    x = tf.placeholder(tf.float32, [None, 5, 5, 2], name="x")
    a = layers.separable_conv2d(x, 3, 3, depth_multiplier=2, padding="same")
    b = layers.SeparableConv2D(2, (2, 2), strides=(2, 2), activation=tf.nn.relu)(x)
    return {"a": a, "b": b}, {x: _rand(16, 2, 5, 5, 2)}


CASES = {
    "mlp": mlp,
    "cnn_train": cnn_train,
    "cnn_infer": cnn_infer,
    "conv1d_pools": conv1d_pools,
    "deconv": deconv,
    "classes": classes,
    "scopes": scopes,
    "regularized": regularized,
    "bn_unfused": bn_unfused,
    "training_tensor": training_tensor,
    "dense_rank3": dense_rank3,
    "separable": separable,
}


def _names(items: list[Any]) -> list[str]:
    return [getattr(item, "name", str(item)) for item in items]


def _array(value: Any) -> dict[str, Any]:
    array = np.asarray(value)
    return {"shape": list(array.shape), "values": array.astype(np.float64).ravel().tolist()}


def run_case(tf: Any, layers: Any, regs: Any, name: str) -> dict[str, Any]:
    """Builds and runs one case in a fresh graph with graph seed 1; see the module doc."""
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(1)
        outputs, feeds = CASES[name](tf, layers, regs)
        facts = outputs.pop("facts", None)
        keys = tf.GraphKeys
        result: dict[str, Any] = {
            "ops": [
                [op.name, op.type, [t.name for t in op.inputs]] for op in graph.get_operations()
            ],
            "global": _names(tf.global_variables()),
            "trainable": _names(tf.trainable_variables()),
            "update_ops": _names(tf.get_collection(keys.UPDATE_OPS)),
            "reg_losses": _names(tf.get_collection(keys.REGULARIZATION_LOSSES)),
            "facts": facts,
        }
        init = tf.global_variables_initializer()
        with tf.Session() as sess:
            sess.run(init)
            variables = tf.global_variables()
            result["initial"] = {v.name: _array(sess.run(v)) for v in variables}
            values = sess.run(outputs, feed_dict=feeds)
            result["outputs"] = {k: _array(v) for k, v in sorted(values.items())}
            updates = tf.get_collection(keys.UPDATE_OPS)
            if updates:
                sess.run(updates, feed_dict=feeds)
                result["after_update"] = {v.name: _array(sess.run(v)) for v in variables}
            losses = tf.get_collection(keys.REGULARIZATION_LOSSES)
            if losses:
                result["reg_total"] = float(sess.run(tf.add_n(losses), feed_dict=feeds))
    return result
