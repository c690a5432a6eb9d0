"""``stowflow serve --model_base_path=s3://...`` against moto's S3 server: it serves the
version in the bucket and picks up a new version uploaded while it runs (version polling is
a prefix listing of the base path)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from storage_helpers import (
    AFFINE_INPUT,
    AFFINE_OUTPUT,
    S3_BUCKET,
    MotoS3,
    build_affine_model,
    free_port,
)
from stowflow_testlib import DEV_PYTHON_ENV

STARTUP_SECONDS = 180  # the shared 2-core machine can be slow to import and load


def _wait(check: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _http(port: int, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def _available(port: int) -> list[str]:
    code, body = _http(port, "/v1/models/affine")
    if code != 200:
        return []
    return [s["version"] for s in body["model_version_status"] if s["state"] == "AVAILABLE"]


@pytest.mark.slow
def test_serve_from_s3_picks_up_a_new_version(moto_s3: MotoS3, tmp_path: Path) -> None:
    base = f"s3://{S3_BUCKET}/serving/affine"
    build_affine_model(f"{base}/1")
    rest = free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stowflow",
                "serve",
                f"--port={free_port()}",
                f"--rest_api_port={rest}",
                "--grpc_host=127.0.0.1",
                "--rest_api_host=127.0.0.1",
                "--model_name=affine",
                f"--model_base_path={base}",
                "--file_system_poll_wait_seconds=1",
            ],
            stdout=log,
            stderr=log,
            env={**DEV_PYTHON_ENV, **moto_s3.env},
        )
        try:

            def ready() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(f"server exited:\n{log_path.read_text()}")
                return "stowflow serve: ready" in log_path.read_text(errors="replace")

            _wait(ready, "the server to start", STARTUP_SECONDS)
            _wait(lambda: _available(rest) == ["1"], "version 1")
            code, body = _http(rest, "/v1/models/affine:predict", {"instances": AFFINE_INPUT})
            assert code == 200, body
            assert body["predictions"] == AFFINE_OUTPUT

            build_affine_model(f"{base}/2", bias=(100.0, 200.0))  # uploaded while it runs
            _wait(lambda: _available(rest) == ["2"], "version 2 to replace version 1")
            code, body = _http(rest, "/v1/models/affine:predict", {"instances": AFFINE_INPUT})
            assert code == 200, body
            assert body["predictions"] == [[104.0, 206.0], [106.0, 208.0]]
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
