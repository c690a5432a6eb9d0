"""The SSTable (``.index``) builder and reader: inline golden bytes from FORMATS.md §1.3."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stowflow.bundle.crc import crc32c, mask
from stowflow.bundle.table import (
    BLOCK_SIZE,
    TableBuilder,
    TableReader,
    short_successor,
    shortest_separator,
)
from stowflow.errors import DataLossError

MAGIC_BYTES = bytes.fromhex("57fb808b247547db")
EMPTY_META_BLOCK = bytes.fromhex("0000000001000000")
EMPTY_META_TRAILER = bytes.fromhex("00c0f2a1b0")

# FORMATS.md §1.3 "Annotated example" (model.ckpt-7.index, 146 bytes, 2 shards).
HEADER_2_SHARDS = bytes.fromhex("08021a020801")
ENTRY_A = bytes.fromhex("080112081202080212020803281835c0db3d17")  # float32[2,3], 19 bytes
# 17-byte int64[2] entry in shard 1 ("b"); its CRC bytes are not in the notes, so only the
# parts of the file that do not depend on them are compared below.
ENTRY_B = bytes.fromhex("0809120412020802180128103500112233")


def test_empty_metaindex_block_is_the_documented_constant() -> None:
    blob = TableBuilder().finish()
    # An empty table: empty data block is skipped, metaindex, empty index block, footer.
    assert blob[:8] == EMPTY_META_BLOCK
    assert blob[8:13] == EMPTY_META_TRAILER
    assert mask(crc32c(EMPTY_META_BLOCK + b"\0")).to_bytes(4, "little") == EMPTY_META_TRAILER[1:]
    assert len(blob) == 13 + 13 + 48
    assert blob[-8:] == MAGIC_BYTES
    assert list(TableReader(blob).items()) == []


def test_146_byte_two_tensor_index_example() -> None:
    builder = TableBuilder()
    builder.add(b"", HEADER_2_SHARDS)
    builder.add(b"a", ENTRY_A)
    builder.add(b"b", ENTRY_B)
    blob = builder.finish()
    assert len(blob) == 146
    # Data block: entries with varint (shared, non_shared, value_len) headers.
    assert blob[0x00:0x09] == bytes.fromhex("000006") + HEADER_2_SHARDS
    assert blob[0x09:0x0D] == bytes.fromhex("000113") + b"a"
    assert blob[0x0D:0x20] == ENTRY_A
    assert blob[0x20:0x24] == bytes.fromhex("000111") + b"b"
    assert blob[0x24:0x35] == ENTRY_B
    assert blob[0x35:0x3D] == bytes.fromhex("0000000001000000")  # restarts [0], count 1
    assert blob[0x3D] == 0
    stored = struct.unpack_from("<I", blob, 0x3E)[0]
    assert stored == mask(crc32c(blob[0:0x3E]))  # CRC covers the block and its type byte
    # Metaindex block and the index block, whose bytes do not depend on the entry values.
    assert blob[0x42:0x4F] == EMPTY_META_BLOCK + EMPTY_META_TRAILER
    # Index block: key "c" (short successor of "b"), value BlockHandle(0, 61); restart [0].
    assert blob[0x4F:0x5D] == bytes.fromhex("00010263003d0000000001000000")
    assert blob[0x5D:0x62] == bytes.fromhex("00ebb6695a")
    # Footer: handles (66, 8) and (79, 14), zero padding to 40 bytes, magic.
    assert blob[0x62:0x66] == bytes.fromhex("42084f0e")
    assert blob[0x66:0x8A] == b"\0" * 36
    assert blob[0x8A:] == MAGIC_BYTES
    assert list(TableReader(blob).items()) == [
        (b"", HEADER_2_SHARDS),
        (b"a", ENTRY_A),
        (b"b", ENTRY_B),
    ]


@pytest.mark.parametrize(
    ("start", "limit", "expected"),
    [
        (b"abc", b"abd", b"abc"),  # start[d]+1 == limit[d]: unchanged
        (b"abc", b"abz", b"abd"),
        (b"ab", b"abc", b"ab"),  # prefix: unchanged
        (b"a\xff", b"b", b"a\xff"),
        (b"a\xffx", b"a\xffz", b"a\xffy"),
        (b"t/00001", b"t/09999", b"t/01"),
    ],
)
def test_shortest_separator(start: bytes, limit: bytes, expected: bytes) -> None:
    assert shortest_separator(start, limit) == expected
    assert start <= expected < limit or start == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (b"scalar", b"t"),
        (b"b", b"c"),
        (b"_CHECKPOINTABLE_OBJECT_GRAPH", b"`"),
        (b"\xff\xffa", b"\xff\xffb"),
        (b"\xff\xff", b"\xff\xff"),
    ],
)
def test_short_successor(key: bytes, expected: bytes) -> None:
    assert short_successor(key) == expected


def test_restart_points_every_16_entries() -> None:
    builder = TableBuilder()
    keys = [b"key%03d" % i for i in range(40)]
    for k in keys:
        builder.add(k, b"v")
    blob = builder.finish()
    # The first data block starts at 0; its size is in the index handle; decode restarts.
    reader = TableReader(blob)
    assert [k for k, _ in reader.items()] == keys
    # Find the data block by walking: entries are contiguous from offset 0.
    offsets = []
    pos = 0
    prev = b""
    for i, k in enumerate(keys):
        offsets.append(pos)
        shared = blob[pos]
        assert shared == (0 if i % 16 == 0 else len(_common(prev, k)))
        non_shared, vlen = blob[pos + 1], blob[pos + 2]
        pos += 3 + non_shared + vlen
        prev = k
    n_restarts = 3
    restarts = struct.unpack_from(f"<{n_restarts + 1}I", blob, pos)
    assert list(restarts) == [offsets[0], offsets[16], offsets[32], n_restarts]


def _common(a: bytes, b: bytes) -> bytes:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def test_keys_must_increase() -> None:
    builder = TableBuilder()
    builder.add(b"b", b"")
    with pytest.raises(ValueError, match="table keys must increase"):
        builder.add(b"a", b"")
    with pytest.raises(ValueError, match="table keys must increase"):
        builder.add(b"b", b"")


def test_large_entry_starts_its_own_block() -> None:
    builder = TableBuilder(block_size=64)
    builder.add(b"a", b"x" * 10)
    builder.add(b"b", b"y" * 200)  # >= 2*block_size: previous block is flushed first
    builder.add(b"c", b"z")
    blob = builder.finish()
    items = list(TableReader(blob).items())
    assert items == [(b"a", b"x" * 10), (b"b", b"y" * 200), (b"c", b"z")]
    # Three data blocks: "a" alone, "b" alone (flushed after the add), then "c".
    assert blob[0:3] == bytes.fromhex("00010a")


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.binary(max_size=40), st.binary(max_size=300), max_size=60),
    st.sampled_from([64, 256, 4096, BLOCK_SIZE]),
)
def test_table_round_trip(entries: dict[bytes, bytes], block_size: int) -> None:
    builder = TableBuilder(block_size=block_size)
    for key in sorted(entries):
        builder.add(key, entries[key])
    blob = builder.finish()
    assert blob[-8:] == MAGIC_BYTES
    assert list(TableReader(blob).items()) == sorted(entries.items())


def test_reader_rejects_short_file_and_bad_magic() -> None:
    with pytest.raises(DataLossError, match=r"x\.index.*too short"):
        TableReader(b"\0" * 47, "x.index")
    blob = bytearray(TableBuilder().finish())
    blob[-1] ^= 0x01
    with pytest.raises(DataLossError, match=r"x\.index.*bad magic"):
        TableReader(bytes(blob), "x.index")
