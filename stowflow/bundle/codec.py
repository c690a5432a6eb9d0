"""Encoding of one tensor's payload in a ``.data`` file, and its entry checksum.

Numeric tensors are their raw little-endian C-order bytes. String tensors are
``varint lengths | masked CRC of the lengths | concatenated bytes`` with the entry CRC
continued over the stored length-CRC and the bytes (FORMATS.md §1.6-1.7).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from stowflow._varint import VarintError, decode_varint, encode_varint
from stowflow.bundle.crc import crc32c, mask, unmask
from stowflow.dtypes import DType

_U32_MAX = 0xFFFFFFFF


def as_bytes_list(array: np.ndarray) -> list[bytes]:
    """Flattens a string tensor to ``bytes`` elements (``str`` is UTF-8 encoded).

    Raises:
        TypeError: for an element that is neither bytes nor str.
    """
    out = []
    for item in array.reshape(-1).tolist():
        if isinstance(item, bytes):
            out.append(item)
        elif isinstance(item, str):
            out.append(item.encode("utf-8"))
        elif isinstance(item, (bytearray, memoryview, np.bytes_)):
            out.append(bytes(item))
        else:
            raise TypeError(f"string tensors hold bytes or str, got {type(item).__name__}")
    return out


def _lengths_crc(lengths: Sequence[int]) -> int:
    """CRC over the lengths as fixed-width LE ints (uint32, or uint64 when too big)."""
    if all(n <= _U32_MAX for n in lengths):
        return crc32c(np.asarray(lengths, dtype="<u4").tobytes())
    crc = 0
    for n in lengths:
        crc = crc32c(struct.pack("<I" if n <= _U32_MAX else "<Q", n), crc)
    return crc


def encode_strings(elements: Sequence[bytes]) -> tuple[list[bytes], int, int]:
    """Payload parts, total size and masked entry CRC of a string tensor."""
    lengths = [len(e) for e in elements]
    header = b"".join(encode_varint(n) for n in lengths)
    length_crc = _lengths_crc(lengths)
    stored = struct.pack("<I", mask(length_crc))
    body = b"".join(elements)
    entry_crc = mask(crc32c(body, crc32c(stored, length_crc)))
    return [header, stored, body], len(header) + 4 + len(body), entry_crc


def numeric_payload(array: np.ndarray) -> memoryview:
    """The bytes a numeric tensor is stored as (C order, little-endian), without copying
    when the array already is that."""
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    array = np.ascontiguousarray(array)
    return memoryview(array.reshape(-1).view(np.uint8)) if array.size else memoryview(b"")


def encode_numeric(array: np.ndarray) -> tuple[memoryview, int, int]:
    """Payload view, size and masked CRC of a numeric tensor."""
    view = numeric_payload(array)
    return view, view.nbytes, mask(crc32c(view))


class PayloadError(ValueError):
    """The stored bytes of one tensor are inconsistent (the caller names file and key)."""


def decode_numeric(
    buf: Any, dtype: DType, shape: Sequence[int], stored_crc: int, *, big_endian: bool = False
) -> np.ndarray:
    """Verifies the CRC of ``buf`` and views it as an array of ``dtype`` and ``shape``.

    Returns a read-only view of ``buf`` (the caller copies if it must own the memory).

    Raises:
        PayloadError: on a size or checksum mismatch.
    """
    count = math.prod(shape)
    np_dtype = np.dtype(dtype.as_numpy_dtype)
    if big_endian:
        np_dtype = np_dtype.newbyteorder(">")
    if len(buf) != count * np_dtype.itemsize:
        raise PayloadError(
            f"size {len(buf)} does not match {dtype.name}{list(shape)} "
            f"({count * np_dtype.itemsize} bytes)"
        )
    if unmask(stored_crc) != crc32c(buf):
        raise PayloadError("checksum mismatch")
    array = np.frombuffer(buf, dtype=np_dtype, count=count).reshape(shape)
    if big_endian:
        array = array.astype(np_dtype.newbyteorder("<"))
    return array


def decode_strings(buf: Any, shape: Sequence[int], stored_crc: int) -> np.ndarray:
    """Verifies and decodes a string tensor into an object array of ``bytes``.

    Raises:
        PayloadError: on a bad varint, a size inconsistency or a checksum mismatch.
    """
    count = math.prod(shape)
    size = len(buf)
    if size < count + 4:
        raise PayloadError(f"string payload of {size} bytes is too short for {count} elements")
    lengths = []
    pos = 0
    try:
        for _ in range(count):
            n, pos = decode_varint(buf, pos, size)
            lengths.append(n)
    except VarintError:
        raise PayloadError("corrupt string length varint") from None
    if pos + 4 + sum(lengths) != size:
        raise PayloadError(
            f"string lengths add up to {pos + 4 + sum(lengths)} bytes but the entry has {size}"
        )
    (stored_length_crc,) = struct.unpack_from("<I", buf, pos)
    length_crc = _lengths_crc(lengths)
    if unmask(stored_length_crc) != length_crc:
        raise PayloadError("checksum mismatch in string lengths")
    body_start = pos + 4
    entry_crc = crc32c(buf[body_start:], crc32c(buf[pos:body_start], length_crc))
    if unmask(stored_crc) != entry_crc:
        raise PayloadError("checksum mismatch")
    out = np.empty(count, dtype=object)
    raw = bytes(buf[body_start:])
    cursor = 0
    for i, n in enumerate(lengths):
        out[i] = raw[cursor : cursor + n]
        cursor += n
    return out.reshape(shape)
