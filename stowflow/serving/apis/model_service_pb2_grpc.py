"""``tensorflow_serving.apis.model_service_pb2_grpc``: the ModelService stub."""

from __future__ import annotations

from typing import Any

from stowflow.serving.apis._stubs import MODEL_METHODS, bind

SERVICE = "tensorflow.serving.ModelService"


class ModelServiceStub:
    """Client for ModelService: GetModelStatus, HandleReloadConfigRequest."""

    def __init__(self, channel: Any) -> None:
        bind(self, channel, SERVICE, MODEL_METHODS)


__all__ = ["SERVICE", "ModelServiceStub"]
