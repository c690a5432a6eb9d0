"""A crafted ``.index`` can claim any offset, size or shape: readers refuse before allocating.

Every case must raise DataLossError (never MemoryError, a bare OSError or a huge allocation)
from both the batched ``checkpoint.load`` path and ``Reader.get_tensor``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stowflow import checkpoint
from stowflow.bundle.table import TableBuilder, TableReader
from stowflow.bundle.writer import BundleWriter
from stowflow.errors import DataLossError
from stowflow.proto import tensor_bundle_pb2


def _craft(prefix: str, mutate: Callable[[Any], None]) -> None:
    with BundleWriter(prefix) as w:
        w.add("a", np.ones(4, np.float32))
    index = Path(prefix + ".index")
    table = TableBuilder()
    for key, value in TableReader(index.read_bytes()).items():
        if key == b"a":
            entry = tensor_bundle_pb2.BundleEntryProto()
            entry.ParseFromString(value)
            mutate(entry)
            value = entry.SerializeToString()
        table.add(key, value)
    index.write_bytes(table.finish())


def _huge_size(e: Any) -> None:
    e.size = 1 << 46
    e.shape.dim[0].size = 1 << 44


def _negative_offset(e: Any) -> None:
    e.offset = -8


def _negative_dims(e: Any) -> None:
    e.shape.dim[0].size = -2
    e.shape.dim.add(size=-2)


def _huge_partitioned(e: Any) -> None:
    del e.shape.dim[:]
    e.shape.dim.add(size=1 << 40)
    extent = e.slices.add().extent.add()
    extent.start = 0
    extent.length = 4


def _bad_shard(e: Any) -> None:
    e.shard_id = 7


@pytest.mark.parametrize(
    "mutate", [_huge_size, _negative_offset, _negative_dims, _huge_partitioned, _bad_shard]
)
@pytest.mark.parametrize("reader", ["load", "get_tensor"])
def test_crafted_entries_are_refused(tmp_path: Path, mutate: Any, reader: str) -> None:
    prefix = str(tmp_path / "m")
    _craft(prefix, mutate)
    with pytest.raises(DataLossError, match=r"m\.(index|data)"):
        if reader == "load":
            checkpoint.load(prefix)
        else:
            with checkpoint.Reader(prefix) as r:
                r.get_tensor("a")
