"""TF1 API that persistence code uses, against tests/golden/fidelity/tf1_api.json.

The golden file (``make_tf1_api.py``, run with TensorFlow) holds what the calls build and
compute in TF1 (names, static shapes, dtypes, values, op types, or error class and
message), ``write_graph`` results, and TF's name lists, from which
``scripts/tf1_api_coverage.py`` writes docs/tf1_api.md; the doc must be current.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow.proto import graph_pb2

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = json.loads((ROOT / "tests/golden/fidelity/tf1_api.json").read_text())


def _call(case: dict[str, Any]) -> dict[str, Any]:
    graph = tf.Graph()
    with graph.as_default():
        fn: Any = tf
        for part in case["fn"].split("."):
            fn = getattr(fn, part)
        kwargs = dict(case["kwargs"])
        if "dtype" in kwargs:
            kwargs["dtype"] = tf.as_dtype(kwargs["dtype"])
        try:
            out = fn(*case["args"], **kwargs)
        except (ValueError, TypeError) as e:
            return {"error": [type(e).__name__, str(e)]}
        with tf.Session(graph=graph) as sess:
            value = np.asarray(sess.run(out))
        return {
            "name": out.name,
            "shape": str(out.shape),
            "dtype": out.dtype.name,
            "value": value.tolist(),
            "ops": sorted(op.type for op in graph.get_operations()),
        }


@pytest.mark.parametrize("case", GOLDEN["calls"], ids=[c["id"] for c in GOLDEN["calls"]])
def test_call_matches_tf(case: dict[str, Any]) -> None:
    want = {k: case[k] for k in ("name", "shape", "dtype", "value", "ops", "error") if k in case}
    got = _call(case)
    if "value" in want:
        np.testing.assert_allclose(
            np.array(got.pop("value"), float), np.array(want.pop("value"), float), rtol=1e-6
        )
    assert got == want


def test_graph_only_ops_match_tf() -> None:
    for key, want in GOLDEN["graph_only"].items():
        graph = tf.Graph()
        with graph.as_default():
            t = getattr(tf, key)(*[[7, -7], [3, 3]])
        assert {"name": t.name, "type": t.op.type, "shape": str(t.shape)} == want


def test_write_graph_matches_tf(tmp_path: Path) -> None:
    graph = tf.Graph()
    with graph.as_default():
        tf.constant(1.0, name="c")
    logdir = tmp_path / "new" / "dir"
    text = tf.io.write_graph(graph, str(logdir), "g.pbtxt")
    binary = tf.train.write_graph(graph.as_graph_def(), str(logdir), "g.pb", as_text=False)
    want = GOLDEN["write_graph"]
    assert [os.path.relpath(p, tmp_path) for p in (text, binary)] == want["paths"]
    assert Path(text).read_text().splitlines()[:3] == want["text_head"]
    parsed = graph_pb2.GraphDef.FromString(Path(binary).read_bytes())
    assert [n.name for n in parsed.node] == want["nodes"]


def test_tf1_api_doc_is_current() -> None:
    """docs/tf1_api.md is what scripts/tf1_api_coverage.py writes today."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts/tf1_api_coverage.py"), "--check"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
