"""tf.data pipelines built the same way under TensorFlow (the golden generator) and stowflow.

Each ``build(tf, np, files)`` takes the TF1 namespace (``tensorflow.compat.v1`` or stowflow's),
NumPy and the fixture directory made by :func:`make_files`, and returns a dataset. ``ITERATOR``
says how the generator/test iterates it; ``ORDERED`` False means only the multiset of elements
is compared (shuffle: stowflow's order is seeded but not TF's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

LINES = [b"alpha", b"beta\r", b"", b"gamma"]
RECORDS = [b"r0", b"record one", b""]


def make_files(tf: Any, directory: Path) -> None:
    """The text and TFRecord fixture files (written with the given ``tf``)."""
    (directory / "a.txt").write_bytes(b"\n".join(LINES))
    (directory / "b.txt").write_bytes(b"x\ny\n")
    for name, compression in (("r.tfrecord", None), ("r.tfrecord.gz", "GZIP")):
        with tf.io.TFRecordWriter(str(directory / name), compression) as writer:
            for record in RECORDS:
                writer.write(record)


def slices_map_batch(tf: Any, np: Any, files: Path) -> Any:
    ds = tf.data.Dataset.from_tensor_slices((np.arange(6, dtype=np.float32), np.arange(6)))
    return ds.map(lambda x, y: (x * 2.0, y + 1)).batch(4)


def dict_slices(tf: Any, np: Any, files: Path) -> Any:
    ds = tf.data.Dataset.from_tensor_slices({"b": np.arange(4), "a": np.ones((4, 2), np.float32)})
    return ds.map(lambda d: {"sum": tf.reduce_sum(d["a"]) + tf.cast(d["b"], tf.float32)})


def range_ops(tf: Any, np: Any, files: Path) -> Any:
    return tf.data.Dataset.range(2, 20, 3).repeat(2).take(9).skip(2).prefetch(1)


def filter_batch_drop(tf: Any, np: Any, files: Path) -> Any:
    ds = tf.data.Dataset.range(11).filter(lambda x: tf.equal(x % 2, 0))
    return ds.batch(2, drop_remainder=True)


def zip_tensors(tf: Any, np: Any, files: Path) -> Any:
    a = tf.data.Dataset.from_tensors([1, 2]).repeat()
    b = tf.data.Dataset.range(3)
    return tf.data.Dataset.zip((a, b))


def padded(tf: Any, np: Any, files: Path) -> Any:
    ds = tf.data.Dataset.range(5).map(lambda x: tf.fill(tf.cast(tf.expand_dims(x, 0), tf.int32), x))
    return ds.padded_batch(2, padded_shapes=[None], padding_values=tf.constant(-1, tf.int64))


def padded_fixed(tf: Any, np: Any, files: Path) -> Any:
    ds = tf.data.Dataset.range(4).map(
        lambda x: (tf.fill(tf.cast(tf.expand_dims(x, 0), tf.int32), 1.5), x)
    )
    return ds.padded_batch(3, padded_shapes=([5], []))


def cache_repeat(tf: Any, np: Any, files: Path) -> Any:
    return tf.data.Dataset.range(3).map(lambda x: x * 10).cache().repeat(2)


def flat_map(tf: Any, np: Any, files: Path) -> Any:
    return tf.data.Dataset.range(4).flat_map(lambda x: tf.data.Dataset.range(x))


def interleave(tf: Any, np: Any, files: Path) -> Any:
    ds = tf.data.Dataset.range(1, 5)
    return ds.interleave(
        lambda x: tf.data.Dataset.from_tensors(x).repeat(x), cycle_length=2, block_length=2
    )


def text_lines(tf: Any, np: Any, files: Path) -> Any:
    return tf.data.TextLineDataset([str(files / "a.txt"), str(files / "b.txt")])


def tfrecords(tf: Any, np: Any, files: Path) -> Any:
    plain = tf.data.TFRecordDataset(str(files / "r.tfrecord"))
    packed = tf.data.TFRecordDataset([str(files / "r.tfrecord.gz")], compression_type="GZIP")
    return tf.data.Dataset.zip((plain, packed))


def shuffled(tf: Any, np: Any, files: Path) -> Any:
    return tf.data.Dataset.range(10).shuffle(4, seed=7).batch(3)


def parse_examples(tf: Any, np: Any, files: Path) -> Any:
    def example(i: int) -> bytes:
        feature = {
            "x": tf.train.Feature(float_list=tf.train.FloatList(value=[float(i), i / 2.0])),
            "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 3])),
        }
        return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()

    spec = {
        "x": tf.io.FixedLenFeature([2], tf.float32),
        "y": tf.io.FixedLenFeature([], tf.int64, default_value=0),
    }
    ds = tf.data.Dataset.from_tensor_slices(np.array([example(i) for i in range(5)], dtype=object))
    return ds.map(lambda s: tf.io.parse_single_example(s, spec)).batch(2)


def _rows() -> Any:
    for i in range(5):
        yield i, [i] * i


def generator(tf: Any, np: Any, files: Path) -> Any:
    ds = tf.data.Dataset.from_generator(
        _rows, (tf.int64, tf.int32), (tf.TensorShape([]), tf.TensorShape([None]))
    )
    return ds.map(lambda a, b: (a, tf.reduce_sum(b))).batch(2)


PIPELINES = {
    "generator": (generator, "one_shot", True),
    "slices_map_batch": (slices_map_batch, "initializable", True),
    "dict_slices": (dict_slices, "one_shot", True),
    "range_ops": (range_ops, "one_shot", True),
    "filter_batch_drop": (filter_batch_drop, "initializable", True),
    "zip_tensors": (zip_tensors, "initializable", True),
    "padded": (padded, "initializable", True),
    "padded_fixed": (padded_fixed, "initializable", True),
    "cache_repeat": (cache_repeat, "initializable", True),
    "flat_map": (flat_map, "initializable", True),
    "interleave": (interleave, "initializable", True),
    "text_lines": (text_lines, "initializable", True),
    "tfrecords": (tfrecords, "initializable", True),
    "shuffled": (shuffled, "one_shot", False),
    "parse_examples": (parse_examples, "initializable", True),
}


def uninitialized(tf: Any, np: Any) -> Any:
    """get_next before the initializer ran."""
    it = tf.data.make_initializable_iterator(tf.data.Dataset.range(3))
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(nxt)


def ragged_batch(tf: Any, np: Any) -> Any:
    """batch() of elements whose shapes differ."""
    ds = tf.data.Dataset.range(4).map(lambda x: tf.fill(tf.cast(tf.expand_dims(x, 0), tf.int32), x))
    nxt = tf.data.make_one_shot_iterator(ds.batch(2)).get_next()
    with tf.Session() as sess:
        sess.run(nxt)


def one_shot_placeholder(tf: Any, np: Any) -> Any:
    """make_one_shot_iterator over a dataset fed by a placeholder."""
    x = tf.placeholder(tf.float32, [3])
    tf.data.make_one_shot_iterator(tf.data.Dataset.from_tensor_slices(x))


def one_shot_initializer(tf: Any, np: Any) -> Any:
    """A one-shot iterator has no initializer."""
    return tf.data.make_one_shot_iterator(tf.data.Dataset.range(2)).initializer


def reinitialize_with_feed(tf: Any, np: Any) -> Any:
    """Not an error: an initializable iterator restarts, fed by a placeholder each time."""
    x = tf.placeholder(tf.float32, [None])
    it = tf.data.make_initializable_iterator(tf.data.Dataset.from_tensor_slices(x))
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {x: [1.0, 2.0, 3.0]})
        first = [sess.run(nxt), sess.run(nxt)]
        sess.run(it.initializer, {x: [7.0]})
        return [*first, sess.run(nxt)]


ERROR_CASES = {
    "uninitialized": uninitialized,
    "ragged_batch": ragged_batch,
    "one_shot_placeholder": one_shot_placeholder,
    "one_shot_initializer": one_shot_initializer,
    "reinitialize_with_feed": reinitialize_with_feed,
}
