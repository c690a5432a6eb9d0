"""No ``assert`` statement in the package: input validation must survive ``python -O``.

Asserts vanish under ``-O`` and raise a bare ``AssertionError``; stowflow raises typed errors
(``OpError`` subclasses, TF's ``ValueError``/``TypeError``) instead, and narrows types for
mypy with explicit checks or ``typing.cast``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import stowflow

PACKAGE = Path(stowflow.__file__).parent


def _asserts(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{path}:{node.lineno}" for node in ast.walk(tree) if isinstance(node, ast.Assert)]


def test_package_has_no_assert_statements() -> None:
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) > 100  # the scan really walked the package
    found = [hit for path in sources for hit in _asserts(path)]
    assert found == []


def test_scan_finds_an_assert(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f(x):\n    if x:\n        assert x, 'no'\n")
    assert _asserts(sample) == [f"{sample}:3"]
