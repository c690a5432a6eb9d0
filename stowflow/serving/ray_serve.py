"""``stowflow serve`` as a Ray Serve application: TF Serving's REST and gRPC APIs on replicas.

Every replica runs the same :class:`~stowflow.serving.manager.ModelManager` the plain server
runs (same flags, model config, version policy and polling), behind

- REST: the server's ASGI app (:class:`~stowflow.serving.rest.RestApp`, TF Serving's ``/v1``
  routes and KServe's ``/v2``) as the deployment's ``@serve.ingress``;
- gRPC: TF Serving's services under their exact names (``tensorflow.serving.PredictionService``,
  ``tensorflow.serving.ModelService``, ``grpc.health.v1.Health``) on Serve's gRPC proxy,
  which needs ``grpc_options.grpc_servicer_functions`` =
  :data:`stowflow.serving.ray_grpc.SERVICER_FUNCTIONS`. The proxy dispatches on the method
  name alone, which is unique across TF Serving's services; with one application no
  ``application`` metadata is needed, so official clients work unchanged. Status codes and
  messages are TF Serving's (set on Serve's gRPC context).
- batching: ``--enable_batching`` / BatchingParameters map onto ``@serve.batch`` per replica:
  ``max_batch_size`` (rows, through ``batch_size_fn``), ``batch_timeout_micros`` ->
  ``batch_wait_timeout_s``, ``num_batch_threads`` -> ``max_concurrent_batches``;
  ``max_enqueued_batches`` still refuses work with UNAVAILABLE/503 when the queue is full;
  ``allowed_batch_sizes`` and ``pad_variable_length_inputs`` as in the plain server.
- scaling: ``num_replicas`` or ``autoscaling_config`` go to ``@serve.deployment`` as given.

``HandleReloadConfigRequest`` answers UNIMPLEMENTED: it would reach a single replica; change
the model config by redeploying the application (``serve deploy``), which every replica gets.

Start it with ``stowflow serve --ray --port=8500 --rest_api_port=8501 --model_base_path=...``
(``--ray_num_replicas``, ``--ray_autoscaling_config``, ``--ray_address``), or with Serve's
own CLI and a config file (``deploy/ray/serve-config.yaml``)::

    grpc_options:
      port: 8500
      grpc_servicer_functions:
        - stowflow.serving.ray_grpc.add_PredictionServiceServicer_to_server
        - stowflow.serving.ray_grpc.add_ModelServiceServicer_to_server
        - stowflow.serving.ray_grpc.add_HealthServicer_to_server
    http_options: {host: 0.0.0.0, port: 8501}
    applications:
      - name: stowflow
        route_prefix: /
        import_path: stowflow.serving.ray_serve:build_app
        args:                 # tensorflow_model_server's flags, plus Serve's options
          model_name: half
          model_base_path: /models/half
          enable_batching: true
          num_replicas: 2     # or autoscaling_config: {min_replicas: 1, max_replicas: 4}

    $ serve run deploy/ray/serve-config.yaml
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from stowflow import errors
from stowflow._extras import MissingExtraError
from stowflow.serving import flags, ray_grpc, status
from stowflow.serving.config import BatchingOptions
from stowflow.serving.servable import RunFn, Servable

try:
    from ray import serve
except ModuleNotFoundError as _e:  # pragma: no cover - depends on the install
    raise MissingExtraError("ray", "ray") from _e

DEPLOYMENT_NAME = "StowflowServing"
APP_NAME = "stowflow"
DEPLOYMENT_OPTIONS = ("num_replicas", "autoscaling_config", "max_ongoing_requests")
"""Keys of ``build_app``'s args that configure the Serve deployment, not the model server."""
MAX_ONGOING_REQUESTS = 64
"""Default concurrent requests per replica (Serve's own default, 5, would starve batching)."""


# -- batching on @serve.batch -----------------------------------------------------------------
@dataclass
class _Run:
    servable: Servable
    signature: str
    feeds: dict[str, np.ndarray]
    outputs: tuple[str, ...]
    size: int

    @property
    def key(self) -> tuple[int, str, tuple[str, ...], tuple[str, ...]]:
        return (id(self.servable), self.signature, tuple(sorted(self.feeds)), self.outputs)


def _rows(runs: list[_Run]) -> int:
    return sum(r.size for r in runs)


