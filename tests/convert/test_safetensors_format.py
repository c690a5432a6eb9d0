"""safetensors without the safetensors package: byte-identical to the reference writer,
readable by it, reading its files, and refusing malformed headers."""

from __future__ import annotations

import json
import struct
import tempfile
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
import safetensors
import safetensors.numpy
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from stowflow import dtypes
from stowflow.convert import UnsupportedTensorError
from stowflow.convert.base import TensorInfo
from stowflow.convert.safetensors_format import (
    SafetensorsSink,
    SafetensorsSource,
    load_file,
    save_file,
)
from stowflow.errors import DataLossError


def test_file_is_byte_identical_to_the_reference_writer(tmp_path: Path) -> None:
    tensors = {
        "a": np.arange(3, dtype=np.float32),
        "b": np.ones((2, 2), np.float32),
        "c": np.array(5, np.float32),
        "d": np.zeros((0, 7), np.float32),
    }
    safetensors.numpy.save_file(tensors, str(tmp_path / "ref.safetensors"), {"format": "pt"})
    save_file(tensors, str(tmp_path / "ours.safetensors"))
    assert (tmp_path / "ours.safetensors").read_bytes() == (
        tmp_path / "ref.safetensors"
    ).read_bytes()


def test_reads_the_reference_writers_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    tensors = {
        "w": rng.standard_normal((3, 5)).astype(np.float32),
        "i": np.array([-(2**63), 2**63 - 1], np.int64),
        "c": np.array([1 - 2j], np.complex64),
        "flag": np.array([[True], [False]]),
        "h": np.array([65504.0, -0.5], np.float16),
    }
    path = tmp_path / "ref.safetensors"
    safetensors.numpy.save_file(tensors, str(path), {"who": "reference"})
    source = SafetensorsSource(str(path))
    assert source.metadata == {"who": "reference"}
    assert sorted(i.name for i in source.infos()) == sorted(tensors)
    source.close()
    loaded = load_file(str(path))
    for name, array in tensors.items():
        assert loaded[name].dtype == array.dtype and loaded[name].tobytes() == array.tobytes()


def test_bfloat16_and_float8_bytes_are_exact(tmp_path: Path) -> None:
    tensors = {
        "bf": np.array([1.0, -2.5, 3.140625], ml_dtypes.bfloat16),
        "e4": np.array([0.5, -448.0], ml_dtypes.float8_e4m3fn),
        "e5": np.array([0.5, -57344.0], ml_dtypes.float8_e5m2),
    }
    path = tmp_path / "x.safetensors"
    save_file(tensors, str(path))
    by_name = dict(safetensors.deserialize(path.read_bytes()))
    assert {n: e["dtype"] for n, e in by_name.items()} == {
        "bf": "BF16", "e4": "F8_E4M3", "e5": "F8_E5M2",
    }  # fmt: skip
    for name, array in tensors.items():
        assert bytes(by_name[name]["data"]) == array.tobytes()
    back = load_file(str(path))
    for name, array in tensors.items():
        assert back[name].dtype == array.dtype and back[name].tobytes() == array.tobytes()


@pytest.mark.parametrize("dtype", ["complex128", "string", "int4", "qint8", "float8_e4m3fnuz"])
def test_refuses_what_safetensors_cannot_hold(dtype: str, tmp_path: Path) -> None:
    plan = [TensorInfo("t", dtypes.as_dtype(dtype), (2,))]
    message = f"'t': safetensors has no dtype for TensorFlow {dtype}"
    with pytest.raises(UnsupportedTensorError, match=message):
        SafetensorsSink(str(tmp_path / "x.safetensors"), plan)
    assert not list(tmp_path.iterdir())


def _file(tmp_path: Path, header: object, data: bytes = b"", raw: bytes | None = None) -> str:
    text = raw if raw is not None else json.dumps(header).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return str(path)


@pytest.mark.parametrize(
    ("header", "data", "message"),
    [
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4,
         "tensors cover 8 bytes of a 4-byte data area"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4,
         "4 bytes for F32\\[2\\] \\(needs 8\\)"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
          "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8,
         "starts at 0, expected 4"),
        ({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4,
         "bad shape or offsets"),
        ({"a": {"shape": [1]}}, b"", "lacks dtype/shape/data_offsets"),
        ([1, 2], b"", "not a JSON object"),
        ({"__metadata__": {"k": 1}}, b"", "__metadata__ must map strings to strings"),
    ],
)  # fmt: skip
def test_malformed_headers_are_data_loss(
    tmp_path: Path, header: object, data: bytes, message: str
) -> None:
    with pytest.raises(DataLossError, match=message):
        SafetensorsSource(_file(tmp_path, header, data))


def test_header_size_beyond_the_file_is_data_loss(tmp_path: Path) -> None:
    path = tmp_path / "short.safetensors"
    path.write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    with pytest.raises(DataLossError, match="exceeds the limit or the 10-byte file"):
        SafetensorsSource(str(path))


def test_non_json_header_is_data_loss(tmp_path: Path) -> None:
    with pytest.raises(DataLossError, match="not UTF-8 JSON"):
        SafetensorsSource(_file(tmp_path, None, raw=b"{nope"))


_CODECS = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
           "uint16", "uint32", "uint64", "bool", "complex64"]  # fmt: skip
_BITS = {"bfloat16": np.uint16, "float8_e4m3fn": np.uint8, "float8_e5m2": np.uint8}


@st.composite
def _arrays(draw: st.DrawFn) -> np.ndarray:
    name = draw(st.sampled_from(_CODECS + sorted(_BITS)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    if name in _BITS:
        return draw(hnp.arrays(_BITS[name], shape)).view(dtypes.as_dtype(name).as_numpy_dtype)
    return draw(hnp.arrays(np.dtype(dtypes.as_dtype(name).as_numpy_dtype), shape))


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8).filter(lambda s: s != "__metadata__"),
                       _arrays(), min_size=1, max_size=4))  # fmt: skip
def test_hypothesis_round_trip_and_reference_agreement(tensors: dict[str, np.ndarray]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "h.safetensors"
        save_file(tensors, str(path))
        back = load_file(str(path))
        reference = dict(safetensors.deserialize(path.read_bytes()))
    assert list(back) == list(tensors)
    for name, array in tensors.items():
        assert back[name].dtype == array.dtype and back[name].shape == array.shape
        assert back[name].tobytes() == array.tobytes()
        assert bytes(reference[name]["data"]) == array.tobytes()
        assert tuple(reference[name]["shape"]) == array.shape
