"""``stowflow show`` prints what TF 2.21's ``saved_model_cli show`` prints for a SavedModel
that stowflow built (the TF-built direction is covered by the committed goldens)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from stowflow_testlib import require_tf_python

import stowflow as tf
from stowflow import saved_model as sm

FLAG_SETS = [
    [],
    ["--all"],
    ["--tag_set", "serve"],
    ["--tag_set", "serve,gpu"],
    ["--tag_set", "serve", "--signature_def", "serving_default"],
    ["--tag_set", "serve", "--signature_def", "classify"],
]


def _build(export_dir: str) -> None:
    builder = sm.builder.SavedModelBuilder(export_dir)
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable([[1.0], [2.0], [3.0]], name="w")
        y = tf.matmul(x, w, name="y")
        examples = tf.placeholder(tf.string, [None], name="examples")
        scores = tf.identity(tf.nn.softmax(tf.matmul(x, tf.concat([w, w], 1))), name="scores")
        sess.run(tf.global_variables_initializer())
        builder.add_meta_graph_and_variables(
            sess,
            ["serve"],
            signature_def_map={
                "serving_default": sm.predict_signature_def({"x": x}, {"y": y}),
                "classify": sm.classification_signature_def(examples, None, scores),
            },
        )
        builder.add_meta_graph(
            ["serve", "gpu"],
            signature_def_map={"serving_default": sm.predict_signature_def({"x": x}, {"y": y})},
        )
    builder.save()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("show") / "model"
    _build(str(path))
    return path


@pytest.mark.parametrize("flags", FLAG_SETS, ids=lambda f: " ".join(f) or "dir-only")
def test_show_matches_saved_model_cli(model_dir: Path, flags: list[str]) -> None:
    tf_cli = require_tf_python().parent / "saved_model_cli"
    if not tf_cli.exists():
        pytest.skip(f"{tf_cli} not found")
    env = {**os.environ, "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    cwd = model_dir.parent
    args = ["show", "--dir", model_dir.name, *flags]
    want = subprocess.run(
        [str(tf_cli), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    got = subprocess.run(
        [sys.executable, "-m", "stowflow", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert want.returncode == 0, want.stderr[-2000:]
    assert got.returncode == 0, got.stderr
    assert got.stdout == want.stdout
