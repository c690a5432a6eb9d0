"""``tensorflow_serving.apis.prediction_log_pb2`` on stowflow's protos (TF's field numbers)."""

from stowflow.proto.serving.prediction_log_pb2 import (
    DESCRIPTOR,
    ClassifyLog,
    MultiInferenceLog,
    PredictionLog,
    PredictLog,
    PredictStreamedLog,
    RegressLog,
    SessionRunLog,
)

__all__ = [
    "DESCRIPTOR",
    "ClassifyLog",
    "MultiInferenceLog",
    "PredictLog",
    "PredictStreamedLog",
    "PredictionLog",
    "RegressLog",
    "SessionRunLog",
]
