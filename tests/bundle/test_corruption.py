"""Readers distrust bytes: any single-byte corruption is an error or harmless, never wrong data.

Also truncation, missing files, unreadable versions and bad magic, each with the right error
class and a message naming the file (and the tensor, for data files).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stowflow_testlib import assert_bitwise_equal

from stowflow import checkpoint
from stowflow.bundle import BundleReader
from stowflow.bundle.table import TableBuilder
from stowflow.errors import DataLossError, NotFoundError
from stowflow.proto import tensor_bundle_pb2

PREFIX = "model.ckpt-1"


def _tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    s = np.empty(4, dtype=object)
    s[:] = [b"hello", b"", b"\x00\xff" * 80, "h\u00e9llo".encode()]
    return {
        "f32": rng.standard_normal((3, 4)).astype(np.float32),
        "f64": np.array([np.nan, -0.0, 1e300], np.float64),
        "i64": np.int64(-1234567890123),
        "u8": np.arange(10, dtype=np.uint8),
        "bool": np.array([True, False, True]),
        "bf16": np.array([1.5, -2.0, 3.25], dtype=ml_dtypes.bfloat16),
        "c64": np.array([1 + 2j, -3.5j], np.complex64),
        "str": s,
        "empty": np.zeros((0, 2), np.float32),
        "part/pv": np.arange(10, dtype=np.float32).reshape(5, 2),
    }


@pytest.fixture(scope="module")
def good_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("good")
    checkpoint.save(
        str(directory / PREFIX),
        _tensors(),
        shards=2,
        partitions={"part/pv": 2},
        update_state=False,
    )
    return directory


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(PREFIX))


def _read_all(prefix: str) -> dict[str, np.ndarray]:
    with checkpoint.Reader(prefix) as reader:
        return {name: reader.get_tensor(name) for name in reader.keys()}


def test_good_checkpoint_reads(good_dir: Path) -> None:
    assert _files(good_dir) == [
        f"{PREFIX}.data-00000-of-00002",
        f"{PREFIX}.data-00001-of-00002",
        f"{PREFIX}.index",
    ]
    got = _read_all(str(good_dir / PREFIX))
    for name, value in _tensors().items():
        assert_bitwise_equal(got[name], np.asarray(value), name)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_single_byte_flip_is_an_error_or_harmless(good_dir: Path, data: st.DataObject) -> None:
    original = _tensors()
    files = _files(good_dir)
    target = data.draw(st.sampled_from(files), label="file")
    size = (good_dir / target).stat().st_size
    position = data.draw(st.integers(0, size - 1), label="position")
    xor = data.draw(st.integers(1, 255), label="xor")
    with tempfile.TemporaryDirectory() as tmp:
        for name in files:
            shutil.copy(good_dir / name, Path(tmp) / name)
        path = Path(tmp) / target
        raw = bytearray(path.read_bytes())
        raw[position] ^= xor
        path.write_bytes(bytes(raw))
        prefix = os.path.join(tmp, PREFIX)
        try:
            reader = checkpoint.Reader(prefix)
        except DataLossError as e:
            assert target.endswith(".index"), f"index error for a flip in {target}: {e}"
            assert str(path) in str(e)
            return
        with reader:
            assert sorted(reader.keys()) == sorted(original)
            for name, value in original.items():
                try:
                    got = reader.get_tensor(name)
                except DataLossError as e:
                    assert str(path) in str(e), f"message does not name {path}: {e}"
                    if not target.endswith(".index"):
                        assert name in str(e), f"message does not name tensor {name}: {e}"
                    continue
                assert_bitwise_equal(got, np.asarray(value), f"{name} after flip in {target}")


# -- truncation, missing files, versions, magic ----------------------------------------------


def _copy(good_dir: Path, tmp_path: Path) -> str:
    for name in _files(good_dir):
        shutil.copy(good_dir / name, tmp_path / name)
    return str(tmp_path / PREFIX)


@pytest.mark.parametrize("keep", [0, 1, 20, 47, 48, -1, -8, -49])
def test_truncated_index(good_dir: Path, tmp_path: Path, keep: int) -> None:
    prefix = _copy(good_dir, tmp_path)
    index = Path(prefix + ".index")
    raw = index.read_bytes()
    index.write_bytes(raw[:keep])
    with pytest.raises(DataLossError, match=r"Corrupted checkpoint index .*model\.ckpt-1\.index"):
        _read_all(prefix)


@pytest.mark.parametrize("keep_fraction", [0.0, 0.5, 0.99])
def test_truncated_data(good_dir: Path, tmp_path: Path, keep_fraction: float) -> None:
    prefix = _copy(good_dir, tmp_path)
    for shard in (0, 1):
        data = Path(f"{prefix}.data-0000{shard}-of-00002")
        raw = data.read_bytes()
        data.write_bytes(raw[: int(len(raw) * keep_fraction)])
    with pytest.raises(DataLossError, match=r"model\.ckpt-1\.data-0000[01]-of-00002"):
        _read_all(prefix)


def test_missing_data_file(good_dir: Path, tmp_path: Path) -> None:
    prefix = _copy(good_dir, tmp_path)
    os.remove(f"{prefix}.data-00001-of-00002")
    with checkpoint.Reader(prefix) as reader:
        errors = []
        for name in reader.keys():
            try:
                reader.get_tensor(name)
            except DataLossError as e:
                errors.append(str(e))
    assert errors, "no tensor lives in shard 1?"
    assert all("data-00001-of-00002" in e and "missing" in e for e in errors)


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="Failed to find any matching files for"):
        checkpoint.Reader(str(tmp_path / "nothing"))
    with pytest.raises(NotFoundError):
        BundleReader(str(tmp_path / "nothing"))


def _write_index(prefix: Path, header: bytes, entries: dict[bytes, bytes] | None = None) -> None:
    builder = TableBuilder()
    builder.add(b"", header)
    for key in sorted(entries or {}):
        builder.add(key, (entries or {})[key])
    Path(str(prefix) + ".index").write_bytes(builder.finish())


@pytest.mark.parametrize(
    "version",
    [{"producer": 1, "min_consumer": 5}, {"producer": -1}, {"producer": 1, "bad_consumers": [1]}],
)
def test_unreadable_bundle_version(tmp_path: Path, version: dict) -> None:
    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=1)
    header.version.producer = version["producer"]
    header.version.min_consumer = version.get("min_consumer", 0)
    header.version.bad_consumers.extend(version.get("bad_consumers", []))
    _write_index(tmp_path / "v", header.SerializeToString())
    with pytest.raises(DataLossError, match=r"v\.index.*version"):
        checkpoint.Reader(str(tmp_path / "v"))


def test_readable_future_producer(tmp_path: Path) -> None:
    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=1)
    header.version.producer = 7
    header.version.min_consumer = 1
    _write_index(tmp_path / "v", header.SerializeToString())
    Path(str(tmp_path / "v") + ".data-00000-of-00001").write_bytes(b"")
    with checkpoint.Reader(str(tmp_path / "v")) as reader:
        assert reader.keys() == []


def test_header_not_first_and_zero_shards(tmp_path: Path) -> None:
    builder = TableBuilder()
    builder.add(b"a", b"")
    Path(str(tmp_path / "h") + ".index").write_bytes(builder.finish())
    with pytest.raises(DataLossError, match="header"):
        checkpoint.Reader(str(tmp_path / "h"))
    _write_index(
        tmp_path / "z", tensor_bundle_pb2.BundleHeaderProto(num_shards=0).SerializeToString()
    )
    with pytest.raises(DataLossError, match="num_shards"):
        checkpoint.Reader(str(tmp_path / "z"))


def test_bad_magic(good_dir: Path, tmp_path: Path) -> None:
    prefix = _copy(good_dir, tmp_path)
    index = Path(prefix + ".index")
    raw = bytearray(index.read_bytes())
    raw[-8:] = b"NOTMAGIC"
    index.write_bytes(bytes(raw))
    with pytest.raises(DataLossError, match=r"model\.ckpt-1\.index.*bad magic"):
        checkpoint.Reader(prefix)


def test_entry_pointing_past_the_data_file(tmp_path: Path) -> None:
    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=1)
    header.version.producer = 1
    entry = tensor_bundle_pb2.BundleEntryProto(dtype=1, offset=4, size=8)
    entry.shape.dim.add(size=2)
    _write_index(tmp_path / "p", header.SerializeToString(), {b"w": entry.SerializeToString()})
    Path(str(tmp_path / "p") + ".data-00000-of-00001").write_bytes(b"\0" * 8)
    with checkpoint.Reader(str(tmp_path / "p")) as reader:
        with pytest.raises(DataLossError, match=r"Tensor w in .*p\.data-00000-of-00001"):
            reader.get_tensor("w")


def test_entry_naming_a_shard_beyond_num_shards(tmp_path: Path) -> None:
    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=1)
    header.version.producer = 1
    entry = tensor_bundle_pb2.BundleEntryProto(dtype=1, shard_id=3, size=4)
    entry.shape.SetInParent()
    _write_index(tmp_path / "p", header.SerializeToString(), {b"w": entry.SerializeToString()})
    with checkpoint.Reader(str(tmp_path / "p")) as reader:
        with pytest.raises(DataLossError, match="shard 3"):
            reader.get_tensor("w")
