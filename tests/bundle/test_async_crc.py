"""Large payloads are checksummed in a worker thread; the files must not change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stowflow.bundle import BundleReader, BundleWriter, writer
from stowflow.errors import DataLossError


def _write(prefix: Path, arrays: dict[str, np.ndarray]) -> bytes:
    with BundleWriter(str(prefix)) as w:
        for name, value in arrays.items():
            w.add(name, value)
    return (prefix.parent / (prefix.name + ".index")).read_bytes()


def test_async_crc_writes_the_same_index_as_the_synchronous_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(3)
    arrays = {
        "big": rng.standard_normal(600_000).astype(np.float32),  # 2.4 MB: async
        "small": np.arange(10, dtype=np.int64),  # sync
        "big2": rng.integers(0, 255, 3 << 20, dtype=np.uint8),  # async
    }
    async_index = _write(tmp_path / "a", arrays)
    monkeypatch.setattr(writer, "_ASYNC_CRC_BYTES", 1 << 62)
    sync_index = _write(tmp_path / "s", arrays)
    assert async_index == sync_index
    assert (tmp_path / "a.data-00000-of-00001").read_bytes() == (
        tmp_path / "s.data-00000-of-00001"
    ).read_bytes()
    with BundleReader(str(tmp_path / "a")) as r:
        for name, value in arrays.items():
            np.testing.assert_array_equal(r.read(name), value)


def test_async_crc_still_catches_corruption(tmp_path: Path) -> None:
    big = np.ones(1 << 20, np.float32)
    _write(tmp_path / "m", {"big": big})
    data = tmp_path / "m.data-00000-of-00001"
    raw = bytearray(data.read_bytes())
    raw[12345] ^= 0x40
    data.write_bytes(bytes(raw))
    with BundleReader(str(tmp_path / "m")) as r, pytest.raises(DataLossError, match="big"):
        r.read("big")
