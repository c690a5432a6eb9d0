"""TF Serving's REST API as an ASGI app (Starlette requests/responses, run by uvicorn).

Routes (case-insensitive, as TF Serving's regexes in ``http_rest_api_util.cc``)::

    GET  /v1/models/NAME[/versions/V|/labels/L][/metadata]
    POST /v1/models/NAME[/versions/V|/labels/L]:(predict|classify|regress)

plus the KServe V2 (Open Inference Protocol) routes of :mod:`~stowflow.serving.kserve_v2`.
Errors are ``{"error": "..."}`` with TF Serving's HTTP codes.
"""

from __future__ import annotations

import asyncio
import re
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from stowflow import errors
from stowflow.proto import error_codes_pb2
from stowflow.serving import inference, kserve_v2, rest_json, status
from stowflow.serving.auth import bearer_ok
from stowflow.serving.manager import ModelManager
from stowflow.serving.metrics import Metrics
from stowflow.serving.servable import tensor_dtype

_NAME = r"/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+)|/labels/(?P<label>[^/:]+))?"
_POST = re.compile(_NAME + r":(?P<verb>classify|regress|predict)$", re.IGNORECASE)
_GET = re.compile(
    r"/v1/models(?:/(?P<name>[^/:]+))?(?:/versions/(?P<version>\d+)|/labels/(?P<label>[^/:]+))?"
    r"(?:/(?P<metadata>metadata))?$",
    re.IGNORECASE,
)
_V1 = re.compile(r"/v1/", re.IGNORECASE)


@dataclass
class RestOptions:
    """REST settings (tensorflow_model_server's ``--rest_api_*`` flags and ours)."""

    timeout_ms: int = 30000
    enable_cors: bool = False
    max_request_bytes: int = 64 * 1024 * 1024
    metrics: Metrics | None = None
    metrics_path: str | None = None
    """Where Prometheus metrics are served (None: not served)."""
    auth_token: str | None = None
    """When set, every route but the health checks needs ``Authorization: Bearer <token>``."""


class RestApp:
    """The ASGI application. Inference runs in ``executor`` (it is CPU-bound)."""

    def __init__(self, manager: ModelManager, executor: Executor, options: RestOptions) -> None:
        self.manager = manager
        self.executor = executor
        self.options = options
        self._starlette = _starlette()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = message["type"].rsplit(".", 1)[-1]
                await send({"type": f"lifespan.{kind}.complete"})
                if kind == "shutdown":
                    return
        if scope["type"] != "http":
            return
        requests, responses = self._starlette
        request = requests.Request(scope, receive)
        if not self._authorized(request):
            response = responses.Response(
                rest_json.dumps({"error": "Missing or invalid bearer token"}),
                status_code=401,
                media_type="application/json",
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        if self.options.metrics_path and request.url.path == self.options.metrics_path:
            metrics = self.options.metrics or Metrics()
            text = await asyncio.get_running_loop().run_in_executor(self.executor, metrics.render)
            response = responses.Response(text, media_type="text/plain; version=0.0.4")
            await response(scope, receive, send)
            return
        try:
            code, body = await self._dispatch(request)
        except errors.OpError as e:
            code, body = status.http_status(e), {"error": e.message}
        except _TooLarge as e:
            code, body = 413, {"error": str(e)}
        response = responses.Response(
            rest_json.dumps(body), status_code=code, media_type="application/json"
        )
        if self.options.enable_cors:
            response.headers.update(_CORS)
        await response(scope, receive, send)

    def _authorized(self, request: Any) -> bool:
        token = self.options.auth_token
        if not token or request.url.path in _OPEN_PATHS:
            return True
        if request.method == "OPTIONS" and self.options.enable_cors:
            return True  # CORS preflights carry no credentials
        return bearer_ok(request.headers.get("authorization", ""), token)

    async def _dispatch(self, request: Any) -> tuple[int, Any]:
        path, method = request.url.path, request.method
        if method == "OPTIONS" and self.options.enable_cors:
            origin = request.headers.get("origin", "")
            if not re.match(r"https?://", origin):
                raise status.invalid("Origin header is missing in CORS preflight")
            return 200, {}
        if path.startswith("/v2"):
            return await self._v2(request, path, method)
        if not _V1.match(path):
            raise status.not_found(f"Not found: {method} {path}")
        malformed = status.invalid(f"Malformed request: {method} {path}")
        if method == "POST":
            match = _POST.match(path)
            if match is None:
                raise malformed
            body = rest_json.loads(await self._body(request))
            return 200, await self._infer(match, body)
        if method != "GET":
            raise malformed
        match = _GET.match(path)
        if match is None:
            raise malformed
        if match["name"] is None:
            raise status.invalid("Missing model name in request.")
        name, version, label = _spec(match)
        if match["metadata"]:
            return 200, await self._call(self._metadata, name, version, label)
        return 200, self._status(name, version, label)

    async def _v2(self, request: Any, path: str, method: str) -> tuple[int, Any]:
        if method == "GET" and path in ("/v2", "/v2/"):
            return 200, kserve_v2.server_metadata()
        if method == "GET" and path == "/v2/health/live":
            return 200, {"live": True}
        if method == "GET" and path == "/v2/health/ready":
            ready = self.manager.ready()
            return (200 if ready else 503), {"ready": ready}
        match = kserve_v2.ROUTE.match(path)
        if match is None:
            raise status.not_found(f"Not found: {method} {path}")
        name, version, _label = _spec(match)
        verb = match["verb"]
        if method == "POST" and verb == "infer":
            body = rest_json.loads(await self._body(request))
            return 200, await self._call(kserve_v2.infer, self.manager, name, version, body)
        if method == "GET" and verb == "ready":
            ready = kserve_v2.model_ready(self.manager, name, version)
            return (200 if ready else 400), {"name": name, "ready": ready}
        if method == "GET" and verb is None:
            return 200, await self._call(kserve_v2.model_metadata, self.manager, name, version)
        raise status.invalid(f"Malformed request: {method} {path}")

    async def _body(self, request: Any) -> bytes:
        limit = self.options.max_request_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _TooLarge(f"Request body of {declared} bytes exceeds the limit of {limit} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _TooLarge(f"Request body exceeds the limit of {limit} bytes")
            chunks.append(chunk)
        body = b"".join(chunks)
        if request.headers.get("content-encoding", "").lower() == "gzip":
            body = _gunzip(body, limit)
        return body

    async def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, fn, *args)
        try:
            return await asyncio.wait_for(future, self.options.timeout_ms / 1000)
        except asyncio.TimeoutError:
            raise errors.DeadlineExceededError(None, None, "Deadline Exceeded") from None

    async def _infer(self, match: re.Match[str], body: Any) -> Any:
        name, version, label = _spec(match)
        verb = match["verb"].lower()
        if isinstance(body, dict) and "signature_name" in body:
            if not isinstance(body["signature_name"], str):
                raise status.invalid("'signature_name' key must be a string value")
        start = time.perf_counter()
        code = "OK"
        try:
            return await self._call(_VERBS[verb], self.manager, name, version, label, body)
        except errors.OpError as e:
            code = error_codes_pb2.Code.Name(e.error_code)
            raise
        finally:
            if self.options.metrics is not None:
                api = _API_NAMES[verb]
                self.options.metrics.request(name, api, "REST", code, time.perf_counter() - start)

    def _metadata(self, name: str, version: int | None, label: str | None) -> Any:
        from google.protobuf import json_format

        with self.manager.servable(name, version, label) as servable:
            sig_map = inference.signature_def_map(servable)
            return {
                "model_spec": {
                    "name": name,
                    "signature_name": "",
                    "version": str(servable.version),
                },
                "metadata": {
                    "signature_def": json_format.MessageToDict(
                        sig_map, preserving_proto_field_name=True
                    )
                },
            }

    def _status(self, name: str, version: int | None, label: str | None) -> Any:
        rows = self.manager.version_status(name, version, label)
        return {
            "model_version_status": [
                {
                    "version": str(v),
                    "state": state,
                    "status": {
                        "error_code": _code_name(error),
                        "error_message": error.message if error else "",
                    },
                }
                for v, state, error in rows
            ]
        }


_OPEN_PATHS = {"/v2/health/live", "/v2/health/ready"}


class _TooLarge(Exception):
    pass


_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET",
    "Access-Control-Allow-Headers": "Content-Type",
}


