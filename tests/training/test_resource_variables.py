"""Resource variables (``use_resource=True``) against TensorFlow: the graph node for node,
VariableDefs, values; Saver and ``.meta`` round trips in both directions.

Goldens: ``tests/golden/training/make_resource_goldens.py`` (needs TensorFlow).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from google.protobuf import text_format
from stowflow_testlib import run_tf_report

import stowflow as tf
from stowflow.graph import variables as variables_lib

from .nsutil import GOLDEN_DIR
from .test_optimizers import node_list
from .test_optimizers_adaptive import CASES as OPT_CASES
from .test_optimizers_adaptive import ns
from .test_training_kernels import decode

GOLDEN = json.loads((GOLDEN_DIR / "resource_goldens.json").read_text(encoding="utf-8"))


def _load_cases() -> Any:
    spec = importlib.util.spec_from_file_location(
        "resource_cases", GOLDEN_DIR / "resource_cases.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _load_cases()


def build() -> tuple[Any, dict[str, Any], Any]:
    graph = tf.Graph()
    with graph.as_default():
        made = CASES.variables_graph(ns())
        tf.train.Saver()
        init = tf.global_variables_initializer()
    return graph, made, init


def test_resource_variable_graph_is_tensorflows() -> None:
    graph, _, _ = build()
    assert node_list(graph.get_operations()) == GOLDEN["variables"]["nodes"]


def test_variable_defs_are_tensorflows() -> None:
    graph, _, _ = build()
    for key, want in GOLDEN["variables"]["variable_defs"].items():
        got = [
            text_format.MessageToString(v.to_proto(), as_one_line=True)
            for v in graph.get_collection(key)
        ]
        assert got == want, key


def test_values_are_tensorflows() -> None:
    graph, made, init = build()
    with graph.as_default(), tf.Session() as sess:
        sess.run(init)
        sess.run(made["updates"])
        got = {k: sess.run(t) for k, t in made["fetches"].items()}
    for key, spec in GOLDEN["variables"]["values"].items():
        want = decode(spec)
        assert got[key].dtype == want.dtype, key
        np.testing.assert_allclose(got[key], want, err_msg=key)


def test_resource_variable_is_a_tf_variable_with_a_plain_dtype() -> None:
    with tf.Graph().as_default():
        v = tf.Variable(np.zeros([2], np.float32), name="v", use_resource=True)
        assert isinstance(v, tf.Variable) and isinstance(v, variables_lib.ResourceVariable)
        assert v.dtype == tf.float32 and v.handle.dtype == tf.resource
        assert v.op.type == "VarHandleOp" and v.initializer.type == "AssignVariableOp"
        ref = tf.Variable(np.zeros([2], np.float32), name="r")
        assert not isinstance(ref, variables_lib.ResourceVariable)


def test_enable_resource_variables_switches_the_default() -> None:
    try:
        variables_lib.enable_resource_variables()
        assert variables_lib.resource_variables_enabled()
        with tf.Graph().as_default():
            v = tf.Variable(1.0, name="v")
            g = tf.get_variable("g", [2])
            off = tf.Variable(1.0, name="off", use_resource=False)
        assert v.op.type == "VarHandleOp" and g.op.type == "VarHandleOp"
        assert off.op.type == "VariableV2"
    finally:
        variables_lib.disable_resource_variables()
    assert not variables_lib.resource_variables_enabled()


def test_reading_before_initialisation_raises_tfs_error() -> None:
    with tf.Graph().as_default():
        v = tf.Variable(np.zeros([2], np.float32), name="v", use_resource=True)
        with tf.Session() as sess:
            with pytest.raises(
                tf.errors.FailedPreconditionError, match="Could not find variable v"
            ):
                sess.run(v.value())


def test_assigning_a_wrong_shape_raises_at_graph_time() -> None:
    with tf.Graph().as_default():
        v = tf.Variable(np.zeros([2], np.float32), name="v", use_resource=True)
        with pytest.raises(ValueError, match="Shape mismatch"):
            v.assign(np.zeros([3], np.float32))


def test_meta_graph_round_trip_rebuilds_resource_variables(tmp_path: Path) -> None:
    graph, made, init = build()
    with graph.as_default(), tf.Session() as sess:
        sess.run(init)
        saver = tf.train.Saver()
        prefix = saver.save(sess, str(tmp_path / "model"))
        want = sess.run(made["vars"][0])
    with tf.Graph().as_default() as fresh:
        restorer = tf.train.import_meta_graph(prefix + ".meta")
        variables = tf.global_variables()
        assert all(isinstance(v, variables_lib.ResourceVariable) for v in variables[:-1])
        with tf.Session() as sess:
            restorer.restore(sess, prefix)
            np.testing.assert_array_equal(
                sess.run(fresh.get_tensor_by_name("w/Read/ReadVariableOp:0")), want
            )


# ------------------------------------------------------------------------ TensorFlow interop

TF_SIDE = r"""
import json, sys
import numpy as np
import tensorflow as tf
sys.path.insert(0, "tests/golden/training")
import optimizer_cases as cases
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
args = json.loads(sys.stdin.read())
with tf1.Graph().as_default():
    run = cases.training_graph(tf1, args["kind"], True)
    feeds = dict(run["feeds"])
    with tf1.Session() as sess:
        if args["mode"] == "restore":
            tf1.train.Saver().restore(sess, args["prefix"])
        else:
            sess.run(tf1.global_variables_initializer())
            for _ in range(3):
                sess.run(run["train_op"], feeds)
            tf1.train.Saver().save(sess, args["prefix"])
        values = {v.op.name: sess.run(v).tolist() for v in tf1.global_variables()}
        loss = float(sess.run(run["ys"][0], feeds))
