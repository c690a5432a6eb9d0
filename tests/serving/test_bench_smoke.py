"""bench/serving.py's quickest path runs and prints its tables (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from stowflow_testlib import DEV_PYTHON_ENV, ROOT

from stowflow.serving.servable import Servable

BENCH = ROOT / "bench" / "serving.py"
LEVELS = (1, 4)
WORKLOADS = [
    ("small", "REST", "Predict"),
    ("small", "gRPC", "Predict"),
    ("small", "gRPC", "Classify"),
]


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


def test_quick_stowflow_only_run_prints_parsable_tables(tmp_path: Path) -> None:
    summary_path = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--quick",
            "--no-baseline",
            "--no-mobilenet",
            "--requests",
            "20",
            "--concurrency",
            ",".join(map(str, LEVELS)),
            "--reloads",
            "2",
            "--json",
            str(summary_path),
        ],
        env=DEV_PYTHON_ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    tables = _tables(proc.stdout)
    throughput = next(rows for name, rows in tables.items() if name.startswith("Throughput"))
    header, rows = throughput[0], throughput[1:]
    assert header[:4] == ["model", "api", "method", "conc"] and len(header) == 12
    assert [tuple(r[:4]) for r in rows] == [(*w, str(c)) for w in WORKLOADS for c in LEVELS]
    for row in rows:
        rps, p50, p99 = (float(v) for v in row[4:7])
        assert rps > 0 and 0 < p50 <= p99, row
        assert row[7:] == ["-"] * 5, row  # no baseline columns without the baseline
    footprint = {r[0]: r[1:] for r in tables["Footprint"][1:]}
    assert float(footprint["ready after process start, small (s)"][0]) > 0
    assert float(footprint["RSS after traffic, small (MiB)"][0]) > 0
    before, after = footprint["RSS before -> after 2 reloads (MiB)"][0].split(" -> ")
    assert float(before) > 0 and float(after) > 0
    goals = tables["Goals (issue 9, item 9)"][1:]
    assert len(goals) == 4 and all(g[2] in ("PASS", "FAIL", "n/a") for g in goals)
    assert goals[0][2] == "n/a" and goals[2][2] == "n/a"  # both need the TF baseline
    assert goals[1][2] != "n/a" and goals[3][2] != "n/a"
    summary = json.loads(summary_path.read_text())
    assert len(summary["cells"]) == len(rows)
    assert summary["reloads"]["stowflow"]["count"] == 2


class _OwnRunner:
    """A model that runs signatures itself (the bench's TensorFlow baseline does this)."""

    def __init__(self) -> None:
        self.meta_graph_def = None
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    def run_signature(self, signature, feeds, outputs):  # type: ignore[no-untyped-def]
        self.calls.append((signature, outputs))
        return {k: feeds["x"] * 2 for k in outputs}

    def close(self) -> None:
        pass


def test_servable_runs_a_models_own_run_signature() -> None:
    model = _OwnRunner()
    servable = Servable("m", 1, model)
    out = servable.run("sig", {"x": np.arange(3)}, ("y",))
    assert model.calls == [("sig", ("y",))]
    np.testing.assert_array_equal(out["y"], [0, 2, 4])
