"""``tensorflow_serving.apis.get_model_status_pb2`` on stowflow's protos (TF's field numbers)."""

from stowflow.proto.serving.get_model_status_pb2 import (
    DESCRIPTOR,
    GetModelStatusRequest,
    GetModelStatusResponse,
    ModelVersionStatus,
)

__all__ = [
    "DESCRIPTOR",
    "GetModelStatusRequest",
    "GetModelStatusResponse",
    "ModelVersionStatus",
]
