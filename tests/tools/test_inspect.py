"""``stowflow inspect`` and print_tensors_in_checkpoint_file against TF's captured output.

Each fixture's ``inspect/flags.json`` lists TF's runs (argv, stdout file). The CLI must print
the same stdout; for error runs (missing/corrupt checkpoint) it deliberately differs from TF:
one line on stderr and a non-zero exit. The library function prints exactly what TF prints,
errors included.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from stowflow_testlib import DEV_PYTHON_ENV, GOLDEN

from stowflow import checkpoint
from stowflow.tools.inspect_checkpoint import print_tensors_in_checkpoint_file

RUNS = [
    (fixture.parent.name, run_name, run)
    for fixture in sorted(GOLDEN.glob("*/inspect"))
    for run_name, run in json.loads((fixture / "flags.json").read_text())["runs"].items()
]
IDS = [f"{f}-{r}" for f, r, _ in RUNS]


def _tf_stdout(fixture: str, run: dict) -> str:
    return (GOLDEN / fixture / "inspect" / run["stdout_file"]).read_text(
        encoding="utf-8", errors="surrogateescape"
    )


def _is_error_run(fixture: str, run: dict) -> bool:
    """TF printed an error instead of tensors (its tool exits 0 even then)."""
    out = _tf_stdout(fixture, run)
    return "# Total number of params" not in out and "not found in checkpoint" not in out


def _cli(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "stowflow", "inspect", *argv],
        cwd=str(cwd),
        capture_output=True,
        timeout=120,
        env=DEV_PYTHON_ENV,
    )


@pytest.fixture(scope="module")
def cli_results() -> dict[str, subprocess.CompletedProcess[bytes]]:
    """Every run's CLI result, launched a few at a time."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {f"{f}-{r}": pool.submit(_cli, run["argv"], GOLDEN / f) for f, r, run in RUNS}
        return {k: fut.result() for k, fut in futures.items()}


def test_fixture_runs_exist() -> None:
    assert {f for f, _, _ in RUNS} >= {"tf1_single", "tf1_partitioned", "tf2_checkpoint"}


@pytest.mark.parametrize(("fixture", "run_name", "run"), RUNS, ids=IDS)
def test_cli_matches_tf(
    fixture: str,
    run_name: str,
    run: dict,
    cli_results: dict[str, subprocess.CompletedProcess[bytes]],
) -> None:
    proc = cli_results[f"{fixture}-{run_name}"]
    tf_out = (GOLDEN / fixture / "inspect" / run["stdout_file"]).read_bytes()
    if _is_error_run(fixture, run):
        assert proc.returncode != 0
        assert proc.stdout == b""
        lines = proc.stderr.decode().splitlines()
        assert len(lines) == 1, lines
        assert tf_out.decode().strip() in lines[0]
    else:
        assert proc.returncode == 0, proc.stderr.decode()
        assert proc.stderr == b""
        assert proc.stdout == tf_out


def _call_library(argv: list[str]) -> str:
    """Runs print_tensors_in_checkpoint_file with TF's flags (in the current directory)."""
    kwargs: dict = {"tensor_name": "", "all_tensors": False, "all_tensor_names": False}
    options: dict = {}
    file_name = ""
    for arg in argv:
        key, _, value = arg.lstrip("-").partition("=")
        if key == "file_name":
            file_name = value
        elif key == "tensor_name":
            kwargs["tensor_name"] = value
        elif key in ("all_tensors", "all_tensor_names"):
            kwargs[key] = True
        elif key == "printoptions":
            k, _, v = value.partition("=")
            options[k] = int(v)
        else:
            raise AssertionError(f"flag {arg} not handled by this test")
    buf = io.StringIO()
    with np.printoptions(**options), contextlib.redirect_stdout(buf):
        print_tensors_in_checkpoint_file(file_name, **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize(("fixture", "run_name", "run"), RUNS, ids=IDS)
def test_library_function_matches_tf(
    fixture: str, run_name: str, run: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(GOLDEN / fixture)
    assert _call_library(run["argv"]) == _tf_stdout(fixture, run)


# -- error cases on stowflow-written checkpoints -------------------------------------------------


@pytest.fixture()
def small_ckpt(tmp_path: Path) -> Path:
    checkpoint.save(
        str(tmp_path / "model.ckpt"), {"w": np.arange(4, dtype=np.float32), "n": np.int64(3)}
    )
    return tmp_path


def test_library_tensor_v1_not_found(small_ckpt: Path) -> None:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        print_tensors_in_checkpoint_file(str(small_ckpt / "model.ckpt"), "v1", False)
    assert buf.getvalue() == "Tensor v1 not found in checkpoint\n"


def test_library_count_exclude_pattern(small_ckpt: Path) -> None:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        print_tensors_in_checkpoint_file(
            str(small_ckpt / "model.ckpt"),
            "",
            False,
            all_tensor_names=True,
            count_exclude_pattern="^w$",
        )
    assert buf.getvalue() == (
        "tensor: n (int64) []\n"
        "tensor: w (float32) [4]\n"
        "# Excluding 1 tensors (4 params) that match ^w$ when counting.\n"
        "# Total number of params: 1\n"
    )


def _corrupt(directory: Path) -> None:
    data = directory / "model.ckpt.data-00000-of-00001"
    raw = bytearray(data.read_bytes())
    raw[-1] ^= 0xFF  # the last tensor in the file: "w" (data is written in sorted name order)
    data.write_bytes(bytes(raw))


def test_cli_corrupt_data_file(small_ckpt: Path) -> None:
    _corrupt(small_ckpt)
    proc = _cli(["--file_name=model.ckpt", "--all_tensors"], small_ckpt)
    assert proc.returncode != 0
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert "DataLossError" in lines[0] and "model.ckpt.data-00000-of-00001" in lines[0]


def test_cli_corrupt_index_file(small_ckpt: Path) -> None:
    index = small_ckpt / "model.ckpt.index"
    index.write_bytes(index.read_bytes()[:-3])
    proc = _cli(["--file_name=model.ckpt"], small_ckpt)
    assert proc.returncode != 0
    assert proc.stdout == b""
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert "model.ckpt.index" in lines[0]


def test_cli_missing_file(tmp_path: Path) -> None:
    proc = _cli(["--file_name=does_not_exist"], tmp_path)
    assert proc.returncode != 0 and proc.stdout == b""
    assert proc.stderr.decode().splitlines() == [
        "stowflow inspect: Unsuccessful TensorSliceReader constructor: Failed to find any "
        "matching files for does_not_exist"
    ]


def test_cli_without_file_name_prints_usage(tmp_path: Path) -> None:
    proc = _cli([], tmp_path)
    assert proc.returncode != 0
    assert proc.stderr.decode().startswith("Usage: inspect_checkpoint --file_name=")


def test_library_corrupt_file_prints_error(small_ckpt: Path) -> None:
    _corrupt(small_ckpt)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        print_tensors_in_checkpoint_file(str(small_ckpt / "model.ckpt"), "w", False)
    out = buf.getvalue()
    assert out.startswith("tensor: w (float32) [4]\n")
    assert "model.ckpt.data-00000-of-00001" in out


def test_directory_copy_is_inspectable(tmp_path: Path) -> None:
    shutil.copytree(GOLDEN / "tf1_single", tmp_path / "c")
    proc = _cli(["--file_name=c"], tmp_path)  # a directory resolves to its latest checkpoint
    assert proc.returncode == 0
    assert proc.stdout == (GOLDEN / "tf1_single" / "inspect" / "a_file_name.txt").read_bytes()
