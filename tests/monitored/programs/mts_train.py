"""A TF1 training loop with MonitoredTrainingSession (run under TF and `python -m stowflow.tf1`).

Usage: python mts_train.py CHECKPOINT_DIR [LAST_STEP]
"""

import sys

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.INFO)

checkpoint_dir = sys.argv[1]
last_step = int(sys.argv[2]) if len(sys.argv) > 2 else 12
x = tf.constant(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], np.float32))
y = tf.constant(np.array([[1.0], [0.0], [1.0], [0.0]], np.float32))
w = tf.get_variable("w", [2, 1], initializer=tf.constant_initializer([[0.1], [-0.2]]))
b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y), name="loss")
tf.summary.scalar("loss", loss)
global_step = tf.train.get_or_create_global_step()
train_op = tf.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=global_step)


class Counter(tf.train.SessionRunHook):
    def begin(self):
        self.runs = 0
        print("hook begin")

    def after_create_session(self, session, coord):
        print("hook after_create_session, step", session.run(global_step))

    def before_run(self, run_context):
        return tf.train.SessionRunArgs({"loss": loss})

    def after_run(self, run_context, run_values):
        self.runs += 1
        if self.runs % 4 == 0:
            print("hook after_run", self.runs, "loss %.6f" % run_values.results["loss"])

    def end(self, session):
        print("hook end, step", session.run(global_step))


hooks = [
    tf.train.StopAtStepHook(last_step=last_step),
    tf.train.NanTensorHook(loss),
    tf.train.LoggingTensorHook({"loss": loss, "step": global_step}, every_n_iter=5),
    Counter(),
]
with tf.train.MonitoredTrainingSession(
    checkpoint_dir=checkpoint_dir,
    hooks=hooks,
    save_checkpoint_steps=5,
    save_summaries_steps=3,
    log_step_count_steps=4,
) as sess:
    while not sess.should_stop():
        _, step = sess.run([train_op, global_step])
print("final w", tf.train.load_variable(checkpoint_dir, "w").ravel().tolist())
print("latest", tf.train.latest_checkpoint(checkpoint_dir).replace(checkpoint_dir, "<dir>"))
