"""Clients without TensorFlow: `stowflow.serving.apis` stubs, and the seeds' beta-API snippet
run unchanged under `python -m stowflow.tf1`."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from serving_testlib import Server, copy_version, example_bytes
from stowflow_testlib import DEV_PYTHON_ENV

from stowflow import saved_model
from stowflow.proto import example_pb2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("client")
    copy_version("tf1_classify_regress", root / "export", 1534567890)
    srv = Server([f"--model_base_path={root / 'export'}"], root / "server.log")
    try:
        yield srv
    finally:
        assert srv.stop() == 0


def _expected_scores(x: list[float]) -> np.ndarray:
    from serving_testlib import SAVEDMODELS

    model = saved_model.load(str(SAVEDMODELS / "tf1_classify_regress"))
    try:
        ser = np.array([example_bytes(x)], dtype=object)
        return model.signatures["classify"](inputs=ser)["scores"][0]
    finally:
        model.close()


def test_seed_snippet_runs_under_tf1(server: Server) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "stowflow.tf1",
            str(Path(__file__).with_name("seed_client.py")),
            "127.0.0.1",
            str(server.grpc_port),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=DEV_PYTHON_ENV,
    )
    assert run.returncode == 0, run.stderr
    classes = ast.literal_eval(run.stdout.strip().splitlines()[-1])
    assert [label for label, _ in classes] == ["cat", "dog", "bird"]
    np.testing.assert_allclose([s for _, s in classes], _expected_scores([1.0, 2.0]), rtol=1e-6)


def test_apis_stubs_without_tensorflow(server: Server) -> None:
    grpc = pytest.importorskip("grpc")
    from stowflow.serving import apis
    from stowflow.serving.apis import (
        get_model_metadata_pb2,
        get_model_status_pb2,
        model_service_pb2_grpc,
        predict_pb2,
        prediction_service_pb2_grpc,
        regression_pb2,
    )

    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        request = predict_pb2.PredictRequest()
        request.model_spec.name = "default"
        request.model_spec.signature_name = "predict_raw"
        request.inputs["examples"].CopyFrom(
            apis.make_tensor_proto([example_bytes([3.0, 4.0])], dtype="string")
        )
        response = stub.Predict(request, timeout=60)
        assert apis.make_ndarray(response.outputs["x"]).tolist() == [[3.0, 4.0]]
        assert response.model_spec.version.value == 1534567890

        regress = regression_pb2.RegressionRequest()
        regress.model_spec.name = "default"
        regress.model_spec.signature_name = "regress"
        ex = regress.input.example_list.examples.add()
        ex.CopyFrom(example_pb2.Example.FromString(example_bytes([1.0, 2.0])))
        assert len(stub.Regress(regress, timeout=60).result.regressions) == 1

        meta = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
        meta.model_spec.name = "default"
        payload = stub.GetModelMetadata(meta, timeout=60).metadata["signature_def"]
        assert {"classify", "regress"} <= set(apis.unpack_signature_def_map(payload).signature_def)

        status_stub = model_service_pb2_grpc.ModelServiceStub(channel)
        req = get_model_status_pb2.GetModelStatusRequest()
        req.model_spec.name = "default"
        states = status_stub.GetModelStatus(req, timeout=60).model_version_status
        assert [(s.version, s.state) for s in states] == [
            (1534567890, get_model_status_pb2.ModelVersionStatus.AVAILABLE)
        ]


def test_seed_serving_command_line_default_model_name(server: Server) -> None:
    code, body = server.get("/v1/models/default")
    assert code == 200 and body["model_version_status"][0]["version"] == "1534567890"
