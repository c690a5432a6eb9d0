"""The committed *_pb2.py / *_pb2.pyi modules are exactly what scripts/gen_protos produces."""

from __future__ import annotations

import filecmp
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "stowflow" / "proto"
GENERATED_GLOBS = ("*_pb2.py", "*_pb2.pyi")


def _generated(base: Path) -> set[Path]:
    return {
        p.relative_to(base)
        for pattern in GENERATED_GLOBS
        for p in (base / "stowflow" / "proto").rglob(pattern)
    }


def test_every_proto_has_a_committed_module() -> None:
    protos = sorted(PROTO_DIR.rglob("*.proto"))
    assert protos, "no .proto files under stowflow/proto"
    for proto in protos:
        module = proto.with_name(proto.stem + "_pb2.py")
        assert module.is_file(), f"{module} missing: run scripts/gen_protos"


def test_regenerated_modules_match_committed(tmp_path: Path) -> None:
    if importlib.util.find_spec("grpc_tools") is None:
        pytest.skip("grpcio-tools is not installed in this interpreter")
    subprocess.run(
        [str(ROOT / "scripts" / "gen_protos"), str(tmp_path)],
        check=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    fresh, committed = _generated(tmp_path), _generated(ROOT)
    assert fresh == committed, (
        f"generated file sets differ: only fresh {sorted(fresh - committed)}, "
        f"only committed {sorted(committed - fresh)}; run scripts/gen_protos"
    )
    differing = [
        str(rel)
        for rel in sorted(fresh)
        if not filecmp.cmp(tmp_path / rel, ROOT / rel, shallow=False)
    ]
    assert not differing, f"stale generated modules {differing}: run scripts/gen_protos"
