"""`stowflow serve` over gRPC with the official tensorflow-serving-api client (TF oracle venv)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from serving_testlib import Server, copy_version
from stowflow_testlib import require_tf_python

CONFIG = """
model_config_list {
  config {
    name: 'half' base_path: '%(root)s/half' model_platform: 'tensorflow'
    model_version_policy { all {} }
    version_labels { key: 'stable' value: 1 }
  }
  config { name: 'ex' base_path: '%(root)s/ex' }
}
"""


def _client_has_serving_api(python: Path) -> None:
    probe = subprocess.run(
        [str(python), "-c", "import tensorflow_serving.apis.prediction_service_pb2_grpc"],
        capture_output=True,
        timeout=300,
    )
    if probe.returncode:
        pytest.skip(
            "tensorflow-serving-api is not in the TF oracle venv "
            "(pip install --no-deps tensorflow-serving-api==2.21.0)"
        )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    python = require_tf_python()
    _client_has_serving_api(python)
    root = tmp_path_factory.mktemp("grpc")
    copy_version("tf1_predict", root / "half", 1)
    copy_version("tf1_predict", root / "half", 2)
    copy_version("tf1_classify_regress", root / "ex", 3)
    (root / "models.config").write_text(CONFIG % {"root": root})
    (root / "monitoring.config").write_text("prometheus_config { enable: true }")
    server = Server(
        [
            f"--model_config_file={root / 'models.config'}",
            f"--monitoring_config_file={root / 'monitoring.config'}",
        ],
        root / "server.log",
    )
    try:
        run = subprocess.run(
            [
                str(python),
                str(Path(__file__).with_name("tfs_client.py")),
                f"127.0.0.1:{server.grpc_port}",
                str(root / "half"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stderr[-3000:] + server.log()
        out: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
        _, metrics, _ = server.request("GET", "/monitoring/prometheus/metrics", raw=True)
        out["_metrics"] = metrics.decode().splitlines()
    finally:
        assert server.stop() == 0
    return out


def test_predict(results: dict[str, Any]) -> None:
    from serving_testlib import SAVEDMODELS

    from stowflow import saved_model

    model = saved_model.load(str(SAVEDMODELS / "tf1_predict"))
    try:
        want = model.signatures["serving_default"](x=np.array([[1, 2, 3]], np.float32))["y"]
    finally:
        model.close()
    np.testing.assert_allclose(results["predict"], want, rtol=1e-6)
    assert results["predict_spec"] == ["half", 2, "serving_default"]
    assert results["predict_label"] == [[[2.0, 4.0, 6.0]], 1]
    assert results["predict_filter"] == ["z"]


def test_predict_errors(results: dict[str, Any]) -> None:
    assert results["err_shape"][0] == "INVALID_ARGUMENT" and "shape" in results["err_shape"][1]
    assert results["err_dtype"] == [
        "INVALID_ARGUMENT",
        "Expects arg[0] to be float but int32 is provided",
    ]
    assert results["err_alias"][0] == "INVALID_ARGUMENT"
    assert "input tensor alias not found in signature: w" in results["err_alias"][1]
    assert results["err_signature"] == [
        "FAILED_PRECONDITION",
        'Serving signature key "nope" not found.',
    ]
    assert results["err_model"] == ["NOT_FOUND", "Servable not found for request: Latest(nope)"]
    assert results["err_version"] == [
        "NOT_FOUND",
        "Servable not found for request: Specific(half, 42)",
    ]
    assert results["err_label"] == [
        "INVALID_ARGUMENT",
        "Unrecognized servable version label: nolabel",
    ]


def test_classify_regress_multi(results: dict[str, Any]) -> None:
    classify = results["classify"]
    assert len(classify) == 2 and [c[0] for c in classify[0]] == ["cat", "dog", "bird"]
    assert sum(c[1] for c in classify[0]) == pytest.approx(1.0, rel=1e-5)
    assert results["err_classify_empty"] == ["INVALID_ARGUMENT", "Input is empty."]
    assert len(results["regress"]) == 1
    assert results["multi"] == ["classification_result", "regression_result"]
    assert results["multi_regress"] == results["regress"]


def test_metadata_any_unpacks_with_tf_serving_class(results: dict[str, Any]) -> None:
    assert results["metadata_type_url"] == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    assert results["metadata_unpacked"] is True
    assert {"serving_default", "double"} <= set(results["metadata_signatures"])
    assert results["metadata_version"] == 2


def test_model_status_and_health(results: dict[str, Any]) -> None:
    assert results["status"] == [[2, "AVAILABLE", 0], [1, "AVAILABLE", 0]]
    assert results["err_status"] == ["NOT_FOUND", "Could not find any versions of model nope"]
    assert results["health"] == [8, 1]  # HealthCheckResponse{status: SERVING}


def test_reload_config(results: dict[str, Any]) -> None:
    assert results["reload"] == 0
    assert results["status_after_reload"] == [[2, "END"], [1, "AVAILABLE"]]
    assert results["ex_after_reload"][0] == "NOT_FOUND"


def test_grpc_requests_are_counted(results: dict[str, Any]) -> None:
    lines = results["_metrics"]
    assert ':tensorflow:serving:request_count{model_name="nope",status="NOT_FOUND"} 1.0' in lines
    assert any(
        line.startswith(
            ':tensorflow:serving:request_latency_count{API="Classify",'
            'entrypoint="GRPC",model_name="ex"}'
        )
        for line in lines
    )
    assert ':stowflow:serving:config_reload_count{status="OK"} 1.0' in lines
