"""Helpers of the storage tests: instrumented in-memory fsspec file systems (what is written,
in which order; how many bytes reads transfer), moto's S3 server on loopback, and a small
SavedModel. The fixtures that use them are in ``conftest.py``."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import fsspec
from fsspec.implementations.memory import MemoryFileSystem

import stowflow as tf
from stowflow import saved_model as sm

S3_BUCKET = "stowflow-test"
GCS_BUCKET = "stowflow-gcs"


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plain_name(name: str) -> str:
    """A test's name without the glob characters of its parameter id (``test_x[s3]``)."""
    return name.replace("[", "_").replace("]", "")


# -- instrumented in-memory file systems ---------------------------------------------------


class RecordingMemoryFS(MemoryFileSystem):
    """``ordermem://``: an in-memory store that logs each object as it is completed."""

    protocol = "ordermem"
    store: dict[str, Any] = {}
    pseudo_dirs = [""]
    completed: list[str] = []

    def pipe_file(self, path: str, value: bytes, *args: Any, **kwargs: Any) -> None:
        super().pipe_file(path, value, *args, **kwargs)
        self.completed.append(self._strip_protocol(path))

    def put_file(self, lpath: str, rpath: str, *args: Any, **kwargs: Any) -> None:
        super().put_file(lpath, rpath, *args, **kwargs)
        self.completed.append(self._strip_protocol(rpath))

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        super().cp_file(path1, path2, **kwargs)
        self.completed.append(self._strip_protocol(path2))


class CountingMemoryFS(MemoryFileSystem):
    """``countmem://``: an in-memory store that counts every byte handed to a reader.

    Ranged reads (``cat_file`` with start/end) count their slice; opening a file for reading
    counts the whole file, as a download would.
    """

    protocol = "countmem"
    store: dict[str, Any] = {}
    pseudo_dirs = [""]
    bytes_read = 0

    def cat_file(self, path: str, start: int | None = None, end: int | None = None, **kw: Any):
        data = super().cat_file(path, start=start, end=end, **kw)
        CountingMemoryFS.bytes_read += len(data)
        return data

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        f = super()._open(path, mode, **kwargs)
        if "r" in mode:
            CountingMemoryFS.bytes_read += self.size(path)
        return f


fsspec.register_implementation("ordermem", RecordingMemoryFS, clobber=True)
fsspec.register_implementation("countmem", CountingMemoryFS, clobber=True)


# -- moto's S3 server ------------------------------------------------------------------------


class _Traffic:
    """WSGI middleware counting the body bytes of every GET response (bytes downloaded)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.get_bytes = 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "GET":
            return body
        return self._count(body)

    def _count(self, body: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in body:
            with self.lock:
                self.get_bytes += len(chunk)
            yield chunk


class MotoS3:
    """moto's S3 in a thread on 127.0.0.1; ``env`` points s3fs at it like TF users do."""

    def __init__(self) -> None:
        from moto.server import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

        self.traffic = _Traffic(DomainDispatcherApplication(create_backend_app))
        self._server = make_server("127.0.0.1", 0, self.traffic, threaded=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        # TF's variables: a bare host:port plus S3_USE_HTTPS=0 means http://host:port.
        self.env = {
            "S3_ENDPOINT": f"127.0.0.1:{self.port}",
            "S3_USE_HTTPS": "0",
            "S3_VERIFY_SSL": "0",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


def patched_env(env: dict[str, str]) -> dict[str, str | None]:
    """Sets ``env`` in ``os.environ``; returns the values it replaced (for restore_env)."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    return saved


def restore_env(saved: dict[str, str | None]) -> None:
    """Undoes :func:`patched_env`."""
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


# -- a small model ---------------------------------------------------------------------------


def build_affine_model(export_dir: str, bias: tuple[float, float] = (10.0, 20.0)) -> None:
    """A SavedModel ``y = x @ w + b`` with variables w = [[1, 2], [3, 4]] and b = ``bias``."""
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")
        b = tf.Variable(list(bias), name="b")
        y = tf.add(tf.matmul(x, w), b, name="y")
        sess.run(tf.global_variables_initializer())
        builder = sm.builder.SavedModelBuilder(export_dir)
        sig = sm.signature_def_utils.predict_signature_def({"x": x}, {"y": y})
        builder.add_meta_graph_and_variables(sess, ["serve"], {"serving_default": sig})
        builder.save()


AFFINE_INPUT = [[1.0, 1.0], [0.0, 2.0]]
AFFINE_OUTPUT = [[14.0, 26.0], [16.0, 28.0]]
