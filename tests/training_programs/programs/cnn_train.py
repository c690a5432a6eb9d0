"""A small TF1 CNN with batch norm trained with Momentum (run under TF and stowflow.tf1).

Usage: python cnn_train.py MODE

MODE: towers (a training tower and an evaluation tower share the variables; no control flow)
| cond (one graph; an ``is_training`` placeholder picks batch or moving statistics through
``tf.cond``). The moving averages are updated by assign ops in the UPDATE_OPS collection, run
before each training step.
"""

import sys

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

mode = sys.argv[1]
rng = np.random.RandomState(11)
ROWS, SIZE, CHANNELS, CLASSES, BATCH = 32, 8, 4, 3, 16
images = rng.normal(size=(ROWS, SIZE, SIZE, 1)).astype(np.float32)
labels = (images[:, :4, :, 0].mean(axis=(1, 2)) > images[:, 4:, :, 0].mean(axis=(1, 2))).astype(
    np.int32
) + (images[:, :, :4, 0].mean(axis=(1, 2)) > 0.2).astype(np.int32)
INITIAL = {
    "conv/kernel": rng.normal(scale=0.4, size=(3, 3, 1, CHANNELS)).astype(np.float32),
    "conv/bias": rng.normal(scale=0.1, size=(CHANNELS,)).astype(np.float32),
    "bn/gamma": (1.0 + rng.normal(scale=0.1, size=(CHANNELS,))).astype(np.float32),
    "bn/beta": rng.normal(scale=0.1, size=(CHANNELS,)).astype(np.float32),
    "head/w": rng.normal(scale=0.3, size=(4 * 4 * CHANNELS, CLASSES)).astype(np.float32),
    "head/b": np.zeros((CLASSES,), np.float32),
}


def variable(name, trainable=True, value=None):
    value = INITIAL[name] if value is None else value
    return tf.get_variable(
        name.split("/")[1],
        shape=value.shape,
        trainable=trainable,
        initializer=tf.constant_initializer(value),
    )


def batch_norm(x, training):
    """Fused batch norm; in training, UPDATE_OPS get assign ops for the moving statistics."""
    with tf.variable_scope("bn", reuse=tf.AUTO_REUSE):
        gamma, beta = variable("bn/gamma"), variable("bn/beta")
        zeros, ones = np.zeros(CHANNELS, np.float32), np.ones(CHANNELS, np.float32)
        moving_mean = variable("bn/moving_mean", False, zeros)
        moving_var = variable("bn/moving_variance", False, ones)

    def train_branch():
        y, mean, var = tf.nn.fused_batch_norm(x, gamma, beta, is_training=True)
        return y, mean, var

    def eval_branch():
        y, _, _ = tf.nn.fused_batch_norm(
            x, gamma, beta, mean=moving_mean, variance=moving_var, is_training=False
        )
        return y, moving_mean.read_value(), moving_var.read_value()

    if training is True:
        y, mean, var = train_branch()
    elif training is False:
        return eval_branch()[0]
    else:
        y, mean, var = tf.cond(training, train_branch, eval_branch)
    decay = 0.9
    tf.add_to_collection(
        tf.GraphKeys.UPDATE_OPS, tf.assign_sub(moving_mean, (moving_mean - mean) * (1 - decay))
    )
    tf.add_to_collection(
        tf.GraphKeys.UPDATE_OPS, tf.assign_sub(moving_var, (moving_var - var) * (1 - decay))
    )
    return y


def model(x, training):
    with tf.variable_scope("conv", reuse=tf.AUTO_REUSE):
        kernel, bias = variable("conv/kernel"), variable("conv/bias")
    h = tf.nn.bias_add(tf.nn.conv2d(x, kernel, strides=[1, 1, 1, 1], padding="SAME"), bias)
    h = tf.nn.relu(batch_norm(h, training))
    h = tf.nn.max_pool(h, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
    h = tf.reshape(h, [-1, 4 * 4 * CHANNELS])
    with tf.variable_scope("head", reuse=tf.AUTO_REUSE):
        w, b = variable("head/w"), variable("head/b")
    return tf.matmul(h, w) + b


x = tf.placeholder(tf.float32, [None, SIZE, SIZE, 1], name="x")
y = tf.placeholder(tf.int32, [None], name="y")
if mode == "towers":
    is_training = None
    train_logits = model(x, True)
    eval_logits = model(x, False)
else:
    is_training = tf.placeholder_with_default(False, [], name="is_training")
    train_logits = eval_logits = model(x, is_training)
loss = tf.reduce_mean(
    tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=train_logits), name="loss"
)
correct = tf.equal(tf.argmax(eval_logits, axis=1, output_type=tf.int32), y)
accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
variables = tf.trainable_variables()
grads = tf.gradients(loss, variables)
with tf.control_dependencies(grads + tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    grads = [tf.identity(g) for g in grads]  # all reads and statistics before any update
train_op = tf.train.MomentumOptimizer(0.05, 0.9).apply_gradients(zip(grads, variables))

print("trainable", [v.op.name for v in variables])
print("update ops", len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)))
train_feed = {is_training: True} if is_training is not None else {}
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(1, 25):
        start = (step - 1) * BATCH % ROWS
        feed = {x: images[start : start + BATCH], y: labels[start : start + BATCH], **train_feed}
        _, value = sess.run([train_op, loss], feed)
        if step % 4 == 0:
            print("step %d loss %.6f" % (step, value))
    mean, var = sess.run(["bn/moving_mean:0", "bn/moving_variance:0"])
    print("moving mean", " ".join("%.6f" % v for v in mean))
    print("moving variance", " ".join("%.6f" % v for v in var))
    print("eval accuracy %.6f" % sess.run(accuracy, {x: images, y: labels}))
