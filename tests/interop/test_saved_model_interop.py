"""TensorFlow 2.21 loads the SavedModels stowflow builds and computes the same outputs.

One TF subprocess loads every model with ``tf.compat.v1.saved_model.loader.load`` (each
tag-set) and with TF2's ``tf.saved_model.load`` (signatures called eagerly).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow import saved_model as sm

TF_SCRIPT = r"""
import json, sys
import numpy as np
import tensorflow as tf
v1 = tf.compat.v1
cases = json.load(sys.stdin)
report = {}
for case in cases:
    out = {}
    for tags, sig_key, feeds, *extras in case["runs"]:
        with v1.Session(graph=v1.Graph()) as sess:
            meta = v1.saved_model.loader.load(sess, tags, case["dir"])
            sig = meta.signature_def[sig_key]
            fetches = {k: v.name for k, v in sig.outputs.items()}
            feed = {sig.inputs[k].name: np.array(v, np.float32) for k, v in feeds.items()}
            values = sess.run(fetches, feed)
            extra = {n: sess.run(n).tolist() for n in (extras[0] if extras else [])}
        out[",".join(tags) + "/" + sig_key] = {
            "outputs": {k: np.asarray(v).tolist() for k, v in values.items()}, "extra": extra}
    if case.get("tf2"):
        loaded = tf.saved_model.load(case["dir"], tags=case["tf2"]["tags"])
        fn = loaded.signatures[case["tf2"]["signature"]]
        res = fn(**{k: tf.constant(v, tf.float32) for k, v in case["tf2"]["feeds"].items()})
        out["tf2"] = {k: v.numpy().tolist() for k, v in res.items()}
    report[case["name"]] = out
print("@@STOWFLOW-REPORT@@" + json.dumps(report))
"""

X = [[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]]


def _build_two_tag_model(export_dir: str, tmp: Path, as_text: bool) -> dict[str, Any]:
    """serve: y = x @ W + b; serve,gpu: z = 2 * x; an asset and a main_op."""
    vocab = tmp / "vocab.txt"
    vocab.write_text("a\nb\n")
    builder = sm.builder.SavedModelBuilder(export_dir)
    expected: dict[str, Any] = {}
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 4, name="W")
        b = tf.Variable(np.array([0.5, -1.0], np.float32), name="b")
        y = tf.add(tf.matmul(x, w), b, name="y")
        loaded_flag = tf.Variable(0.0, name="loaded_flag", trainable=False)
        asset = tf.constant(str(vocab), name="asset_path")
        main = tf.group(tf.assign(loaded_flag, 1.0), name="main_op_group")
        sess.run(tf.global_variables_initializer())
        expected["serve/serving_default"] = sess.run(y, {x: X})
        builder.add_meta_graph_and_variables(
            sess,
            [sm.SERVING],
            signature_def_map={"serving_default": sm.predict_signature_def({"x": x}, {"y": y})},
            assets_collection=[asset],
            main_op=main,
        )
    graph2 = tf.Graph()
    with graph2.as_default(), tf.Session(graph=graph2) as sess:
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        tf.Variable(np.zeros((3, 2), np.float32), name="W")
        z = tf.multiply(x, 2.0, name="z")
        expected["serve,gpu/double"] = sess.run(z, {x: X})
        builder.add_meta_graph(
            [sm.SERVING, sm.GPU],
            signature_def_map={"double": sm.predict_signature_def({"x": x}, {"z": z})},
        )
    builder.save(as_text=as_text)
    return expected


@pytest.mark.parametrize("as_text", [False, True])
def test_tensorflow_loads_stowflow_saved_models(
    tmp_path: Path, as_text: bool, tf_script_runner: Any
) -> None:
    export_dir = str(tmp_path / "model")
    expected = _build_two_tag_model(export_dir, tmp_path, as_text)
    assert os.path.isfile(os.path.join(export_dir, "assets", "vocab.txt"))
    name = "saved_model.pbtxt" if as_text else "saved_model.pb"
    assert os.path.isfile(os.path.join(export_dir, name))
    cases = [
        {
            "name": "two_tags",
            "dir": export_dir,
            "runs": [
                [["serve"], "serving_default", {"x": X}, ["loaded_flag:0"]],
                [["serve", "gpu"], "double", {"x": X}],
            ],
            "tf2": {"tags": ["serve"], "signature": "serving_default", "feeds": {"x": X}},
        }
    ]
    report = tf_script_runner(TF_SCRIPT, cases)["two_tags"]
    np.testing.assert_array_equal(
        np.float32(report["serve/serving_default"]["outputs"]["y"]),
        expected["serve/serving_default"],
    )
    np.testing.assert_array_equal(
        np.float32(report["serve,gpu/double"]["outputs"]["z"]), expected["serve,gpu/double"]
    )
    assert report["serve/serving_default"]["extra"]["loaded_flag:0"] == 1.0  # main_op ran
    np.testing.assert_array_equal(np.float32(report["tf2"]["y"]), expected["serve/serving_default"])

    # And stowflow's own loader agrees, including main_op and the asset file.
    model = sm.load(export_dir, tags=["serve"])
    np.testing.assert_array_equal(
        model.signatures["serving_default"](x=X)["y"], expected["serve/serving_default"]
    )
    assert model.session.run("loaded_flag:0") == 1.0


def test_simple_save_loads_in_tensorflow(tmp_path: Path, tf_script_runner: Any) -> None:
    export_dir = str(tmp_path / "simple")
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        x1 = tf.placeholder(tf.float32, [None, 1], name="x1")
        x2 = tf.placeholder(tf.float32, [None, 1], name="x2")
        y = tf.add(x1, x2, name="y")
        sm.simple_save(sess, export_dir, {"x1": x1, "x2": x2}, {"y": y})
    feeds = {"x1": [[1.0], [2.0], [3.0]], "x2": [[0.5], [0.5], [0.5]]}
    report = tf_script_runner(
        TF_SCRIPT,
        [{"name": "simple", "dir": export_dir, "runs": [[["serve"], "serving_default", feeds]]}],
    )
    assert report["simple"]["serve/serving_default"]["outputs"]["y"] == [[1.5], [2.5], [3.5]]
