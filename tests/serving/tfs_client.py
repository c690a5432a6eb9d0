"""Drives `stowflow serve` with the official tensorflow-serving-api client (run by the TF oracle).

Usage: python tfs_client.py HOST:PORT  -> prints one JSON object with every call's outcome.
Needs tensorflow and tensorflow-serving-api (installed into the oracle venv with
`pip install --no-deps tensorflow-serving-api==2.21.0`).
"""

from __future__ import annotations

import json
import sys

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)


def _example(request_input, x):
    ex = request_input.example_list.examples.add()
    ex.features.feature["x"].float_list.value.extend(x)


def _error(call):
    try:
        call()
    except grpc.RpcError as e:
        return [e.code().name, e.details()]
    return None


def main(target: str) -> None:
    channel = grpc.insecure_channel(target)
    grpc.channel_ready_future(channel).result(timeout=60)
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    models = model_service_pb2_grpc.ModelServiceStub(channel)
    out = {}

    req = predict_pb2.PredictRequest()
    req.model_spec.name = "half"
    req.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([[1, 2, 3]], np.float32)))
    resp = stub.Predict(req, 30.0)
    out["predict"] = tf.make_ndarray(resp.outputs["y"]).tolist()
    out["predict_spec"] = [
        resp.model_spec.name,
        resp.model_spec.version.value,
        resp.model_spec.signature_name,
    ]
    req.model_spec.version_label = "stable"
    req.model_spec.signature_name = "double"
    out["predict_label"] = [
        tf.make_ndarray(stub.Predict(req, 30.0).outputs["z"]).tolist(),
        stub.Predict(req, 30.0).model_spec.version.value,
    ]
    req.output_filter.append("z")
    out["predict_filter"] = sorted(stub.Predict(req, 30.0).outputs)

    bad = predict_pb2.PredictRequest()
    bad.model_spec.name = "half"
    bad.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([[1, 2]], np.float32)))
    out["err_shape"] = _error(lambda: stub.Predict(bad, 30.0))
    bad.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([[1, 2, 3]], np.int32)))
    out["err_dtype"] = _error(lambda: stub.Predict(bad, 30.0))
    bad.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([[1, 2, 3]], np.float32)))
    bad.inputs["w"].CopyFrom(tf.make_tensor_proto(np.array([1], np.float32)))
    out["err_alias"] = _error(lambda: stub.Predict(bad, 30.0))
    del bad.inputs["w"]
    bad.model_spec.signature_name = "nope"
    out["err_signature"] = _error(lambda: stub.Predict(bad, 30.0))
    bad.model_spec.signature_name = ""
    bad.model_spec.name = "nope"
    out["err_model"] = _error(lambda: stub.Predict(bad, 30.0))
    bad.model_spec.name = "half"
    bad.model_spec.version.value = 42
    out["err_version"] = _error(lambda: stub.Predict(bad, 30.0))
    bad.model_spec.version_label = "nolabel"
    out["err_label"] = _error(lambda: stub.Predict(bad, 30.0))

    creq = classification_pb2.ClassificationRequest()
    creq.model_spec.name = "ex"
    creq.model_spec.signature_name = "classify"
    _example(creq.input, [1.0, 2.0])
    _example(creq.input, [0.5, 0.5])
    cresp = stub.Classify(creq, 30.0)
    out["classify"] = [
        [[c.label, c.score] for c in r.classes] for r in cresp.result.classifications
    ]
    out["err_classify_empty"] = _error(
        lambda: stub.Classify(
            classification_pb2.ClassificationRequest(model_spec=creq.model_spec), 30.0
        )
    )

    rreq = regression_pb2.RegressionRequest()
    rreq.model_spec.name = "ex"
    rreq.model_spec.signature_name = "regress"
    _example(rreq.input, [1.0, 2.0])
    out["regress"] = [r.value for r in stub.Regress(rreq, 30.0).result.regressions]

    mreq = inference_pb2.MultiInferenceRequest()
    for sig, method in (
        ("classify", "tensorflow/serving/classify"),
        ("regress", "tensorflow/serving/regress"),
    ):
        task = mreq.tasks.add()
        task.model_spec.name = "ex"
        task.model_spec.signature_name = sig
        task.method_name = method
    _example(mreq.input, [1.0, 2.0])
    mresp = stub.MultiInference(mreq, 30.0)
    out["multi"] = [r.WhichOneof("result") for r in mresp.results]
    out["multi_regress"] = [r.value for r in mresp.results[1].regression_result.regressions]

    meta = get_model_metadata_pb2.GetModelMetadataRequest()
    meta.model_spec.name = "half"
    meta.metadata_field.append("signature_def")
    mdresp = stub.GetModelMetadata(meta, 30.0)
    any_payload = mdresp.metadata["signature_def"]
    sig_map = get_model_metadata_pb2.SignatureDefMap()
    out["metadata_unpacked"] = any_payload.Unpack(sig_map)
    out["metadata_type_url"] = any_payload.type_url
    out["metadata_signatures"] = sorted(sig_map.signature_def)
    out["metadata_version"] = mdresp.model_spec.version.value

    sreq = get_model_status_pb2.GetModelStatusRequest()
    sreq.model_spec.name = "half"
    sresp = models.GetModelStatus(sreq, 30.0)
    out["status"] = [
        [
            s.version,
            get_model_status_pb2.ModelVersionStatus.State.Name(s.state),
            s.status.error_code,
        ]
        for s in sresp.model_version_status
    ]
    sreq.model_spec.name = "nope"
    out["err_status"] = _error(lambda: models.GetModelStatus(sreq, 30.0))

    health = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=lambda b: b,
        response_deserializer=lambda b: b,
    )
    out["health"] = list(health(b"", timeout=30.0))

    if len(sys.argv) > 2:
        reload_req = model_management_pb2.ReloadConfigRequest()
        cfg = reload_req.config.model_config_list.config.add()
        cfg.name = "half"
        cfg.base_path = sys.argv[2]
        cfg.model_platform = "tensorflow"
        cfg.model_version_policy.specific.versions.append(1)
        out["reload"] = models.HandleReloadConfigRequest(reload_req, 60.0).status.error_code
        sreq.model_spec.name = "half"
        out["status_after_reload"] = [
            [s.version, get_model_status_pb2.ModelVersionStatus.State.Name(s.state)]
            for s in models.GetModelStatus(sreq, 30.0).model_version_status
        ]
        sreq.model_spec.name = "ex"
        out["ex_after_reload"] = _error(lambda: models.GetModelStatus(sreq, 30.0))
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
