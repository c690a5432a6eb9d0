"""Every TF-written golden checkpoint converts to safetensors, .pt and .npz and back with
exact bytes; the safetensors package and torch itself read our files byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors
from convert_testlib import GOLDEN_SOURCES

from stowflow.convert import NameOptions, convert
from stowflow.convert.checkpoint_format import CheckpointSource

KEEP_ALL = NameOptions(preset="none", keep_optimizer=True, keep_global_step=True)
EXTENSIONS = {"safetensors": ".safetensors", "pt": ".pt", "npz": ".npz"}
# What each format cannot hold, listed independently of the code under test.
CANNOT_HOLD = {
    "safetensors": {"string", "complex128"},
    "pt": {"string"},
    "npz": {"string", "bfloat16"},
}


def _originals(src: Path) -> dict[str, np.ndarray]:
    source = CheckpointSource(str(src))
    try:
        return {i.name: source.read(i.name) for i in source.infos()}
    finally:
        source.close()


def _raw(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array).tobytes()


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype == object or b.dtype == object:
        return a.shape == b.shape and a.tolist() == b.tolist()
    return a.dtype == b.dtype and a.shape == b.shape and _raw(a) == _raw(b)


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
@pytest.mark.parametrize("case", sorted(GOLDEN_SOURCES))
def test_golden_round_trip_is_exact(case: str, fmt: str, tmp_path: Path) -> None:
    src = GOLDEN_SOURCES[case]
    originals = _originals(src)
    out = tmp_path / ("model" + EXTENSIONS[fmt])
    plan = convert(str(src), str(out), options=KEEP_ALL, skip_unsupported=True)
    skipped = {s.source_name for s in plan.steps if s.target is None}
    assert skipped == {n for n, a in originals.items() if _tf_name(a) in CANNOT_HOLD[fmt]}

    back = tmp_path / "back" / "model.ckpt"
    convert(str(out), str(back), options=KEEP_ALL)
    restored = _originals(back)
    assert sorted(restored) == sorted(set(originals) - skipped)
    for name, value in restored.items():
        assert _same(value, originals[name]), name


def _tf_name(array: np.ndarray) -> str:
    from stowflow import dtypes

    return dtypes.from_numpy(array).name


@pytest.mark.parametrize("case", sorted(GOLDEN_SOURCES))
def test_safetensors_package_reads_exact_bytes(case: str, tmp_path: Path) -> None:
    src = GOLDEN_SOURCES[case]
    out = tmp_path / "model.safetensors"
    convert(str(src), str(out), options=KEEP_ALL, skip_unsupported=True)
    originals = _originals(src)
    loaded: list[tuple[str, dict[str, Any]]] = safetensors.deserialize(out.read_bytes())
    assert loaded, "nothing written"
    for name, entry in loaded:
        assert bytes(entry["data"]) == _raw(originals[name]), name
        assert tuple(entry["shape"]) == originals[name].shape


@pytest.mark.parametrize("case", sorted(GOLDEN_SOURCES))
def test_torch_load_reads_exact_values(case: str, tmp_path: Path, torch_load: Any) -> None:
    src = GOLDEN_SOURCES[case]
    out = tmp_path / "model.pt"
    convert(str(src), str(out), options=KEEP_ALL, skip_unsupported=True)
    originals = _originals(src)
    loaded = torch_load(str(out))
    assert sorted(loaded) == sorted(n for n, a in originals.items() if a.dtype != object)
    for name, entry in loaded.items():
        assert entry["hex"] == _raw(originals[name]).hex(), name
        assert tuple(entry["shape"]) == originals[name].shape
        assert entry["dtype"] == _tf_name(originals[name])
