"""The wheel and the sdist hold what the package needs at run time, and build without warnings.

Builds both from a clean copy of the tree (tests/packaging/build_dist.py, which scripts/test
also uses), then installs the wheel into an empty directory and builds a graph from it: the
failure a user saw when op_defs.binarypb was left out of the wheel.
"""

from __future__ import annotations

import ast
import email.parser
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import build_dist
import pytest
from stowflow_testlib import ROOT


def _source_version() -> str:
    tree = ast.parse((ROOT / "stowflow" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == [
            "__version__"
        ]:
            return str(ast.literal_eval(node.value))
    raise AssertionError("stowflow/__init__.py sets no __version__")


@pytest.fixture(scope="module")
def package_files() -> list[str]:
    """Every file git knows under stowflow/ (tracked, or new and not ignored)."""
    try:
        return build_dist.source_files(ROOT, "stowflow")
    except RuntimeError as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory, package_files: list[str]) -> build_dist.Dist:
    return build_dist.build(tmp_path_factory.mktemp("dist"))


def _wheel_names(dist: build_dist.Dist) -> set[str]:
    with zipfile.ZipFile(dist.wheel) as z:
        return set(z.namelist())


def test_the_scan_sees_the_package_data(package_files: list[str]) -> None:
    data = [f for f in package_files if not f.endswith(".py")]
    # Anchors only: the check below covers whatever non-Python files the scan finds.
    assert "stowflow/graph/op_defs.binarypb" in data
    assert "stowflow/py.typed" in data
    assert any(f.endswith(".proto") for f in data)


def test_wheel_holds_every_file_of_the_package(
    dist: build_dist.Dist, package_files: list[str]
) -> None:
    missing = sorted(set(package_files) - _wheel_names(dist))
    assert not missing, f"left out of the wheel: {missing}"


def test_wheel_holds_nothing_else(dist: build_dist.Dist, package_files: list[str]) -> None:
    info = f"stowflow-{_source_version()}.dist-info/"
    extra = sorted(n for n in _wheel_names(dist) - set(package_files) if not n.startswith(info))
    assert not extra, f"unexpected files in the wheel: {extra}"


def test_sdist_holds_every_file_of_the_package(
    dist: build_dist.Dist, package_files: list[str]
) -> None:
    prefix = f"stowflow-{_source_version()}/"
    with tarfile.open(dist.sdist) as t:
        names = {m.name.removeprefix(prefix) for m in t.getmembers() if m.isfile()}
    missing = sorted(set(package_files) - names)
    assert not missing, f"left out of the sdist: {missing}"
    assert {"pyproject.toml", "README.md", "CHANGELOG.md"} <= names


def _warnings(output: str) -> list[str]:
    """Lines of build or pip output that warn; file names (``_deprecation.py``) do not count."""
    return [
        line
        for line in output.splitlines()
        if re.search(r"(?i)warn|deprecat", re.sub(r"\S*[/\\.]\S*", "", line))
    ]


def test_build_prints_no_warnings(dist: build_dist.Dist) -> None:
    assert "Successfully built" in dist.log
    assert _warnings(dist.log) == []


def test_metadata(dist: build_dist.Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as z:
        info = f"stowflow-{_source_version()}.dist-info/METADATA"
        meta = email.parser.Parser().parsestr(z.read(info).decode())
    assert meta["Version"] == _source_version()
    assert meta["License-Expression"] == "Apache-2.0"
    assert not [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    assert meta.get_all("Project-URL") is None  # none invented
    core = {re.split(r"[<>=!~; ]", r)[0] for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r}
    assert core == {"numpy", "protobuf", "ml_dtypes", "crc32c"}
    assert {"serve", "convert", "test", "bench"} <= set(meta.get_all("Provides-Extra") or [])


_GRAPH = """
import importlib.resources, sys
import numpy as np
import stowflow as tf
print(tf.__file__)
x = tf.placeholder(tf.float32, [None, 2])
y = tf.matmul(x, tf.constant([[1.0], [2.0]]))
with tf.Session() as sess:
    print(sess.run(y, {x: np.array([[3.0, 4.0]], np.float32)}).tolist())
print(importlib.resources.files("stowflow").joinpath("py.typed").is_file())
"""


def test_installed_wheel_builds_a_graph(dist: build_dist.Dist, tmp_path: Path) -> None:
    target = tmp_path / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--no-compile",
         "--target", str(target), str(dist.wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stderr
    assert _warnings(pip.stdout + pip.stderr) == []
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"}
    run = subprocess.run(
        [sys.executable, "-c", _GRAPH], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    where, result, typed = run.stdout.splitlines()
    assert Path(where).is_relative_to(target)
    assert (result, typed) == ("[[11.0]]", "True")
