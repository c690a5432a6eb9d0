"""Base-128 varints (LEB128, low 7 bits first) as LevelDB tables and bundles use them."""

from __future__ import annotations


class VarintError(ValueError):
    """A varint ran past the end of its buffer or over 10 bytes."""


_SMALL = [bytes([i]) for i in range(128)]


def encode_varint(value: int) -> bytes:
    """Encodes a non-negative integer.

    Raises:
        ValueError: for a negative value (varints here are unsigned).
    """
    if value < 128:
        if value < 0:
            raise ValueError(f"cannot varint-encode a negative value: {value}")
        return _SMALL[value]
    if value < 1 << 14:
        return bytes((value & 0x7F | 0x80, value >> 7))
    if value < 1 << 21:
        return bytes((value & 0x7F | 0x80, (value >> 7) & 0x7F | 0x80, value >> 14))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(buf: bytes | memoryview, pos: int, limit: int | None = None) -> tuple[int, int]:
    """Decodes a varint at ``pos``; returns ``(value, next_pos)``.

    Raises:
        VarintError: if it is truncated (reaches ``limit``) or longer than 10 bytes.
    """
    end = len(buf) if limit is None else limit
    if pos < end:
        byte = buf[pos]
        if byte < 0x80:  # the common one-byte case
            return byte, pos + 1
    result = 0
    shift = 0
    while pos < end and shift < 70:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
    raise VarintError("truncated or overlong varint")
