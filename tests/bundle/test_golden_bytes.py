"""Our BundleWriter, given TF's tensors in TF's order, writes TF's exact bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from stowflow_testlib import GOLDEN, expected_array, expected_tensors, load_expected

from stowflow.bundle import BundleWriter
from stowflow.bundle.slices import parse_shape_and_slice
from stowflow.bundle.table import TableReader
from stowflow.proto import tensor_bundle_pb2


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _assert_same_files(ours: Path, theirs: Path, names: list[str]) -> None:
    for name in names:
        a, b = _read(ours / name), _read(theirs / name)
        assert len(a) == len(b), f"{name}: {len(a)} bytes, TF wrote {len(b)}"
        if a != b:
            first = next(i for i in range(len(a)) if a[i] != b[i])
            pytest.fail(f"{name} differs from TF's first at byte {first}")


def _files_of(fixture: Path, prefix: str) -> list[str]:
    return sorted(p.name for p in fixture.iterdir() if p.name.startswith(prefix + "."))


@pytest.mark.parametrize("name", ["raw_savev2_golden", "raw_savev2_sliced"])
def test_savev2_call_reproduced(name: str, tmp_path: Path) -> None:
    """Fixtures whose manifest records the exact SaveV2 call (names, slices, order)."""
    fixture = GOLDEN / name
    exp = load_expected(fixture)
    call = exp["savev2_call"]
    with BundleWriter(str(tmp_path / exp["prefix"])) as writer:
        for inp in call["inputs"]:
            value = expected_array(inp)
            spec = parse_shape_and_slice(inp["shape_and_slice"])
            if spec is None:
                writer.add(inp["name"], value, dtype=inp["dtype"])
            else:
                writer.add_slice(
                    inp["name"], spec.full_shape, spec.extents, value, dtype=inp["dtype"]
                )
    files = _files_of(fixture, exp["prefix"])
    assert files == sorted(exp["files"])
    _assert_same_files(tmp_path, fixture, files)


def test_multiblock_index_reproduced(tmp_path: Path) -> None:
    fixture = GOLDEN / "raw_savev2_multiblock"
    exp = load_expected(fixture)
    tensors = expected_tensors(fixture)
    with BundleWriter(str(tmp_path / exp["prefix"])) as writer:
        for key in sorted(tensors):  # manifest: i ascending = sorted key order
            writer.add(key, tensors[key])
    for name, info in exp["files"].items():
        data = _read(tmp_path / name)
        assert len(data) == info["size"], name
        assert hashlib.sha256(data).hexdigest() == info["sha256"], name
    _assert_same_files(tmp_path, fixture, list(exp["files"]))


def test_multiblock_fixture_has_two_data_blocks() -> None:
    """Sanity check of the fixture itself: it exercises separator keys between blocks."""
    fixture = GOLDEN / "raw_savev2_multiblock"
    reader = TableReader(_read(fixture / "multi.index"), "multi.index")
    assert len(reader._index_entries) == load_expected(fixture)["index_data_blocks"] == 2


@pytest.mark.parametrize("name", ["tf1_single", "tf1_global_step"])
def test_tf1_saver_order_reproduced(name: str, tmp_path: Path) -> None:
    """TF1 Saver passes saveables to SaveV2 sorted by name (FORMATS.md §1.9)."""
    fixture = GOLDEN / name
    exp = load_expected(fixture)
    with BundleWriter(str(tmp_path / exp["prefix"])) as writer:
        for key in sorted(exp["tensors"]):
            spec = exp["tensors"][key]
            writer.add(key, expected_array(spec), dtype=spec["dtype"])
    _assert_same_files(
        tmp_path,
        fixture,
        [exp["prefix"] + ".index", exp["prefix"] + ".data-00000-of-00001"],
    )


def test_tf1_partitioned_saver_reproduced(tmp_path: Path) -> None:
    """fixed_size_partitioner slices ([3,2]+[2,2] and [3,3]+[2,3]+[2,3], from the fixture's
    inspect output) with the explicit full-dim extents the TF1 Saver writes."""
    fixture = GOLDEN / "tf1_partitioned"
    t = expected_tensors(fixture)
    with BundleWriter(str(tmp_path / "model.ckpt")) as writer:
        writer.add("normal", t["normal"])
        writer.add("note", t["note"])
        for name, rows in (("part/pv", (3, 2)), ("part/pw", (3, 2, 2))):
            full = t[name]
            start = 0
            for n in rows:
                extents = [(start, n), (0, full.shape[1])]
                writer.add_slice(name, full.shape, extents, full[start : start + n])
                start += n
    _assert_same_files(tmp_path, fixture, ["model.ckpt.index", "model.ckpt.data-00000-of-00001"])


# -- inline golden entry bytes (FORMATS.md §1.4-1.5) -----------------------------------------


def _index_items(prefix: Path) -> dict[bytes, bytes]:
    return dict(TableReader(_read(Path(str(prefix) + ".index"))).items())


def test_header_and_entry_bytes(tmp_path: Path) -> None:
    prefix = tmp_path / "p"
    with BundleWriter(str(prefix)) as writer:
        writer.add("a", np.arange(6, dtype=np.float32).reshape(2, 3))
        writer.add("e", np.zeros((0, 3), np.float32))
        writer.add("s", np.float32(1.5))
    items = _index_items(prefix)
    assert items[b""] == bytes.fromhex("08011a020801")
    assert items[b"a"][:15] == bytes.fromhex("080112081202080212020803281835")
    assert len(items[b"a"]) == 19
    # float32[0,3]: the 0 dim is an empty Dim message; size 0 omitted; crc = mask(0).
    assert items[b"e"] == bytes.fromhex("08011206120012020803201835d8ea82a2")
    # scalar: shape always present as 12 00.
    assert items[b"s"][:4] == bytes.fromhex("08011200")
    entry = tensor_bundle_pb2.BundleEntryProto.FromString(items[b"s"])
    assert entry.offset == 24 and entry.size == 4


def test_two_shard_header_bytes(tmp_path: Path) -> None:
    prefix = tmp_path / "p"
    with BundleWriter(str(prefix), num_shards=2) as writer:
        writer.add("a", np.int64(1), shard=1)
        writer.add("b", np.int64(2), shard=0)
    items = _index_items(prefix)
    assert items[b""] == bytes.fromhex("08021a020801")
    entry_a = tensor_bundle_pb2.BundleEntryProto.FromString(items[b"a"])
    assert entry_a.shard_id == 1 and entry_a.offset == 0
    assert (tmp_path / "p.data-00000-of-00002").read_bytes() == (2).to_bytes(8, "little")
    assert (tmp_path / "p.data-00001-of-00002").read_bytes() == (1).to_bytes(8, "little")


def test_string_tensor_data_file_bytes(tmp_path: Path) -> None:
    prefix = tmp_path / "p"
    with BundleWriter(str(prefix)) as writer:
        writer.add("s", np.array([b"hello", b"", b"x" * 200], dtype=object))
        writer.add("z", np.array([], dtype=object))
    data = (tmp_path / "p.data-00000-of-00001").read_bytes()
    assert data == bytes.fromhex("0500c801018caa2b") + b"hello" + b"x" * 200 + bytes.fromhex(
        "d8ea82a2"
    )
    z = tensor_bundle_pb2.BundleEntryProto.FromString(_index_items(prefix)[b"z"])
    assert (z.dtype, z.offset, z.size) == (7, 213, 4)
