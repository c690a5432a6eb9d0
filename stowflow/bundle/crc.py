"""CRC-32C (Castagnoli) with LevelDB's masking, as every stored checksum in a bundle uses.

Backed by the ``crc32c`` package (hardware CRC instructions, accepts any buffer without a
copy, releases the GIL). See FORMATS.md §1.2.
"""

from __future__ import annotations

from typing import Any

import crc32c as _crc32c
import numpy as np

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


def mask_many(crcs: Any) -> np.ndarray:
    """:func:`mask` of each CRC in a sequence, in one vectorised pass (as int64)."""
    c = np.asarray(crcs, dtype=np.uint32)
    rotated = (c >> np.uint32(15)) | (c << np.uint32(17))
    return (rotated + np.uint32(_MASK_DELTA)).astype(np.int64)  # uint32 wraps mod 2**32


def crc32c_many(buffers: Any) -> list[int]:
    """:func:`crc32c` of each buffer in an iterable (one C call each, no Python frame)."""
    return list(map(_crc32c.crc32c, buffers))


def unmask_many(masked: Any) -> list[int]:
    """:func:`unmask` of each value in a sequence, in one vectorised pass."""
    rot = np.asarray(masked, dtype=np.uint32) - np.uint32(_MASK_DELTA)
    return ((rot >> np.uint32(17)) | (rot << np.uint32(15))).tolist()
