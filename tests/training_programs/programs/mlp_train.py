"""A TF1 MLP training program (run under TF and under `python -m stowflow.tf1`).

Usage: python mlp_train.py OPTIMIZER VARIABLES CHECKPOINT_DIR PHASE

OPTIMIZER: gd | adam | momentum | nesterov | rmsprop | adagrad | mixed (Adam on the hidden
layers, Momentum on the output layer). VARIABLES: ref | resource (``use_resource=True``) |
enabled (``tf.enable_resource_variables()``). PHASE: train (train from explicit initial
values, save, restore in a second graph, predict) | resume (restore the latest checkpoint and
keep training) | dump (restore the latest checkpoint and print every variable as JSON).
"""

import json
import sys

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

optimizer_name, variables, checkpoint_dir, phase = sys.argv[1:5]
if variables == "enabled":
    tf.enable_resource_variables()
use_resource = True if variables == "resource" else None

rng = np.random.RandomState(7)
FEATURES, HIDDEN, CLASSES, ROWS, BATCH = 6, 10, 3, 48, 16
data_x = rng.normal(size=(ROWS, FEATURES)).astype(np.float32)
data_y = np.eye(CLASSES, dtype=np.float32)[
    np.argmax(data_x[:, :CLASSES] + 0.5 * data_x[:, CLASSES:], axis=1)
]
INITIAL = {
    "hidden1/w": rng.normal(scale=0.5, size=(FEATURES, HIDDEN)).astype(np.float32),
    "hidden1/b": rng.normal(scale=0.1, size=(HIDDEN,)).astype(np.float32),
    "hidden2/w": rng.normal(scale=0.5, size=(HIDDEN, HIDDEN)).astype(np.float32),
    "hidden2/b": rng.normal(scale=0.1, size=(HIDDEN,)).astype(np.float32),
    "logits/w": rng.normal(scale=0.5, size=(HIDDEN, CLASSES)).astype(np.float32),
    "logits/b": np.zeros((CLASSES,), np.float32),
}


def dense(name, inputs, activation=None):
    with tf.variable_scope(name):
        w = tf.get_variable(
            "w",
            initializer=tf.constant_initializer(INITIAL[name + "/w"]),
            shape=INITIAL[name + "/w"].shape,
            use_resource=use_resource,
        )
        b = tf.get_variable(
            "b",
            initializer=tf.constant_initializer(INITIAL[name + "/b"]),
            shape=INITIAL[name + "/b"].shape,
            use_resource=use_resource,
        )
        out = tf.nn.bias_add(tf.matmul(inputs, w), b)
        return activation(out) if activation else out


def make_optimizer(name):
    table = {
        "gd": lambda: tf.train.GradientDescentOptimizer(0.1),
        "adam": lambda: tf.train.AdamOptimizer(0.01),
        "momentum": lambda: tf.train.MomentumOptimizer(0.05, 0.9),
        "nesterov": lambda: tf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
        "rmsprop": lambda: tf.train.RMSPropOptimizer(0.01, decay=0.9, momentum=0.5),
        "adagrad": lambda: tf.train.AdagradOptimizer(0.1),
    }
    return table[name]()


def build():
    """The model, loss and train op in the default graph."""
    x = tf.placeholder(tf.float32, [None, FEATURES], name="x")
    y = tf.placeholder(tf.float32, [None, CLASSES], name="y")
    h = dense("hidden1", x, tf.nn.relu)
    h = dense("hidden2", h, tf.nn.relu)
    logits = dense("logits", h)
    loss = tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits), name="loss"
    )
    global_step = tf.train.get_or_create_global_step()
    variables = tf.trainable_variables()
    # Every gradient is computed before any variable is updated: a ref variable's read aliases
    # its buffer in TF, so an update racing a gradient that reads the same weights would make
    # TF's own losses vary from run to run.
    grads = tf.gradients(loss, variables)
    with tf.control_dependencies(grads):
        grads = [tf.identity(g) for g in grads]
    pairs = list(zip(grads, variables))
    if optimizer_name == "mixed":
        train_op = tf.group(
            tf.train.AdamOptimizer(0.01).apply_gradients(
                [p for p in pairs if p[1].op.name.startswith("hidden")]
            ),
            tf.train.MomentumOptimizer(0.05, 0.9).apply_gradients(
                [p for p in pairs if p[1].op.name.startswith("logits")], global_step=global_step
            ),
        )
    else:
        train_op = make_optimizer(optimizer_name).apply_gradients(pairs, global_step=global_step)
    return x, y, tf.nn.softmax(logits), loss, train_op, global_step


def train(sess, x, y, loss, train_op, global_step, steps):
    for _ in range(steps):
        start = sess.run(global_step) * BATCH % ROWS
        feed = {x: data_x[start : start + BATCH], y: data_y[start : start + BATCH]}
        # The step is read in a run of its own: fetched with train_op, a resource variable's
        # read races the increment in TF (it may see either value).
        _, value = sess.run([train_op, loss], feed)
        step = sess.run(global_step)
        if step % 5 == 0:
            print("step %d loss %.6f" % (step, value))


def restore(sess, saver):
    path = tf.train.latest_checkpoint(checkpoint_dir)
    saver.restore(sess, path)
    return path


with tf.Graph().as_default():
    x, y, probabilities, loss, train_op, global_step = build()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        if phase == "train":
            sess.run(tf.global_variables_initializer())
            train(sess, x, y, loss, train_op, global_step, 30)
            print("full loss %.6f" % sess.run(loss, {x: data_x, y: data_y}))
            print(
                "saved", saver.save(sess, checkpoint_dir + "/model.ckpt", global_step=global_step)
            )
        elif phase == "resume":
            print("restored", restore(sess, saver), "step", sess.run(global_step))
            train(sess, x, y, loss, train_op, global_step, 20)
            print("full loss %.6f" % sess.run(loss, {x: data_x, y: data_y}))
        else:
            restore(sess, saver)
            values = {v.op.name: sess.run(v).tolist() for v in tf.global_variables()}
            print("@@VARIABLES@@" + json.dumps(values, sort_keys=True))
            sys.exit(0)

for name, shape in tf.train.list_variables(checkpoint_dir):
    print("checkpoint", name, shape)

if phase == "train":  # a second graph: the model only, restored from the checkpoint
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, FEATURES], name="x")
        h = dense("hidden1", x, tf.nn.relu)
        h = dense("hidden2", h, tf.nn.relu)
        probabilities = tf.nn.softmax(dense("logits", h))
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, tf.train.latest_checkpoint(checkpoint_dir))
            p = sess.run(probabilities, {x: data_x[:6]})
    print("predictions", p.argmax(axis=1).tolist())
    for row in p:
        print("probabilities", " ".join("%.6f" % v for v in row))
