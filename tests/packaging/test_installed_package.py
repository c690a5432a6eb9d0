"""The suite tests the stowflow it should: the installed wheel under scripts/test.

scripts/test sets STOWFLOW_TEST_INSTALLED=1; then neither this process nor the subprocesses
the tests start (from the repository root, with ``DEV_PYTHON_ENV``) may import the source tree.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from stowflow_testlib import DEV_PYTHON_ENV, INSTALLED, ROOT, tf_python

import stowflow

pytestmark = pytest.mark.skipif(
    not INSTALLED, reason="tests the installed wheel: run by scripts/test (STOWFLOW_TEST_INSTALLED=1)"
)

WHERE = "import stowflow; print(stowflow.__file__)"


def _in_repo(path: str) -> bool:
    """Whether ``path`` is in the source tree (the wheel venv may live inside the repo)."""
    return Path(path).resolve().is_relative_to(ROOT / "stowflow")


def _stowflow_file(python: str | Path, *args: str) -> str:
    proc = subprocess.run(
        [str(python), *args],
        cwd=ROOT,  # the tests' subprocesses run here: the source tree is the current directory
        env=DEV_PYTHON_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_this_process_imports_the_installed_package() -> None:
    assert not _in_repo(stowflow.__file__), stowflow.__file__
    assert not any(Path(p or ".").resolve() == ROOT for p in sys.path), sys.path


def test_subprocesses_started_in_the_repo_import_the_installed_package() -> None:
    # `python -c` and `python -m` put the current directory (here the source tree) first on
    # sys.path unless PYTHONSAFEPATH is set, as DEV_PYTHON_ENV does in installed mode.
    found = _stowflow_file(sys.executable, "-c", WHERE)
    assert not _in_repo(found), found


def test_tensorflow_oracle_imports_the_installed_package() -> None:
    python = tf_python()
    if not python.exists():
        pytest.skip(f"TensorFlow oracle venv not found at {python}")
    found = _stowflow_file(python, "-c", WHERE)
    assert not _in_repo(found), found
    assert Path(found).resolve().parent == Path(stowflow.__file__).resolve().parent
