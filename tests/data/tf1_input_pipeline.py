"""A typical TF1 input pipeline + training loop (run by test_tf1_pipeline.py under TF and stowflow).

Usage: tf1_input_pipeline.py DIR SHUFFLE_BUFFER... Writes 20 Examples to DIR/train.tfrecord,
then per shuffle buffer size, in a new graph, reads them back and trains a linear model on
batches until the one-shot iterator runs out.
"""

import os
import sys

import numpy as np
import tensorflow as tf

directory, buffer_sizes = sys.argv[1], [int(a) for a in sys.argv[2:]]
path = os.path.join(directory, "train.tfrecord")

rng = np.random.RandomState(0)
xs = rng.rand(20, 3).astype(np.float32)
ys = xs @ np.array([1.5, -2.0, 0.5], np.float32) + 0.25
with tf.python_io.TFRecordWriter(path) as writer:
    for x, y in zip(xs, ys):
        feature = {
            "x": tf.train.Feature(float_list=tf.train.FloatList(value=x)),
            "y": tf.train.Feature(float_list=tf.train.FloatList(value=[y])),
        }
        writer.write(
            tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()
        )
print("records:", sum(1 for _ in tf.python_io.tf_record_iterator(path)))


def parse(serialized):
    spec = {"x": tf.FixedLenFeature([3], tf.float32), "y": tf.FixedLenFeature([], tf.float32)}
    features = tf.parse_single_example(serialized, spec)
    return features["x"], features["y"]


def train(buffer_size):
    print("== shuffle buffer", buffer_size)
    dataset = tf.data.TFRecordDataset([path]).map(parse)
    dataset = dataset.shuffle(buffer_size, seed=42).batch(6).repeat(2)
    print(dataset.output_types, dataset.output_shapes)
    features, labels = dataset.make_one_shot_iterator().get_next()
    print(features, labels)

    w = tf.Variable(tf.zeros([3, 1]), name="w")
    b = tf.Variable(0.0, name="b")
    prediction = tf.squeeze(tf.matmul(features, w), 1) + b
    loss = tf.reduce_mean(tf.square(prediction - labels))
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        step = 0
        try:
            while True:
                _, batch_loss, batch = sess.run([train_op, loss, labels])
                step += 1
                print("step %d batch %d" % (step, batch.shape[0]), "loss %.5f" % batch_loss)
        except tf.errors.OutOfRangeError as e:
            print("OutOfRangeError:", e.message.splitlines()[-2])
        print("steps:", step)


for size in buffer_sizes:
    with tf.Graph().as_default():
        train(size)
