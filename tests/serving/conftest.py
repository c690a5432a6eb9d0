"""Helpers for the serving tests: model directories, a `stowflow serve` subprocess, HTTP."""

from __future__ import annotations

import gzip
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from stowflow_testlib import DEV_PYTHON_ENV, ROOT

import stowflow as tf
from stowflow import saved_model as sm

SAVEDMODELS = ROOT / "tests" / "golden" / "savedmodels"
STARTUP_SECONDS = 180  # the shared 2-core machine can be very slow to import and load
HTTP_TIMEOUT = 60


def copy_version(src: str, base: Path, version: int | str) -> Path:
    """Copies golden SavedModel ``src`` into ``base/version``."""
    dest = base / str(version)
    shutil.copytree(SAVEDMODELS / src, dest)
    return dest


def build_bytes_model(export_dir: Path) -> None:
    """A stowflow-built SavedModel: string input ``text`` echoed as ``echo_bytes`` and ``echo``."""
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        text = tf.placeholder(tf.string, [None], name="text")
        echo = tf.identity(text, name="echo")
        builder = sm.builder.SavedModelBuilder(str(export_dir))
        sig = sm.signature_def_utils.predict_signature_def(
            {"text": text}, {"echo_bytes": echo, "echo": echo}
        )
        builder.add_meta_graph_and_variables(sess, ["serve"], {"serving_default": sig})
        builder.save()


def build_two_input_model(export_dir: Path) -> None:
    """A stowflow-built SavedModel: ``sum = a + b`` (float32 [None, 2]) and ``n = a`` as int."""
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        a = tf.placeholder(tf.float32, [None, 2], name="a")
        b = tf.placeholder(tf.float32, [None, 2], name="b")
        total = tf.add(a, b, name="sum")
        builder = sm.builder.SavedModelBuilder(str(export_dir))
        sig = sm.signature_def_utils.predict_signature_def({"a": a, "b": b}, {"sum": total})
        builder.add_meta_graph_and_variables(sess, ["serve"], {"serving_default": sig})
        builder.save()


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A `stowflow serve` subprocess on free 127.0.0.1 ports."""

    def __init__(self, args: list[str], log_path: Path) -> None:
        self.grpc_port = free_port()
        self.rest_port = free_port()
        self.log_path = log_path
        self.scheme = "http"
        self.ssl_context: Any = None
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        cmd = [
            sys.executable,
            "-m",
            "stowflow",
            "serve",
            f"--port={self.grpc_port}",
            f"--rest_api_port={self.rest_port}",
            "--grpc_host=127.0.0.1",
            "--rest_api_host=127.0.0.1",
            *args,
        ]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=self._log, env=DEV_PYTHON_ENV)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if "stowflow serve: ready" in self.log():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.2)
        raise AssertionError(f"server not ready after {STARTUP_SECONDS}s:\n{self.log()}")

    def stop(self) -> int | None:
        """SIGTERM, wait (bounded), kill if needed; returns the exit code."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=30)
        finally:
            self._log.close()
        return self.proc.returncode

    # -- HTTP ---------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bool = False,
    ) -> tuple[int, Any, dict[str, str]]:
        """(status, parsed JSON body, headers) of one HTTP request."""
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.scheme}://127.0.0.1:{self.rest_port}{path}",
            data=data,
            method=method,
            headers=headers or {},
        )
        try:
            with urllib.request.urlopen(
                req, timeout=HTTP_TIMEOUT, context=self.ssl_context
            ) as resp:
                code, text, hdrs = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as e:
            code, text, hdrs = e.code, e.read(), dict(e.headers)
        if raw:
            return code, text, hdrs
        return code, json.loads(text) if text else None, hdrs

    def get(self, path: str) -> tuple[int, Any]:
        code, body, _ = self.request("GET", path)
        return code, body

    def post(self, path: str, body: Any, **kw: Any) -> tuple[int, Any]:
        code, parsed, _ = self.request("POST", path, body, **kw)
        return code, parsed


def wait_until(check: Callable[[], bool], what: str, seconds: float = 120) -> None:
    """Polls ``check`` until true (bounded); fails naming ``what``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Starts servers with given flags; every one is stopped at teardown."""
    servers: list[Server] = []

    def start(*args: str) -> Server:
        server = Server(list(args), tmp_path / f"server{len(servers)}.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def gz(data: bytes) -> bytes:
    """gzip-compressed ``data``."""
    return gzip.compress(data)


def example_bytes(x: list[float]) -> bytes:
    """A serialized tf.Example with float feature ``x``."""
    from stowflow.proto import example_pb2

    ex = example_pb2.Example()
    ex.features.feature["x"].float_list.value.extend(x)
    return ex.SerializeToString()


sys.modules.setdefault("serving_testlib", sys.modules[__name__])
