"""MonitoredTrainingSession over a tf.data pipeline (run under TF and stowflow.tf1).

Usage: python mts_data.py CHECKPOINT_DIR

from_tensor_slices -> map -> batch -> repeat (no shuffle) feeds a linear model trained with
GradientDescent; StopAtStepHook, LoggingTensorHook and CheckpointSaverHook run it.
"""

import sys

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.INFO)

checkpoint_dir = sys.argv[1]
rng = np.random.RandomState(3)
features = rng.normal(size=(20, 3)).astype(np.float32)
targets = (features @ np.array([[1.5], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)

dataset = tf.data.Dataset.from_tensor_slices((features, targets))
dataset = dataset.map(lambda f, t: (f * 2.0, t + 1.0)).batch(6).repeat()
batch_x, batch_y = tf.data.make_one_shot_iterator(dataset).get_next()

w = tf.get_variable(
    "w", initializer=tf.constant(rng.normal(scale=0.1, size=(3, 1)).astype(np.float32))
)
b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
loss = tf.reduce_mean(tf.square(tf.matmul(batch_x, w) + b - batch_y), name="loss")
global_step = tf.train.get_or_create_global_step()
train_op = tf.train.GradientDescentOptimizer(0.02).minimize(loss, global_step=global_step)

hooks = [
    tf.train.StopAtStepHook(last_step=14),
    tf.train.LoggingTensorHook({"loss": loss, "step": global_step}, every_n_iter=3),
    tf.train.CheckpointSaverHook(checkpoint_dir, save_steps=6),
]
with tf.train.MonitoredTrainingSession(hooks=hooks, save_summaries_steps=None) as sess:
    while not sess.should_stop():
        _, value = sess.run([train_op, loss])
print("last loss %.6f" % value)
print(
    "checkpoints",
    [
        p.replace(checkpoint_dir, "<dir>")
        for p in tf.train.get_checkpoint_state(checkpoint_dir).all_model_checkpoint_paths
    ],
)
print("final w", " ".join("%.6f" % v for v in tf.train.load_variable(checkpoint_dir, "w").ravel()))
