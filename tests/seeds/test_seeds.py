"""Every seed program runs under ``python -m stowflow.tf1`` and prints what TF 2.21 prints.

Goldens (``*.expected``) were captured from the real TensorFlow by ``capture.py``; this
test follows the same protocol (README.md): one fresh working directory per scenario,
each script its own process, the working directory shown as ``<WORKDIR>``, paths of
library frames in deprecation warnings shown as ``<TFINTERNAL>``.

One deliberate difference: TF 2.21's ``tensorflow.python.framework.graph_util`` lost
``convert_variables_to_constants``, so the verbatim freeze scripts die there with an
AttributeError. stowflow keeps the TF1 API those tutorials were written for; for them we
assert the output TF 2.21 gives for the same program through ``tf.graph_util``
(the ``*_compat`` scenarios).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SCENARIOS = sorted(p.name for p in HERE.iterdir() if p.is_dir() and p.name.startswith("seed"))
# (scenario, script) -> (scenario, script) whose TF golden applies instead (see docstring).
TF1_API_GOLDEN = {
    ("seed001_pb", "01_save_mode_pb.py"): ("seed001_pb_compat", "01_save_mode_pb.py"),
    ("seed001_pb", "02_restore_mode_pb.py"): ("seed001_pb_compat", "02_restore_mode_pb.py"),
    ("seed004_notebook", "06_freeze_pb.py"): ("seed004_freeze_compat", "02_freeze_pb.py"),
    ("seed004_notebook", "07_load_pb.py"): ("seed004_freeze_compat", "03_load_pb.py"),
}
_FROM = re.compile(r"^(WARNING:tensorflow:From )(.+?):(\d+): (.*)$")
_EXC = re.compile(r"^([A-Za-z_][\w.]*): ?(.*)$")


def _normalize_stderr(text: str, workdir: str) -> tuple[list[str], dict | None]:
    text = text.replace(workdir, "<WORKDIR>")
    head, sep, tail = text.partition("Traceback (most recent call last):\n")
    lines = [line for line in head.splitlines() if line.strip()]
    out = []
    for line in lines:
        m = _FROM.match(line)
        if m and not m.group(2).startswith("<WORKDIR>"):
            line = f"{m.group(1)}<TFINTERNAL>: {m.group(4)}"
        out.append(line)
    exception = None
    if sep:
        for line in tail.splitlines():
            if line.startswith(" ") or not line.strip():
                continue
            m = _EXC.match(line)
            if m:
                exception = {"type": m.group(1).rsplit(".", 1)[-1], "message": m.group(2)}
                break
    return out, exception


def _run_scenario(scenario: str) -> dict[str, dict]:
    src = HERE / scenario
    workdir = os.path.realpath(tempfile.mkdtemp(prefix="stowflow-seed-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONIOENCODING="utf-8", PYTHONHASHSEED="0", STOWFLOW_VERBOSITY="info")
    results = {}
    try:
        for script in sorted(p.name for p in src.glob("[0-9][0-9]_*.py")):
            shutil.copy(src / script, workdir)
            proc = subprocess.run(
                [sys.executable, "-m", "stowflow.tf1", script],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            stderr_lines, exception = _normalize_stderr(proc.stderr, workdir)
            results[script] = {
                "stdout": proc.stdout.replace(workdir, "<WORKDIR>"),
                "stderr_lines": stderr_lines,
                "returncode": proc.returncode,
                "exception": exception,
                "raw_stderr": proc.stderr,
            }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        for stray in ("/tmp/model.ckpt.index", "/tmp/model.ckpt.meta", "/tmp/checkpoint"):
            if scenario in ("seed002_guide", "seed003_guide") and os.path.exists(stray):
                os.remove(stray)
    return results


def _golden(scenario: str, script: str) -> dict:
    scenario, script = TF1_API_GOLDEN.get((scenario, script), (scenario, script))
    return json.loads((HERE / scenario / script.replace(".py", ".expected")).read_text())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_seed_scenario_matches_tensorflow(scenario: str) -> None:
    results = _run_scenario(scenario)
    assert results, f"no scripts in {scenario}"
    for script, got in results.items():
        want = _golden(scenario, script)
        where = f"{scenario}/{script}\n--- stderr:\n{got['raw_stderr'][-3000:]}"
        assert got["stdout"] == want["stdout"], where
        want_exc = want["exception"]
        if want_exc is None:
            assert got["exception"] is None, where
        else:
            assert got["exception"] == {"type": want_exc["type"], "message": want_exc["message"]}, (
                where
            )
        assert got["stderr_lines"] == _renamed(want["stderr_lines"], scenario, script), where
        assert (got["returncode"] == 0) == (want["returncode"] == 0), where


def _renamed(lines: list[str], scenario: str, script: str) -> list[str]:
    """A compat golden names its own script file; map it to the verbatim script's name."""
    target = TF1_API_GOLDEN.get((scenario, script))
    if target is None:
        return lines
    return [line.replace(f"<WORKDIR>/{target[1]}:", f"<WORKDIR>/{script}:") for line in lines]
