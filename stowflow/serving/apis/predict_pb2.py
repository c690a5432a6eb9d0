"""``tensorflow_serving.apis.predict_pb2`` on stowflow's protos (TF's field numbers)."""

from stowflow.proto.serving.predict_pb2 import (
    DESCRIPTOR,
    PredictRequest,
    PredictResponse,
    PredictStreamedOptions,
)

__all__ = [
    "DESCRIPTOR",
    "PredictRequest",
    "PredictResponse",
    "PredictStreamedOptions",
]
