"""``tensorflow_serving.apis.prediction_service_pb2``, with the old beta stub factory.

``beta_create_PredictionService_stub(channel)`` takes a ``grpc.beta.implementations``
channel (as TF Serving's early clients did) and returns a stub whose methods are called as
``stub.Classify(request, timeout_seconds)``.
"""

from __future__ import annotations

from typing import Any

from stowflow.proto.serving.prediction_service_pb2 import DESCRIPTOR
from stowflow.serving.apis.prediction_service_pb2_grpc import PredictionServiceStub


class _BetaMethod:
    def __init__(self, call: Any) -> None:
        self._call = call

    def __call__(self, request: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        return self._call(request, timeout=timeout, **kwargs)

    def future(self, request: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        return self._call.future(request, timeout=timeout, **kwargs)


class BetaPredictionServiceStub:
    """The beta-API stub: ``stub.Predict(request, timeout)`` and ``.future(...)``."""

    def __init__(self, channel: Any) -> None:
        inner = PredictionServiceStub(getattr(channel, "_channel", channel))
        for name in ("Classify", "Regress", "Predict", "MultiInference", "GetModelMetadata"):
            setattr(self, name, _BetaMethod(getattr(inner, name)))


def beta_create_PredictionService_stub(channel: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
    """A beta stub over a ``grpc.beta.implementations`` (or plain grpc) channel."""
    return BetaPredictionServiceStub(channel)


__all__ = ["DESCRIPTOR", "BetaPredictionServiceStub", "beta_create_PredictionService_stub"]
