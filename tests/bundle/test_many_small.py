"""The many-small-tensors fast paths give the same bytes and values as the protobuf paths.

- ``entries.encode_entry``/``encode_tails`` write what protobuf's serializer writes;
- ``entries.decode_many`` accepts an entry only when protobuf would parse the same values
  from it (checked on valid entries and on corrupted ones);
- ``TableBuilder.add_all`` (NumPy block layout) writes what ``add`` one by one writes;
- ``BundleWriter``'s batched small tensors give the same files as its one-by-one path, and
  ``read_many`` (batched decode) the same arrays as ``read``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stowflow import checkpoint
from stowflow.bundle import BundleReader, BundleWriter, entries
from stowflow.bundle import writer as writer_module
from stowflow.bundle.table import TableBuilder, TableReader, shared_prefix_lens
from stowflow.errors import DataLossError
from stowflow.proto import tensor_bundle_pb2

INT64_MAX = (1 << 63) - 1
dims = st.one_of(st.integers(0, 300), st.integers(0, INT64_MAX))
shapes = st.lists(dims, max_size=5)
u32 = st.integers(0, 0xFFFFFFFF)
shards = st.integers(0, (1 << 31) - 1)
longs = st.one_of(st.integers(0, 1 << 22), st.integers(0, INT64_MAX))


def _proto(dtype: int, shape: list[int], shard: int, offset: int, size: int, crc: int) -> bytes:
    e = tensor_bundle_pb2.BundleEntryProto(
        dtype=dtype, shard_id=shard, offset=offset, size=size, crc32c=crc
    )
    e.shape.SetInParent()
    for d in shape:
        e.shape.dim.add(size=d)
    return e.SerializeToString(deterministic=True)


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 127), shapes, shards, longs, longs, u32)
def test_encode_entry_is_protobufs_serialization(
    dtype: int, shape: list[int], shard: int, offset: int, size: int, crc: int
) -> None:
    got = entries.encode_entry(dtype, shape, shard, offset, size, crc)
    assert got == _proto(dtype, shape, shard, offset, size, crc)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(shards, longs, longs, u32), min_size=1, max_size=40))
def test_encode_tails_matches_encode_tail(rows: list[tuple[int, int, int, int]]) -> None:
    cols = [np.array(c, dtype=np.int64) for c in zip(*rows, strict=True)]
    assert entries.encode_tails(*cols) == [entries.encode_tail(*r) for r in rows]


def _parsed(raw: bytes) -> tuple | None:
    e = tensor_bundle_pb2.BundleEntryProto()
    try:
        e.ParseFromString(raw)
    except DecodeError:
        return None
    return (e.dtype, tuple(d.size for d in e.shape.dim), e.shard_id, e.offset, e.size, e.crc32c)


def _check_agrees(raws: list[bytes]) -> np.ndarray:
    got = entries.decode_many(raws)
    for i, raw in enumerate(raws):
        if got.ok[i]:
            head = got.heads[got.head[i]]
            assert head is not None
            fields = (*head, got.shard[i], got.offset[i], got.size[i], got.crc[i])
            assert _parsed(raw) == fields, raw.hex()
    return got.ok


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 127), st.lists(dims, max_size=4), shards, longs, longs, u32),
        min_size=1,
        max_size=20,
    )
)
def test_decode_many_reads_canonical_entries(rows: list[tuple]) -> None:
    raws = [entries.encode_entry(*r) for r in rows]
    ok = _check_agrees(raws)
    assert ok.all()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_decode_many_never_disagrees_with_protobuf_on_corrupt_bytes(data: st.DataObject) -> None:
    base = entries.encode_entry(1, [3, 0, 70000], 2, 1 << 33, 0, 0xDEADBEEF)
    raws = [base]
    for _ in range(data.draw(st.integers(1, 8))):
        raw = bytearray(base)
        for _ in range(data.draw(st.integers(1, 3))):
            what = data.draw(st.sampled_from(["flip", "cut", "append", "insert"]))
            pos = data.draw(st.integers(0, max(len(raw) - 1, 0)))
            byte = data.draw(st.integers(0, 255))
            if what == "flip" and raw:
                raw[pos] = byte
            elif what == "cut":
                del raw[pos:]
            elif what == "append":
                raw.append(byte)
            else:
                raw.insert(pos, byte)
        raws.append(bytes(raw))
    raws.append(data.draw(st.binary(max_size=40)))
    _check_agrees(raws)


def test_decode_many_leaves_unusual_entries_to_protobuf() -> None:
    sliced = tensor_bundle_pb2.BundleEntryProto(dtype=1)
    sliced.shape.dim.add(size=4)
    sliced.slices.add().extent.add(start=0, length=2)
    named = tensor_bundle_pb2.BundleEntryProto(dtype=1)
    named.shape.dim.add(size=4, name="rows")
    negative = tensor_bundle_pb2.BundleEntryProto(dtype=1, offset=-8)
    negative.shape.SetInParent()
    no_shape = tensor_bundle_pb2.BundleEntryProto(dtype=1, size=4)
    raws = [x.SerializeToString() for x in (sliced, named, negative, no_shape)] + [
        entries.encode_entry(1, [4], 0, 8, 16, 5) + b"\x40\x01"
    ]  # unknown field 8
    assert not entries.decode_many(raws).ok.any()


keys = st.lists(st.binary(max_size=12), min_size=1, max_size=150, unique=True).map(sorted)


@settings(max_examples=150, deadline=None)
@given(keys, st.data(), st.sampled_from([64, 100, 256, 4096]), st.integers(0, 3))
def test_add_all_writes_the_same_table_as_add(
    sorted_keys: list[bytes], data: st.DataObject, block_size: int, before: int
) -> None:
    sizes = st.one_of(st.integers(0, 20), st.integers(100, 300))
    values = [b"v" * data.draw(sizes) for _ in sorted_keys]
    items = list(zip(sorted_keys, values, strict=True))
    one_by_one = TableBuilder(block_size)
    for key, value in items:
        one_by_one.add(key, value)
    expected = one_by_one.finish()
    batched = TableBuilder(block_size)
    for key, value in items[:before]:  # add_all must also continue an open block
        batched.add(key, value)
    batched.add_all(sorted_keys[before:], values[before:])
    assert batched.finish() == expected
    assert list(TableReader(expected).items()) == items


def test_add_all_then_add_continues_the_open_block() -> None:
    items = [(b"k%04d" % i, b"x" * (i % 7)) for i in range(300)]
    one_by_one = TableBuilder(512)
    for key, value in items:
        one_by_one.add(key, value)
    batched = TableBuilder(512)
    batched.add_all([k for k, _ in items[:250]], [v for _, v in items[:250]])
    for key, value in items[250:]:
        batched.add(key, value)
    assert batched.finish() == one_by_one.finish()


def test_add_all_refuses_unsorted_keys() -> None:
    items = [(b"k%04d" % i, b"") for i in range(100)]
    items[50], items[51] = items[51], items[50]
    with pytest.raises(ValueError, match="table keys must increase"):
        TableBuilder().add_all([k for k, _ in items], [v for _, v in items])


@given(st.lists(st.binary(max_size=6), min_size=2, max_size=80))
def test_shared_prefix_lens(keys: list[bytes]) -> None:
    assert shared_prefix_lens(keys).tolist() == [
        len(os.path.commonprefix([a, b])) for a, b in zip(keys, keys[1:])
    ]


DTYPES = ["float32", "float64", "int8", "int64", "bool", "complex64", "uint16", "float16"]


def _arrays(rng: np.random.Generator) -> dict[str, np.ndarray]:
    out = {}
    for i in range(120):
        dtype = DTYPES[i % len(DTYPES)]
        shape = [(), (0,), (3,), (2, 5), (1, 1, 4)][i % 5]
        out[f"v{i:03d}/w"] = (rng.standard_normal(shape) * 10).astype(dtype)
    out["big"] = rng.standard_normal(40_000).astype(np.float32)  # not batched: 160 kB
    out["text"] = np.array([b"ab", b""], dtype=object)
    return out


def _write(prefix: str, arrays: dict[str, np.ndarray], num_shards: int) -> None:
    with BundleWriter(prefix, num_shards=num_shards) as w:
        for i, name in enumerate(sorted(arrays)):
            w.add(name, arrays[name], shard=i % num_shards)


@pytest.mark.parametrize("num_shards", [1, 3])
def test_batched_writer_writes_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, num_shards: int
) -> None:
    arrays = _arrays(np.random.default_rng(7))
    _write(str(tmp_path / "fast"), arrays, num_shards)
    monkeypatch.setattr(writer_module, "_SMALL_BYTES", 0)  # every tensor one by one
    _write(str(tmp_path / "slow"), arrays, num_shards)
    for suffix in [".index"] + [f".data-{i:05d}-of-{num_shards:05d}" for i in range(num_shards)]:
        assert (tmp_path / f"fast{suffix}").read_bytes() == (
            tmp_path / f"slow{suffix}"
        ).read_bytes()


def test_batched_writer_snapshots_the_array(tmp_path: Path) -> None:
    buf = np.arange(4, dtype=np.float32)
    with BundleWriter(str(tmp_path / "m")) as w:
        w.add("a", buf)
        buf[:] = -1  # reused by the caller before the batch is written
        w.add("b", buf)
    loaded = checkpoint.load(str(tmp_path / "m"))
    assert loaded["a"].tolist() == [0, 1, 2, 3]
    assert loaded["b"].tolist() == [-1] * 4


def test_read_many_matches_read(tmp_path: Path) -> None:
    arrays = _arrays(np.random.default_rng(3))
    prefix = str(tmp_path / "m")
    _write(prefix, arrays, 2)
    with BundleReader(prefix) as r:
        many = r.read_many(sorted(arrays))
        for name, value in arrays.items():
            one = r.read(name)
            assert many[name].dtype == one.dtype == value.dtype
            assert many[name].shape == one.shape == value.shape
            if value.dtype == object:
                assert many[name].tolist() == one.tolist() == value.tolist()
            else:
                assert many[name].tobytes() == one.tobytes() == value.tobytes()
            assert isinstance(many[name], np.ndarray)


def test_read_many_names_the_tensor_with_a_bad_checksum(tmp_path: Path) -> None:
    prefix = str(tmp_path / "m")
    with BundleWriter(prefix) as w:
        for i in range(50):
            w.add(f"t{i:02d}", np.full(4, i, np.float32))
    data = Path(prefix + ".data-00000-of-00001")
    raw = bytearray(data.read_bytes())
    raw[16 * 37 + 5] ^= 0x40  # inside t37
    data.write_bytes(bytes(raw))
    with pytest.raises(DataLossError, match=r"tensor t37 from .*m\.data-00000-of-00001"):
        checkpoint.load(prefix)


def test_read_many_falls_back_for_non_canonical_entries(tmp_path: Path) -> None:
    prefix = str(tmp_path / "m")
    with BundleWriter(prefix) as w:
        for i in range(10):
            w.add(f"t{i}", np.full(3, i, np.int32))
    index = Path(prefix + ".index")
    table = TableBuilder()
    for key, value in TableReader(index.read_bytes()).items():
        if key == b"t4":  # the same fields, shape before dtype: valid, not canonical
            e = tensor_bundle_pb2.BundleEntryProto()
            e.ParseFromString(value)
            shape = e.shape.SerializeToString()
            tail = entries.encode_tail(e.shard_id, e.offset, e.size, e.crc32c)
            value = b"\x12" + bytes([len(shape)]) + shape + b"\x08\x03" + tail
            assert _parsed(value) == (3, (3,), e.shard_id, e.offset, e.size, e.crc32c)
            assert not entries.decode_many([value]).ok[0]
        table.add(key, value)
    index.write_bytes(table.finish())
    loaded = checkpoint.load(prefix)
    assert [int(loaded[f"t{i}"][0]) for i in range(10)] == list(range(10))


@given(st.lists(u32, max_size=20))
def test_vectorised_masks_match_mask(crcs: list[int]) -> None:
    from stowflow.bundle.crc import mask, mask_many, unmask_many

    masked = mask_many(crcs).tolist()
    assert masked == [mask(c) for c in crcs]
    assert unmask_many(masked) == crcs
