"""The storage seam itself: which paths are remote, TF's environment variables as fsspec
options, and the errors for URLs no installed backend serves (never a local ``s3:`` dir)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from stowflow_testlib import DEV_PYTHON_ENV

from stowflow import _fs, checkpoint, errors, gfile, storage
from stowflow.storage import options


@pytest.mark.parametrize(
    ("path", "scheme", "remote"),
    [
        ("/tmp/ckpt/model", "", False),
        ("relative/model", "", False),
        ("file:///tmp/ckpt", "file", False),
        ("s3://bucket/key", "s3", True),
        ("GS://bucket/key", "gs", True),
        ("memory://x/y", "memory", True),
        ("C:/windows/path", "", False),  # a drive letter is no scheme
    ],
)
def test_scheme_and_remoteness(path: str, scheme: str, remote: bool) -> None:
    assert storage.scheme_of(path) == scheme
    assert storage.is_url(path) is remote


def test_file_urls_are_local_paths(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/ckpt/model"
    checkpoint.save(url, {"w": np.arange(4, dtype=np.int32)})
    assert (tmp_path / "ckpt" / "model.index").is_file()  # a real local file, via os
    np.testing.assert_array_equal(checkpoint.load(f"file://{tmp_path}/ckpt")["w"], np.arange(4))
    assert gfile.Exists(f"file://{tmp_path}/ckpt/checkpoint")


def test_s3_variables_map_onto_s3fs_options() -> None:
    env = {
        "S3_ENDPOINT": "minio.local:9000",
        "S3_USE_HTTPS": "0",
        "S3_VERIFY_SSL": "0",
        "S3_REGION": "eu-west-1",
    }
    got = options.s3_options(env)
    assert got["client_kwargs"] == {
        "endpoint_url": "http://minio.local:9000",
        "verify": False,
        "region_name": "eu-west-1",
    }
    assert got["use_ssl"] is False
    assert got["use_listings_cache"] is False


def test_s3_defaults_are_https_and_aws_region_wins() -> None:
    got = options.s3_options(
        {"S3_ENDPOINT": "s3.example.com", "AWS_REGION": "us-west-2", "S3_REGION": "eu-west-1"}
    )
    assert got["client_kwargs"] == {
        "endpoint_url": "https://s3.example.com",
        "region_name": "us-west-2",
    }
    assert "use_ssl" not in got
    # An endpoint with a scheme is taken as it is.
    explicit = options.s3_options({"S3_ENDPOINT": "http://127.0.0.1:5000"})
    assert explicit["client_kwargs"] == {"endpoint_url": "http://127.0.0.1:5000"}


def test_gcs_variables_map_onto_gcsfs_options() -> None:
    assert options.gcs_options({"GOOGLE_APPLICATION_CREDENTIALS": "/keys/sa.json"})["token"] == (
        "/keys/sa.json"
    )
    assert options.gcs_options({"STORAGE_EMULATOR_HOST": "http://127.0.0.1:1"})["token"] == "anon"
    assert "token" not in options.gcs_options({})
    assert options.class_for("gs", {"STORAGE_EMULATOR_HOST": "x"}) == "gcsfs.core.GCSFileSystem"
    assert options.class_for("gs", {}) is None


def test_s3_variables_reach_the_filesystem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_ENDPOINT", "127.0.0.1:1")
    monkeypatch.setenv("S3_USE_HTTPS", "0")
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    remote = storage.resolve("s3://bucket/ckpt/model")
    assert remote.path == "bucket/ckpt/model"
    assert remote.fs.client_kwargs["endpoint_url"] == "http://127.0.0.1:1"
    assert remote.fs.client_kwargs["region_name"] == "ap-south-1"


def test_unknown_scheme_is_tfs_error_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(errors.UnimplementedError) as e:
        checkpoint.save("nosuchfs://b/ckpt/model", {"w": np.zeros(2)})
    assert e.value.message.startswith(
        "File system scheme 'nosuchfs' not implemented (file: 'nosuchfs://b/ckpt/model"
    )
    assert list(tmp_path.iterdir()) == []


_BLOCKED = """
import sys
sys.modules["s3fs"] = None  # as if stowflow[s3] were not installed
sys.modules["gcsfs"] = None
import numpy as np
from stowflow import checkpoint
from stowflow._extras import MissingExtraError
for url in ("s3://b/ckpt/model", "gs://b/ckpt/model"):
    try:
        checkpoint.save(url, {"w": np.zeros(2)})
    except MissingExtraError as e:
        print(type(e).__name__, e.extra, "|", e)
"""


def test_missing_backend_names_the_extra_and_writes_nothing(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _BLOCKED],
        cwd=tmp_path,
        env=DEV_PYTHON_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("MissingBackendError s3 | s3://b/ckpt/model: no file system for s3")
    assert lines[0].endswith("pip install 'stowflow[s3]'")
    assert lines[1].startswith("MissingBackendError gcs | gs://b/ckpt/model: no file system for gs")
    assert lines[1].endswith("pip install 'stowflow[gcs]'")
    assert list(tmp_path.iterdir()) == []  # no local directory named s3: or gs:


def test_missing_backend_in_the_cli_is_one_line(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['s3fs'] = None\n"
        "from stowflow.tools.cli import main\n"
        "sys.exit(main(['inspect', '--file_name=s3://b/ckpt/model']))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=DEV_PYTHON_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "stowflow: error: s3://b/ckpt/model: no file system for s3:// URLs "
        "(Install s3fs to access S3): pip install 'stowflow[s3]'"
    ]


def test_local_fast_path_does_not_touch_fsspec(tmp_path: Path) -> None:
    code = (
        "import sys, numpy as np\n"
        "from stowflow import checkpoint, gfile\n"
        f"checkpoint.save({str(tmp_path / 'm')!r}, {{'w': np.ones(3)}})\n"
        f"checkpoint.load({str(tmp_path)!r})\n"
        f"gfile.ListDirectory({str(tmp_path)!r})\n"
        "print('fsspec' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=DEV_PYTHON_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_relpath_and_isabs_for_urls() -> None:
    assert _fs.isabs("s3://b/x")
    assert _fs.relpath("s3://b/ckpt/model-1", "s3://b/ckpt") == "model-1"
    assert _fs.relpath("s3://other/model", "s3://b/ckpt") == "s3://other/model"
    assert _fs.same_path("memory://a/b/", "memory://a/b")
