"""Session state and caches: plan invalidation, close(), per-thread defaults, tables."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

import stowflow as tf
from stowflow import dtypes
from stowflow.graph.builder import apply_op, constant


def test_plan_cache_sees_control_inputs_added_later() -> None:
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        v = tf.Variable(0.0, name="v")
        inc = tf.assign_add(v, 1.0)
        out = tf.identity(tf.constant(1.0), name="out")
        sess.run(v.initializer)
        sess.run(out)  # plan cached without the control input
        out.op._add_control_input(inc.op)
        sess.run(out)
        sess.run(out)
        assert sess.run(v) == 2.0


def test_close_releases_state_and_later_runs_raise() -> None:
    graph = tf.Graph()
    with graph.as_default():
        v = tf.Variable(np.ones(1000, np.float32), name="v")
    sess = tf.Session(graph=graph)
    sess.run(v.initializer)
    sess.close()
    assert not sess._state.variables
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(v)


def test_default_session_is_per_thread() -> None:
    graph = tf.Graph()
    with graph.as_default():
        c = tf.constant(3.0)
    seen: list[object] = []
    ready = threading.Event()
    done = threading.Event()

    def other_thread() -> None:
        with tf.Session(graph=graph).as_default() as mine:
            ready.set()
            done.wait(5)
            seen.append(tf.get_default_session() is mine)

    thread = threading.Thread(target=other_thread)
    thread.start()
    ready.wait(5)
    with tf.Session(graph=graph) as sess:
        assert tf.get_default_session() is sess
        assert c.eval() == 3.0
        done.set()
        thread.join(5)
    assert seen == [True]
    assert tf.get_default_session() is None


def test_text_file_table_converts_columns_to_the_table_dtypes(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.tsv"
    vocab.write_bytes(b"10\tx\n20\ty\n")
    graph = tf.Graph()
    with graph.as_default():
        handle = apply_op(
            "HashTableV2", {}, {"key_dtype": dtypes.int64, "value_dtype": dtypes.string}
        )[0]
        init = apply_op(
            "InitializeTableFromTextFileV2",
            {"table_handle": handle, "filename": constant(str(vocab))},
            {"key_index": 0, "value_index": 1, "delimiter": "\t"},
        )
        found = apply_op(
            "LookupTableFindV2",
            {
                "table_handle": handle,
                "keys": constant(np.array([10, 20, 30], np.int64)),
                "default_value": constant("?"),
            },
            {"Tin": dtypes.int64, "Tout": dtypes.string},
        )[0]
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        assert sess.run(found).tolist() == [b"x", b"y", b"?"]
