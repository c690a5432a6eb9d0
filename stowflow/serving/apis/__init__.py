"""``tensorflow_serving.apis`` without TensorFlow or tensorflow-serving-api.

The ``*_pb2`` modules are stowflow's generated protos (TF Serving's field numbers, so they
are wire-compatible); the ``*_pb2_grpc`` stubs call TF Serving's method paths. With
:func:`make_tensor_proto` / :func:`make_ndarray` a client needs nothing else::

    import grpc
    from stowflow.serving.apis import make_tensor_proto, predict_pb2, prediction_service_pb2_grpc

    stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel("host:8500"))
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "model"
    request.inputs["x"].CopyFrom(make_tensor_proto([[1.0, 2.0, 3.0]]))
    response = stub.Predict(request, 10.0)

Under ``python -m stowflow.tf1``, ``import tensorflow_serving.apis`` resolves here.
"""

from __future__ import annotations

from typing import Any

from stowflow.serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    input_pb2,
    model_management_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_log_pb2,
    prediction_service_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)
from stowflow.tensors import make_ndarray, make_tensor_proto


def unpack_signature_def_map(any_proto: Any) -> Any:
    """GetModelMetadata's ``metadata["signature_def"]`` as a SignatureDefMap.

    The payload's type URL is TF Serving's (``tensorflow.serving.SignatureDefMap``), so
    ``Any.Unpack`` into our differently-named message refuses it; this parses the bytes.
    """
    return get_model_metadata_pb2.SignatureDefMap.FromString(any_proto.value)


__all__ = [
    "classification_pb2",
    "get_model_metadata_pb2",
    "get_model_status_pb2",
    "inference_pb2",
    "input_pb2",
    "make_ndarray",
    "make_tensor_proto",
    "model_management_pb2",
    "model_pb2",
    "model_service_pb2_grpc",
    "predict_pb2",
    "prediction_log_pb2",
    "prediction_service_pb2",
    "prediction_service_pb2_grpc",
    "regression_pb2",
    "unpack_signature_def_map",
]
