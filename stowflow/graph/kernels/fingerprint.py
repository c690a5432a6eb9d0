"""TensorFlow's string hashes, bit-exact, on NumPy ``uint64`` arrays.

- :func:`fingerprint64`: ``tensorflow::Fingerprint64`` = FarmHash ``Fingerprint64`` (the
  ``farmhashna::Hash64`` variant), used by ``StringToHashBucketFast`` and the crosses.
- :func:`siphash`: keyed SipHash-2-4 (``tensorflow::StrongKeyedHash``), used by
  ``StringToHashBucketStrong``.
- :func:`legacy_hash64`: ``tensorflow::Hash64`` (a MurmurHash64A variant, seed
  ``0xDECAFCAFFE``), used by the old ``StringToHashBucket``.
- :func:`fingerprint_cat64`: ``tensorflow::FingerprintCat64``, combining two fingerprints.

Every algorithm's control flow depends only on the input's byte length, so strings are
grouped by length and each group is hashed at once, column by column, on ``(n, len)``
byte matrices: wrap-around ``uint64`` arithmetic is NumPy's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

U64 = np.uint64
_K0 = U64(0xC3A5C85C97CB3127)
_K1 = U64(0xB492B66FBE98F273)
_K2 = U64(0x9AE16A3B2F90404F)
_MURMUR_MUL = U64(0xC6A4A7935BD1E995)
_LEGACY_SEED = 0xDECAFCAFFE

Block = np.ndarray  # (n, length) uint8: n strings of one length
GroupHash = Callable[[Block, np.ndarray], np.ndarray]


def _u(value: int) -> np.uint64:
    return U64(value & 0xFFFFFFFFFFFFFFFF)


def _fetch64(block: Block, offset: int | np.ndarray) -> np.ndarray:
    """Little-endian uint64 at ``offset`` of every row (one offset, or one per row)."""
    if isinstance(offset, np.ndarray):
        columns = offset[:, None] + np.arange(8)
        raw = np.take_along_axis(block, columns, axis=1)
        return np.ascontiguousarray(raw).view("<u8")[:, 0].astype(U64)
    return np.ascontiguousarray(block[:, offset : offset + 8]).view("<u8")[:, 0].astype(U64)


def _fetch32(block: Block, offset: int) -> np.ndarray:
    return np.ascontiguousarray(block[:, offset : offset + 4]).view("<u4")[:, 0].astype(U64)


def _rotate(value: np.ndarray, shift: int) -> np.ndarray:
    return (value >> U64(shift)) | (value << U64(64 - shift))


def _shift_mix(value: np.ndarray) -> np.ndarray:
    return value ^ (value >> U64(47))


def _hash_len16(u: np.ndarray, v: np.ndarray, mul: np.ndarray) -> np.ndarray:
    a = _shift_mix((u ^ v) * mul)
    b = _shift_mix((v ^ a) * mul)
    return b * mul


# --------------------------------------------------------------------------- farmhash na


def _len0to16(block: Block) -> np.ndarray:
    n, length = block.shape
    if length == 0:
        return np.full(n, _K2, dtype=U64)
    mul = _K2 + _u(length * 2)
    if length >= 8:
        a = _fetch64(block, 0) + _K2
        b = _fetch64(block, length - 8)
        c = _rotate(b, 37) * mul + a
        d = (_rotate(a, 25) + b) * mul
        return _hash_len16(c, d, mul)
    if length >= 4:
        first = _fetch32(block, 0)
        return _hash_len16(_u(length) + (first << U64(3)), _fetch32(block, length - 4), mul)
    a, b, c = (block[:, i].astype(U64) for i in (0, length >> 1, length - 1))
    y = (a + (b << U64(8))) & U64(0xFFFFFFFF)
    z = (_u(length) + (c << U64(2))) & U64(0xFFFFFFFF)
    return _shift_mix(y * _K2 ^ z * _K0) * _K2


def _len17to32(block: Block) -> np.ndarray:
    length = block.shape[1]
    mul = _K2 + _u(length * 2)
    a = _fetch64(block, 0) * _K1
    b = _fetch64(block, 8)
    c = _fetch64(block, length - 8) * mul
    d = _fetch64(block, length - 16) * _K2
    return _hash_len16(_rotate(a + b, 43) + _rotate(c, 30) + d, a + _rotate(b + _K2, 18) + c, mul)


def _len33to64(block: Block) -> np.ndarray:
    length = block.shape[1]
    mul = _K2 + _u(length * 2)
    a = _fetch64(block, 0) * _K2
    b = _fetch64(block, 8)
    c = _fetch64(block, length - 8) * mul
    d = _fetch64(block, length - 16) * _K2
    y = _rotate(a + b, 43) + _rotate(c, 30) + d
    z = _hash_len16(y, a + _rotate(b + _K2, 18) + c, mul)
    e = _fetch64(block, 16) * mul
    f = _fetch64(block, 24)
    g = (y + _fetch64(block, length - 32)) * mul
    h = (z + _fetch64(block, length - 24)) * mul
    return _hash_len16(_rotate(e + f, 43) + _rotate(g, 30) + h, e + _rotate(f + a, 18) + g, mul)


def _weak32(
    block: Block, offset: int | np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    w, x, y, z = (_fetch64(block, offset + 8 * i) for i in range(4))
    a = a + w
    b = _rotate(b + a + z, 21)
    c = a
    a = a + x + y
    b = b + _rotate(a, 44)
    return a + z, b + c


def _long(block: Block, lengths: np.ndarray) -> np.ndarray:
    """farmhashna's loop over 64-byte chunks, for lengths above 64.

    Rows may differ in length but not in their number of whole chunks; ``block`` is
    zero-padded to the longest row.
    """
    n = block.shape[0]
    zeros = np.zeros(n, dtype=U64)
    x = np.full(n, U64(81), dtype=U64)
    y = np.full(n, _u(81 * int(_K1) + 113), dtype=U64)
    z = _shift_mix(y * _K2 + U64(113)) * _K2
    v1, v2, w1, w2 = zeros, zeros, zeros, zeros
    x = x * _K2 + _fetch64(block, 0)
    tail = (lengths - 1) & 63
    end = int((lengths[0] - 1) // 64) * 64
    for s in range(0, end, 64):
        x = _rotate(x + y + v1 + _fetch64(block, s + 8), 37) * _K1
        y = _rotate(y + v2 + _fetch64(block, s + 48), 42) * _K1
        x = x ^ w2
        y = y + v1 + _fetch64(block, s + 40)
        z = _rotate(z + w1, 33) * _K1
        v1, v2 = _weak32(block, s, v2 * _K1, x + w1)
        w1, w2 = _weak32(block, s + 32, z + w2, y + _fetch64(block, s + 16))
        x, z = z, x
    mul = _K1 + ((z & U64(0xFF)) << U64(1))
    last = lengths - 64  # the last 64 bytes of each row
    w1 = w1 + tail.astype(U64)
    v1 = v1 + w1
    w1 = w1 + v1
    x = _rotate(x + y + v1 + _fetch64(block, last + 8), 37) * mul
    y = _rotate(y + v2 + _fetch64(block, last + 48), 42) * mul
    x = x ^ (w2 * U64(9))
    y = y + v1 * U64(9) + _fetch64(block, last + 40)
    z = _rotate(z + w1, 33) * mul
    v1, v2 = _weak32(block, last, v2 * mul, x + w1)
    w1, w2 = _weak32(block, last + 32, z + w2, y + _fetch64(block, last + 16))
    x, z = z, x
    return _hash_len16(
        _hash_len16(v1, w1, mul) + _shift_mix(y) * _K0 + z,
        _hash_len16(v2, w2, mul) + x,
        mul,
    )


def _farmhash_block(block: Block, lengths: np.ndarray) -> np.ndarray:
    length = block.shape[1]
    if length > 64:
        return _long(block, lengths)
    if length <= 16:
        return _len0to16(block)
    if length <= 32:
        return _len17to32(block)
    return _len33to64(block)


def _farmhash_group(length: int) -> int:
    """Lengths up to 64 hash alike only at equal length; longer ones per 64-byte chunk count."""
    return length if length <= 64 else 65 + (length - 1) // 64


# --------------------------------------------------------------------------- murmur (legacy)


def _murmur_block(block: Block, lengths: np.ndarray) -> np.ndarray:
    n, length = block.shape
    m = _MURMUR_MUL
    h = np.full(n, _u(_LEGACY_SEED ^ (length * int(m))), dtype=U64)
    body = length - length % 8
    for offset in range(0, body, 8):
        k = _fetch64(block, offset) * m
        k = (k ^ (k >> U64(47))) * m
        h = (h ^ k) * m
    if length % 8:
        for i in range(length - 1, body - 1, -1):
            h = h ^ (block[:, i].astype(U64) << U64(8 * (i - body)))
        h = h * m
    h = (h ^ (h >> U64(47))) * m
    return h ^ (h >> U64(47))


# --------------------------------------------------------------------------- siphash-2-4


def _sip_round(v0: np.ndarray, v1: np.ndarray, v2: np.ndarray, v3: np.ndarray) -> tuple:
    v0 = v0 + v1
    v1 = _rotate(v1, 64 - 13) ^ v0
    v0 = _rotate(v0, 64 - 32)
    v2 = v2 + v3
    v3 = _rotate(v3, 64 - 16) ^ v2
    v0 = v0 + v3
    v3 = _rotate(v3, 64 - 21) ^ v0
    v2 = v2 + v1
    v1 = _rotate(v1, 64 - 17) ^ v2
    v2 = _rotate(v2, 64 - 32)
    return v0, v1, v2, v3


def _siphash_block(block: Block, key: tuple[int, int]) -> np.ndarray:
    n, length = block.shape
    k0, k1 = _u(key[0]), _u(key[1])

    def full(value: np.uint64) -> np.ndarray:
        return np.full(n, value, dtype=U64)

    v0 = full(k0 ^ U64(0x736F6D6570736575))
    v1 = full(k1 ^ U64(0x646F72616E646F6D))
    v2 = full(k0 ^ U64(0x6C7967656E657261))
    v3 = full(k1 ^ U64(0x7465646279746573))
    padded = np.zeros((n, length // 8 * 8 + 8), dtype=np.uint8)
    padded[:, :length] = block
    padded[:, -1] = length & 0xFF
    for offset in range(0, padded.shape[1], 8):
        m = _fetch64(padded, offset)
        v3 = v3 ^ m
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 = v0 ^ m
    v2 = v2 ^ U64(0xFF)
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


# --------------------------------------------------------------------------- driver


def _by_length(
    strings: Sequence[bytes] | np.ndarray,
    group_hash: GroupHash,
    group_of: Callable[[int], int] = int,
) -> np.ndarray:
    """Hashes strings in groups of one control flow (by default: one length) at a time."""
    items = np.asarray(strings, dtype=object).reshape(-1)
    flat = [s if isinstance(s, bytes) else str(s).encode() for s in items]
    lengths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
    out = np.empty(len(flat), dtype=U64)
    if not flat:
        return out.reshape(np.shape(strings))
    order = np.argsort(lengths, kind="stable")
    widest = int(lengths.max()) if len(flat) else 0
    # zero tail: a row of a mixed-length group may run into the next string (never read)
    data = np.frombuffer(b"".join([flat[i] for i in order]) + bytes(widest), dtype=np.uint8)
    sorted_lengths = lengths[order]
    starts = np.cumsum(sorted_lengths) - sorted_lengths
    unique, inverse = np.unique(sorted_lengths, return_inverse=True)
    groups = np.array([group_of(int(n)) for n in unique], dtype=np.int64)[inverse]
    bounds = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        rows = sorted_lengths[a:b]
        width = int(rows[-1])
        if rows[0] == width:  # one length: the rows are contiguous in ``data``
            block = data[starts[a] : starts[a] + (b - a) * width].reshape(b - a, width)
        else:  # farmhash's long rows: the hash never reads past a row's own length
            block = np.lib.stride_tricks.sliding_window_view(data, width)[starts[a:b]]
        out[order[a:b]] = group_hash(block, rows)
    return out.reshape(np.shape(strings))


def fingerprint64(strings: Sequence[bytes] | np.ndarray) -> np.ndarray:
    """TF's ``Fingerprint64`` of each string, as a ``uint64`` array of the input's shape."""
    return _by_length(strings, _farmhash_block, _farmhash_group)


def legacy_hash64(strings: Sequence[bytes] | np.ndarray) -> np.ndarray:
    """TF's ``Hash64(s)`` (MurmurHash64A-style, seed 0xDECAFCAFFE) of each string."""
    return _by_length(strings, _murmur_block)


def siphash(strings: Sequence[bytes] | np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """SipHash-2-4 of each string under the 128-bit ``key`` (two 64-bit halves)."""
    return _by_length(strings, lambda block, _: _siphash_block(block, key))


def fingerprint_cat64(fp1: np.ndarray, fp2: np.ndarray) -> np.ndarray:
    """TF's ``FingerprintCat64``: one fingerprint from two (element-wise, ``uint64``)."""
    m = _MURMUR_MUL
    result = np.asarray(fp1, dtype=U64) ^ m
    result = result ^ (_shift_mix(np.asarray(fp2, dtype=U64) * m) * m)
    result = result * m
    result = _shift_mix(result) * m
    return _shift_mix(result)
