"""Shared test helpers: the golden fixtures, their expected values, and the TF oracle python.

Test modules import these helpers with ``from stowflow_testlib import ...``. A conftest is
not reliably importable under its own name (pytest evicts ``conftest`` from sys.modules
between directories), so this module registers itself under that unique alias.

Two modes. By default the suite tests the source tree (the editable install in ``.venv``).
``scripts/test`` sets ``STOWFLOW_TEST_INSTALLED=1`` and runs the suite with the interpreter of
a venv that has the built wheel installed: then every stowflow the tests import, in-process or
in a subprocess (``DEV_PYTHON_ENV``, the TensorFlow oracle included), is the installed one, and
the source tree never shadows it (``tests/packaging/test_installed_package.py`` checks that).
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stowflow import dtypes

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "checkpoints"
INSTALLED = os.environ.get("STOWFLOW_TEST_INSTALLED") == "1"
"""True when the suite runs against the installed wheel (scripts/test), not the source tree."""


def _installed_only_path() -> str:
    """A directory holding just a link to the installed ``stowflow`` package.

    Other interpreters (the TensorFlow oracle) put it on PYTHONPATH to import the installed
    stowflow without the rest of the wheel venv's site-packages (its NumPy, protobuf, ...).
    """
    import stowflow

    package = Path(stowflow.__file__).resolve().parent
    path = tempfile.mkdtemp(prefix="stowflow-installed-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    os.symlink(package, os.path.join(path, "stowflow"), target_is_directory=True)
    return path


# The environment for subprocesses that import stowflow (this interpreter or the TF oracle).
# Source-tree mode: the repo on PYTHONPATH. Installed mode: only the installed package, and
# PYTHONSAFEPATH so that `python -m`/`-c` run with cwd=ROOT do not put the source tree first.
DEV_PYTHON_ENV = (
    {**os.environ, "PYTHONPATH": _installed_only_path(), "PYTHONSAFEPATH": "1"}
    if INSTALLED
    else {**os.environ, "PYTHONPATH": str(ROOT)}
)

sys.modules.setdefault("stowflow_testlib", sys.modules[__name__])

# Hypothesis' per-example deadline is a timing threshold; the suite has none (CI shares 2 cores).
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("stowflow", deadline=None)
    _hypothesis_settings.load_profile("stowflow")
except ImportError:  # pragma: no cover - hypothesis is a [test] dependency
    pass


def pytest_report_header() -> str:
    """Names the stowflow under test, so a CI log shows whether it was the wheel."""
    import stowflow

    where = "installed wheel" if INSTALLED else "source tree"
    return f"stowflow {stowflow.__version__} from {Path(stowflow.__file__).parent} ({where})"


def tf_python() -> Path:
    """The TensorFlow 2.21 oracle interpreter ($STOWFLOW_TF_PYTHON or the cached venv)."""
    env = os.environ.get("STOWFLOW_TF_PYTHON")
    return Path(env) if env else Path.home() / ".cache/stowflow/tf-2.21.0/bin/python"


def require_tf_python() -> Path:
    """The oracle interpreter, or skip the calling test with a clear reason."""
    python = tf_python()
    if not python.exists():
        pytest.skip(
            f"TensorFlow oracle venv not found at {python} "
            "(run scripts/tf_venv or set STOWFLOW_TF_PYTHON)"
        )
    return python


def run_tf_report(script: str, stdin: str) -> Any:
    """Runs ``script`` in the TF oracle with ``stdin``; returns the JSON after its
    ``@@REPORT@@`` marker line (skips without the oracle, fails on a non-zero exit)."""
    import subprocess

    env = {**DEV_PYTHON_ENV, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [str(require_tf_python()), "-c", script],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=str(ROOT),
    )
    if proc.returncode != 0:
        pytest.fail(f"TensorFlow subprocess failed:\n{proc.stderr[-4000:]}")
    line = next(x for x in reversed(proc.stdout.splitlines()) if x.startswith("@@REPORT@@"))
    return json.loads(line[len("@@REPORT@@") :])


def fixture_dirs() -> list[Path]:
    """Every TF-made golden checkpoint directory that has an expected.json."""
    return sorted(p.parent for p in GOLDEN.glob("*/expected.json"))


def load_expected(fixture: Path) -> dict[str, Any]:
    with open(fixture / "expected.json", encoding="utf-8") as f:
        return json.load(f)


def expected_array(spec: dict[str, Any]) -> np.ndarray:
    """Decodes one tensor of an expected.json (``data_b64`` LE bytes or ``strings_b64``)."""
    dtype = dtypes.as_dtype(spec["dtype"])
    shape = tuple(spec["shape"])
    if dtype.name == "string":
        flat = np.empty(len(spec["strings_b64"]), dtype=object)
        flat[:] = [base64.b64decode(s) for s in spec["strings_b64"]]
        return flat.reshape(shape)
    np_dtype = np.dtype(dtype.as_numpy_dtype).newbyteorder("<")
    raw = base64.b64decode(spec["data_b64"])
    return np.frombuffer(raw, dtype=np_dtype).astype(np_dtype.newbyteorder("=")).reshape(shape)


def expected_tensors(fixture: Path) -> dict[str, np.ndarray]:
    """name -> array for a fixture (the compact multiblock manifest is expanded)."""
    exp = load_expected(fixture)
    if "tensors" in exp:
        return {n: expected_array(t) for n, t in exp["tensors"].items()}
    compact = exp["compact"]
    fmt = compact["key_format"]
    return {fmt % i: np.array([i], dtype=np.float32) for i in range(compact["num_tensors"])}


def assert_bitwise_equal(actual: np.ndarray, expected: np.ndarray, what: str = "") -> None:
    """Same dtype, shape and bytes (NaN payloads included); strings compared elementwise."""
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    if expected.dtype == object:
        assert actual.dtype == object, (what, actual.dtype)
        assert actual.reshape(-1).tolist() == expected.reshape(-1).tolist(), what
        return
    assert actual.dtype == expected.dtype, (what, actual.dtype, expected.dtype)
    assert np.ascontiguousarray(actual).tobytes() == np.ascontiguousarray(expected).tobytes(), what


@pytest.fixture(autouse=True)
def _restore_tensorflow_logger() -> Any:
    """Undoes what a test (or ``stowflow.tf1`` run in-process) did to the ``tensorflow``
    logger: level, propagation and handlers, so caplog-based tests see TF's log lines."""
    import logging

    logger = logging.getLogger("tensorflow")
    saved = (logger.level, logger.propagate, list(logger.handlers))
    yield
    logger.setLevel(saved[0])
    logger.propagate = saved[1]
    logger.handlers[:] = saved[2]
