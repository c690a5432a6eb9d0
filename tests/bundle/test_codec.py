"""CRC masking, varints, tensor payload encodings and slice keys: inline golden bytes."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stowflow import dtypes
from stowflow._varint import VarintError, decode_varint, encode_varint
from stowflow.bundle import codec
from stowflow.bundle.crc import crc32c, mask, masked_crc32c, unmask
from stowflow.bundle.slices import (
    SliceSpec,
    _signed_num_increasing,
    encode_slice_key,
    parse_shape_and_slice,
)
from stowflow.errors import InvalidArgumentError

# -- CRC ------------------------------------------------------------------------------------


def test_crc32c_standard_vectors() -> None:
    assert crc32c(b"") == 0
    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert crc32c(b"56789", crc32c(b"1234")) == 0xE3069283


def test_mask_of_zero() -> None:
    assert mask(0) == 0xA282EAD8
    assert struct.pack("<I", mask(0)) == bytes.fromhex("d8ea82a2")
    assert masked_crc32c(b"") == 0xA282EAD8


@given(st.integers(0, 0xFFFFFFFF))
def test_mask_unmask_inverse(crc: int) -> None:
    assert unmask(mask(crc)) == crc
    assert 0 <= mask(crc) <= 0xFFFFFFFF


# -- varints --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, "00"),
        (1, "01"),
        (127, "7f"),
        (128, "8001"),
        (200, "c801"),
        (300, "ac02"),
        (2**64 - 1, "ffffffffffffffffff01"),
    ],
)
def test_varint_golden(value: int, encoded: str) -> None:
    assert encode_varint(value) == bytes.fromhex(encoded)
    assert decode_varint(bytes.fromhex(encoded), 0) == (value, len(encoded) // 2)


@given(st.integers(0, 2**64 - 1))
def test_varint_round_trip(value: int) -> None:
    data = b"\x07" + encode_varint(value) + b"\x09"
    assert decode_varint(data, 1) == (value, len(data) - 1)


def test_varint_truncated_and_overlong() -> None:
    with pytest.raises(VarintError):
        decode_varint(b"\x80\x80", 0)
    with pytest.raises(VarintError):
        decode_varint(b"\x80" * 11 + b"\x01", 0)
    with pytest.raises(VarintError):
        decode_varint(b"\x80\x01", 0, limit=1)


# -- string payloads (FORMATS.md §1.7) ------------------------------------------------------


def _payload(elements: list[bytes]) -> tuple[bytes, int, int]:
    parts, size, crc = codec.encode_strings(elements)
    return b"".join(parts), size, crc


def test_string_payload_golden() -> None:
    payload, size, crc = _payload([b"hello", b"", b"x" * 200])
    assert payload == bytes.fromhex("0500c801018caa2b") + b"hello" + b"x" * 200
    assert size == 213 == len(payload)
    # Entry CRC: continue from the CRC of the lengths as uint32 LE over the stored 4 bytes
    # and the string bytes -- not the CRC of the payload.
    c1 = crc32c(struct.pack("<3I", 5, 0, 200))
    assert struct.pack("<I", mask(c1)) == bytes.fromhex("018caa2b")
    assert crc == mask(crc32c(b"hello" + b"x" * 200, crc32c(bytes.fromhex("018caa2b"), c1)))
    assert crc != masked_crc32c(payload)
    out = codec.decode_strings(memoryview(payload), [3], crc)
    assert out.tolist() == [b"hello", b"", b"x" * 200]


def test_empty_string_tensor_payload_is_mask_zero() -> None:
    payload, size, _crc = _payload([])
    assert payload == bytes.fromhex("d8ea82a2")
    assert size == 4
    assert codec.decode_strings(payload, [0], _crc).shape == (0,)


def test_string_payload_with_huge_length_crc_uses_uint64() -> None:
    # Lengths > 0xFFFFFFFF are fed to the CRC as uint64; checked without allocating 4 GiB.
    assert codec._lengths_crc([5, 2**32]) == crc32c(struct.pack("<I", 5) + struct.pack("<Q", 2**32))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_strings_round_trip(elements: list[bytes]) -> None:
    payload, size, crc = _payload(elements)
    assert len(payload) == size
    out = codec.decode_strings(payload, [len(elements)], crc)
    assert out.tolist() == elements


def test_decode_strings_rejects_bad_crc_and_sizes() -> None:
    payload, _size, crc = _payload([b"ab", b"c"])
    with pytest.raises(codec.PayloadError, match="checksum mismatch"):
        codec.decode_strings(payload, [2], crc ^ 1)
    with pytest.raises(codec.PayloadError):
        codec.decode_strings(payload[:-1], [2], crc)
    with pytest.raises(codec.PayloadError):
        codec.decode_strings(payload, [3], crc)


# -- numeric payloads (FORMATS.md §1.6) ------------------------------------------------------


def test_numeric_payload_is_raw_little_endian() -> None:
    view, size, crc = codec.encode_numeric(np.array([[1, 2]], dtype=">i4"))
    assert bytes(view) == bytes.fromhex("0100000002000000")
    assert size == 8
    assert crc == masked_crc32c(bytes.fromhex("0100000002000000"))


def test_empty_numeric_payload() -> None:
    view, size, crc = codec.encode_numeric(np.zeros((0, 3), np.float32))
    assert bytes(view) == b""
    assert size == 0
    assert crc == 0xA282EAD8


def test_int4_is_one_byte_per_element_low_nibble() -> None:
    import ml_dtypes

    view, size, _ = codec.encode_numeric(np.array([-2, 7, -8, 0], dtype=ml_dtypes.int4))
    assert bytes(view) == bytes([0x0E, 0x07, 0x08, 0x00])
    assert size == 4


def test_decode_numeric_rejects_size_and_crc() -> None:
    data = np.arange(6, dtype=np.float32).tobytes()
    crc = masked_crc32c(data)
    out = codec.decode_numeric(data, dtypes.float32, [2, 3], crc)
    assert out.tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(codec.PayloadError, match="size"):
        codec.decode_numeric(data, dtypes.float32, [7], crc)
    with pytest.raises(codec.PayloadError, match="checksum"):
        codec.decode_numeric(data, dtypes.float32, [2, 3], crc ^ 4)


def test_decode_numeric_big_endian_header() -> None:
    data = np.array([1.5, -2.0], dtype=">f8").tobytes()
    out = codec.decode_numeric(data, dtypes.float64, [2], masked_crc32c(data), big_endian=True)
    assert out.dtype == np.float64 and out.tolist() == [1.5, -2.0]


# -- slice keys (FORMATS.md §1.10) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, "80"),
        (3, "83"),
        (-1, "7f"),
        (63, "bf"),
        (64, "c040"),
        (100, "c064"),
        (8191, "dfff"),
        (8192, "e02000"),
        (10**6, "ef4240"),
        (2**30, "f840000000"),
    ],
)
def test_signed_num_increasing(value: int, encoded: str) -> None:
    assert _signed_num_increasing(value).hex() == encoded


def test_slice_key_golden() -> None:
    key = encode_slice_key("part/pv", [(0, 3), (0, 2)])
    assert key == bytes.fromhex("00706172742f70760001010280838082")
    # A full dimension is (0, -1) -> 80 7f; 0x00/0xff in names are escaped.
    assert encode_slice_key("m", [(2, 2), (0, -1)]) == bytes.fromhex("006d000101028282807f")
    assert encode_slice_key("a\x00b", [(0, 1)])[:8] == bytes.fromhex("006100ff62000101")


def test_slice_keys_sort_by_start() -> None:
    starts = [0, 1, 63, 64, 100, 8191, 8192, 10**6, 2**30]
    keys = [encode_slice_key("v", [(s, 1)]) for s in starts]
    assert keys == sorted(keys)


def test_parse_shape_and_slice() -> None:
    assert parse_shape_and_slice("") is None
    spec = parse_shape_and_slice("5 2 0,3:0,2")
    assert spec == SliceSpec((5, 2), ((0, 3), (0, 2)))
    assert spec.slice_shape() == (3, 2)
    assert spec.to_string() == "5 2 0,3:0,2"
    full = parse_shape_and_slice("4 2 2,2:-")
    assert full is not None and full.extents == ((2, 2), (0, -1)) and full.slice_shape() == (2, 2)
    for bad in ["5", "5 2 0,3", "5 2 0,6:-", "5 x 0,3:-", "2 -1,1"]:
        with pytest.raises(InvalidArgumentError, match="Invalid shape and slice spec"):
            parse_shape_and_slice(bad)
