"""Vectorised layout of many sorted table entries into data blocks.

``TableBuilder.add`` handles one entry at a time; for the thousands of entries of a
checkpoint with many small tensors that Python loop dominates a save. This module computes
the same prefix compression, restart points and block boundaries with NumPy over all
entries at once (``TableBuilder.add_all`` uses it; tests check the bytes equal ``add``'s).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_VARINT_LIMITS = [1 << (7 * k) for k in range(1, 10)]


def varint_lengths(values: np.ndarray) -> np.ndarray:
    """Bytes in the varint of each (non-negative) value."""
    out = np.ones(len(values), dtype=np.int64)
    top = int(values.max(initial=0))
    for limit in _VARINT_LIMITS:
        if top < limit:
            break
        out += values >= limit
    return out


def _put_varints(out: np.ndarray, pos: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Writes the varint of ``values[i]`` at ``out[pos[i]:]``; returns the positions after."""
    lengths = varint_lengths(values)
    rest = values.astype(np.uint64)
    for k in range(int(lengths.max(initial=1))):
        live = lengths > k
        more = lengths > k + 1
        byte = (rest & np.uint64(0x7F)) | (more.astype(np.uint64) << np.uint64(7))
        out[pos[live] + k] = byte[live]
        rest >>= np.uint64(7)
    return pos + lengths


def _copy_segments(
    out: np.ndarray, dst: np.ndarray, src_blob: np.ndarray, src: np.ndarray, lengths: np.ndarray
) -> None:
    """``out[dst[i]:dst[i]+lengths[i]] = src_blob[src[i]:src[i]+lengths[i]]`` for every i."""
    total = int(lengths.sum())
    if not total:
        return
    within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[np.repeat(dst, lengths) + within] = src_blob[np.repeat(src, lengths) + within]


class Entries:
    """Sorted keys and values as flat byte arrays, with each key's shared prefix length
    with the key before it."""

    def __init__(self, keys: Sequence[bytes], values: Sequence[bytes], shared: np.ndarray):
        n = len(keys)
        self.keys = keys
        self.key_len = np.fromiter(map(len, keys), dtype=np.int64, count=n)
        self.value_len = np.fromiter(map(len, values), dtype=np.int64, count=n)
        self.key_blob = np.frombuffer(b"".join(keys), dtype=np.uint8)
        self.value_blob = np.frombuffer(b"".join(values), dtype=np.uint8)
        self.key_start = np.cumsum(self.key_len) - self.key_len
        self.value_start = np.cumsum(self.value_len) - self.value_len
        self.shared = shared

    def __len__(self) -> int:
        return len(self.keys)


class Block:
    """Entries ``[first, first + count)`` laid out as one block's entry bytes."""

    def __init__(self, first: int, count: int, body: bytes, restarts: list[int]) -> None:
        self.first = first
        self.count = count
        self.body = body  # the entries, without the restart array
        self.restarts = restarts


def next_block(
    entries: Entries, first: int, block_size: int, interval: int, window: int = 4096
) -> tuple[Block, bool]:
    """Lays out the block that starts (empty) at entry ``first``.

    Returns the block and whether it is full, i.e. ``TableBuilder`` would flush it here
    (size estimate reached ``block_size``, or the next entry is huge and starts its own
    block). A block that is not full holds every remaining entry.
    """
    n = len(entries)
    while True:
        stop = min(n, first + window)
        j = np.arange(stop - first)
        shared = np.where(j % interval == 0, 0, entries.shared[first:stop])
        non_shared = entries.key_len[first:stop] - shared
        value_len = entries.value_len[first:stop]
        header = varint_lengths(shared) + varint_lengths(non_shared) + varint_lengths(value_len)
        size = header + non_shared + value_len
        end = np.cumsum(size)
        estimate = end + 4 * (j // interval + 1) + 4
        reached = np.flatnonzero(estimate >= block_size)
        huge = np.flatnonzero(entries.key_len[first:stop] + value_len >= 2 * block_size)
        huge = huge[huge > 0]
        cut = min(
            int(reached[0]) + 1 if len(reached) else stop - first,
            int(huge[0]) if len(huge) else stop - first,
        )
        full = bool(len(reached) or len(huge))
        if full or stop == n:
            break
        window *= 2
    start = end[:cut] - size[:cut]
    out = np.empty(int(end[cut - 1]), dtype=np.uint8)
    pos = _put_varints(out, start, shared[:cut])
    pos = _put_varints(out, pos, non_shared[:cut])
    pos = _put_varints(out, pos, value_len[:cut])
    rows = slice(first, first + cut)
    _copy_segments(
        out, pos, entries.key_blob, entries.key_start[rows] + shared[:cut], non_shared[:cut]
    )
    # Every byte that is neither a header nor a key suffix is a value byte, in order.
    edges = np.zeros(len(out) + 1, dtype=np.int64)
    edges[start] += 1  # each index array is strictly increasing: no repeats
    edges[pos + non_shared[:cut]] -= 1
    is_value = np.cumsum(edges[:-1]) == 0
    values_from = int(entries.value_start[first])
    out[is_value] = entries.value_blob[values_from : values_from + int(value_len[:cut].sum())]
    restarts = start[::interval].tolist()
    return Block(first, cut, out.tobytes(), restarts), full
