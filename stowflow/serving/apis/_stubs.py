"""Client stubs on TF Serving's method paths, for any grpc channel."""

from __future__ import annotations

from typing import Any

from stowflow.proto.serving import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_management_pb2,
    predict_pb2,
    regression_pb2,
)

PREDICTION_METHODS: dict[str, tuple[Any, Any]] = {
    "Classify": (
        classification_pb2.ClassificationRequest,
        classification_pb2.ClassificationResponse,
    ),
    "Regress": (regression_pb2.RegressionRequest, regression_pb2.RegressionResponse),
    "Predict": (predict_pb2.PredictRequest, predict_pb2.PredictResponse),
    "MultiInference": (inference_pb2.MultiInferenceRequest, inference_pb2.MultiInferenceResponse),
    "GetModelMetadata": (
        get_model_metadata_pb2.GetModelMetadataRequest,
        get_model_metadata_pb2.GetModelMetadataResponse,
    ),
}
MODEL_METHODS: dict[str, tuple[Any, Any]] = {
    "GetModelStatus": (
        get_model_status_pb2.GetModelStatusRequest,
        get_model_status_pb2.GetModelStatusResponse,
    ),
    "HandleReloadConfigRequest": (
        model_management_pb2.ReloadConfigRequest,
        model_management_pb2.ReloadConfigResponse,
    ),
}


def bind(stub: Any, channel: Any, service: str, methods: dict[str, tuple[Any, Any]]) -> None:
    """Sets one unary-unary callable per method on ``stub``."""
    for name, (request, response) in methods.items():
        setattr(
            stub,
            name,
            channel.unary_unary(
                f"/{service}/{name}",
                request_serializer=request.SerializeToString,
                response_deserializer=response.FromString,
            ),
        )
