"""``tensorflow_serving.apis.get_model_metadata_pb2`` on stowflow's protos (TF's field numbers)."""

from stowflow.proto.serving.get_model_metadata_pb2 import (
    DESCRIPTOR,
    GetModelMetadataRequest,
    GetModelMetadataResponse,
    SignatureDefMap,
)

__all__ = [
    "DESCRIPTOR",
    "GetModelMetadataRequest",
    "GetModelMetadataResponse",
    "SignatureDefMap",
]
