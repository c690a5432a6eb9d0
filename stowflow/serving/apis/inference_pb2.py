"""``tensorflow_serving.apis.inference_pb2`` on stowflow's protos (TF's field numbers)."""

from stowflow.proto.serving.inference_pb2 import (
    DESCRIPTOR,
    InferenceResult,
    InferenceTask,
    MultiInferenceRequest,
    MultiInferenceResponse,
)

__all__ = [
    "DESCRIPTOR",
    "InferenceResult",
    "InferenceTask",
    "MultiInferenceRequest",
    "MultiInferenceResponse",
]
