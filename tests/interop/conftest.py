"""Runs scripts under the TensorFlow oracle venv (a subprocess: stowflow tests never import TF)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from stowflow_testlib import DEV_PYTHON_ENV, ROOT, require_tf_python

REPORT_MARKER = "@@STOWFLOW-REPORT@@"


def run_tf_script(script: str, payload: Any, timeout: float = 600) -> Any:
    """Runs ``script`` with the TF python, ``payload`` as JSON on stdin; returns its report.

    The script prints ``REPORT_MARKER + json.dumps(report)`` as its last stdout line.
    Skips (with the reason) when the TF venv is missing or cannot import tensorflow.
    """
    python = require_tf_python()
    env = {**DEV_PYTHON_ENV, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [str(python), "-c", script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=str(ROOT),
    )
    if proc.returncode != 0:
        missing = re.search(r"No module named '?(tensorflow|numpy|ml_dtypes|crc32c)", proc.stderr)
        if missing:
            pytest.skip(f"{python} cannot import {missing.group(1)}")
        pytest.fail(f"TensorFlow subprocess failed:\n{proc.stderr[-6000:]}")
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(REPORT_MARKER):
            return json.loads(line[len(REPORT_MARKER) :])
    pytest.fail(f"TensorFlow subprocess printed no report:\n{proc.stdout[-3000:]}")


@pytest.fixture(scope="session")
def tf_script_runner() -> Callable[[str, Any], Any]:
    return run_tf_script