print("@@REPORT@@" + json.dumps({"values": values, "loss": loss}))
"""


def run_tf(payload: dict[str, str]) -> dict:
    return run_tf_report(TF_SIDE, json.dumps(payload))  # type: ignore[no-any-return]


def _graph(kind: str) -> tuple[Any, dict[str, Any]]:
    graph = tf.Graph()
    with graph.as_default():
        run = OPT_CASES.training_graph(ns(), kind, True)
    return graph, run


@pytest.mark.parametrize("kind", ["rmsprop_centered", "ftrl"])
def test_resource_checkpoint_with_slots_restores_in_tensorflow(kind: str, tmp_path: Path) -> None:
    graph, run = _graph(kind)
    feeds = dict(run["feeds"])
    with graph.as_default(), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(run["train_op"], feeds)
        ours = {v.op.name: sess.run(v) for v in tf.global_variables()}
        loss = float(sess.run(run["ys"][0], feeds))
        prefix = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
    report = run_tf({"kind": kind, "mode": "restore", "prefix": prefix})
    assert sorted(report["values"]) == sorted(ours)
    for name, value in ours.items():
        np.testing.assert_allclose(
            np.asarray(report["values"][name]), value, rtol=1e-6, err_msg=name
        )
    assert report["loss"] == pytest.approx(loss, rel=1e-5)


def test_tensorflows_resource_checkpoint_restores_in_stowflow(tmp_path: Path) -> None:
    prefix = str(tmp_path / "tf.ckpt")
    report = run_tf({"kind": "adadelta", "mode": "save", "prefix": prefix})
    graph, run = _graph("adadelta")
    with graph.as_default(), tf.Session() as sess:
        tf.train.Saver().restore(sess, prefix)
        ours = {v.op.name: sess.run(v) for v in tf.global_variables()}
        loss = float(sess.run(run["ys"][0], dict(run["feeds"])))
    assert sorted(ours) == sorted(report["values"])
    for name, value in ours.items():
        np.testing.assert_allclose(
            value, np.asarray(report["values"][name]), rtol=1e-6, err_msg=name
        )
    assert loss == pytest.approx(report["loss"], rel=1e-5)


def test_a_reentered_scope_keeps_its_use_resource() -> None:
    with tf.Graph().as_default():
        with tf.variable_scope("res", use_resource=True) as scope:
            pass
        with tf.variable_scope(scope):
            inside = tf.get_variable("x", [1])
        with tf.variable_scope(scope, use_resource=False):
            ref = tf.get_variable("y", [1])
    assert inside.op.type == "VarHandleOp" and ref.op.type == "VariableV2"


TF_IMPORT_META = r"""
import json, sys
import tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
prefix = sys.stdin.read().strip()
with tf1.Graph().as_default() as graph:
    saver = tf1.train.import_meta_graph(prefix + ".meta")
    with tf1.Session() as sess:
        saver.restore(sess, prefix)
        values = {v.op.name: sess.run(v).tolist() for v in tf1.global_variables()}
        kinds = {v.op.name: type(v).__name__ for v in tf1.global_variables()}
print("@@REPORT@@" + json.dumps({"values": values, "kinds": kinds}))
"""


def test_tensorflow_imports_our_meta_graph_of_resource_variables(tmp_path: Path) -> None:
    graph, made, init = build()
    with graph.as_default(), tf.Session() as sess:
        sess.run(init)
        sess.run(made["updates"])
        ours = {v.op.name: sess.run(v) for v in tf.global_variables()}
        prefix = tf.train.Saver().save(sess, str(tmp_path / "model"))
    report = run_tf_report(TF_IMPORT_META, prefix)
    assert set(report["kinds"].values()) == {"ResourceVariable"}
    assert sorted(report["values"]) == sorted(ours)
    for name, value in ours.items():
        np.testing.assert_array_equal(np.asarray(report["values"][name]), value, err_msg=name)
