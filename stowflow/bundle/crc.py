"""CRC-32C (Castagnoli) with LevelDB's masking, as every stored checksum in a bundle uses.

Backed by the ``crc32c`` package (hardware CRC instructions, accepts any buffer without a
copy, releases the GIL). See FORMATS.md §1.2.
"""

from __future__ import annotations

from typing import Any

import crc32c as _crc32c

_MASK_DELTA = 0xA282EAD8  # tsl/lib/hash/crc32c.h kMaskDelta
_U32 = 0xFFFFFFFF


def crc32c(data: Any, crc: int = 0) -> int:
    """CRC-32C of the buffer ``data``, continuing from ``crc`` (0 starts a new checksum)."""
    return int(_crc32c.crc32c(data, crc))


def mask(crc: int) -> int:
    """LevelDB mask: rotate right by 15 bits, add a constant (so CRCs of CRCs differ)."""
    return ((((crc >> 15) | (crc << 17)) & _U32) + _MASK_DELTA) & _U32


def unmask(masked: int) -> int:
    """Inverse of :func:`mask`."""
    rot = (masked - _MASK_DELTA) & _U32
    return ((rot >> 17) | (rot << 15)) & _U32


def masked_crc32c(data: Any) -> int:
    """``mask(crc32c(data))``."""
    return mask(crc32c(data))
