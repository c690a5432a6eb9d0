"""The model server's storage for URL base paths (``serving.storage.FsspecStorage``): the
prefix listing that version polling does, change detection, and the local copy to load."""

from __future__ import annotations

import os
import subprocess
import sys

from stowflow_testlib import DEV_PYTHON_ENV

from stowflow import gfile
from stowflow.serving import storage


def _put(url: str, data: bytes) -> None:
    with gfile.GFile(url, "wb") as f:
        f.write(data)


def test_fsspec_storage_lists_versions_and_sees_changes(memory_root: str) -> None:
    base = f"{memory_root}/models/m"
    fs = storage.for_path(base)
    assert isinstance(fs, storage.FsspecStorage)
    assert not fs.exists(base)
    _put(f"{base}/1/saved_model.pb", b"one")
    _put(f"{base}/1/variables/variables.index", b"idx")
    assert fs.exists(base)
    assert fs.children(base) == ["1"]
    before = fs.fingerprint(storage.join(base, "1"))
    assert [entry[:2] for entry in before] == [
        ("saved_model.pb", 3),
        ("variables/variables.index", 3),
    ]
    _put(f"{base}/2/saved_model.pb", b"two")  # a new version appears in the next listing
    assert fs.children(base) == ["1", "2"]
    _put(f"{base}/1/saved_model.pb", b"uno!")
    assert fs.fingerprint(storage.join(base, "1")) != before
    local = fs.local_dir(storage.join(base, "1"))
    assert not local.startswith("memory:")
    with open(os.path.join(local, "variables", "variables.index"), "rb") as f:
        assert f.read() == b"idx"
    with open(os.path.join(local, "saved_model.pb"), "rb") as f:
        assert f.read() == b"uno!"


def test_plain_paths_stay_local(tmp_path) -> None:
    assert isinstance(storage.for_path(str(tmp_path)), storage.LocalStorage)
    assert isinstance(storage.for_path(f"file://{tmp_path}"), storage.LocalStorage)


def test_base_path_without_backend_is_an_error_naming_the_extra() -> None:
    code = (
        "import sys; sys.modules['gcsfs'] = None\n"
        "from stowflow import errors\n"
        "from stowflow.serving import storage\n"
        "try:\n"
        "    storage.for_path('gs://bucket/models/m')\n"
        "except errors.UnimplementedError as e:\n"
        "    print(e.message)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=DEV_PYTHON_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("pip install 'stowflow[gcs]'")
    assert proc.stdout.startswith("gs://bucket/models/m: no file system for gs:// URLs")
