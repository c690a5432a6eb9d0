"""TFRecordWriter -> TFRecordDataset -> parse_single_example (run under TF and stowflow.tf1).

Usage: python tfrecord_data.py DIRECTORY

Writes two TFRecord files, then reads each through one initializable iterator whose filename
is fed, parsing fixed- and variable-length features, batching with padded_batch and batch,
until OutOfRangeError.
"""

import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

directory = sys.argv[1]
os.makedirs(directory, exist_ok=True)


def example(i):
    feature = {
        "id": tf.train.Feature(int64_list=tf.train.Int64List(value=[i])),
        "score": tf.train.Feature(float_list=tf.train.FloatList(value=[i * 0.25, -i * 0.5])),
        "tokens": tf.train.Feature(int64_list=tf.train.Int64List(value=list(range(i % 4)))),
        "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"row%d" % i])),
        "tags": tf.train.Feature(float_list=tf.train.FloatList(value=[0.5] * (i % 3))),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature))


files = {}
for part, rows in (("a", range(0, 7)), ("b", range(7, 12))):
    files[part] = os.path.join(directory, part + ".tfrecord")
    with tf.io.TFRecordWriter(files[part]) as writer:
        for i in rows:
            writer.write(example(i).SerializeToString())
print("file sizes", [os.path.getsize(files[p]) for p in "ab"])  # TF's framing, byte for byte

spec = {
    "id": tf.FixedLenFeature([], tf.int64),
    "score": tf.FixedLenFeature([2], tf.float32),
    "tokens": tf.FixedLenSequenceFeature([], tf.int64, allow_missing=True),
    "tags": tf.VarLenFeature(tf.float32),
    "name": tf.FixedLenFeature([], tf.string),
}


def parse(record):
    parsed = tf.parse_single_example(record, spec)
    return {
        "id": parsed["id"],
        "score": parsed["score"],
        "tokens": parsed["tokens"],
        "tags": tf.reduce_sum(parsed["tags"].values),
        "name": parsed["name"],
    }


filename = tf.placeholder(tf.string, [], name="filename")
records = tf.data.TFRecordDataset(filename).map(parse)
padded = records.padded_batch(
    3,
    padded_shapes={"id": [], "score": [2], "tokens": [None], "name": [], "tags": []},
    padding_values={
        "id": tf.constant(0, tf.int64),
        "score": 0.0,
        "tokens": tf.constant(-1, tf.int64),
        "name": "",
        "tags": 0.0,
    },
)
plain = records.map(lambda r: (r["id"], r["score"])).batch(4)
padded_it = tf.data.make_initializable_iterator(padded)
plain_it = tf.data.make_initializable_iterator(plain)
padded_next, plain_next = padded_it.get_next(), plain_it.get_next()
print("padded shapes", {k: v.shape.as_list() for k, v in sorted(padded_next.items())})

with tf.Session() as sess:
    for part in "ab":
        sess.run(padded_it.initializer, {filename: files[part]})
        while True:
            try:
                batch = sess.run(padded_next)
            except tf.errors.OutOfRangeError:
                print(part, "padded: end of data")
                break
            print(part, "ids", batch["id"].tolist(), "names", [n.decode() for n in batch["name"]])
            print(
                part,
                "tokens",
                batch["tokens"].tolist(),
                "score",
                batch["score"].tolist(),
                "tags",
                batch["tags"].tolist(),
            )
        sess.run(plain_it.initializer, {filename: files[part]})
        try:
            while True:
                ids, scores = sess.run(plain_next)
                print(part, "batch", ids.tolist(), np.round(scores.sum(axis=1), 4).tolist())
        except tf.errors.OutOfRangeError:
            print(part, "batch: end of data")
