"""TF Serving's gRPC services on grpcio's asyncio server.

Our messages live in the ``stowflow.serving`` proto package but keep TF's field numbers, so the
services are registered as generic handlers under TF Serving's method paths
(``/tensorflow.serving.PredictionService/Predict`` ...); official clients work unchanged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from stowflow import errors
from stowflow._extras import require
from stowflow.proto.serving import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_management_pb2,
    predict_pb2,
    regression_pb2,
)
from stowflow.serving import config, health, inference, status
from stowflow.serving.auth import bearer_ok
from stowflow.serving.manager import ModelManager
from stowflow.serving.metrics import Metrics

PREDICTION_SERVICE = "tensorflow.serving.PredictionService"
MODEL_SERVICE = "tensorflow.serving.ModelService"
_INT32_MAX = 2**31 - 1

# method -> (request class, response class, function(servable, request) -> response)
_PREDICTION_METHODS: dict[str, tuple[Any, Any, Callable[..., Any]]] = {
    "Classify": (
        classification_pb2.ClassificationRequest,
        classification_pb2.ClassificationResponse,
        inference.classify_proto,
    ),
    "Regress": (
        regression_pb2.RegressionRequest,
        regression_pb2.RegressionResponse,
        inference.regress_proto,
    ),
    "Predict": (predict_pb2.PredictRequest, predict_pb2.PredictResponse, inference.predict_proto),
    "MultiInference": (
        inference_pb2.MultiInferenceRequest,
        inference_pb2.MultiInferenceResponse,
        inference.multi_inference_proto,
    ),
    "GetModelMetadata": (
        get_model_metadata_pb2.GetModelMetadataRequest,
        get_model_metadata_pb2.GetModelMetadataResponse,
        inference.metadata_proto,
    ),
}


def spec_of(spec: Any) -> tuple[str, int | None, str | None]:
    """(name, version, label) of a ModelSpec."""
    choice = spec.WhichOneof("version_choice")
    version = spec.version.value if choice == "version" else None
    label = spec.version_label if choice == "version_label" else None
    return spec.name, version, label


def _version_status(version: int, state: str, error: errors.OpError | None) -> Any:
    status_fields: dict[str, Any] = {
        "error_code": error.error_code if error else 0,
        "error_message": error.message if error else "",
    }
    return get_model_status_pb2.ModelVersionStatus(
        version=version,
        state=get_model_status_pb2.ModelVersionStatus.State.Value(state),
        status=status_fields,
    )


def _request_spec(method: str, request: Any) -> Any:
    if method == "MultiInference":
        if not request.tasks:
            raise status.invalid("Expected at least one task")
        return request.tasks[0].model_spec
    return request.model_spec


class GrpcServices:
    """The PredictionService, ModelService and health handlers over one model manager."""

    def __init__(
        self,
        manager: ModelManager,
        executor: Executor,
        reload: Callable[[Any], None] | None = None,
        metrics: Metrics | None = None,
        auth_token: str | None = None,
    ) -> None:
        self.grpc = require("grpc", "serve")
        self.manager = manager
        self.executor = executor
        self._reload = reload or manager.reload_config
        self._codes = {c.value[0]: c for c in self.grpc.StatusCode}
        self.serving = True
        self.metrics = metrics
        self.auth_token = auth_token

    def handlers(self) -> list[Any]:
        """The generic handlers to add to a grpc server."""
        grpc = self.grpc

        def unary(fn: Callable[..., Any], req: Any, resp: Any) -> Any:
            return grpc.unary_unary_rpc_method_handler(
                fn, request_deserializer=req.FromString, response_serializer=resp.SerializeToString
            )

        prediction = {
            name: unary(self._prediction_handler(name, fn), req, resp)
            for name, (req, resp, fn) in _PREDICTION_METHODS.items()
        }
        model = {
            "GetModelStatus": unary(
                self._model_status,
                get_model_status_pb2.GetModelStatusRequest,
                get_model_status_pb2.GetModelStatusResponse,
            ),
            "HandleReloadConfigRequest": unary(
                self._reload_config,
                model_management_pb2.ReloadConfigRequest,
                model_management_pb2.ReloadConfigResponse,
            ),
        }
        health_methods = {
            "Check": unary(self._health, health.HealthCheckRequest, health.HealthCheckResponse)
        }
        return [
            grpc.method_handlers_generic_handler(PREDICTION_SERVICE, prediction),
            grpc.method_handlers_generic_handler(MODEL_SERVICE, model),
            grpc.method_handlers_generic_handler(health.SERVICE, health_methods),
        ]

    async def _run(self, context: Any, fn: Callable[..., Any], *args: Any) -> Any:
        if self.auth_token:
            metadata = dict(context.invocation_metadata() or ())
            if not bearer_ok(str(metadata.get("authorization", "")), self.auth_token):
                await context.abort(
                    self.grpc.StatusCode.UNAUTHENTICATED, "Missing or invalid bearer token"
                )
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.executor, fn, *args)
        except BaseException as e:  # noqa: BLE001 - every failure becomes a gRPC status
            error = status.as_op_error(e)
            await context.abort(self._codes[error.error_code], error.message)

    def _prediction_handler(self, method: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        manager = self.manager

        def call(request: Any) -> Any:
            name, version, label = spec_of(_request_spec(method, request))
            with manager.servable(name, version, label) as servable:
                return fn(servable, request)

        async def handler(request: Any, context: Any) -> Any:
            if self.metrics is None:
                return await self._run(context, call, request)
            start, code = time.perf_counter(), "OK"
            try:
                return await self._run(context, call, request)
            except BaseException:
                code = context.code().name if context.code() is not None else "CANCELLED"
                raise
            finally:
                try:
                    model = _request_spec(method, request).name
                except errors.OpError:
                    model = ""
                self.metrics.request(model, method, "GRPC", code, time.perf_counter() - start)

        return handler

    async def _model_status(self, request: Any, context: Any) -> Any:
        def call() -> Any:
            name, version, label = spec_of(request.model_spec)
            response = get_model_status_pb2.GetModelStatusResponse()
            for v, state, error in self.manager.version_status(name, version, label):
                entry = response.model_version_status.add(version=v)
                entry.MergeFrom(_version_status(v, state, error))
            return response

        return await self._run(context, call)

    async def _reload_config(self, request: Any, context: Any) -> Any:
        def call() -> Any:
            config.validate(request.config)
            self._reload(request.config)
            return model_management_pb2.ReloadConfigResponse()

        return await self._run(context, call)

    async def _health(self, request: Any, context: Any) -> Any:
        known = {"", PREDICTION_SERVICE, MODEL_SERVICE, "ModelService", "PredictionService"}
        if request.service not in known:
            await context.abort(self.grpc.StatusCode.NOT_FOUND, "unknown service")
        up = self.serving
        return health.HealthCheckResponse(status=health.SERVING if up else health.NOT_SERVING)

    def make_server(self, address: str, ssl_config: Any = None) -> Any:
        """A grpc.aio server bound to ``address`` with these services (not started).

        ``ssl_config`` (TF Serving's SSLConfig) switches the port to TLS.

        Raises:
            stowflow.errors.UnavailableError: the address cannot be bound.
        """
        aio = require("grpc.aio", "serve")
        server = aio.server(
            options=[
                ("grpc.max_send_message_length", _INT32_MAX),
                ("grpc.max_receive_message_length", _INT32_MAX),
                ("grpc.so_reuseport", 0),
            ],
            maximum_concurrent_rpcs=None,
        )
        server.add_generic_rpc_handlers(self.handlers())
        try:
            if ssl_config is None:
                port = server.add_insecure_port(address)
            else:
                credentials = self.grpc.ssl_server_credentials(
                    [(ssl_config.server_key.encode(), ssl_config.server_cert.encode())],
                    root_certificates=ssl_config.custom_ca.encode() or None,
                    require_client_auth=ssl_config.client_verify,
                )
                port = server.add_secure_port(address, credentials)
        except RuntimeError as e:
            raise errors.UnavailableError(None, None, f"Failed to bind {address}: {e}") from e
        if port == 0:
            raise errors.UnavailableError(None, None, f"Failed to bind {address}")
        return server
