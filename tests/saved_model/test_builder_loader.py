"""SavedModel builder and loader behaviour: atomicity, refusals and TF's error messages."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import stowflow as tf
from stowflow import saved_model as sm


def _model(export_dir: str, tag_sets: list[list[str]]) -> None:
    builder = sm.builder.SavedModelBuilder(export_dir)
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        v = tf.Variable([[1.0], [2.0]], name="v")
        y = tf.matmul(x, v, name="y")
        sess.run(tf.global_variables_initializer())
        sig = {"serving_default": sm.predict_signature_def({"x": x}, {"y": y})}
        builder.add_meta_graph_and_variables(sess, tag_sets[0], signature_def_map=sig)
        for tags in tag_sets[1:]:
            builder.add_meta_graph(tags, signature_def_map=sig)
    builder.save()


def test_builder_refuses_a_non_empty_export_dir(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("precious")
    with pytest.raises(AssertionError, match="Export directory already exists, and isn't empty"):
        sm.builder.SavedModelBuilder(str(tmp_path))
    assert (tmp_path / "keep.txt").read_text() == "precious"


def test_add_meta_graph_needs_variables_first(tmp_path: Path) -> None:
    builder = sm.builder.SavedModelBuilder(str(tmp_path / "m"))
    with pytest.raises(AssertionError, match="add_meta_graph_and_variables"):
        builder.add_meta_graph(["serve"])


def test_export_dir_appears_only_on_save(tmp_path: Path) -> None:
    export_dir = tmp_path / "m"
    builder = sm.builder.SavedModelBuilder(str(export_dir))
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        tf.Variable(1.0, name="v")
        sess.run(tf.global_variables_initializer())
        builder.add_meta_graph_and_variables(sess, ["serve"])
    assert not export_dir.exists(), "a half-built SavedModel must not be visible"
    builder.save()
    assert sorted(os.listdir(export_dir)) == ["saved_model.pb", "variables"]
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p]


def test_loader_tag_mismatch_lists_available_tag_sets(tmp_path: Path) -> None:
    export_dir = str(tmp_path / "m")
    _model(export_dir, [["serve"], ["serve", "gpu"]])
    with tf.Session(graph=tf.Graph()) as sess:
        with pytest.raises(
            RuntimeError,
            match=r"could not be found in SavedModel, with available "
            r"tags '\[\['serve'\], \['serve', 'gpu'\]\]'",
        ):
            sm.loader.load(sess, ["train"], export_dir)
    with tf.Session(graph=tf.Graph()) as sess:  # exact set match: ["gpu", "serve"] is fine
        meta = sm.loader.load(sess, ["gpu", "serve"], export_dir)
        assert sorted(meta.meta_info_def.tags) == ["gpu", "serve"]


def test_native_load_picks_serve_and_runs(tmp_path: Path) -> None:
    export_dir = str(tmp_path / "m")
    _model(export_dir, [["serve"], ["serve", "gpu"]])
    model = sm.load(export_dir)
    assert model.tags == ["serve"]
    out = model.signatures["serving_default"](x=[[1.0, 1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(out["y"], np.array([[3.0], [2.0]], np.float32))
    with pytest.raises(TypeError, match="unexpected inputs"):
        model.signatures["serving_default"](x=[[1.0, 1.0]], z=1)
    with pytest.raises(TypeError, match="missing inputs"):
        model.signatures["serving_default"]()


def test_native_load_ambiguous_tags_is_an_error(tmp_path: Path) -> None:
    export_dir = str(tmp_path / "m")
    _model(export_dir, [["train"], ["eval"]])
    with pytest.raises(ValueError, match="pass tags= to choose one"):
        sm.load(export_dir)
    assert sm.load(export_dir, tags=["eval"]).tags == ["eval"]


def test_tf1_style_load_call(tmp_path: Path) -> None:
    export_dir = str(tmp_path / "m")
    _model(export_dir, [["serve"]])
    with tf.Session(graph=tf.Graph()) as sess:
        meta = tf.saved_model.load(sess, ["serve"], export_dir)
        assert "serving_default" in meta.signature_def
        assert sess.run("y:0", {"x:0": [[1.0, 2.0]]}).tolist() == [[5.0]]


def test_missing_saved_model(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="SavedModel file does not exist at"):
        sm.load(str(tmp_path))
    assert not sm.maybe_saved_model_directory(str(tmp_path))
