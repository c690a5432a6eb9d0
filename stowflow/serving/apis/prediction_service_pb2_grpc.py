"""``tensorflow_serving.apis.prediction_service_pb2_grpc``: the PredictionService stub.

``PredictionServiceStub(channel)`` calls TF Serving's paths
(``/tensorflow.serving.PredictionService/Predict`` ...), so it talks to TF Serving and to
``stowflow serve`` alike.
"""

from __future__ import annotations

from typing import Any

from stowflow.serving.apis._stubs import PREDICTION_METHODS, bind

SERVICE = "tensorflow.serving.PredictionService"


class PredictionServiceStub:
    """Client for PredictionService: Classify, Regress, Predict, MultiInference,
    GetModelMetadata (each a grpc unary-unary callable)."""

    def __init__(self, channel: Any) -> None:
        bind(self, channel, SERVICE, PREDICTION_METHODS)


__all__ = ["SERVICE", "PredictionServiceStub"]
