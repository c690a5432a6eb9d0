"""SparseFeature and RaggedFeature parsing cases shared by make_parsing_goldens.py (TF) and
tests/graph/test_parsing_sparse_feature.py (stowflow). No TF import here.

Each case: ``spec(tf)`` -> feature dict, ``examples(tf)`` -> serialized Examples, and
whether it is ``parse_single_example`` (the first example only) or ``parse_example``.
"""

from __future__ import annotations

from typing import Any


def _example(tf: Any, **features: Any) -> bytes:
    feature = {}
    for key, values in features.items():
        if values and isinstance(values[0], bytes):
            feature[key] = tf.train.Feature(bytes_list=tf.train.BytesList(value=values))
        elif values and isinstance(values[0], float):
            feature[key] = tf.train.Feature(float_list=tf.train.FloatList(value=values))
        else:
            feature[key] = tf.train.Feature(int64_list=tf.train.Int64List(value=values))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def one_dim(tf: Any) -> tuple[Any, list[bytes], bool]:
    spec = {
        "sp": tf.io.SparseFeature("ix", "val", tf.float32, 10),
        "d": tf.io.FixedLenFeature([], tf.int64, default_value=0),
    }
    examples = [
        _example(tf, ix=[5, 1, 3], val=[0.5, 0.1, 0.3], d=[7]),
        _example(tf, ix=[2], val=[2.0]),
        _example(tf),
    ]
    return spec, examples, False


def two_dims(tf: Any) -> tuple[Any, list[bytes], bool]:
    spec = {"m": tf.io.SparseFeature(["ix0", "ix1"], "v", tf.int64, [3, 4])}
    examples = [
        _example(tf, ix0=[2, 0, 2], ix1=[1, 3, 0], v=[21, 3, 20]),
        _example(tf, ix0=[1], ix1=[1], v=[11]),
    ]
    return spec, examples, False


def already_sorted(tf: Any) -> tuple[Any, list[bytes], bool]:
    spec = {"s": tf.io.SparseFeature("i", "w", tf.string, 5, already_sorted=True)}
    return spec, [_example(tf, i=[3, 0], w=[b"c", b"a"])], False


def single(tf: Any) -> tuple[Any, list[bytes], bool]:
    spec = {
        "s": tf.io.SparseFeature("i", "w", tf.string, 6),
        "w": tf.io.VarLenFeature(tf.string),
    }
    return spec, [_example(tf, i=[4, 1], w=[b"four", b"one"])], True


def mismatched(tf: Any) -> tuple[Any, list[bytes], bool]:
    spec = {"sp": tf.io.SparseFeature("ix", "val", tf.float32, 10)}
    return spec, [_example(tf, ix=[1, 2], val=[1.0])], False


def ragged_batch(tf: Any) -> tuple[Any, list[bytes], bool]:
    spec = {
        "r": tf.io.RaggedFeature(tf.int64),
        "q": tf.io.RaggedFeature(tf.float32, value_key="qv", row_splits_dtype=tf.int64),
        "d": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
    }
    examples = [
        _example(tf, r=[1, 2, 3], qv=[0.5], d=[4]),
        _example(tf),
        _example(tf, r=[9], qv=[1.5, 2.5]),
    ]
    return spec, examples, False


def ragged_single(tf: Any) -> tuple[Any, list[bytes], bool]:
    spec = {"r": tf.io.RaggedFeature(tf.string), "v": tf.io.VarLenFeature(tf.int64)}
    return spec, [_example(tf, r=[b"a", b"bc"], v=[3])], True


CASES = {
    "ragged_batch": ragged_batch,
    "ragged_single": ragged_single,
    "one_dim": one_dim,
    "two_dims": two_dims,
    "already_sorted": already_sorted,
    "single": single,
    "mismatched": mismatched,
}
