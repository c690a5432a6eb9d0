"""merge_bundles (MergeV2Checkpoints) removes only empty part directories, as TF does."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stowflow import checkpoint
from stowflow.bundle import BundleWriter, merge_bundles


def test_merge_never_deletes_a_directory_with_other_files(tmp_path: Path) -> None:
    user_dir = tmp_path / "userdata"
    user_dir.mkdir()
    (user_dir / "precious.txt").write_text("keep me")
    with BundleWriter(str(user_dir / "part")) as w:
        w.add("x", np.arange(3, dtype=np.int32))
    merge_bundles([str(user_dir / "part")], str(tmp_path / "out" / "model"))
    assert (user_dir / "precious.txt").read_text() == "keep me"
    assert not (user_dir / "part.index").exists()  # the part itself is consumed
    np.testing.assert_array_equal(
        checkpoint.load(str(tmp_path / "out" / "model"))["x"], np.arange(3, dtype=np.int32)
    )


def test_merge_removes_an_emptied_temp_dir(tmp_path: Path) -> None:
    parts = []
    for i, name in enumerate(["a", "b"]):
        prefix = tmp_path / "model_temp" / f"part-{i:05d}-of-00002"
        with BundleWriter(str(prefix)) as w:
            w.add(name, np.float32(i))
        parts.append(str(prefix))
    merge_bundles(parts, str(tmp_path / "model"))
    assert not (tmp_path / "model_temp").exists()
    assert checkpoint.load(str(tmp_path / "model")) == {"a": np.float32(0), "b": np.float32(1)}
