"""stowflow.tfrecord: framing, compression round trips, corruption detection."""

from __future__ import annotations

import struct
from pathlib import Path

import crc32c
import pytest

from stowflow import errors, tfrecord


def _masked(data: bytes) -> int:
    crc = crc32c.crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def test_frame_layout_is_length_crc_data_crc() -> None:
    framed = tfrecord.frame(b"abc")
    length = struct.pack("<Q", 3)
    assert framed[:8] == length
    assert struct.unpack("<I", framed[8:12])[0] == _masked(length)
    assert framed[12:15] == b"abc"
    assert struct.unpack("<I", framed[15:])[0] == _masked(b"abc")


@pytest.mark.parametrize(
    "compression", [None, "", "ZLIB", "GZIP", 2, tfrecord.TFRecordOptions("GZIP")]
)
def test_round_trip(tmp_path: Path, compression: object) -> None:
    records = [b"x" * n for n in (0, 1, 7, 100_000)] + ["text"]
    path = tmp_path / "r.tfrecord"
    tfrecord.write_records(path, records, compression)
    assert list(tfrecord.tf_record_iterator(path, compression)) == [*records[:-1], b"text"]


def test_compressed_file_is_compressed(tmp_path: Path) -> None:
    tfrecord.write_records(tmp_path / "g", [b"a" * 10_000], "GZIP")
    assert (tmp_path / "g").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "g").stat().st_size < 1000


def _corrupt(tmp_path: Path, position: int) -> Path:
    path = tmp_path / "c.tfrecord"
    tfrecord.write_records(path, [b"first", b"second"])
    raw = bytearray(path.read_bytes())
    raw[position] ^= 0xFF
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("position", [0, 9, 21 + 12 + 2, 21 + 12 + 6 + 1])
def test_corruption_raises_data_loss_naming_file_and_offset(tmp_path: Path, position: int) -> None:
    path = _corrupt(tmp_path, position)
    offset = 0 if position < 21 else 21
    with pytest.raises(errors.DataLossError) as info:
        list(tfrecord.tf_record_iterator(path))
    assert info.value.message == f"corrupted record at {offset} in {path}"


def test_truncated_file_raises_data_loss(tmp_path: Path) -> None:
    path = tmp_path / "t.tfrecord"
    tfrecord.write_records(path, [b"first", b"second"])
    path.write_bytes(path.read_bytes()[:-3])
    reader = tfrecord.tf_record_iterator(path)
    assert next(reader) == b"first"
    with pytest.raises(errors.DataLossError, match=f"truncated record at 21 in {path}"):
        next(reader)


def test_missing_file_and_bad_compression() -> None:
    with pytest.raises(errors.NotFoundError):
        list(tfrecord.tf_record_iterator("/nonexistent/x.tfrecord"))
    with pytest.raises(ValueError, match="compression_type must be one of"):
        tfrecord.TFRecordOptions("LZ4")


def test_compression_type_string() -> None:
    get = tfrecord.TFRecordOptions.get_compression_type_string
    assert get(None) == ""
    assert get(tfrecord.TFRecordOptions(tfrecord.TFRecordCompressionType.ZLIB)) == "ZLIB"
    assert get("gzip") == "GZIP"
