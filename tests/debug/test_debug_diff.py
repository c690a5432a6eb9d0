"""``stowflow debug-diff``: pinpoints a deliberately altered kernel between two dumps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import stowflow as tf
from stowflow.debug import record_run
from stowflow.debug.diff import compare
from stowflow.graph.kernels import registry
from stowflow.tools import cli


def _graph() -> tuple[tf.Graph, tf.Tensor, tf.Tensor]:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [2, 3], name="x")
        scaled = tf.multiply(x, 2.0, name="scaled")
        shifted = tf.add(scaled, 1.0, name="shifted")
        out = tf.tanh(tf.reduce_sum(shifted, axis=1, name="total"), name="out")
    return graph, x, out


FEED = np.arange(6, dtype=np.float32).reshape(2, 3) / 10


def _dump(directory: Path) -> None:
    graph, x, out = _graph()
    with tf.Session(graph=graph) as sess:
        run = record_run(sess, out, {x: FEED}, dump_dir=str(directory))
    assert run.error is None


def _diff(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(["debug-diff", *argv])
    return code, capsys.readouterr().out


def test_identical_runs_do_not_differ(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _dump(tmp_path / "a")
    _dump(tmp_path / "b")
    code, out = _diff(capsys, str(tmp_path / "a"), str(tmp_path / "b"))
    assert code == 0
    assert "Compared 7 tensor(s)" in out and "No tensor differs beyond tolerance." in out


def test_an_altered_kernel_is_the_first_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _dump(tmp_path / "good")
    original = registry.KERNELS["AddV2"]
    monkeypatch.setitem(
        registry.KERNELS, "AddV2", lambda inputs, attrs: [original(inputs, attrs)[0] + 1e-3]
    )
    _dump(tmp_path / "bad")
    code, out = _diff(capsys, str(tmp_path / "good"), str(tmp_path / "bad"))
    assert code == 1
    lines = out.splitlines()
    first = lines[lines.index("First 2 differing tensor(s), in execution order of A:") + 1]
    assert first.startswith("  #") and " shifted:0 (AddV2): 6 of 6 element(s) differ" in first
    assert "max |a-b| = 0.001" in first
    assert first.endswith("first at index (0, 0): 1.0 vs 1.0010000467300415")
    # What follows is its consequence downstream (tanh then saturates within tolerance).
    assert lines[-1].startswith("  #") and " total:0 (Sum): 2 of 2 element(s) differ" in lines[-1]
    # A tolerance wider than the alteration accepts it.
    code, out = _diff(capsys, str(tmp_path / "good"), str(tmp_path / "bad"), "--atol", "0.01")
    assert code == 0


def test_compare_reports_dtype_shape_and_nan_placement() -> None:
    a = np.array([1.0, np.nan], np.float32)
    assert compare(a, a.copy(), 0, 0) is None
    assert compare(a, a.astype(np.float64), 0, 0) == "dtype float32 vs float64"
    assert compare(a, a[:1], 0, 0) == "shape (2,) vs (1,)"
    moved = compare(a, np.array([np.nan, 1.0], np.float32), 0, 0)
    assert moved is not None and moved.startswith("2 of 2 element(s) differ")
    assert compare(np.array([b"a"]), np.array([b"b"]), 0, 0) is not None


def test_bad_directories_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _dump(tmp_path / "a")
    code = cli.main(["debug-diff", str(tmp_path / "a"), str(tmp_path / "missing")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("stowflow debug-diff: error: No debug dump index ")
    (tmp_path / "bogus").mkdir()
    (tmp_path / "bogus" / "index.json").write_text(json.dumps({"format": "other"}))
    assert cli.main(["debug-diff", str(tmp_path / "a"), str(tmp_path / "bogus")]) == 2
    assert "Malformed debug dump index" in capsys.readouterr().err
    escaping = json.loads((tmp_path / "a" / "index.json").read_text())
    escaping["tensors"][0]["file"] = "../../etc/passwd"
    (tmp_path / "bogus" / "index.json").write_text(json.dumps(escaping))
    assert cli.main(["debug-diff", str(tmp_path / "a"), str(tmp_path / "bogus")]) == 2
    assert "is not a plain file name" in capsys.readouterr().err
