"""``tensorflow_serving.apis.regression_pb2`` on stowflow's protos (TF's field numbers)."""

from stowflow.proto.serving.regression_pb2 import (
    DESCRIPTOR,
    Regression,
    RegressionRequest,
    RegressionResponse,
    RegressionResult,
)

__all__ = [
    "DESCRIPTOR",
    "Regression",
    "RegressionRequest",
    "RegressionResponse",
    "RegressionResult",
]
