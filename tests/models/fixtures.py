"""Locates (and on first use generates) the real-model fixtures of ``make_models.py``.

The fixtures live in ``~/.cache/stowflow/models/<key>/<family>/`` where ``<key>`` is the
first 16 hex digits of the generator's sha256 (``make_models.cache_key``), so a changed
generator never reuses stale files. A missing family is generated with the TensorFlow
oracle; without the oracle the caller skips with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "tests" / "golden" / "models" / "make_models.py"

sys.path.insert(0, str(GENERATOR.parent))
import make_models  # noqa: E402 - the generator module imports TensorFlow lazily

FAMILIES = make_models.FAMILIES
SLOW_FAMILIES = make_models.SLOW_FAMILIES


class FixtureUnavailable(Exception):
    """The fixture is not cached and cannot be generated here (the reason is the message)."""


@dataclass
class ModelFixture:
    """One family's files: SavedModel, frozen GraphDef, goldens and manifest."""

    family: str
    path: Path
    manifest: dict[str, Any]

    @property
    def saved_model(self) -> Path:
        return self.path / "saved_model"

    @property
    def frozen_graph(self) -> Path:
        return self.path / "frozen.pb"

    @property
    def compare(self) -> str:
        return str(self.manifest["compare"])

    def goldens(self) -> dict[str, np.ndarray]:
        """Inputs and TF's outputs: ``<call id>/in|out/<key>`` and ``frozen/in|out/<key>``."""
        with np.load(self.path / "goldens.npz", allow_pickle=False) as npz:
            return make_models.decode_arrays(npz)

    def call_inputs(self, call_id: str) -> dict[str, np.ndarray]:
        return _section(self.goldens(), f"{call_id}/in/")

    def call_outputs(self, call_id: str) -> dict[str, np.ndarray]:
        return _section(self.goldens(), f"{call_id}/out/")


def _section(goldens: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix) :]: v for k, v in goldens.items() if k.startswith(prefix)}


def oracle_python() -> Path:
    """The TF oracle interpreter ($STOWFLOW_TF_PYTHON or the cached venv)."""
    env = os.environ.get("STOWFLOW_TF_PYTHON")
    return Path(env) if env else Path.home() / ".cache/stowflow/tf-2.21.0/bin/python"


def cache_dir() -> Path:
    """This generator's keyed cache directory (it may not exist yet)."""
    return make_models.cache_root()


def get_fixture(family: str, generate: bool = True) -> ModelFixture:
    """The cached fixture of ``family``, generating it with the oracle when missing.

    Raises:
        FixtureUnavailable: when it is not cached and the oracle is missing or fails.
    """
    if family not in FAMILIES:
        raise KeyError(f"unknown model family {family!r}; known: {sorted(FAMILIES)}")
    path = cache_dir() / family
    manifest = path / "manifest.json"
    if not manifest.exists():
        if not generate:
            raise FixtureUnavailable(f"model fixture {family} is not generated at {path}")
        _generate(family)
    return ModelFixture(family, path, json.loads(manifest.read_text(encoding="utf-8")))


def _generate(family: str) -> None:
    python = oracle_python()
    if not python.exists():
        raise FixtureUnavailable(
            f"model fixture {family} is not cached at {cache_dir()} and the TensorFlow oracle "
            f"venv is missing at {python} (run scripts/tf_venv or set STOWFLOW_TF_PYTHON)"
        )
    proc = subprocess.run(
        [str(python), str(GENERATOR), "--family", family],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
    )
    if proc.returncode:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise FixtureUnavailable(f"generating model fixture {family} failed:\n{tail}")