class ServeBatcher:
    """Runs signatures through a ``@serve.batch`` queue on the replica's event loop.

    :meth:`runner` is the manager's ``runner_factory``: signatures are called from executor
    threads, hand their run to the loop, and wait for their slice of the batch's outputs.

    Args:
        options: TF Serving's batching parameters.
        loop: the replica's running event loop.
    """

    def __init__(self, options: BatchingOptions, loop: asyncio.AbstractEventLoop) -> None:
        self._options = options
        self._loop = loop
        # Batches run on their own threads: request threads block waiting for them.
        self._executor = ThreadPoolExecutor(max(1, options.num_batch_threads), "serve-batch")
        self._queued_rows = 0
        self._batched = serve.batch(
            max_batch_size=options.max_batch_size,
            batch_wait_timeout_s=options.batch_timeout_micros / 1e6,
            max_concurrent_batches=max(1, options.num_batch_threads),
            batch_size_fn=_rows,
        )(self._run_batches)

    def runner(self, servable: Servable) -> RunFn:
        """The batched runner of one loaded version."""

        def run(
            signature: str, feeds: dict[str, np.ndarray], outputs: tuple[str, ...]
        ) -> dict[str, np.ndarray]:
            sizes = {a.shape[0] if a.ndim else -1 for a in feeds.values()}
            if len(sizes) != 1 or -1 in sizes:
                raise status.invalid(
                    "Batching session Run() input tensors must have equal 0th-dimension size"
                )
            item = _Run(servable, signature, feeds, outputs, sizes.pop())
            future = asyncio.run_coroutine_threadsafe(self._submit(item), self._loop)
            return future.result()

        return run

    @property
    def queued_rows(self) -> int:
        """Rows submitted and not answered yet."""
        return self._queued_rows

    def close(self) -> None:
        """Stops the batch threads (after the running batches)."""
        self._executor.shutdown(wait=True)

    async def _submit(self, item: _Run) -> dict[str, np.ndarray]:
        limit = self._options.max_batch_size
        if item.size > limit:
            raise status.invalid(
                f"Task size {item.size} is larger than maximum input batch size {limit}"
            )
        if -(-(self._queued_rows + item.size) // limit) > self._options.max_enqueued_batches:
            raise status.unavailable(
                "The batch scheduling queue to which this task was submitted is full"
            )
        self._queued_rows += item.size
        try:
            ok, value = await self._batched(item)
        finally:
            self._queued_rows -= item.size
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    async def _run_batches(self, items: list[_Run]) -> list[tuple[bool, Any]]:
        groups: dict[Any, list[int]] = {}
        for i, item in enumerate(items):
            groups.setdefault(item.key, []).append(i)
        results: list[tuple[bool, Any]] = [(False, None)] * len(items)
        for indices in groups.values():
            group = [items[i] for i in indices]
            try:
                outs = await self._loop.run_in_executor(self._executor, self._run_group, group)
                answers = [(True, out) for out in outs]
            except BaseException as e:  # noqa: BLE001 - every waiter must hear about it
                answers = [(False, status.as_op_error(e))] * len(group)
            for i, answer in zip(indices, answers):
                results[i] = answer
        return results

    def _run_group(self, group: list[_Run]) -> list[dict[str, np.ndarray]]:
        sizes = [r.size for r in group]
        total = sum(sizes)
        target = next((s for s in self._options.allowed_batch_sizes if s >= total), total)
        feeds = {
            name: _merge(
                [r.feeds[name] for r in group],
                target - total,
                self._options.pad_variable_length_inputs,
            )
            for name in group[0].feeds
        }
        first = group[0]
        out = first.servable.run_direct(first.signature, feeds, first.outputs)
        for name, value in out.items():
            if value.ndim == 0 or value.shape[0] != target:
                raise status.invalid(
                    f"Batched output tensor {name} has shape {list(value.shape)}; its 0th "
                    f"dimension must equal the batch size {target}"
                )
        bounds = np.cumsum([0, *sizes])
        return [
            {name: value[bounds[i] : bounds[i + 1]] for name, value in out.items()}
            for i in range(len(group))
        ]


def _merge(parts: list[np.ndarray], pad_rows: int, pad_lengths: bool) -> np.ndarray:
    tails = {p.shape[1:] for p in parts}
    if len(tails) > 1:
        if not pad_lengths or len({len(t) for t in tails}) > 1:
            raise status.invalid(
                "Tensors with different shapes can only be batched with "
                "pad_variable_length_inputs: shapes " + ", ".join(str(list(t)) for t in tails)
            )
        tail = tuple(max(d) for d in zip(*tails))
        parts = [_pad_to(p, tail) for p in parts]
    merged = np.concatenate(parts, axis=0)
    if pad_rows:
        merged = np.concatenate([merged, np.repeat(merged[:1], pad_rows, axis=0)], axis=0)
    return merged


def _pad_to(array: np.ndarray, tail: tuple[int, ...]) -> np.ndarray:
    filler = b"" if array.dtype == object else 0
    out = np.full((array.shape[0], *tail), filler, dtype=array.dtype)
    out[tuple(slice(0, n) for n in array.shape)] = array
    return out


# -- the deployment ---------------------------------------------------------------------------
class _ServeContext:
    """The grpc.aio context surface :class:`GrpcServices` uses, over Serve's gRPC context."""

    def __init__(self, context: Any) -> None:
        self._context = context

    def invocation_metadata(self) -> Any:
        return self._context.invocation_metadata() if self._context is not None else ()

    def code(self) -> Any:
        return self._context.code() if self._context is not None else None

    async def abort(self, code: Any, details: str) -> None:
        if self._context is not None:
            self._context.set_code(code)
            self._context.set_details(details)
        raise _Aborted(details)


class _Aborted(Exception):
    """A gRPC call ended with the status set on Serve's context (Serve reports that status)."""


def _grpc_method(service: str, method: str) -> Callable[..., Any]:
    path = f"/{service}/{method}"

    async def call(self: StowflowServing, request: Any, grpc_context: Any = None) -> Any:
        return await self._grpc(path, request, grpc_context)

    call.__name__ = call.__qualname__ = method
    call.__doc__ = f"gRPC ``{path}``."
    return call


class StowflowServing:
    """One replica: the model manager, the REST app and the gRPC handlers over it.

    The constructor is async (Serve supports that): the models load, and warm up through the
    ``@serve.batch`` queue, in a thread while the replica's event loop runs.

    Args:
        values: ``stowflow serve`` flag values (:func:`stowflow.serving.flags.parse`).
    """

    async def __init__(self, values: dict[str, Any]) -> None:  # type: ignore[misc]
        from stowflow.serving.grpc_service import GrpcServices
        from stowflow.serving.rest import RestApp, RestOptions
        from stowflow.serving.server import _read_token, build_manager

        loop = asyncio.get_running_loop()
        workers = max(1, values["rest_api_num_threads"], values["grpc_max_threads"])
        self._pool = ThreadPoolExecutor(workers, "stowflow")
        self.manager, _config_file = build_manager(values)
        batching = self.manager.options.batching
        self.batcher: ServeBatcher | None = None
        if batching is not None:
            self.manager.options.batching = None  # @serve.batch instead of the thread batcher
            self.batcher = ServeBatcher(batching, loop)
            self.manager.options.runner_factory = self.batcher.runner
        await loop.run_in_executor(self._pool, self.manager.poll_once)
        self.manager.start()
        token = _read_token(values["auth_token_file"])
        self._rest = RestApp(
            self.manager,
            self._pool,
            RestOptions(
                timeout_ms=values["rest_api_timeout_in_ms"],
                enable_cors=values["rest_api_enable_cors_support"],
                max_request_bytes=values["rest_api_max_request_bytes"],
                auth_token=token,
            ),
        )
        services = GrpcServices(self.manager, self._pool, _refuse_reload, None, token)
        self._grpc_handlers: dict[str, Any] = {}
        for generic in services.handlers():
            for service, methods in ray_grpc.SERVICES.items():
                for method in methods:
                    found = generic.service(_CallDetails(f"/{service}/{method}"))
                    if found is not None:
                        self._grpc_handlers[f"/{service}/{method}"] = found.unary_unary

    def __serve_build_asgi_app__(self) -> Any:  # noqa: N807 - Serve's late-bound ingress hook
        """The REST app (Serve calls this after ``__init__``)."""
        return self._rest

    async def _grpc(self, path: str, request: Any, grpc_context: Any) -> Any:
        return await self._grpc_handlers[path](request, _ServeContext(grpc_context))

    def __del__(self) -> None:
        self.manager.stop()
        if self.batcher is not None:
            self.batcher.close()
        self._pool.shutdown(wait=False)

    Classify = _grpc_method(ray_grpc.PREDICTION_SERVICE, "Classify")
    Regress = _grpc_method(ray_grpc.PREDICTION_SERVICE, "Regress")
    Predict = _grpc_method(ray_grpc.PREDICTION_SERVICE, "Predict")
    MultiInference = _grpc_method(ray_grpc.PREDICTION_SERVICE, "MultiInference")
    GetModelMetadata = _grpc_method(ray_grpc.PREDICTION_SERVICE, "GetModelMetadata")
    GetModelStatus = _grpc_method(ray_grpc.MODEL_SERVICE, "GetModelStatus")
    HandleReloadConfigRequest = _grpc_method(ray_grpc.MODEL_SERVICE, "HandleReloadConfigRequest")
    Check = _grpc_method("grpc.health.v1.Health", "Check")


@dataclass
class _CallDetails:
    method: str
    invocation_metadata: tuple[Any, ...] = ()


def _refuse_reload(_config: Any) -> None:
    raise errors.UnimplementedError(
        None,
        None,
        "HandleReloadConfigRequest is not supported under Ray Serve (it would reach one "
        "replica); redeploy the application with the new model config",
    )


_Ingress = serve.deployment(name=DEPLOYMENT_NAME)(serve.ingress()(StowflowServing))


# -- building and running ---------------------------------------------------------------------
def _flag_values(args: dict[str, Any]) -> dict[str, Any]:
    argv = []
    for name, value in args.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        argv.append(f"--{name}={text}")
    values, _ignored = flags.parse(argv)
    return values


def build_app(args: dict[str, Any]) -> Any:
    """A Ray Serve application serving the models the args describe.

    Also Serve's application builder for ``import_path: stowflow.serving.ray_serve:build_app``.

    Args:
        args: tensorflow_model_server's flags by name (``model_base_path``, ``model_name`` or
            ``model_config_file``, ``enable_batching``, ``batching_parameters_file``, the
            ``rest_api_*`` flags ...), plus the deployment options ``num_replicas``,
            ``autoscaling_config`` and ``max_ongoing_requests``.

    Returns:
        A bound ``serve.Application``.

    Raises:
        flags.FlagError: an unknown flag or a malformed value.
    """
    options = {k: args[k] for k in DEPLOYMENT_OPTIONS if args.get(k) is not None}
    values = _flag_values({k: v for k, v in args.items() if k not in DEPLOYMENT_OPTIONS})
    if not values["model_config_file"] and not values["model_base_path"]:
        raise flags.FlagError(
            "Both server_options.model_base_path and server_options.model_config_file are empty!"
        )
    if "autoscaling_config" in options:
        options.pop("num_replicas", None)
    options.setdefault("max_ongoing_requests", MAX_ONGOING_REQUESTS)
    return _Ingress.options(**options).bind(values)


def serve_options(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(http_options, grpc_options) for ``serve.start`` from the flags."""
    http = {"host": values["rest_api_host"], "port": values["rest_api_port"]}
    grpc = {"port": values["port"], "grpc_servicer_functions": list(ray_grpc.SERVICER_FUNCTIONS)}
    return http, grpc


def deployment_args(values: dict[str, Any]) -> dict[str, Any]:
    """:func:`build_app`'s args from ``stowflow serve`` flag values (``--ray_*`` flags)."""
    args = {
        name: values[name]
        for name, flag in flags.FLAGS.items()
        if flag.used and values[name] != flag.default and not name.startswith("ray")
    }
    if values["ray_autoscaling_config"]:
        try:
            args["autoscaling_config"] = json.loads(values["ray_autoscaling_config"])
        except ValueError as e:
            raise flags.FlagError(f"--ray_autoscaling_config is not JSON: {e}") from None
    else:
        args["num_replicas"] = values["ray_num_replicas"]
    return args


def main(values: dict[str, Any]) -> int:
    """``stowflow serve --ray``: starts (or joins) Ray, runs the app until SIGTERM/SIGINT."""
    import ray

    if values["rest_api_port"] == 0 or values["port"] == 0:
        print("ERROR: --ray needs both --port and --rest_api_port", file=sys.stderr)
        return 1
    try:
        app = build_app(deployment_args(values))
    except flags.FlagError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 1
    ray.init(address=values["ray_address"] or None, include_dashboard=False)
    http, grpc = serve_options(values)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        serve.start(http_options=http, grpc_options=grpc)
        serve.run(app, name=APP_NAME, route_prefix="/", blocking=False)
        print("stowflow serve: ready", file=sys.stderr, flush=True)
        stop.wait()
    finally:
        serve.shutdown()
        ray.shutdown()
    return 0
