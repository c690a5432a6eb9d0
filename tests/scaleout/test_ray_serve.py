"""The Ray Serve application: TF Serving's REST and gRPC checks of the plain server, on a local
Ray (2 CPUs, loopback), with batching on (so every run goes through ``@serve.batch``)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scaleout_testlib import SAVEDMODELS, copy_model, free_port, http

from stowflow import saved_model
from stowflow.proto import example_pb2

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
BATCHING = "max_batch_size { value: 8 } batch_timeout_micros { value: 2000 }"
X = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


class RayApp:
    """Where the running Ray Serve app listens."""

    def __init__(self, rest_port: int, grpc_port: int) -> None:
        self.rest = f"http://127.0.0.1:{rest_port}"
        self.grpc_target = f"127.0.0.1:{grpc_port}"

    def get(self, path: str) -> tuple[int, Any]:
        return http("GET", self.rest + path)

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        return http("POST", self.rest + path, body)


@pytest.fixture(scope="module")
def app(ray_local: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayApp]:
    from ray import serve

    from stowflow.serving import ray_serve

    root = tmp_path_factory.mktemp("rayserve")
    copy_model("tf1_predict", root / "half" / "1")
    copy_model("tf1_predict", root / "half" / "2")
    copy_model("tf1_classify_regress", root / "ex" / "3")
    (root / "models.config").write_text(CONFIG % {"root": root})
    (root / "batching.config").write_text(BATCHING)
    values = {
        "rest_api_host": "127.0.0.1",
        "rest_api_port": free_port(),
        "port": free_port(),
    }
    http_options, grpc_options = ray_serve.serve_options({**values, "grpc_host": "127.0.0.1"})
    serve.start(http_options=http_options, grpc_options=grpc_options)
    application = ray_serve.build_app(
        {
            "model_config_file": str(root / "models.config"),
            "enable_batching": True,
            "batching_parameters_file": str(root / "batching.config"),
            "num_replicas": 1,
        }
    )
    serve.run(application, name=ray_serve.APP_NAME, route_prefix="/")
    try:
        yield RayApp(values["rest_api_port"], values["port"])
    finally:
        serve.delete(ray_serve.APP_NAME)


def _expected(signature: str, **feeds: np.ndarray) -> dict[str, np.ndarray]:
    name = "tf1_predict" if signature in ("serving_default", "double") else "tf1_classify_regress"
    model = saved_model.load(str(SAVEDMODELS / name))
    try:
        return dict(model.signatures[signature](**feeds))
    finally:
        model.close()


# -- REST ---------------------------------------------------------------------------------------
def test_rest_status_and_metadata(app: RayApp) -> None:
    code, body = app.get("/v1/models/half")
    assert code == 200
    assert [(s["version"], s["state"]) for s in body["model_version_status"]] == [
        ("2", "AVAILABLE"),
        ("1", "AVAILABLE"),
    ]
    code, body = app.get("/v1/models/half/versions/1/metadata")
    assert code == 200
    assert body["model_spec"] == {"name": "half", "signature_name": "", "version": "1"}
    sigs = body["metadata"]["signature_def"]["signature_def"]
    assert sigs["serving_default"]["inputs"]["x"]["dtype"] == "DT_FLOAT"
    assert app.get("/v1/models/nope") == (
        404,
        {"error": "Could not find any versions of model nope"},
    )


def test_rest_predict_row_and_columnar(app: RayApp) -> None:
    want = _expected("serving_default", x=np.array(X, np.float32))["y"]
    code, body = app.post("/v1/models/half:predict", {"instances": X})
    assert code == 200
    np.testing.assert_array_equal(np.array(body["predictions"], np.float32), want)
    code, body = app.post("/v1/models/half/versions/1:predict", {"inputs": X})
    assert code == 200
    np.testing.assert_array_equal(np.array(body["outputs"], np.float32), want)
    code, body = app.post(
        "/v1/models/half/labels/stable:predict", {"signature_name": "double", "inputs": {"x": X}}
    )
    assert (code, body) == (200, {"outputs": (np.array(X) * 2).tolist()})


def test_rest_classify_and_regress(app: RayApp) -> None:
    code, body = app.post(
        "/v1/models/ex:classify",
        {"signature_name": "classify", "examples": [{"x": [1.0, 2.0]}, {"x": [0.5, 0.5]}]},
    )
    assert code == 200 and len(body["results"]) == 2
    assert [label for label, _ in body["results"][0]] == ["cat", "dog", "bird"]
    assert math.isclose(sum(s for _, s in body["results"][0]), 1.0, rel_tol=1e-5)
    code, body = app.post(
        "/v1/models/ex:regress", {"signature_name": "regress", "examples": [{"x": [1.0, 2.0]}]}
    )
    assert code == 200 and len(body["results"]) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"instances": [1,', "JSON Parse error"),
        (b'{"instances": [[1, 2]]}', "incompatible with the shape"),
        (b'{"instances": [["a", "b", "c"]]}', "is not of expected type: float"),
        (
            b'{"signature_name": "nope", "instances": [[1, 2, 3]]}',
            'Serving signature name: "nope" not found in signature def',
        ),
    ],
)
def test_rest_bad_request_is_400_with_reason(app: RayApp, body: bytes, message: str) -> None:
    code, parsed = app.post("/v1/models/half:predict", body)
    assert code == 400 and message in parsed["error"], parsed
    assert app.post("/v1/models/half:predict", {"instances": X})[0] == 200


def test_rest_v2_infer(app: RayApp) -> None:
    assert app.get("/v2/health/ready") == (200, {"ready": True})
    code, body = app.post(
        "/v2/models/half/infer",
        {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": sum(X, [])}]},
    )
    assert code == 200, body
    want = _expected("serving_default", x=np.array(X, np.float32))["y"]
    (out,) = body["outputs"]
    np.testing.assert_array_equal(np.array(out["data"], np.float32).reshape(out["shape"]), want)


# -- gRPC, with the stubs of stowflow.serving.apis (TF Serving's method paths) ------------------
@pytest.fixture(scope="module")
def stubs(app: RayApp) -> Iterator[tuple[Any, Any]]:
    import grpc

    from stowflow.serving.apis import model_service_pb2_grpc, prediction_service_pb2_grpc

    with grpc.insecure_channel(app.grpc_target) as channel:
        grpc.channel_ready_future(channel).result(timeout=60)
        yield (
            prediction_service_pb2_grpc.PredictionServiceStub(channel),
            model_service_pb2_grpc.ModelServiceStub(channel),
        )


def _error(call: Any) -> tuple[str, str]:
    import grpc

    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value.code().name, info.value.details()


def test_grpc_predict(stubs: tuple[Any, Any]) -> None:
    from stowflow.serving.apis import make_ndarray, make_tensor_proto, predict_pb2

    prediction, _ = stubs
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "half"
    request.inputs["x"].CopyFrom(make_tensor_proto(np.array(X, np.float32)))
    response = prediction.Predict(request, timeout=60)
    want = _expected("serving_default", x=np.array(X, np.float32))["y"]
    np.testing.assert_array_equal(make_ndarray(response.outputs["y"]), want)
    assert (response.model_spec.name, response.model_spec.version.value) == ("half", 2)

    request.model_spec.version_label = "stable"
    request.model_spec.signature_name = "double"
    response = prediction.Predict(request, timeout=60)
    assert make_ndarray(response.outputs["z"]).tolist() == (np.array(X) * 2).tolist()
    assert response.model_spec.version.value == 1


def test_grpc_errors_carry_tf_serving_codes(stubs: tuple[Any, Any]) -> None:
    from stowflow.serving.apis import make_tensor_proto, predict_pb2

    prediction, _ = stubs
    bad = predict_pb2.PredictRequest()
    bad.model_spec.name = "half"
    bad.inputs["x"].CopyFrom(make_tensor_proto(np.array([[1, 2]], np.float32)))
    code, details = _error(lambda: prediction.Predict(bad, timeout=60))
    assert code == "INVALID_ARGUMENT" and "shape" in details
    bad.model_spec.name = "nope"
    assert _error(lambda: prediction.Predict(bad, timeout=60)) == (
        "NOT_FOUND",
        "Servable not found for request: Latest(nope)",
    )


def test_grpc_classify(stubs: tuple[Any, Any]) -> None:
    from stowflow.serving.apis import classification_pb2

    prediction, _ = stubs
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = "ex"
    request.model_spec.signature_name = "classify"
    rows = [[1.0, 2.0], [0.5, 0.5]]
    for x in rows:
        ex = request.input.example_list.examples.add()
        ex.features.feature["x"].float_list.value.extend(x)
    response = prediction.Classify(request, timeout=60)
    serialized = []
    for x in rows:
        ex = example_pb2.Example()
        ex.features.feature["x"].float_list.value.extend(x)
        serialized.append(ex.SerializeToString())
    want = _expected("classify", inputs=np.array(serialized, dtype=object))["scores"]
    got = [[c.score for c in cls.classes] for cls in response.result.classifications]
    np.testing.assert_array_equal(np.array(got, np.float32), want)
    assert [c.label for c in response.result.classifications[0].classes] == ["cat", "dog", "bird"]


def test_grpc_metadata_and_status(stubs: tuple[Any, Any]) -> None:
    from stowflow.serving import apis
    from stowflow.serving.apis import get_model_metadata_pb2, get_model_status_pb2

    prediction, models = stubs
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = "half"
    payload = prediction.GetModelMetadata(request, timeout=60).metadata["signature_def"]
    assert payload.type_url == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    assert {"serving_default", "double"} <= set(
        apis.unpack_signature_def_map(payload).signature_def
    )

    status = get_model_status_pb2.GetModelStatusRequest()
    status.model_spec.name = "half"
    states = models.GetModelStatus(status, timeout=60).model_version_status
    assert [(s.version, s.state) for s in states] == [
        (2, get_model_status_pb2.ModelVersionStatus.AVAILABLE),
        (1, get_model_status_pb2.ModelVersionStatus.AVAILABLE),
    ]


def test_grpc_reload_is_refused_with_a_reason(stubs: tuple[Any, Any]) -> None:
    from stowflow.serving.apis import model_management_pb2

    _, models = stubs
    request = model_management_pb2.ReloadConfigRequest()
    request.config.model_config_list.config.add(name="half", base_path="/nowhere")
    code, details = _error(lambda: models.HandleReloadConfigRequest(request, timeout=60))
    assert code == "UNIMPLEMENTED" and "redeploy" in details


def test_documented_serve_config_builds(tmp_path: Path) -> None:
    """deploy/ray/serve-config.yaml names importable servicer functions and a valid app."""
    import yaml
    from stowflow_testlib import ROOT

    from stowflow.serving import ray_grpc, ray_serve

    config = yaml.safe_load((ROOT / "deploy" / "ray" / "serve-config.yaml").read_text())
    assert config["grpc_options"]["grpc_servicer_functions"] == ray_grpc.SERVICER_FUNCTIONS
    (spec,) = config["applications"]
    assert spec["import_path"] == "stowflow.serving.ray_serve:build_app"
    args = {**spec["args"], "model_base_path": str(tmp_path)}
    application = ray_serve.build_app(args)
    assert type(application).__name__ == "Application"


def test_plain_server_modules_never_import_ray() -> None:
    """`stowflow serve` without --ray (and the CLI before it) loads no ray."""
    import subprocess
    import sys

    from stowflow_testlib import DEV_PYTHON_ENV

    code = (
        "import sys, stowflow.tools.cli\n"
        "from stowflow.serving import server, manager, rest, grpc_service, ray_grpc\n"
        "server.flags.parse(['--model_base_path=/m', '--enable_batching'])\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=DEV_PYTHON_ENV,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"


def test_ray_flags_become_app_args(tmp_path: Path) -> None:
    from stowflow.serving import flags, ray_serve

    values, _ = flags.parse(
        [
            "--ray",
            f"--model_base_path={tmp_path}",
            "--enable_batching",
            "--ray_num_replicas=2",
            "--rest_api_port=8501",
        ]
    )
    args = ray_serve.deployment_args(values)
    assert args == {
        "model_base_path": str(tmp_path),
        "enable_batching": True,
        "rest_api_port": 8501,
        "num_replicas": 2,
    }
    values["ray_autoscaling_config"] = '{"min_replicas": 1, "max_replicas": 3}'
    args = ray_serve.deployment_args(values)
    assert "num_replicas" not in args
    assert args["autoscaling_config"] == {"min_replicas": 1, "max_replicas": 3}
    values["ray_autoscaling_config"] = "{nope"
    with pytest.raises(flags.FlagError, match="not JSON"):
        ray_serve.deployment_args(values)
    with pytest.raises(flags.FlagError, match="model_base_path and"):
        ray_serve.build_app({"num_replicas": 1})
    with pytest.raises(flags.FlagError, match="Unknown command line flag 'nope'"):
        ray_serve.build_app({"model_base_path": str(tmp_path), "nope": 1})
