"""examples/serving_tour.py: `stowflow serve` over an export, answers vs saved_model.load."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from stowflow_testlib import ROOT

import stowflow as tf

sys.path.insert(0, str(ROOT / "examples"))
import serving_tour  # noqa: E402 - examples/ is not a package

TF_EXPORT = ROOT / "tests" / "golden" / "savedmodels" / "tf1_classify_regress"


def _predict_only_export(export_dir: Path) -> None:
    """What the demo's TF1 step exports: simple_save of y = x @ w + 0.5."""
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        x = tf.placeholder(tf.float32, [None, 1], name="x")
        w = tf.get_variable("w", [1, 1], initializer=tf.ones_initializer)
        y = tf.add(tf.matmul(x, w), 0.5, name="y")
        sess.run(tf.global_variables_initializer())
        tf.saved_model.simple_save(sess, str(export_dir), inputs={"x": x}, outputs={"y": y})


def test_tour_over_the_tf_made_estimator_export(capsys: pytest.CaptureFixture[str]) -> None:
    assert serving_tour.serving_tour(str(TF_EXPORT)) == 0
    out = capsys.readouterr().out
    assert "gRPC Classify, signature 'classify', 3 tf.Examples:" in out
    assert "gRPC Predict, signature 'predict_raw':" in out
    assert "REST POST /v1/models/tour:predict, signature 'predict_raw': HTTP 200" in out
    assert "MISMATCH" not in out
    # 3 classified examples + 5 predict_raw outputs over gRPC + the same 5 over REST
    assert sum(line.endswith("  match") for line in out.splitlines()) == 13
    # the export's labels come back from the server, scored
    served = [line for line in out.splitlines() if line.strip().startswith("example 0: server")]
    assert served and "('cat', " in served[0] and "('bird', " in served[0]
    assert "server stopped with SIGTERM: exit code 0" in out
    assert out.rstrip().endswith("serving tour: all answers match")


def test_the_features_come_from_the_parse_op() -> None:
    model = tf.saved_model.load(str(TF_EXPORT))
    try:
        spec = serving_tour.feature_spec(model, "input_example_tensor:0")
    finally:
        model.close()
    assert spec == {"age": ("int64", 1), "x": ("float32", 2), "tags": ("string", 1)}


def test_a_wrong_answer_fails_the_tour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export"
    _predict_only_export(export)
    real = serving_tour.local_outputs

    def off_by_one(model: Any, key: str, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: v + 1 for k, v in real(model, key, feeds).items()}

    monkeypatch.setattr(serving_tour, "local_outputs", off_by_one)
    assert serving_tour.serving_tour(str(export)) == 1
    out = capsys.readouterr().out
    assert "gRPC Classify" not in out  # a predict-only export: Predict over gRPC and REST
    assert "gRPC Predict, signature 'serving_default':" in out
    assert "  y: server [[1.5], [2.0]]" in out
    assert out.count("MISMATCH") == 3
    assert "server stopped with SIGTERM: exit code 0" in out
