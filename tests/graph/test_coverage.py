"""Missing kernels are reported all at once: at SavedModel load, and before a run starts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import stowflow as tf
from stowflow import saved_model as sm
from stowflow.errors import NotFoundError
from stowflow.graph import coverage
from stowflow.graph.kernels import KERNELS


def _export(tmp_path: Path) -> str:
    export_dir = str(tmp_path / "model")
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable(np.ones((2, 2), np.float32), name="w")
        y = tf.nn.relu(tf.matmul(x, w), name="y")
        z = tf.negative(tf.matmul(y, w), name="z")
        sess.run(tf.global_variables_initializer())
        builder = sm.builder.SavedModelBuilder(export_dir)
        sig = sm.signature_def_utils.predict_signature_def({"x": x}, {"y": y, "z": z})
        builder.add_meta_graph_and_variables(sess, ["serve"], {"serving_default": sig})
        builder.save()
    return export_dir


def test_load_lists_every_missing_op_type_with_its_nodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export_dir = _export(tmp_path)
    monkeypatch.delitem(KERNELS, "MatMul")
    monkeypatch.delitem(KERNELS, "Relu")
    with pytest.raises(NotFoundError) as info:
        sm.load(export_dir)
    message = info.value.message
    assert "uses 2 op types that stowflow cannot run yet" in message
    assert "MatMul (2 nodes: " in message and "Relu (1 node: y)" in message


def test_load_succeeds_and_runs_when_every_op_has_a_kernel(tmp_path: Path) -> None:
    model = sm.load(_export(tmp_path))
    out = model.signatures["serving_default"](x=np.array([[1.0, -2.0]], np.float32))
    np.testing.assert_array_equal(out["z"], [[0.0, 0.0]])


def test_session_names_all_missing_op_types_before_running_any(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    graph = tf.Graph()
    with graph.as_default():
        v = tf.Variable(1.0, name="v")
        y = tf.exp(tf.sqrt(v.read_value() if hasattr(v, "read_value") else v))
        with tf.Session() as sess:
            sess.run(v.initializer)
            monkeypatch.delitem(KERNELS, "Exp")
            monkeypatch.delitem(KERNELS, "Sqrt")
            with pytest.raises(NotFoundError, match="'Exp' .*'Sqrt'"):
                sess.run(y)


def test_every_tensorflow_op_is_known_but_only_kernels_run() -> None:
    assert coverage.runnable("Conv2D") == ("Conv2D" in KERNELS)
    assert coverage.runnable("While") and coverage.runnable("Switch")
    assert not coverage.runnable("NoSuchOp")
