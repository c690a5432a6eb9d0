"""Helpers for the scale-out tests: one local Ray per test session, model dirs, HTTP."""

from __future__ import annotations

import json
import shutil
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stowflow_testlib import ROOT

SAVEDMODELS = ROOT / "tests" / "golden" / "savedmodels"
HTTP_TIMEOUT = 60


def copy_model(src: str, dest: Path) -> Path:
    """Copies golden SavedModel ``src`` to ``dest`` (which must not exist)."""
    shutil.copytree(SAVEDMODELS / src, dest)
    return dest


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(method: str, url: str, body: Any = None, raw: bool = False) -> tuple[int, Any]:
    """(status, parsed JSON body or raw bytes) of one HTTP request."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
            code, text = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        code, text = e.code, e.read()
    if raw:
        return code, text
    return code, json.loads(text) if text else None


@pytest.fixture(scope="session")
def ray_local() -> Iterator[Any]:
    """A local Ray on loopback with 2 CPUs, started once for the whole test session."""
    import ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        configure_logging=False,
    )
    try:
        yield ray
    finally:
        try:
            from ray import serve

            serve.shutdown()
        finally:
            ray.shutdown()


sys.modules.setdefault("scaleout_testlib", sys.modules[__name__])
