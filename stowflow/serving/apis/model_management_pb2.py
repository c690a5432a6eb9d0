"""``tensorflow_serving.apis.model_management_pb2`` on stowflow's protos (TF's field numbers)."""

from stowflow.proto.serving.model_management_pb2 import (
    DESCRIPTOR,
    Metric,
    ReloadConfigRequest,
    ReloadConfigResponse,
)

__all__ = [
    "DESCRIPTOR",
    "Metric",
    "ReloadConfigRequest",
    "ReloadConfigResponse",
]
