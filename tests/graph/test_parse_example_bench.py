"""bench/parse_example.py: its smoke run prints a parsable table, and its two stowflow paths
(fast and exact) parse the bench's records to the same values -- the values the records hold.

No timing is asserted. The TF-anchor test checks only that the TensorFlow worker regenerates
byte-identical records (the bench's fingerprint), so the ratios compare like with like.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from stowflow_testlib import DEV_PYTHON_ENV, ROOT, require_tf_python

BENCH = ROOT / "bench" / "parse_example.py"
HEADER = [
    "workload",
    "records",
    "fast rec/s",
    "exact rec/s",
    "TF rec/s",
    "fast/TF",
    "exact/TF",
    "fast==exact",
]


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_parse_example", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table(text: str) -> list[list[str]]:
    """The Markdown table's rows as cells, header first, the rule row dropped."""
    return [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ]


def test_smoke_run_prints_the_table() -> None:
    bench = _bench_module()
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--skip-tf"],
        env=DEV_PYTHON_ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = _table(proc.stdout)
    assert table[0] == HEADER
    rows = table[1:]
    assert [(r[0], int(r[1])) for r in rows] == bench.case_list(True)
    for row in rows:
        assert float(row[2].replace(",", "")) > 0 and float(row[3].replace(",", "")) > 0
        assert row[4:7] == ["-", "-", "-"]  # --skip-tf
        assert row[7] == "yes"


def _parse(bench: ModuleType, workload: str, records: list[bytes], fast: bool) -> Any:
    _, outputs = bench.measure(workload, records, fast, reps=1)
    return outputs


def test_fast_and_exact_paths_parse_the_records_alike() -> None:
    bench = _bench_module()
    n = bench.SMOKE_SIZES[0]
    for workload in bench.WORKLOADS:
        records = bench.stowflow_records(workload, n)
        fast = _parse(bench, workload, records, True)
        exact = _parse(bench, workload, records, False)
        assert bench.same_values(fast, exact), workload
        rows = bench.case_rows(workload, n)
        if workload == "serving":
            want = np.array([r["x"][1] for r in rows], dtype=np.float32)
            np.testing.assert_array_equal(fast["x"], want)
        else:
            assert fast["id"].tolist() == [b"id-%06d" % r for r in range(n)]
            assert fast["word"].tolist() == [r["word"][1][0] for r in rows]
            want_opt = [[0.0, 0.0] if r % 4 == 0 else [1.0, 2.0] for r in range(n)]
            np.testing.assert_array_equal(fast["opt"], np.array(want_opt, np.float32))
            np.testing.assert_array_equal(
                fast["vi"].values, np.concatenate([r["vi"][1] for r in rows])
            )
            np.testing.assert_array_equal(fast["seq"], np.array([r["seq"][1] for r in rows]))


def test_same_values_notices_a_difference() -> None:
    bench = _bench_module()
    records = bench.stowflow_records("mixed20", 8)
    out = _parse(bench, "mixed20", records, True)
    changed = dict(out)
    changed["f0"] = out["f0"].copy()
    changed["f0"][3, 0] += 1.0
    assert bench.same_values(out, out)
    assert not bench.same_values(out, changed)
    changed = dict(out, id=np.array([b"x"] * 8, dtype=object))
    assert not bench.same_values(out, changed)


def test_tf_worker_regenerates_identical_records() -> None:
    python = require_tf_python()
    bench = _bench_module()
    proc = subprocess.run(
        [str(python), str(BENCH), "--tf-worker", "--smoke", "--reps", "1"],
        env={**DEV_PYTHON_ENV, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith(bench.RESULT_PREFIX))
    cases = json.loads(line[len(bench.RESULT_PREFIX) :])["cases"]
    for workload, n in bench.case_list(True):
        theirs = cases[f"{workload}/{n}"]
        assert theirs["fingerprint"] == bench.fingerprint(bench.stowflow_records(workload, n))
        assert theirs["seconds"] > 0


@pytest.mark.parametrize("workload", ["serving", "mixed20"])
def test_records_depend_on_the_seed(workload: str) -> None:
    bench = _bench_module()
    a = bench.fingerprint(bench.stowflow_records(workload, 10))
    assert a == bench.fingerprint(bench.stowflow_records(workload, 10))
    assert a != bench.fingerprint(bench.stowflow_records(workload, 11))
