"""The KServe runtime: the manifests' structure, and `stowflow serve` under exactly the runtime's
arguments with both model layouts KServe's storage initializer produces at /mnt/models."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scaleout_testlib import SAVEDMODELS, copy_model, free_port, http
from stowflow_testlib import DEV_PYTHON_ENV, ROOT

from stowflow import errors, saved_model

KSERVE = ROOT / "deploy" / "kserve"
STARTUP_SECONDS = 180
X = [[1.0, 2.0, 5.0]]


def _runtime() -> dict[str, Any]:
    return yaml.safe_load((KSERVE / "cluster-serving-runtime.yaml").read_text())


def _container() -> dict[str, Any]:
    (container,) = _runtime()["spec"]["containers"]
    return container


def test_cluster_serving_runtime_structure() -> None:
    runtime = _runtime()
    assert runtime["apiVersion"] == "serving.kserve.io/v1alpha1"
    assert runtime["kind"] == "ClusterServingRuntime"
    assert runtime["metadata"]["name"] == "kserve-stowflow"
    formats = runtime["spec"]["supportedModelFormats"]
    assert {f["name"] for f in formats} == {"tensorflow"}
    assert {f["version"] for f in formats} == {"1", "2"}
    assert set(runtime["spec"]["protocolVersions"]) == {"v1", "v2", "grpc-v1"}
    container = _container()
    assert container["name"] == "kserve-container"
    assert container["command"] == ["stowflow", "serve"]
    args = container["args"]
    for arg in (
        "--model_name={{.Name}}",
        "--model_base_path=/mnt/models",
        "--rest_api_port=8080",
        "--port=9000",
    ):
        assert arg in args
    assert [p["containerPort"] for p in container["ports"]] == [8080]


def test_inference_service_uses_the_runtime() -> None:
    service = yaml.safe_load((KSERVE / "inference-service.yaml").read_text())
    assert service["apiVersion"] == "serving.kserve.io/v1beta1"
    assert service["kind"] == "InferenceService"
    model = service["spec"]["predictor"]["model"]
    assert model["runtime"] == _runtime()["metadata"]["name"]
    assert model["modelFormat"]["name"] == "tensorflow"
    assert model["storageUri"]


class RuntimeServer:
    """`stowflow serve` with the runtime's args; only {{.Name}}, /mnt/models and the two ports
    are substituted (the test machine is shared, so the ports are free ones)."""

    def __init__(self, name: str, model_dir: Path, log_path: Path) -> None:
        self.rest_port, self.grpc_port = free_port(), free_port()
        swap = {
            "{{.Name}}": name,
            "/mnt/models": str(model_dir),
            "--rest_api_port=8080": f"--rest_api_port={self.rest_port}",
            "--port=9000": f"--port={self.grpc_port}",
        }
        container = _container()
        args = []
        for arg in container["args"]:
            for old, new in swap.items():
                arg = arg.replace(old, new)
            args.append(arg)
        assert container["command"][0] == "stowflow"
        cmd = [sys.executable, "-m", "stowflow", *container["command"][1:], *args]
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=self._log, env=DEV_PYTHON_ENV)
        deadline = time.monotonic() + STARTUP_SECONDS
        while "stowflow serve: ready" not in log_path.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"server did not start:\n{log_path.read_text()}")
            time.sleep(0.2)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.rest_port}{path}"

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._log.close()
        return self.proc.returncode


def _bare(root: Path) -> Path:
    return copy_model("tf1_predict", root / "mnt_models")


def _versioned(root: Path) -> Path:
    copy_model("tf1_predict", root / "mnt_models" / "1")
    return root / "mnt_models"


@pytest.fixture(scope="module", params=[_bare, _versioned], ids=["bare", "versioned"])
def server(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeServer]:
    root = tmp_path_factory.mktemp("kserve")
    srv = RuntimeServer("half-plus-two", request.param(root), root / "server.log")
    try:
        yield srv
    finally:
        assert srv.stop() == 0


def _expected() -> np.ndarray:
    model = saved_model.load(str(SAVEDMODELS / "tf1_predict"))
    try:
        return np.asarray(model.signatures["serving_default"](x=np.array(X, np.float32))["y"])
    finally:
        model.close()


def test_v1_protocol(server: RuntimeServer) -> None:
    code, body = http("GET", server.url("/v1/models/half-plus-two"))
    assert code == 200
    assert [(s["version"], s["state"]) for s in body["model_version_status"]] == [
        ("1", "AVAILABLE")
    ]
    code, body = http("POST", server.url("/v1/models/half-plus-two:predict"), {"instances": X})
    assert code == 200
    np.testing.assert_array_equal(np.array(body["predictions"], np.float32), _expected())


def test_v2_protocol(server: RuntimeServer) -> None:
    assert http("GET", server.url("/v2/health/live")) == (200, {"live": True})
    assert http("GET", server.url("/v2/health/ready")) == (200, {"ready": True})
    code, body = http("GET", server.url("/v2/models/half-plus-two/ready"))
    assert (code, body["ready"]) == (200, True)
    code, body = http(
        "POST",
        server.url("/v2/models/half-plus-two/infer"),
        {"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": X[0]}]},
    )
    assert code == 200, body
    (out,) = body["outputs"]
    got = np.array(out["data"], np.float32).reshape(out["shape"])
    np.testing.assert_array_equal(got, _expected())


@pytest.mark.parametrize(
    ("files", "dirs", "versions"),
    [
        (["saved_model.pb"], [], [1]),
        (["saved_model.pbtxt"], [], [1]),
        (["saved_model.pb"], ["5"], [5]),  # version folders win over a bare SavedModel
        (["notes.txt"], [], []),
    ],
)
def test_manager_bare_savedmodel_is_version_1(
    tmp_path: Path, files: list[str], dirs: list[str], versions: list[int]
) -> None:
    from stowflow.serving import config, manager

    for name in files:
        (tmp_path / name).write_bytes(b"")
    for name in dirs:
        (tmp_path / name).mkdir()
    loaded: list[str] = []

    class Stub:
        meta_graph_def = None

        def close(self) -> None:
            pass

    def loader(path: str) -> Stub:
        loaded.append(path)
        return Stub()

    cfg = config.single_model_config("m", str(tmp_path))
    mgr = manager.ModelManager(
        cfg, manager.ManagerOptions(loader=loader, enable_model_warmup=False)
    )
    mgr.poll_once()
    if versions:
        assert [v for v, _state, _err in mgr.version_status("m")] == versions
    else:
        with pytest.raises(errors.NotFoundError, match="Could not find any versions"):
            mgr.version_status("m")
    want = [str(tmp_path / str(v)) if dirs else str(tmp_path) for v in versions]
    assert loaded == want
    mgr.stop()
