"""``stowflow serve``: runs the model manager behind gRPC and REST, like tensorflow_model_server.

Both front ends share one asyncio loop (grpcio's asyncio server, uvicorn for the ASGI app);
inference runs in thread pools. SIGTERM/SIGINT stop accepting, let in-flight requests finish,
unload the models and exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stowflow import __version__, errors
from stowflow._extras import require
from stowflow.serving import config, flags
from stowflow.serving.manager import ManagerOptions, ModelManager
from stowflow.serving.metrics import Metrics, read_monitoring_config
from stowflow.serving.rest import RestApp, RestOptions

log = logging.getLogger("stowflow.serving")


def _setup_logging() -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def build_manager(
    values: dict[str, Any], metrics: Metrics | None = None
) -> tuple[ModelManager, str]:
    """The model manager the flags describe, and the config file path ("" if none).

    Raises:
        flags.FlagError: inconsistent flags.
        stowflow.errors.OpError: unreadable config files.
    """
    config_file = values["model_config_file"]
    if config_file:
        server_config = config.read_model_server_config(config_file)
    elif values["model_base_path"]:
        server_config = config.single_model_config(
            values["model_name"],
            os.path.abspath(values["model_base_path"])
            if "://" not in values["model_base_path"]
            else values["model_base_path"],
        )
    else:
        raise flags.FlagError(
            "Both server_options.model_base_path and server_options.model_config_file are empty!"
        )
    if values["batching_parameters_file"] and not values["enable_batching"]:
        raise flags.FlagError("--batching_parameters_file requires --enable_batching")
    batching = None
    if values["enable_batching"]:
        batching = config.read_batching_parameters(values["batching_parameters_file"])
    tags = [t for t in values["saved_model_tags"].split(",") if t] or None
    options = ManagerOptions(
        file_system_poll_wait_seconds=values["file_system_poll_wait_seconds"],
        allow_version_labels_for_unavailable_models=values[
            "allow_version_labels_for_unavailable_models"
        ],
        enable_model_warmup=values["enable_model_warmup"],
        num_request_iterations_for_warmup=max(1, values["num_request_iterations_for_warmup"]),
        batching=batching,
        saved_model_tags=tags,
        on_load=metrics.load if metrics is not None else None,
    )
    return ModelManager(server_config, options), config_file


class ConfigFileWatcher:
    """Re-reads ``--model_config_file`` every N seconds and reloads when it changed."""

    def __init__(
        self, manager: ModelManager, path: str, seconds: int, metrics: Metrics | None = None
    ) -> None:
        self._manager, self._path, self._seconds = manager, path, seconds
        self._metrics = metrics
        self._stop = threading.Event()
        self._last = self._read_text()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _read_text(self) -> str | None:
        try:
            with open(self._path, encoding="utf-8") as f:
                return f.read()
        except OSError:
            return None

    def start(self) -> None:
        """Starts polling (only when the interval is positive)."""
        if self._seconds > 0:
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._seconds):
            text = self._read_text()
            if text is None or text == self._last:
                continue
            self._last = text
            try:
                self._manager.reload_config(config.read_model_server_config(self._path))
                log.info("Reloaded model config file %s", self._path)
                ok = True
            except errors.OpError as e:
                log.error("Model config reload failed: %s", e)
                ok = False
            if self._metrics is not None:
                self._metrics.config_reload(ok)

    def stop(self) -> None:
        """Stops polling."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


@contextlib.contextmanager
def _no_signal_capture() -> Iterator[None]:
    yield


def _reloader(manager: ModelManager, metrics: Metrics | None) -> Any:
    def reload(server_config: Any) -> None:
        try:
            manager.reload_config(server_config)
        except BaseException:
            if metrics is not None:
                metrics.config_reload(False)
            raise
        if metrics is not None:
            metrics.config_reload(True)

    return reload


def _read_token(path: str) -> str | None:
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            token = f.read().strip()
    except OSError as e:
        raise flags.FlagError(f"Could not read --auth_token_file {path}: {e.strerror}") from e
    if not token:
        raise flags.FlagError(f"--auth_token_file {path} is empty")
    return token


