"""TF1 variable-scope, get_variable, Saver and checkpoint-reader cases, written once for both
TensorFlow (make_variable_facts.py records its outcomes) and stowflow (the test replays them).

Each case takes the TF1 namespace (``tf.compat.v1`` or ``stowflow``) and a scratch directory
and returns a printable outcome; an exception's class name and message are the outcome.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np


def _shared(tf: Any, directory: str, **kwargs: Any) -> str:
    with tf.variable_scope("x"):
        tf.get_variable("a", [2], dtype=tf.float32)
    with tf.variable_scope("x", reuse=True):
        return str(tf.get_variable("a", **kwargs).shape)


def _constant_with_shape(value: Any) -> Callable[[Any, str], str]:
    def case(tf: Any, directory: str) -> str:
        return str(tf.get_variable("c", shape=[2], initializer=value).shape)

    return case


def _reuse_flags(tf: Any, directory: str) -> str:
    flags = [repr(tf.get_variable_scope().reuse)]
    with tf.variable_scope("a", reuse=True):
        with tf.variable_scope("b", reuse=False):
            flags.append(repr(tf.get_variable_scope().reuse))
    with tf.variable_scope("c", reuse=tf.AUTO_REUSE):
        flags.append(repr(tf.get_variable_scope().reuse))
    with tf.variable_scope("d"):
        flags.append(repr(tf.get_variable_scope().reuse))
    return " ".join(flags)


def _saver_two_names(tf: Any, directory: str) -> str:
    v = tf.Variable(1.0, name="v")
    tf.train.Saver({"a": v, "b": v})
    return "no error"


def _saved(tf: Any, directory: str) -> str:
    tf.Variable(1.0, name="v")
    tf.Variable(b"hi", name="s")
    tf.Variable([1, 2], name="i")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return saver.save(sess, os.path.join(directory, "model"))


def _reader_values(tf: Any, directory: str) -> str:
    reader = tf.train.NewCheckpointReader(_saved(tf, directory))
    values = [reader.get_tensor(n) for n in ("v", "s", "i")]
    return " ".join(f"{type(v).__name__}:{v!r}" for v in values)


def _load_variable(tf: Any, directory: str) -> str:
    value = tf.train.load_variable(_saved(tf, directory), "v")
    return f"{type(value).__name__}:{value!r}"


def _reader_on_directory(tf: Any, directory: str) -> str:
    _saved(tf, directory)
    tf.train.NewCheckpointReader(directory)
    return "no error"


def _recover_then_save(tf: Any, directory: str) -> str:
    tf.Variable(1.0, name="v")
    writer = tf.train.Saver(max_to_keep=None)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        paths = [writer.save(sess, os.path.join(directory, "m"), global_step=i) for i in range(5)]
        saver = tf.train.Saver(max_to_keep=2)
        saver.recover_last_checkpoints(paths)
        saver.save(sess, os.path.join(directory, "m"), global_step=5)
    left = sorted(f for f in os.listdir(directory) if f.endswith(".index"))
    tracked = [os.path.basename(p) for p in saver.last_checkpoints]
    return f"files {left} tracked {tracked}"


CASES: dict[str, Callable[[Any, str], str]] = {
    "recover_then_save_deletes_one": _recover_then_save,
    "share_other_shape": lambda tf, d: _shared(tf, d, shape=[3], dtype=tf.float32),
    "share_other_dtype": lambda tf, d: _shared(tf, d, shape=[2], dtype=tf.int32),
    "share_same": lambda tf, d: _shared(tf, d, shape=[2], dtype=tf.float32),
    "constant_array_with_shape": _constant_with_shape(np.array([1.0, 2.0], np.float32)),
    "constant_list_with_shape": _constant_with_shape([1.0, 2.0]),
    "constant_float_with_shape": _constant_with_shape(3.0),
    "reuse_flags": _reuse_flags,
    "saver_same_variable_two_names": _saver_two_names,
    "reader_values": _reader_values,
    "load_variable_scalar": _load_variable,
    "reader_on_directory": _reader_on_directory,
}


def outcome(tf: Any, graph: Any, case: Callable[[Any, str], str], directory: str) -> str:
    """Runs ``case`` in a fresh graph; returns its result or ``ErrorClass: message``."""
    with graph.as_default():
        try:
            return case(tf, directory).replace(directory, "<dir>")
        except Exception as e:  # the outcome being recorded
            return f"{type(e).__name__}: {str(e).replace(directory, '<dir>')}"
