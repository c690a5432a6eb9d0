"""Hand-coded ``BundleEntryProto`` bytes for whole (unsliced) tensors.

A checkpoint of many small tensors spends most of its time building, serializing and
parsing one protobuf message per tensor. For the common entry (dtype, shape, shard,
offset, size, crc32c; no slices) this module writes exactly the bytes protobuf's
deterministic serializer writes (fields in number order, proto3 zero values omitted, the
shape always present, as TF's writer sets it even for scalars) and parses them back. The
parser accepts only that canonical form; anything else (slices, unknown fields, repeated
or out-of-order fields, over-long varints, negative numbers) returns None so the caller
falls back to protobuf. See FORMATS.md §1.4.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from stowflow._varint import encode_varint

# Field keys: (field number << 3) | wire type (0 varint, 2 length-delimited, 5 fixed32).
_DTYPE = 0x08  # BundleEntryProto.dtype = 1
_SHAPE = 0x12  # BundleEntryProto.shape = 2
_SHARD = 0x18  # BundleEntryProto.shard_id = 3
_OFFSET = 0x20  # BundleEntryProto.offset = 4
_SIZE = 0x28  # BundleEntryProto.size = 5
_CRC = 0x35  # BundleEntryProto.crc32c = 6
_DIM = 0x12  # TensorShapeProto.dim = 2
_DIM_SIZE = 0x08  # TensorShapeProto.Dim.size = 1

_INT64_MAX = (1 << 63) - 1
_INT32_MAX = (1 << 31) - 1
_pack_u32 = struct.Struct("<I").pack
_pack_crc_field = struct.Struct("<BI").pack


def _field(key: int, value: int) -> bytes:
    """A varint field, or nothing for proto3's default 0."""
    return bytes((key,)) + encode_varint(value) if value else b""


def encode_head(dtype_enum: int, shape: Sequence[int]) -> bytes:
    """The ``dtype`` and ``shape`` fields (the part an entry shares with same-typed ones).

    Raises:
        ValueError: for a negative dimension (whole tensors have none).
    """
    dims = []
    for dim in shape:
        if dim < 0:
            raise ValueError(f"negative dimension {dim} in shape {list(shape)}")
        inner = _field(_DIM_SIZE, dim)
        dims.append(bytes((_DIM,)) + encode_varint(len(inner)) + inner)
    body = b"".join(dims)
    return _field(_DTYPE, dtype_enum) + bytes((_SHAPE,)) + encode_varint(len(body)) + body


def encode_tail(shard: int, offset: int, size: int, masked_crc: int) -> bytes:
    """The ``shard_id``, ``offset``, ``size`` and ``crc32c`` fields."""
    return (
        _field(_SHARD, shard) + offset_field(offset) + _field(_SIZE, size) + crc_field(masked_crc)
    )


def shard_field(shard: int) -> bytes:
    """The ``shard_id`` field."""
    return _field(_SHARD, shard)


def size_field(size: int) -> bytes:
    """The ``size`` field."""
    return _field(_SIZE, size)


def offset_field(offset: int) -> bytes:
    """The ``offset`` field."""
    return b"\x20" + encode_varint(offset) if offset else b""


def crc_field(masked_crc: int) -> bytes:
    """The ``crc32c`` field (fixed32)."""
    return _pack_crc_field(_CRC, masked_crc) if masked_crc else b""


def encode_entry(
    dtype_enum: int, shape: Sequence[int], shard: int, offset: int, size: int, masked_crc: int
) -> bytes:
    """The serialized ``BundleEntryProto`` of a whole tensor, as protobuf writes it."""
    return encode_head(dtype_enum, shape) + encode_tail(shard, offset, size, masked_crc)


