"""Offline object stores for the storage tests: moto's S3 server and a GCS emulator on
loopback, and the instrumented in-memory file systems (``storage_helpers``).

The S3 and GCS servers run in this process on free 127.0.0.1 ports; the tests reach them as
a user would, through the environment variables TensorFlow reads (``S3_ENDPOINT``,
``S3_USE_HTTPS``, ``AWS_REGION``; ``STORAGE_EMULATOR_HOST`` for gcsfs).
"""

from __future__ import annotations

from collections.abc import Iterator

import fsspec
import pytest
from storage_helpers import (
    GCS_BUCKET,
    S3_BUCKET,
    CountingMemoryFS,
    MotoS3,
    RecordingMemoryFS,
    free_port,
    patched_env,
    plain_name,
    restore_env,
)


@pytest.fixture
def recording_fs() -> Iterator[type[RecordingMemoryFS]]:
    """The ``ordermem://`` file system, emptied, with its write log cleared."""
    RecordingMemoryFS.store.clear()
    RecordingMemoryFS.completed.clear()
    yield RecordingMemoryFS
    RecordingMemoryFS.store.clear()


@pytest.fixture
def counting_fs() -> Iterator[type[CountingMemoryFS]]:
    """The ``countmem://`` file system, emptied, with its byte counter at zero."""
    CountingMemoryFS.store.clear()
    CountingMemoryFS.bytes_read = 0
    yield CountingMemoryFS
    CountingMemoryFS.store.clear()


@pytest.fixture
def memory_root(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh ``memory://`` directory for one test (removed afterwards)."""
    root = f"memory://stowflow-tests/{plain_name(request.node.name)}"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    """A moto S3 server with bucket ``stowflow-test``; the S3 variables set for the session."""
    server = MotoS3()
    saved = patched_env(server.env)
    try:
        import boto3

        boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{server.port}", region_name="us-east-1"
        ).create_bucket(Bucket=S3_BUCKET)
        yield server
    finally:
        restore_env(saved)
        server.stop()


@pytest.fixture
def s3_root(moto_s3: MotoS3, request: pytest.FixtureRequest) -> str:
    """A fresh ``s3://`` prefix for one test."""
    return f"s3://{S3_BUCKET}/{plain_name(request.node.name)}"


# -- the GCS emulator ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[dict[str, str]]:
    """gcp-storage-emulator on 127.0.0.1 with bucket ``stowflow-gcs``; gcsfs pointed at it."""
    from gcp_storage_emulator.server import create_server

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket=GCS_BUCKET)
    server.start()
    env = {"STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}"}
    saved = patched_env(env)
    try:
        yield env
    finally:
        restore_env(saved)
        server.stop()


@pytest.fixture
def gs_root(gcs_emulator: dict[str, str], request: pytest.FixtureRequest) -> str:
    """A fresh ``gs://`` prefix for one test."""
    return f"gs://{GCS_BUCKET}/{plain_name(request.node.name)}"
