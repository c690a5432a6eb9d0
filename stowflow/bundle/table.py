"""LevelDB-style immutable sorted table ("SSTable"), the container of every ``.index`` file.

The writer reproduces TensorFlow's ``tsl::table::TableBuilder`` byte for byte (block size
256 KiB, restart interval 16 in data blocks and 1 in the index block, no compression, the
same separator and successor keys). The reader checks the footer magic, every block's
bounds and masked CRC, and every entry's varints before handing out a key or value.
See FORMATS.md §1.3.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from typing import NoReturn

import numpy as np

from stowflow._varint import VarintError, decode_varint, encode_varint
from stowflow.bundle import blocks
from stowflow.bundle.crc import crc32c, mask, unmask
from stowflow.errors import DataLossError, UnimplementedError

BLOCK_SIZE = 262144
DATA_RESTART_INTERVAL = 16
INDEX_RESTART_INTERVAL = 1
FOOTER_SIZE = 48
TRAILER_SIZE = 5  # 1 compression-type byte + 4 bytes masked CRC32C
MAGIC = 0xDB4775248B80FB57
_NO_COMPRESSION = 0
_SNAPPY = 1


def shared_prefix_len(a: bytes, b: bytes) -> int:
    """Length of the longest common prefix of two byte strings."""
    n = len(a) if len(a) < len(b) else len(b)
    differ = int.from_bytes(a[:n], "big") ^ int.from_bytes(b[:n], "big")
    return n - (differ.bit_length() + 7) // 8


def shared_prefix_lens(keys: Sequence[bytes]) -> np.ndarray:
    """``shared_prefix_len(keys[i], keys[i + 1])`` for each i, vectorised."""
    n = len(keys)
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=n)
    width = int(lengths.max()) if n else 0
    if n < 32 or n * width > 1 << 24:  # few keys, or a padded matrix too large
        pairs = zip(keys, keys[1:])
        return np.array([shared_prefix_len(a, b) for a, b in pairs], dtype=np.int64)
    # NumPy's fixed-width bytes pad with NULs; clipping to the shorter length undoes that.
    matrix = np.array(keys, dtype=f"S{width}").view(np.uint8).reshape(n, width)
    differ = matrix[1:] != matrix[:-1]
    first = np.where(differ.any(axis=1), differ.argmax(axis=1), width)
    return np.minimum(first, np.minimum(lengths[1:], lengths[:-1]))


class _BlockBuilder:
    """Accumulates prefix-compressed entries of one block."""

    def __init__(self, restart_interval: int) -> None:
        self._interval = restart_interval
        self._parts: list[bytes] = []
        self.size = 0
        self.restarts = [0]
        self._counter = 0
        self._last_key = b""

    def empty(self) -> bool:
        return not self._parts

    def add(self, key: bytes, value: bytes, shared: int = -1) -> None:
        """Appends an entry; ``shared`` may give its common prefix with the previous key."""
        if self._counter >= self._interval:
            shared = 0
            self.restarts.append(self.size)
            self._counter = 1
        else:
            if not self._counter:
                shared = 0
            elif shared < 0:
                shared = shared_prefix_len(self._last_key, key)
            self._counter += 1
        non_shared = len(key) - shared
        value_len = len(value)
        if shared | non_shared | value_len < 0x80:
            lengths = bytes((shared, non_shared, value_len))
        else:
            lengths = encode_varint(shared) + encode_varint(non_shared) + encode_varint(value_len)
        self._parts += (lengths, key[shared:], value)
        self.size += len(lengths) + non_shared + value_len
        self._last_key = key

    def load(self, body: bytes, restarts: list[int], count: int, last_key: bytes) -> None:
        """Takes over ``count`` entries laid out elsewhere (``blocks.next_block``)."""
        self._parts = [body]
        self.size = len(body)
        self.restarts = restarts
        self._counter = (count - 1) % self._interval + 1
        self._last_key = last_key

    def size_estimate(self) -> int:
        return self.size + 4 * len(self.restarts) + 4

    def finish(self) -> bytes:
        tail = struct.pack(f"<{len(self.restarts) + 1}I", *self.restarts, len(self.restarts))
        return b"".join(self._parts) + tail


def shortest_separator(start: bytes, limit: bytes) -> bytes:
    """A short key ``s`` with ``start <= s < limit`` (LevelDB's bytewise comparator)."""
    n = min(len(start), len(limit))
    d = 0
    while d < n and start[d] == limit[d]:
        d += 1
    if d >= n:
        return start  # one is a prefix of the other
    byte = start[d]
    if byte < 0xFF and byte + 1 < limit[d]:
        return start[:d] + bytes([byte + 1])
    return start


def short_successor(key: bytes) -> bytes:
    """A short key ``>= key``: bump the first byte that is not 0xFF and cut after it."""
    for i, byte in enumerate(key):
        if byte != 0xFF:
            return key[:i] + bytes([byte + 1])
    return key


def _encode_handle(offset: int, size: int) -> bytes:
    return encode_varint(offset) + encode_varint(size)


class TableBuilder:
    """Builds a table in memory; keys must be added in strictly increasing order.

    Example:
        >>> b = TableBuilder()
        >>> b.add(b"a", b"1"); b.add(b"b", b"2")
        >>> blob = b.finish()
        >>> [k for k, _ in TableReader(blob).items()]
        [b'a', b'b']
    """

    def __init__(self, block_size: int = BLOCK_SIZE) -> None:
        self._block_size = block_size
        self._out: list[bytes] = []
        self._offset = 0
        self._data = _BlockBuilder(DATA_RESTART_INTERVAL)
        self._index = _BlockBuilder(INDEX_RESTART_INTERVAL)
        self._last_key = b""
        self._num_entries = 0
        self._pending_handle: bytes | None = None

    def add_all(self, keys: Sequence[bytes], values: Sequence[bytes]) -> None:
        """Appends many entries: the same bytes as :meth:`add` for each, laid out with NumPy
        (``blocks.next_block``) when there are many and the current block is empty.

        Raises:
            ValueError: if the keys do not increase, or the lists differ in length.
        """
        if len(keys) != len(values):
            raise ValueError(f"{len(keys)} keys but {len(values)} values")
        previous = [self._last_key, *keys]
        if len(keys) < 64 or not self._data.empty():
            shared = shared_prefix_lens(previous).tolist()
            for key, value, common in zip(keys, values, shared, strict=True):
                self.add(key, value, common)
            return
        ordered = list(map(bytes.__lt__, previous, keys))
        if not ordered[0] and self._num_entries == 0:
            ordered[0] = True  # the first key of a table may be anything, even b""
        if not all(ordered):
            i = ordered.index(False)
            raise ValueError(f"table keys must increase: {keys[i]!r} after {previous[i]!r}")
        entries = blocks.Entries(keys, values, shared_prefix_lens(previous))
        first = 0
        while first < len(keys):
            if self._pending_handle is not None:
                separator = shortest_separator(self._last_key, keys[first])
                self._index.add(separator, self._pending_handle)
                self._pending_handle = None
            block, full = blocks.next_block(entries, first, self._block_size, DATA_RESTART_INTERVAL)
            first += block.count
            self._last_key = keys[first - 1]
            self._num_entries += block.count
            if full:
                count = len(block.restarts)
                tail = struct.pack(f"<{count + 1}I", *block.restarts, count)
                self._pending_handle = self._write_block(block.body + tail)
            else:  # the last, open block: later entries continue it
                self._data.load(block.body, block.restarts, block.count, self._last_key)

    def add(self, key: bytes, value: bytes, shared: int = -1) -> None:
        """Appends one entry (``shared``: its common prefix with the previous key, if known).

        Raises:
            ValueError: if ``key`` is not greater than the previous key.
        """
        if self._num_entries > 0:
            if key <= self._last_key:
                raise ValueError(f"table keys must increase: {key!r} after {self._last_key!r}")
            if len(key) + len(value) >= 2 * self._block_size:
                self._flush()  # TF-specific: a huge entry starts its own block
        if self._pending_handle is not None:
            self._index.add(shortest_separator(self._last_key, key), self._pending_handle)
            self._pending_handle = None
        self._last_key = key
        self._num_entries += 1
        data = self._data
        data.add(key, value, shared)
        if data.size + 4 * len(data.restarts) + 4 >= self._block_size:  # size_estimate()
            self._flush()

    def finish(self) -> bytes:
        """Writes the last data block, the metaindex, the index and the footer."""
        self._flush()
        meta_handle = self._write_block(_BlockBuilder(DATA_RESTART_INTERVAL).finish())
        if self._pending_handle is not None:
            self._index.add(short_successor(self._last_key), self._pending_handle)
            self._pending_handle = None
        index_handle = self._write_block(self._index.finish())
        handles = meta_handle + index_handle
        footer = handles + b"\0" * (FOOTER_SIZE - 8 - len(handles)) + struct.pack("<Q", MAGIC)
        self._out.append(footer)
        return b"".join(self._out)

    def _flush(self) -> None:
        if self._data.empty():
            return
        self._pending_handle = self._write_block(self._data.finish())
        self._data = _BlockBuilder(DATA_RESTART_INTERVAL)

    def _write_block(self, contents: bytes) -> bytes:
        handle = _encode_handle(self._offset, len(contents))
        type_byte = bytes([_NO_COMPRESSION])
        crc = mask(crc32c(type_byte, crc32c(contents)))
        self._out.append(contents)
        self._out.append(type_byte + struct.pack("<I", crc))
        self._offset += len(contents) + TRAILER_SIZE
        return handle


class TableReader:
    """Reads and verifies a table held in a bytes-like object (often an mmap).

    Args:
        data: the whole file's bytes.
        filename: used in error messages.

    Raises:
        DataLossError: on a bad magic, out-of-range handle, CRC mismatch or bad entry.
    """

    def __init__(self, data: bytes | memoryview, filename: str = "<table>") -> None:
        self._buf = memoryview(data)
        self._file = filename
        if len(self._buf) < FOOTER_SIZE:
            self._fail(f"file is too short to be a table ({len(self._buf)} bytes < 48)")
        footer = self._buf[len(self._buf) - FOOTER_SIZE :]
        (magic,) = struct.unpack_from("<Q", footer, 40)
        if magic != MAGIC:
            self._fail("not a TensorFlow table: bad magic number in footer (truncated or corrupt)")
        try:
            _meta_off, pos = decode_varint(footer, 0, 40)
            _meta_size, pos = decode_varint(footer, pos, 40)
            index_off, pos = decode_varint(footer, pos, 40)
            index_size, pos = decode_varint(footer, pos, 40)
        except VarintError:
            self._fail("corrupt footer block handles")
        self._index_entries = list(self._block_entries(index_off, index_size, "index block"))

    def _fail(self, what: str) -> NoReturn:
        raise DataLossError(None, None, f"Corrupted checkpoint index {self._file}: {what}")

    def _read_block(self, offset: int, size: int, what: str) -> memoryview:
        end = offset + size + TRAILER_SIZE
        if end > len(self._buf) - FOOTER_SIZE:
            self._fail(f"{what} at offset {offset} size {size} runs past the end of the file")
        contents = self._buf[offset : offset + size]
        type_byte = self._buf[offset + size]
        (stored,) = struct.unpack_from("<I", self._buf, offset + size + 1)
        actual = crc32c(self._buf[offset : offset + size + 1])
        if unmask(stored) != actual:
            self._fail(f"checksum mismatch in {what} at offset {offset}")
        if type_byte == _SNAPPY:
            raise UnimplementedError(
                None, None, f"{self._file}: snappy-compressed table blocks are not supported"
            )
        if type_byte != _NO_COMPRESSION:
            self._fail(f"unknown block compression type {type_byte} in {what}")
        return contents

    def _block_entries(self, offset: int, size: int, what: str) -> Iterator[tuple[bytes, bytes]]:
        block = bytes(self._read_block(offset, size, what))  # slicing bytes beats memoryview
        if len(block) < 4:
            self._fail(f"{what} is too short")
        (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
        limit = len(block) - 4 * (num_restarts + 1)
        if num_restarts < 1 or limit < 0:
            self._fail(f"{what} has a bad restart count {num_restarts}")
        pos = 0
        key = b""
        try:
            while pos < limit:
                shared, non_shared, value_len = block[pos : pos + 3].ljust(3, b"\xff")
                if shared | non_shared | value_len < 0x80:  # three one-byte varints
                    pos += 3
                else:
                    shared, pos = decode_varint(block, pos, limit)
                    non_shared, pos = decode_varint(block, pos, limit)
                    value_len, pos = decode_varint(block, pos, limit)
                end = pos + non_shared + value_len
                if shared > len(key) or end > limit:
                    self._fail(f"bad entry in {what} at offset {offset}")
                key = key[:shared] + block[pos : pos + non_shared]
                pos += non_shared
                yield key, block[pos:end]
                pos = end
        except VarintError:
            self._fail(f"bad varint in {what} at offset {offset}")

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every (key, value), in key order, verifying each data block's CRC."""
        for i, (_sep, handle) in enumerate(self._index_entries):
            try:
                offset, pos = decode_varint(handle, 0)
                size, _ = decode_varint(handle, pos)
            except VarintError:
                self._fail(f"bad block handle in index entry {i}")
            yield from self._block_entries(offset, size, f"data block {i}")
