"""PyTorch .pt without torch: torch-made goldens, our own files, the restricted unpickler."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np
import pytest
from convert_testlib import TORCH_GOLDEN
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from stowflow import dtypes
from stowflow.convert import UnsafePickleError, UnsupportedTensorError
from stowflow.convert.base import TensorInfo
from stowflow.convert.torch_format import TorchSink, TorchSource
from stowflow.convert.torch_pickle import load_pickle
from stowflow.errors import DataLossError, UnimplementedError

EXPECTED = json.loads((TORCH_GOLDEN / "expected.json").read_text())
CASES = ["dtypes", "views", "module", "nested", "parameter"]


def _write(path: Path, tensors: dict[str, np.ndarray]) -> None:
    plan = [TensorInfo(n, dtypes.as_dtype(a.dtype), a.shape) for n, a in tensors.items()]
    sink = TorchSink(str(path), plan)
    for name, array in tensors.items():
        sink.write(name, array)
    sink.finish()


def _read_all(path: Path) -> dict[str, np.ndarray]:
    source = TorchSource(str(path))
    try:
        return {i.name: source.read(i.name) for i in source.infos()}
    finally:
        source.close()


@pytest.mark.parametrize("case", CASES)
def test_reads_torch_made_goldens_exactly(case: str) -> None:
    expected = EXPECTED[case]
    source = TorchSource(str(TORCH_GOLDEN / f"{case}.pt"))
    infos = {i.name: i for i in source.infos()}
    assert sorted(infos) == sorted(expected["tensors"])
    for name, want in expected["tensors"].items():
        value = source.read(name)
        assert infos[name].dtype.name == want["dtype"], name
        assert list(value.shape) == want["shape"], name
        assert value.tobytes().hex() == want["hex"], name
    assert sorted(n for n, _ in source.non_tensors()) == sorted(expected["non_tensors"])
    source.close()


def test_torch_loads_what_we_write_for_every_dtype(tmp_path: Path, torch_load: Any) -> None:
    rng = np.random.default_rng(0)
    tensors = {
        "f32": rng.standard_normal((2, 3)).astype(np.float32),
        "bf16": np.array([1.0, -2.5, 3.140625], ml_dtypes.bfloat16),
        "f8": np.array([0.5, -448.0], ml_dtypes.float8_e4m3fn),
        "f8_e5m2": np.array([0.5, 3.0], ml_dtypes.float8_e5m2),
        "u16": np.array([0, 65535], np.uint16),
        "u64": np.array([2**63], np.uint64),
        "c128": np.array([1e300 - 1j], np.complex128),
        "scalar": np.array(7, np.int64),
        "empty": np.zeros((0, 4), np.float32),
        "flags": np.array([True, False]),
    }
    out = tmp_path / "all.pt"
    _write(out, tensors)
    loaded = torch_load(str(out))
    assert sorted(loaded) == sorted(tensors)
    for name, array in tensors.items():
        assert loaded[name]["hex"] == array.tobytes().hex(), name
        assert loaded[name]["shape"] == list(array.shape)
        assert loaded[name]["dtype"] == dtypes.as_dtype(array.dtype).name


def test_archive_layout_matches_torch(tmp_path: Path) -> None:
    out = tmp_path / "weights.pt"
    _write(out, {"a": np.ones(3, np.float32), "b": np.zeros((2, 2), np.int8)})
    data = out.read_bytes()
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert names == [
            "weights/data.pkl", "weights/.format_version", "weights/.storage_alignment",
            "weights/byteorder", "weights/data/0", "weights/data/1", "weights/version",
            "weights/.data/serialization_id",
        ]  # fmt: skip
        assert z.read("weights/byteorder") == b"little"
        assert z.read("weights/version") == b"3\n"
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            name_len, extra_len = np.frombuffer(data, "<u2", 2, info.header_offset + 26)
            start = info.header_offset + 30 + int(name_len) + int(extra_len)
            assert start % 64 == 0, info.filename
            assert data[start : start + info.file_size] == z.read(info.filename)


def test_refuses_dtypes_torch_lacks(tmp_path: Path) -> None:
    plan = [TensorInfo("s", dtypes.string, (2,))]
    with pytest.raises(UnsupportedTensorError, match="Cannot convert tensor 's': PyTorch has no"):
        TorchSink(str(tmp_path / "x.pt"), plan)
    assert not list(tmp_path.iterdir())


def _hostile(tmp_path: Path, payload: bytes) -> Path:
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("evil/data.pkl", payload)
        z.writestr("evil/version", b"3\n")
    return path


def test_hostile_pickle_is_refused_before_anything_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = b"cos\nsystem\n(X" + len(f"touch {marker}").to_bytes(4, "little")
    payload += f"touch {marker}".encode() + b"tR."
    with pytest.raises(UnsafePickleError, match=r"names the global os\.system"):
        TorchSource(str(_hostile(tmp_path, payload)))
    assert not marker.exists()


_TEXT = b"X\x01\x00\x00\x00"  # BINUNICODE of one character


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"cbuiltins\neval\n(X\x03\x00\x00\x001+1tR.", "names the global builtins.eval"),
        (b"ctorch._utils\n_rebuild_tensor_v2\n(" + _TEXT + b"xK\x00)))\x89}tR.",
         "bad storage or offset"),
        (b"(X\x07\x00\x00\x00storage" + _TEXT + b"x" + _TEXT + b"0" + _TEXT + b"cK\x01tQ.",
         "bad persistent id"),
        (b"\x80\x02K\x01K\x02", "malformed pickle"),
    ],
    ids=["builtins.eval", "rebuild-without-storage", "persistent-id-not-a-storage", "truncated"],
)  # fmt: skip
def test_restricted_unpickler_refuses(payload: bytes, message: str) -> None:
    with pytest.raises(UnsafePickleError, match=message):
        load_pickle(payload, "test.pkl")


def test_legacy_format_is_refused_with_a_fix(tmp_path: Path) -> None:
    path = tmp_path / "old.pt"
    path.write_bytes(b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19.")
    with pytest.raises(UnimplementedError, match="legacy .*re-save it"):
        TorchSource(str(path))


def test_truncated_storage_is_data_loss(tmp_path: Path) -> None:
    good = tmp_path / "good.pt"
    _write(good, {"w": np.arange(8, dtype=np.float32)})
    bad = tmp_path / "bad.pt"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, data[:-4] if info.filename.endswith("data/0") else data)
    source = TorchSource(str(bad))
    with pytest.raises(DataLossError, match="storage data/0 has 28 bytes, expected 32"):
        source.read("w")


_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
           "bool", "complex64", "complex128", "uint16", "uint32", "uint64"]  # fmt: skip
_BIT_DTYPES = {"bfloat16": np.uint16, "float8_e4m3fn": np.uint8, "float8_e5m2": np.uint8}


@st.composite
def _arrays(draw: st.DrawFn) -> np.ndarray:
    name = draw(st.sampled_from(_DTYPES + sorted(_BIT_DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    if name in _BIT_DTYPES:
        bits = draw(hnp.arrays(_BIT_DTYPES[name], shape))
        return bits.view(dtypes.as_dtype(name).as_numpy_dtype)
    return draw(hnp.arrays(np.dtype(dtypes.as_dtype(name).as_numpy_dtype), shape))


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), _arrays(), min_size=1, max_size=4))
def test_hypothesis_round_trip(tensors: dict[str, np.ndarray]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "h.pt"
        _write(path, tensors)
        back = _read_all(path)
    assert list(back) == list(tensors)
    for name, array in tensors.items():
        assert back[name].dtype == array.dtype and back[name].shape == array.shape
        assert back[name].tobytes() == array.tobytes()
