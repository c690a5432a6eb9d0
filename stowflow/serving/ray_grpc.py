"""``add_*Servicer_to_server`` functions for TF Serving's gRPC services, as grpc codegen makes.

Ray Serve's gRPC proxy takes such functions by import path (``grpc_servicer_functions``),
calls each with a placeholder servicer and keeps only the method paths and request
deserializers, then routes ``/tensorflow.serving.PredictionService/Predict`` to the
deployment's ``Predict`` method. Registered here under TF Serving's exact service names, so
official clients (``tensorflow_serving.apis``, :mod:`stowflow.serving.apis`) work unchanged.
The functions also work on a plain ``grpc`` server with a servicer object that has one
method per RPC (``Predict(request, context)`` ...).

This module imports grpc only when a function is called, and never ray.
"""

from __future__ import annotations

from typing import Any

from stowflow._extras import require
from stowflow.serving import health
from stowflow.serving.apis._stubs import MODEL_METHODS, PREDICTION_METHODS

PREDICTION_SERVICE = "tensorflow.serving.PredictionService"
MODEL_SERVICE = "tensorflow.serving.ModelService"

SERVICER_FUNCTIONS = [
    f"{__name__}.add_PredictionServiceServicer_to_server",
    f"{__name__}.add_ModelServiceServicer_to_server",
    f"{__name__}.add_HealthServicer_to_server",
]
"""Import paths for Ray Serve's ``grpc_options.grpc_servicer_functions``."""

_HEALTH_METHODS: dict[str, tuple[Any, Any]] = {
    "Check": (health.HealthCheckRequest, health.HealthCheckResponse)
}

SERVICES: dict[str, dict[str, tuple[Any, Any]]] = {
    PREDICTION_SERVICE: PREDICTION_METHODS,
    MODEL_SERVICE: MODEL_METHODS,
    health.SERVICE: _HEALTH_METHODS,
}
"""Service name -> {method name: (request class, response class)}."""


def _add(service: str, servicer: Any, server: Any) -> None:
    grpc = require("grpc", "serve")
    handlers = {
        name: grpc.unary_unary_rpc_method_handler(
            getattr(servicer, name),
            request_deserializer=request.FromString,
            response_serializer=response.SerializeToString,
        )
        for name, (request, response) in SERVICES[service].items()
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))


def add_PredictionServiceServicer_to_server(servicer: Any, server: Any) -> None:  # noqa: N802
    """Registers ``tensorflow.serving.PredictionService`` (Classify, Regress, Predict,
    MultiInference, GetModelMetadata) on ``server``, served by ``servicer``'s methods."""
    _add(PREDICTION_SERVICE, servicer, server)


def add_ModelServiceServicer_to_server(servicer: Any, server: Any) -> None:  # noqa: N802
    """Registers ``tensorflow.serving.ModelService`` (GetModelStatus,
    HandleReloadConfigRequest) on ``server``."""
    _add(MODEL_SERVICE, servicer, server)


def add_HealthServicer_to_server(servicer: Any, server: Any) -> None:  # noqa: N802
    """Registers the standard ``grpc.health.v1.Health`` service (Check) on ``server``."""
    _add(health.SERVICE, servicer, server)
