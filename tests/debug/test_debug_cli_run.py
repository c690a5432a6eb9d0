"""``stowflow run --tf_debug``: a scripted analyzer session over stdin on a model that makes a NaN."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from stowflow_testlib import DEV_PYTHON_ENV
from tfdbg_models import (
    NAN_INPUT,
    NAN_MODEL_TENSORS,
    build_nan_saved_model,
    split_transcript,
    table_rows,
)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tfdbg_cli")
    build_nan_saved_model(root / "model")
    np.save(root / "x.npy", NAN_INPUT)
    return root


def _run(model: Path, script: str, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable, "-m", "stowflow", "run", "--dir", str(model / "model"),
        "--tag_set", "serve", "--signature_def", "serving_default",
        "--inputs", f"x={model / 'x.npy'}", *extra,
    ]  # fmt: skip
    return subprocess.run(
        argv, input=script, capture_output=True, text=True, timeout=300, env=DEV_PYTHON_ENV
    )


SCRIPT = """\
lt
run -f has_inf_or_nan
lt
lt -t ^(Log|Mul)$
lt -n ^shift -s tensor_name -r
pt log:0
pt log:0[1:, 0]
pt log:0 -r [-inf, 0]
ni log
li -r y
lo shift
run
"""


@pytest.fixture(scope="module")
def session(model: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    done = _run(model, SCRIPT, "--tf_debug")
    return done, dict(split_transcript(done.stdout))


def test_run_opens_the_analyzer_and_prints_results_after_run(session: tuple) -> None:
    done, _ = session
    assert done.returncode == 0, done.stderr
    assert "Session.run() call #1:" in done.stdout
    assert "Fetch(es):\n  y:0" in done.stdout
    assert done.stdout.rstrip().endswith(
        "Result for output key y:\n[[      nan]\n [ 0.      ]\n [10.986123]]"
    )


def _outputs_of(session: tuple, command: str) -> list[str]:
    done, _ = session
    return [output for cmd, output in split_transcript(done.stdout) if cmd == command]


def test_analyzer_commands_need_a_run_first(session: tuple) -> None:
    first_lt = _outputs_of(session, "lt")[0]
    assert first_lt.startswith('ERROR: "lt" needs a debugged run')


def test_run_f_stops_at_the_first_nan_tensor_and_names_it(session: tuple) -> None:
    _, out = session
    screen = out["run -f has_inf_or_nan"]
    assert 'First tensor passing filter "has_inf_or_nan": log:0 (op Log;' in screen
    assert '2 dumped tensor(s) passing filter "has_inf_or_nan":' in screen
    assert [row[2:] for row in table_rows(screen)] == [["Log", "log:0"], ["Mul", "y:0"]]


def test_lt_lists_every_executed_tensor_in_execution_order(session: tuple) -> None:
    second_lt = _outputs_of(session, "lt")[1]
    assert second_lt.startswith("8 dumped tensor(s):")
    rows = table_rows(second_lt)
    names = [row[3] for row in rows]
    assert sorted(names) == sorted(NAN_MODEL_TENSORS)
    position = {name: i for i, name in enumerate(names)}
    for before, after in [("mm:0", "shift:0"), ("shift:0", "log:0"), ("log:0", "y:0")]:
        assert position[before] < position[after]
    sizes = {row[3]: row[1] for row in rows}
    assert sizes["log:0"] == "12" and sizes["w:0"] == "4"
    ops = {row[3]: row[2] for row in rows}
    assert ops["w:0"] == "VariableV2" and ops["mm:0"] == "MatMul"


def test_lt_filters_and_sorting(session: tuple) -> None:
    _, out = session
    by_op = table_rows(out["lt -t ^(Log|Mul)$"])
    assert [row[3] for row in by_op] == ["log:0", "y:0"]
    shift = table_rows(out["lt -n ^shift -s tensor_name -r"])
    assert [row[3] for row in shift] == ["shift/y:0", "shift:0"]


def test_pt_prints_values_slices_and_highlights(session: tuple) -> None:
    _, out = session
    assert out["pt log:0"] == (
        'Tensor "log:0":\n  dtype: float32\n  shape: (3, 1)\n\n'
        "array([[      nan],\n       [0.       ],\n       [1.0986123]], dtype=float32)"
    )
    assert out["pt log:0[1:, 0]"].startswith(
        'Tensor "log:0[1:, 0]":\n  dtype: float32\n  shape: (2,)'
    )
    assert "array([0.       , 1.0986123], dtype=float32)" in out["pt log:0[1:, 0]"]
    highlight = out["pt log:0 -r [-inf, 0]"]
    assert "Highlighted([-inf, 0]): 1 of 3 element(s) (33.33%)" in highlight
    assert "  (1, 0): 0.0" in highlight


def test_ni_shows_op_device_inputs_recipients_and_attrs(session: tuple) -> None:
    _, out = session
    info = out["ni log"]
    assert info.startswith("Node log\n\n  Op: Log\n  Device: ")
    assert "  1 input(s) + 0 control input(s):\n    1 input(s):\n      [Sub] shift" in info
    assert "    1 recipient(s):\n      [Mul] y" in info
    assert "    T: float32" in info
    assert "    Slot 0: float32 (3, 1) 12 B, computed in " in info


def test_li_and_lo_trees(session: tuple) -> None:
    _, out = session
    assert out["li -r y"] == (
        'Inputs to node "y" (Depth limit = 20):\n'
        "|- (1) [Log] log\n"
        "|  |- (2) [Sub] shift\n"
        "|     |- (3) [MatMul] mm\n"
        "|     |  |- (4) [Placeholder] x\n"
        "|     |  |- (4) [Identity] w/read\n"
        "|     |     |- (5) [VariableV2] w\n"
        "|     |- (3) [Const] shift/y\n"
        "|- (1) [Const] y/y"
    )
    assert out["lo shift"] == 'Recipients of node "shift" (Depth limit = 1):\n|- (1) [Log] log'


def test_dump_dir_writes_npy_and_json_index(model: Path, tmp_path: Path) -> None:
    done = _run(model, "", "--tf_debug_dump_dir", str(tmp_path / "dump"))
    assert done.returncode == 0, done.stderr
    assert "tfdbg>" not in done.stdout  # dumping alone opens no prompt
    index = json.loads((tmp_path / "dump" / "index.json").read_text())
    entries = {e["tensor"]: e for e in index["tensors"]}
    assert sorted(entries) == sorted(NAN_MODEL_TENSORS)
    log = entries["log:0"]
    assert (log["node"], log["op"], log["output_slot"], log["dtype"], log["shape"]) == (
        "log", "Log", 0, "float32", [3, 1],
    )  # fmt: skip
    assert (log["nan_count"], log["inf_count"], log["min"]) == (1, 0, 0.0)
    assert log["max"] == pytest.approx(np.log(3.0))
    value = np.load(tmp_path / "dump" / log["file"], allow_pickle=False)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(value, np.log(NAN_INPUT * 2 - 3))
    assert [e["order"] for e in index["tensors"]] == list(range(len(NAN_MODEL_TENSORS)))


def test_exit_leaves_with_status_1_and_eof_continues(model: Path) -> None:
    exited = _run(model, "exit\n", "--tf_debug")
    assert exited.returncode == 1
    assert "Note: user exited from debugger CLI" in exited.stdout
    assert "Result for output key" not in exited.stdout
    eof = _run(model, "", "--tf_debug")
    assert eof.returncode == 0
    assert "end of input; continuing without debugging" in eof.stdout
    assert "Result for output key y:" in eof.stdout
