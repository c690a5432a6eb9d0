"""``tensorflow_serving.apis.classification_pb2`` on stowflow's protos (TF's field numbers)."""

from stowflow.proto.serving.classification_pb2 import (
    DESCRIPTOR,
    Class,
    ClassificationRequest,
    ClassificationResponse,
    ClassificationResult,
    Classifications,
)

__all__ = [
    "DESCRIPTOR",
    "Class",
    "ClassificationRequest",
    "ClassificationResponse",
    "ClassificationResult",
    "Classifications",
]
