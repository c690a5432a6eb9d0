"""bench/training.py: its smoke run trains every workload and prints parsable tables.

No timing is asserted. The first-step losses are checked against the same forward pass
written in NumPy here, so a bench that silently built the wrong model (or never ran a step)
fails.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from stowflow_testlib import DEV_PYTHON_ENV, ROOT

BENCH = ROOT / "bench" / "training.py"


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_training", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tables(text: str) -> dict[str, list[list[str]]]:
    """Markdown tables by their ``## `` heading: rows of cells, header first, rule dropped."""
    tables: dict[str, list[list[str]]] = {}
    heading = ""
    for line in text.splitlines():
        if line.startswith("## "):
            heading = line[3:]
        elif line.startswith("|") and not line.startswith("|---"):
            tables.setdefault(heading, []).append([c.strip() for c in line.strip("|").split("|")])
    return tables


def _numpy_loss(bench: ModuleType, workload: str) -> float:
    """Mean sparse softmax cross-entropy of the first batch at the initial values."""
    p = [a.astype(np.float64) for a in bench.initial_values(workload)]
    images, labels = bench.batches(workload)[0]
    h = images.astype(np.float64)
    if workload.startswith("mlp"):
        h = np.maximum(h @ p[0] + p[1], 0)
        h = np.maximum(h @ p[2] + p[3], 0)
        logits = h @ p[4] + p[5]
    else:
        for w, b in ((p[0], p[1]), (p[2], p[3])):
            k = w.shape[0]
            padded = np.pad(h, ((0, 0), (k // 2, k // 2), (k // 2, k // 2), (0, 0)))
            windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(1, 2))
            h = np.maximum(np.einsum("nhwcij,ijco->nhwo", windows, w) + b, 0)
            n, rows, cols, c = h.shape
            h = h.reshape(n, rows // 2, 2, cols // 2, 2, c).max(axis=(2, 4))
        h = np.maximum(h.reshape(len(h), -1) @ p[4] + p[5], 0)
        logits = h @ p[6] + p[7]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def test_smoke_run_trains_every_workload(tmp_path: Path) -> None:
    summary_path = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--json", str(summary_path)],
        env=DEV_PYTHON_ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    tables = _tables(proc.stdout)
    speed = tables["Training steps (median of timed steps)"]
    assert speed[0][:4] == ["workload", "batch", "threads", "stowflow ms/step"]
    assert [r[0] for r in speed[1:]] == ["mlp-sgd", "mlp-adam", "cnn"]
    for row in speed[1:]:
        assert float(row[3]) > 0 and float(row[4]) > 0, row
        assert row[5:] == ["-", "-", "-"], row  # no TF columns in a smoke run
    goals = tables["Goals (issue 8, item 8)"][1:]
    assert len(goals) == 3 and all(g[3] == "n/a" for g in goals)

    bench = _bench_module()
    runs = {r["workload"]: r for r in json.loads(summary_path.read_text())["runs"]}
    for workload in bench.WORKLOADS:
        run = runs[workload]
        assert len(run["losses"]) == bench.CHECK_STEPS
        np.testing.assert_allclose(run["losses"][0], _numpy_loss(bench, workload), rtol=1e-5)
        # training moved the parameters: the loss on batch 0 after the run is a new value
        assert np.isfinite(run["final_loss"]) and run["final_loss"] != run["losses"][0]


def _fake_result(ms: dict[str, float], losses: list[float]) -> dict[str, Any]:
    return {
        "version": "x",
        "results": {
            w: {"losses": losses, "times": [t / 1e3] * 3, "final_loss": 1.0} for w, t in ms.items()
        },
    }


def test_goal_verdicts_follow_the_step_time_ratios() -> None:
    bench = _bench_module()
    ours = _fake_result({"mlp-sgd": 2.0, "mlp-adam": 4.0, "cnn": 300.0}, [2.0, 1.9, 1.8])
    theirs = _fake_result({"mlp-sgd": 3.0, "mlp-adam": 3.0, "cnn": 200.0}, [2.0, 1.9, 1.85])
    lines, summary = bench.report({1: {"stowflow": ours, "tf": theirs}})
    tables = _tables("\n".join(lines))
    verdicts = [g[3] for g in tables["Goals (issue 8, item 8)"][1:]]
    assert verdicts == ["PASS", "FAIL", "PASS"]  # 1.5x, 0.75x, and 1.5x slower (<= 2x)
    checks = [r[-1] for r in tables["Same losses"][1:]]
    assert checks == ["MISMATCH"] * 3  # a 0.05 loss difference is not rounding
    assert [r["ratio"] for r in summary["runs"]] == [1.5, 0.75, 200.0 / 300.0]