def _starlette() -> tuple[Any, Any]:
    from stowflow._extras import require

    return require("starlette.requests", "serve"), require("starlette.responses", "serve")


def _code_name(error: errors.OpError | None) -> str:
    return error_codes_pb2.Code.Name(error.error_code if error else 0)


def _spec(match: re.Match[str]) -> tuple[str, int | None, str | None]:
    name = unquote(match["name"])
    groups = match.groupdict()
    label = unquote(groups["label"]) if groups.get("label") else None
    version = None
    if match["version"] is not None:
        version = int(match["version"])
        if version >= 2**63:
            raise status.invalid(f"Failed to convert version: {match['version']} to numeric.")
    return name, version, label


def _gunzip(body: bytes, limit: int) -> bytes:
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decoder.decompress(body, limit + 1)
    except zlib.error as e:
        raise status.invalid(f"Failed to decompress gzip request body: {e}") from None
    if len(out) > limit:
        raise _TooLarge(f"Decompressed request body exceeds the limit of {limit} bytes")
    return out


def _predict(manager: ModelManager, name: str, version: Any, label: Any, body: Any) -> Any:
    with manager.servable(name, version, label) as servable:
        sig_name = body.get("signature_name", "") if isinstance(body, dict) else ""
        key = sig_name or "serving_default"
        sig = servable.signature(key)
        if sig is None:
            raise status.invalid(f'Serving signature name: "{key}" not found in signature def')
        dtypes_by_alias = {k: tensor_dtype(v) for k, v in sig.inputs.items()}
        inputs, rows = rest_json.predict_inputs(body, dtypes_by_alias)
        _key, outputs = inference.predict_arrays(servable, key, inputs)
        return rest_json.predict_response(outputs, rows)


def _classify(manager: ModelManager, name: str, version: Any, label: Any, body: Any) -> Any:
    examples = rest_json.examples_from_json(body)
    with manager.servable(name, version, label) as servable:
        _key, rows = inference.classify_examples(servable, body.get("signature_name", ""), examples)
    scores = rest_json.float32_values([score for row in rows for _, score in row])
    it = iter(scores)
    return {
        "results": [[[lbl.decode("utf-8", "replace"), next(it)] for lbl, _ in row] for row in rows]
    }


def _regress(manager: ModelManager, name: str, version: Any, label: Any, body: Any) -> Any:
    examples = rest_json.examples_from_json(body)
    with manager.servable(name, version, label) as servable:
        _key, values = inference.regress_examples(
            servable, body.get("signature_name", ""), examples
        )
    return {"results": rest_json.float32_values(values)}


_API_NAMES = {"predict": "Predict", "classify": "Classify", "regress": "Regress"}
_VERBS: dict[str, Callable[..., Any]] = {
    "predict": _predict,
    "classify": _classify,
    "regress": _regress,
}