def _varint(raw: bytes, pos: int, end: int) -> tuple[int, int]:
    """A canonical varint at ``pos`` (at most 10 bytes, no padding), or (-1, pos)."""
    result = 0
    shift = 0
    while pos < end and shift < 70:
        byte = raw[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            if byte == 0 and shift:  # padded: protobuf reads it, we do not bother
                return -1, pos
            return result, pos
        shift += 7
    return -1, pos


def decode_shape(body: bytes) -> tuple[int, ...] | None:
    """The dims of a canonical ``TensorShapeProto`` body, or None (names, unknown rank,
    negative or padded sizes, anything else)."""
    dims = []
    pos = 0
    end = len(body)
    while pos < end:
        if body[pos] != _DIM or pos + 1 >= end:
            return None
        length = body[pos + 1]
        pos += 2
        if length == 0:
            dims.append(0)
            continue
        if length > 11 or pos + length > end or body[pos] != _DIM_SIZE:
            return None
        size, nxt = _varint(body, pos + 1, pos + length)
        if size <= 0 or size > _INT64_MAX or nxt != pos + length:
            return None
        dims.append(size)
        pos = nxt
    return tuple(dims)


def split_head(raw: bytes) -> int:
    """Where the dtype and shape fields of a canonical entry end, or -1."""
    n = len(raw)
    if n < 4 or raw[0] != _DTYPE or raw[1] >= 0x80 or raw[2] != _SHAPE:
        return -1
    length = raw[3]
    if length >= 0x80 or 4 + length > n:
        return -1
    return 4 + length


def decode_tail(raw: bytes, pos: int) -> tuple[int, int, int, int] | None:
    """``(shard, offset, size, masked_crc)`` from the fields after the head, or None."""
    end = len(raw)
    shard = offset = size = crc = 0
    if pos < end and raw[pos] == _SHARD:
        shard, pos = _varint(raw, pos + 1, end)
        if not 0 < shard <= _INT32_MAX:
            return None
    if pos < end and raw[pos] == _OFFSET:
        offset, pos = _varint(raw, pos + 1, end)
        if not 0 < offset <= _INT64_MAX:
            return None
    if pos < end and raw[pos] == _SIZE:
        size, pos = _varint(raw, pos + 1, end)
        if not 0 < size <= _INT64_MAX:
            return None
    if pos < end and raw[pos] == _CRC:
        if pos + 5 > end:
            return None
        crc = int.from_bytes(raw[pos + 1 : pos + 5], "little")
        pos += 5
        if not crc:
            return None
    if pos != end:
        return None
    return shard, offset, size, crc


class WholeEntries(NamedTuple):
    """Fields of many entries decoded at once (see :func:`decode_many`); index i is raws[i].

    ``ok[i]`` is False where entry i is not in the canonical whole-tensor form (the caller
    parses those with protobuf); the other arrays are meaningful only where ``ok`` is True.
    ``head[i]`` indexes ``heads``, the distinct (dtype enum, shape) pairs, None where the
    shape is not canonical.
    """

    ok: np.ndarray
    head: np.ndarray
    heads: list[tuple[int, tuple[int, ...]] | None]
    shard: np.ndarray
    offset: np.ndarray
    size: np.ndarray
    crc: np.ndarray


def _varints(
    blob: np.ndarray, pos: np.ndarray, live: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decodes a varint at ``pos`` wherever ``live``: (value, next pos, good).

    Accepts at most 9 bytes (values below 2**63, so int64 holds them); a longer or
    truncated varint is not good. Where not live, value is 0 and pos is unchanged.
    """
    value = np.zeros(len(pos), dtype=np.int64)
    pos = pos.copy()
    good = np.ones(len(pos), dtype=bool)
    live = live.copy()
    last = len(blob) - 1
    for k in range(9):
        if not live.any():
            break
        good &= ~live | (pos < end)
        live &= good
        byte = blob[np.minimum(pos, last)].astype(np.int64)
        value |= np.where(live, (byte & 0x7F) << (7 * k), 0)
        pos += live
        live &= byte >= 0x80
    good &= ~live  # still going after 9 bytes
    return value, pos, good


def _unique_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a uint8 matrix whose width is a multiple of 8, and each row's
    index among them (sorting 64-bit words: far faster than ``np.unique(axis=0)``)."""
    words = np.ascontiguousarray(matrix).view("<u8")
    order = np.lexsort(words.T[::-1])
    ranked = words[order]
    first = np.ones(len(ranked), dtype=bool)
    first[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    ids = np.empty(len(ranked), dtype=np.int64)
    ids[order] = np.cumsum(first) - 1
    return matrix[order][first], ids


def decode_many(raws: list[bytes]) -> WholeEntries:
    """Decodes the entries ``raws`` in vectorised passes (the load path of many tensors).

    Only the canonical form is accepted (dtype, shape, then optional shard_id, offset,
    size, crc32c, each at most once and in that order, nothing else, numbers in range);
    every other entry gets ``ok`` False. Values are what protobuf would parse.
    """
    n = len(raws)
    lengths = np.fromiter(map(len, raws), dtype=np.int64, count=n)
    end = np.cumsum(lengths)
    start = end - lengths
    blob = np.frombuffer(b"".join(raws) + bytes(8), dtype=np.uint8)
    last = len(blob) - 1

    def byte_at(pos: np.ndarray) -> np.ndarray:
        return blob[np.minimum(pos, last)].astype(np.int64)

    shape_len = byte_at(start + 3)
    cut = start + 4 + shape_len
    ok = (
        (lengths >= 4)
        & (byte_at(start) == _DTYPE)
        & (byte_at(start + 1) < 0x80)
        & (byte_at(start + 2) == _SHAPE)
        & (shape_len < 0x80)
        & (cut <= end)
    )
    head_ids = np.zeros(n, dtype=np.int64)
    heads: list[tuple[int, tuple[int, ...]] | None] = []
    if ok.any():
        width = -(-int((cut - start)[ok].max()) // 8) * 8
        cols = np.arange(width)
        inside = (cols < (cut - start)[:, None]) & ok[:, None]
        matrix = np.where(inside, blob[np.minimum(start[:, None] + cols, last)], 0)
        unique, head_ids = _unique_rows(matrix.astype(np.uint8))
        for row in unique:
            head = row.tobytes()
            shape = decode_shape(head[4 : 4 + head[3]]) if head[0] == _DTYPE else None
            heads.append(None if shape is None else (head[1], shape))
        ok &= np.array([h is not None for h in heads])[head_ids]
    pos = np.where(ok, cut, start)
    fields = []
    for key in (_SHARD, _OFFSET, _SIZE):
        has = ok & (pos < end) & (byte_at(pos) == key)
        value, nxt, good = _varints(blob, pos + 1, has, end)
        ok &= good
        fields.append(value)
        pos = np.where(has, nxt, pos)
    has = ok & (pos < end) & (byte_at(pos) == _CRC)
    ok &= ~has | (pos + 5 <= end)
    crc = np.zeros(n, dtype=np.int64)
    for k in range(4):
        crc |= np.where(has, byte_at(pos + 1 + k) << (8 * k), 0)
    pos = np.where(has, pos + 5, pos)
    shard, offset, size = fields
    ok &= (pos == end) & (shard <= _INT32_MAX)
    return WholeEntries(ok, head_ids, heads, shard, offset, size, crc)


def _varint_fields(key: int, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per value, the bytes of a varint field (key byte, then the varint) in a row of a
    matrix, and its length (0 for proto3's omitted 0). Values must be >= 0."""
    n = len(values)
    width = max(1, (int(values.max(initial=0)).bit_length() + 6) // 7)
    out = np.empty((n, width + 1), dtype=np.uint8)
    out[:, 0] = key
    rest = values.astype(np.uint64)
    count = np.ones(n, dtype=np.int64)
    for k in range(1, width + 1):
        more = rest >= 0x80
        out[:, k] = (rest & np.uint64(0x7F)) | (more.astype(np.uint64) << np.uint64(7))
        count += more
        rest >>= np.uint64(7)
    return out, np.where(values > 0, count + 1, 0)


def encode_tails(
    shard: np.ndarray, offset: np.ndarray, size: np.ndarray, masked_crc: np.ndarray
) -> list[bytes]:
    """:func:`encode_tail` of many entries at once (int64 arrays, all >= 0)."""
    n = len(shard)
    crc_bytes = np.zeros((n, 5), dtype=np.uint8)
    crc_bytes[:, 0] = _CRC
    crc_bytes[:, 1:] = masked_crc.astype("<u4").view(np.uint8).reshape(n, 4)
    parts = [
        _varint_fields(key, v) for key, v in ((_SHARD, shard), (_OFFSET, offset), (_SIZE, size))
    ]
    parts.append((crc_bytes, np.where(masked_crc > 0, 5, 0)))
    matrix = np.concatenate([p[0] for p in parts], axis=1)
    keep = np.concatenate([np.arange(p[0].shape[1]) < p[1][:, None] for p in parts], axis=1)
    blob = matrix[keep].tobytes()
    ends = np.cumsum(sum(p[1] for p in parts)).tolist()
    return [blob[a:b] for a, b in zip([0, *ends], ends)]
