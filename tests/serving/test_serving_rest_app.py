"""The REST ASGI app in-process (driven through the ASGI interface): request timeouts -> 504."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from serving_testlib import copy_version

from stowflow import saved_model
from stowflow.serving import config, manager

pytest.importorskip("starlette")


class _BlockingSession:
    """Stands in for a model's session: run() waits until released."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def run(self, fetches: Any, feeds: Any) -> Any:
        assert self.release.wait(60)
        return {k: [[0.0, 0.0]] for k in fetches}

    def close(self) -> None:
        pass


def _call(app: Any, method: str, path: str, body: bytes) -> tuple[int, Any]:
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"content-length", str(len(body)).encode())],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("test", 80),
        "client": ("c", 1),
        "root_path": "",
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(payload)


def test_request_past_rest_api_timeout_is_deadline_exceeded(tmp_path: Path) -> None:
    from stowflow.serving.rest import RestApp, RestOptions

    copy_version("tf1_predict", tmp_path / "m", 1)
    session = _BlockingSession()

    def loader(export_dir: str) -> Any:
        model = saved_model.load(export_dir)
        model.session.close()
        model.session = session
        return model

    mgr = manager.ModelManager(
        config.single_model_config("m", str(tmp_path / "m")),
        manager.ManagerOptions(loader=loader),
    )
    mgr.poll_once()
    pool = ThreadPoolExecutor(2)
    try:
        app = RestApp(mgr, pool, RestOptions(timeout_ms=100))
        code, body = _call(app, "POST", "/v1/models/m:predict", b'{"instances": [[1, 2, 3]]}')
        assert (code, body) == (504, {"error": "Deadline Exceeded"})
        session.release.set()
        assert _call(app, "GET", "/v1/models/m", b"")[0] == 200
        code, body = _call(app, "POST", "/v1/models/m:predict", b'{"instances": [[1, 2, 3]]}')
        assert (code, body) == (200, {"predictions": [[0.0, 0.0]]})
    finally:
        session.release.set()
        mgr.stop()
        pool.shutdown()
