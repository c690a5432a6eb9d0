"""``tensorflow_serving.apis.model_pb2`` on stowflow's protos (TF's field numbers)."""

from stowflow.proto.serving.model_pb2 import (
    DESCRIPTOR,
    ModelSpec,
)

__all__ = [
    "DESCRIPTOR",
    "ModelSpec",
]
