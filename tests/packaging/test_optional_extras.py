"""Optional dependencies: require() names the extra; the CLI prints that one line; --version."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest
from stowflow_testlib import DEV_PYTHON_ENV, ROOT

import stowflow
from stowflow._extras import EXTRAS, MissingExtraError, require
from stowflow.tools import cli

ABSENT = "stowflow_test_absent_module_7f3a"


def test_require_returns_the_module() -> None:
    assert require("json", "serve") is json
    assert require("importlib.metadata", "convert") is importlib.metadata


@pytest.mark.parametrize("module", [ABSENT, f"{ABSENT}.sub"])
def test_missing_module_names_the_pip_install(module: str) -> None:
    with pytest.raises(MissingExtraError) as info:
        require(module, "serve")
    assert isinstance(info.value, ImportError)
    assert str(info.value) == (
        f"{module} is needed for the model server but is not installed: "
        "pip install 'stowflow[serve]'"
    )
    assert (info.value.module, info.value.extra, info.value.name) == (module, "serve", module)


def test_a_missing_import_inside_an_installed_module_is_not_blamed_on_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "stowflow_test_broken_mod.py").write_text(f"import {ABSENT}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as info:
        require("stowflow_test_broken_mod", "convert")
    assert not isinstance(info.value, MissingExtraError)
    assert info.value.name == ABSENT


def test_unknown_extra_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown stowflow extra 'serving'; known: bench, convert"):
        require("json", "serving")


def test_every_extra_is_declared_in_pyproject() -> None:
    tomllib = pytest.importorskip("tomllib")
    with open(ROOT / "pyproject.toml", "rb") as f:
        declared = tomllib.load(f)["project"]["optional-dependencies"]
    assert set(EXTRAS) == set(declared)


def test_cli_prints_one_line_instead_of_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(args: argparse.Namespace) -> int:
        require(f"{ABSENT}.server", "serve")
        return 0

    monkeypatch.setitem(cli.SUBCOMMANDS, "needs-serve", cli.Subcommand("test", lambda p: p, run))
    assert cli.main(["needs-serve"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"stowflow: error: {ABSENT}.server is needed for the model server but is not "
        "installed: pip install 'stowflow[serve]'\n"
    )


def test_version_has_one_source() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "stowflow", "--version"],
        env=DEV_PYTHON_ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"stowflow {stowflow.__version__}\n"
    # The installed distribution's metadata carries the same version (pyproject reads it from
    # stowflow/__init__.py); in the editable .venv, rerun scripts/setup after a version bump.
    assert importlib.metadata.version("stowflow") == stowflow.__version__