async def _serve(
    values: dict[str, Any],
    manager: ModelManager,
    metrics: Metrics | None,
    metrics_path: str | None,
) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    grpc_pool = ThreadPoolExecutor(max(1, values["grpc_max_threads"]), "grpc")
    rest_pool = ThreadPoolExecutor(max(1, values["rest_api_num_threads"]), "rest")
    grpc_server = None
    services = None
    if values["port"]:
        from stowflow.serving.grpc_service import GrpcServices

        services = GrpcServices(
            manager, grpc_pool, _reloader(manager, metrics), metrics, values["_auth_token"]
        )
        grpc_server = services.make_server(
            f"{values['grpc_host']}:{values['port']}", values["_ssl_config"]
        )
        await grpc_server.start()
        log.info("Running gRPC ModelServer at %s:%d ...", values["grpc_host"], values["port"])
    uv_server = None
    uv_task = None
    if values["rest_api_port"]:
        uvicorn = require("uvicorn", "serve")
        app = RestApp(
            manager,
            rest_pool,
            RestOptions(
                timeout_ms=values["rest_api_timeout_in_ms"],
                enable_cors=values["rest_api_enable_cors_support"],
                max_request_bytes=values["rest_api_max_request_bytes"],
                metrics=metrics,
                metrics_path=metrics_path,
                auth_token=values["_auth_token"],
            ),
        )
        uv_config = uvicorn.Config(
            app,
            host=values["rest_api_host"],
            port=values["rest_api_port"],
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=max(1, values["rest_api_timeout_in_ms"] // 1000),
            ssl_certfile=values["rest_api_ssl_cert_file"] or None,
            ssl_keyfile=values["rest_api_ssl_key_file"] or None,
        )
        uv_server = uvicorn.Server(uv_config)
        uv_server.capture_signals = _no_signal_capture  # type: ignore[method-assign]
        uv_task = asyncio.create_task(uv_server.serve())
        while not uv_server.started and not uv_task.done():
            await asyncio.sleep(0.01)
        if uv_task.done():
            uv_task.result()
            raise errors.UnavailableError(None, None, "REST server failed to start")
        log.info(
            "Exporting HTTP/REST API at:%s:%d ...", values["rest_api_host"], values["rest_api_port"]
        )
    print("stowflow serve: ready", file=sys.stderr, flush=True)
    waiters = [asyncio.create_task(stopping.wait())]
    if uv_task is not None:
        waiters.append(uv_task)
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    log.info("Shutting down: draining requests")
    if services is not None:
        services.serving = False
    if grpc_server is not None:
        await grpc_server.stop(grace=values["rest_api_timeout_in_ms"] / 1000)
    if uv_server is not None and uv_task is not None:
        uv_server.should_exit = True
        await uv_task
    grpc_pool.shutdown(wait=True)
    rest_pool.shutdown(wait=True)


def main(argv: list[str]) -> int:
    """Runs ``stowflow serve`` with tensorflow_model_server's flags; returns the exit code."""
    if any(a in ("-h", "--help", "-help", "--helpfull") for a in argv):
        print(flags.usage())
        return 0
    try:
        values, ignored = flags.parse(argv)
    except flags.FlagError as e:
        print(f"ERROR: {e}\n{flags.usage()}", file=sys.stderr)
        return 1
    if values["version"]:
        print(f"TensorFlow ModelServer: stowflow-{__version__}\nTensorFlow Library: none")
        return 0
    if values["ray"]:
        from stowflow.serving import ray_serve

        return ray_serve.main(values)
    _setup_logging()
    for name in ignored:
        log.warning("Flag --%s has no effect in stowflow serve; ignored.", name)
    if values["port"] and values["port"] == values["rest_api_port"]:
        print("ERROR: --port and --rest_api_port must differ", file=sys.stderr)
        return 1
    require("grpc", "serve")
    if values["rest_api_port"]:
        require("uvicorn", "serve")
        require("starlette", "serve")
    metrics = metrics_path = None
    try:
        if values["monitoring_config_file"]:
            metrics_path = read_monitoring_config(values["monitoring_config_file"])
            if metrics_path and not values["rest_api_port"]:
                raise flags.FlagError("Prometheus metrics need --rest_api_port")
            metrics = Metrics() if metrics_path else None
        values["_auth_token"] = _read_token(values["auth_token_file"])
        values["_ssl_config"] = (
            config.read_ssl_config(values["ssl_config_file"]) if values["ssl_config_file"] else None
        )
        if bool(values["rest_api_ssl_cert_file"]) != bool(values["rest_api_ssl_key_file"]):
            raise flags.FlagError(
                "--rest_api_ssl_cert_file and --rest_api_ssl_key_file go together"
            )
        manager, config_file = build_manager(values, metrics)
        manager.poll_once()
    except (flags.FlagError, errors.OpError) as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 1
    manager.start()
    watcher = None
    if config_file:
        watcher = ConfigFileWatcher(
            manager, config_file, values["model_config_file_poll_wait_seconds"], metrics
        )
        watcher.start()
    try:
        asyncio.run(_serve(values, manager, metrics, metrics_path))
    except errors.OpError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 1
    finally:
        if watcher is not None:
            watcher.stop()
        manager.stop()
    log.info("Server stopped")
    return 0
