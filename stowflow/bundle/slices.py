"""Tensor slices: TF's ``shape_and_slices`` spec strings and the OrderedCode slice keys.

A partitioned variable is stored as one "full tensor" entry listing its slices plus one
entry per slice under an encoded key (FORMATS.md §1.10).

Example:
    >>> encode_slice_key("part/pv", [(0, 3), (0, 2)]).hex()
    '00706172742f70760001010280838082'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stowflow.errors import InvalidArgumentError

#: One (start, length) per dimension; length -1 means "the whole dimension".
Extents = list[tuple[int, int]]

# First-byte XOR masks of OrderedCode's WriteSignedNumIncreasing by encoded length.
_SIGNED_HEADER = {2: 0xC0, 3: 0xE0, 4: 0xF0, 5: 0xF8, 6: 0xFC, 7: 0xFE, 8: 0xFF, 9: 0xFF, 10: 0xFF}
_SIGNED_SECOND = {9: 0x80, 10: 0xC0}


def _num_increasing(value: int) -> bytes:
    """OrderedCode WriteNumIncreasing: a length byte, then big-endian significant bytes."""
    body = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    return bytes([len(body)]) + body


def _signed_num_increasing(value: int) -> bytes:
    """OrderedCode WriteSignedNumIncreasing."""
    x = ~value if value < 0 else value
    if x < 64:
        return bytes([(0x80 ^ value) & 0xFF])
    length = x.bit_length() // 7 + 1
    raw = bytearray((value & ((1 << (8 * length)) - 1)).to_bytes(length, "big"))
    raw[0] ^= _SIGNED_HEADER[length]
    if length in _SIGNED_SECOND:
        raw[1] ^= _SIGNED_SECOND[length]
    return bytes(raw)


def _escaped_string(text: bytes) -> bytes:
    """OrderedCode WriteString: escape 0x00 and 0xFF, then the 00 01 terminator."""
    return text.replace(b"\xff", b"\xff\x00").replace(b"\x00", b"\x00\xff") + b"\x00\x01"


def encode_slice_key(name: str, extents: Sequence[tuple[int, int]]) -> bytes:
    """The index key under which one slice of tensor ``name`` is stored."""
    parts = [_num_increasing(0), _escaped_string(name.encode()), _num_increasing(len(extents))]
    for start, length in extents:
        parts.append(_signed_num_increasing(start))
        parts.append(_signed_num_increasing(length))
    return b"".join(parts)


@dataclass(frozen=True)
class SliceSpec:
    """A parsed ``shape_and_slices`` string: the full shape and the slice's extents."""

    full_shape: tuple[int, ...]
    extents: tuple[tuple[int, int], ...]

    def slice_shape(self) -> tuple[int, ...]:
        """The shape of the slice itself."""
        return tuple(
            full if length < 0 else length
            for full, (_, length) in zip(self.full_shape, self.extents, strict=True)
        )

    def index(self) -> tuple[slice, ...]:
        """NumPy index selecting the slice inside the full tensor."""
        return tuple(
            slice(None) if length < 0 else slice(start, start + length)
            for start, length in self.extents
        )

    def is_full(self) -> bool:
        """True when the slice covers the whole tensor."""
        return all(
            length < 0 or (start == 0 and length == full)
            for full, (start, length) in zip(self.full_shape, self.extents, strict=True)
        )

    def to_string(self) -> str:
        """Back to TF's spec string, e.g. ``"5 2 0,3:0,2"``."""
        dims = " ".join(str(d) for d in self.full_shape)
        ext = ":".join("-" if n < 0 else f"{s},{n}" for s, n in self.extents)
        return f"{dims} {ext}"


def parse_shape_and_slice(spec: str) -> SliceSpec | None:
    """Parses ``"<d0> ... <dk-1> <slice>"``; returns None for ``""`` (the whole tensor).

    Raises:
        InvalidArgumentError: for a malformed spec, naming it.
    """
    if spec == "":
        return None
    fields = spec.split(" ")
    bad = InvalidArgumentError(None, None, f"Invalid shape and slice spec: {spec!r}")
    if len(fields) < 2:
        raise bad
    try:
        full = tuple(int(d) for d in fields[:-1])
        extents: list[tuple[int, int]] = []
        for part in fields[-1].split(":"):
            if part == "-":
                extents.append((0, -1))
            else:
                start, length = part.split(",")
                extents.append((int(start), int(length)))
    except ValueError:
        raise bad from None
    ok = len(extents) == len(full) and all(
        d >= 0 and s >= 0 and (n < 0 or s + n <= d) for d, (s, n) in zip(full, extents, strict=True)
    )
    if not ok:
        raise bad
    return SliceSpec(full, tuple(extents))
