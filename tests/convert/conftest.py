"""Fixtures of the converter tests (helpers live in convert_testlib)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from convert_testlib import TORCH_DUMP, torch_python_path


@pytest.fixture(scope="session")
def torch_python() -> str:
    """The torch oracle interpreter, or skip with how to install it."""
    python = torch_python_path()
    if not python.exists():
        pytest.skip(
            f"torch oracle not found at {python}: python -m venv ~/.cache/stowflow/torch-venv "
            "&& ~/.cache/stowflow/torch-venv/bin/pip install torch==2.13.0 numpy "
            "(or set STOWFLOW_TORCH_PYTHON)"
        )
    return str(python)


@pytest.fixture(scope="session")
def torch_load(torch_python: str) -> Callable[[str], dict[str, Any]]:
    """A function: path -> {name: {dtype, shape, hex}} as torch.load(weights_only=True) sees it."""

    def load(path: str) -> dict[str, Any]:
        done = subprocess.run(
            [torch_python, "-c", TORCH_DUMP, path], capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise AssertionError(f"torch.load failed on {path}:\n{done.stderr}")
        return dict(json.loads(done.stdout))

    return load
