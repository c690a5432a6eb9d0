"""`stowflow serve` over plain HTTP: every REST route, formats, errors (one shared server)."""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from serving_testlib import (
    Server,
    build_bytes_model,
    build_two_input_model,
    copy_version,
    example_bytes,
    gz,
)

CONFIG = """
model_config_list {
  config {
    name: 'half'
    base_path: '%(root)s/half'
    model_platform: 'tensorflow'
    model_version_policy { all {} }
    version_labels { key: 'stable' value: 1 }
    version_labels { key: 'canary' value: 2 }
  }
  config { name: 'ex' base_path: '%(root)s/ex' }
  config { name: 'bytes' base_path: '%(root)s/bytes' }
  config { name: 'two' base_path: '%(root)s/two' }
}
"""

X = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("models")
    copy_version("tf1_predict", root / "half", 1)
    copy_version("tf1_predict", root / "half", 2)
    copy_version("tf1_classify_regress", root / "ex", 7)
    build_bytes_model(root / "bytes" / "1")
    build_two_input_model(root / "two" / "1")
    (root / "half" / "not_a_version").mkdir()
    config = root / "models.config"
    config.write_text(CONFIG % {"root": root})
    srv = Server(
        [
            f"--model_config_file={config}",
            "--rest_api_max_request_bytes=100000",
            "--rest_api_enable_cors_support=true",
        ],
        Path(root) / "server.log",
    )
    try:
        yield srv
    finally:
        assert srv.stop() == 0


def _expected(x: list[list[float]]) -> np.ndarray:
    from serving_testlib import SAVEDMODELS

    from stowflow import saved_model

    model = saved_model.load(str(SAVEDMODELS / "tf1_predict"))
    try:
        return model.signatures["serving_default"](x=np.array(x, np.float32))["y"]
    finally:
        model.close()


# -- status and metadata ----------------------------------------------------------------------
def test_model_status_lists_versions_as_strings(server: Server) -> None:
    code, body = server.get("/v1/models/half")
    assert code == 200
    assert body == {
        "model_version_status": [
            {
                "version": v,
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
            for v in ("2", "1")
        ]
    }
    assert server.get("/v1/models/half/versions/1")[1]["model_version_status"][0]["version"] == "1"
    assert (
        server.get("/v1/models/half/labels/canary")[1]["model_version_status"][0]["version"] == "2"
    )
    assert server.get("/V1/MODELS/half")[0] == 200  # TF Serving's routes are case-insensitive


def test_status_errors(server: Server) -> None:
    assert server.get("/v1/models/nope") == (
        404,
        {"error": "Could not find any versions of model nope"},
    )
    assert server.get("/v1/models/half/versions/9") == (
        404,
        {"error": "Could not find version 9 of model half"},
    )
    code, body = server.get("/v1/models/half/labels/nolabel")
    assert code == 400 and "Unrecognized servable version label: nolabel" in body["error"]
    assert server.get("/v1/models") == (400, {"error": "Missing model name in request."})


def test_metadata(server: Server) -> None:
    code, body = server.get("/v1/models/half/versions/1/metadata")
    assert code == 200
    assert body["model_spec"] == {"name": "half", "signature_name": "", "version": "1"}
    sigs = body["metadata"]["signature_def"]["signature_def"]
    assert set(sigs) >= {"serving_default", "double"}
    assert sigs["serving_default"]["inputs"]["x"]["dtype"] == "DT_FLOAT"
    assert sigs["serving_default"]["method_name"] == "tensorflow/serving/predict"
    assert server.get("/v1/models/half/metadata")[1]["model_spec"]["version"] == "2"


# -- predict ----------------------------------------------------------------------------------
def test_predict_row_and_columnar(server: Server) -> None:
    want = _expected(X).tolist()
    code, body = server.post("/v1/models/half:predict", {"instances": X})
    assert code == 200
    np.testing.assert_allclose(body["predictions"], want, rtol=1e-6)
    code, body = server.post("/v1/models/half/versions/1:predict", {"inputs": X})
    assert code == 200
    np.testing.assert_allclose(body["outputs"], want, rtol=1e-6)
    code, body = server.post(
        "/v1/models/half/labels/stable:predict", {"signature_name": "double", "inputs": {"x": X}}
    )
    assert code == 200
    assert body == {"outputs": (np.array(X) * 2).tolist()}


def test_predict_writes_float32_shortest_and_whole_floats(server: Server) -> None:
    code, text, headers = server.request(
        "POST",
        "/v1/models/half:predict",
        b'{"signature_name": "double", "instances": [[0.1, 2, 3]]}',
        raw=True,
    )
    assert code == 200 and headers["content-type"] == "application/json"
    assert b"[0.2,4.0,6.0]" in text.replace(b" ", b"")


def test_predict_nan_and_infinity(server: Server) -> None:
    body = b'{"signature_name": "double", "instances": [[NaN, Infinity, -Infinity]]}'
    code, text, _ = server.request("POST", "/v1/models/half:predict", body, raw=True)
    assert code == 200
    assert b"[NaN,Infinity,-Infinity]" in text.replace(b" ", b"")


def test_predict_multiple_named_inputs(server: Server) -> None:
    rows = [{"a": [1, 2], "b": [10, 20]}, {"a": [3, 4], "b": [30, 40]}]
    assert server.post("/v1/models/two:predict", {"instances": rows}) == (
        200,
        {"predictions": [[11.0, 22.0], [33.0, 44.0]]},
    )
    code, body = server.post("/v1/models/two:predict", {"inputs": {"a": [[1, 1]], "b": [[2, 2]]}})
    assert (code, body) == (200, {"outputs": [[3.0, 3.0]]})
    code, body = server.post("/v1/models/two:predict", {"instances": [{"a": [1, 2]}]})
    assert code == 400 and "keys must be equal to: a,b" in body["error"]
    code, body = server.post("/v1/models/two:predict", {"inputs": {"a": [[1, 1]]}})
    assert code == 400 and body["error"] == "Missing named input: b in 'inputs' object"
    code, body = server.post("/v1/models/two:predict", {"instances": [[1, 2]]})
    assert code == 400 and "expecting list of objects" in body["error"]


def test_b64_inputs_and_bytes_outputs(server: Server) -> None:
    data = bytes(range(256))
    code, body = server.post(
        "/v1/models/bytes:predict",
        {"instances": [{"b64": base64.b64encode(data).decode()}, "plain"]},
    )
    assert code == 200
    rows = body["predictions"]
    assert base64.b64decode(rows[0]["echo_bytes"]["b64"]) == data
    assert rows[1] == {"echo_bytes": {"b64": base64.b64encode(b"plain").decode()}, "echo": "plain"}
    code, body = server.post("/v1/models/bytes:predict", {"instances": [{"b64": "***"}]})
    assert code == 400 and "Unable to base64 decode" in body["error"]


def test_predict_with_serialized_examples_b64(server: Server) -> None:
    ex = base64.b64encode(example_bytes([1.0, 2.0])).decode()
    code, body = server.post(
        "/v1/models/ex:predict", {"signature_name": "predict_raw", "instances": [{"b64": ex}]}
    )
    assert code == 200
    assert body["predictions"][0]["x"] == [1.0, 2.0]


# -- classify / regress -----------------------------------------------------------------------
def test_classify_and_regress(server: Server) -> None:
    code, body = server.post(
        "/v1/models/ex:classify",
        {"signature_name": "classify", "examples": [{"x": [1.0, 2.0]}, {"x": [0.5, 0.5]}]},
    )
    assert code == 200
    assert len(body["results"]) == 2
    labels = [label for label, _ in body["results"][0]]
    assert labels == ["cat", "dog", "bird"]
    assert math.isclose(sum(s for _, s in body["results"][0]), 1.0, rel_tol=1e-5)
    code, body = server.post(
        "/v1/models/ex:regress",
        {"signature_name": "regress", "context": {"x": [1.0, 2.0]}, "examples": [{}]},
    )
    assert code == 200
    code2, body2 = server.post(
        "/v1/models/ex:regress", {"signature_name": "regress", "examples": [{"x": [1.0, 2.0]}]}
    )
    assert code2 == 200 and body["results"] == body2["results"] and len(body["results"]) == 1


def test_classify_errors(server: Server) -> None:
    code, body = server.post("/v1/models/ex:classify", {"signature_name": "classify"})
    assert code == 400 and "'examples' is expected" in body["error"]
    code, body = server.post(
        "/v1/models/ex:classify", {"signature_name": "classify", "examples": [{"x": [1.0, "a"]}]}
    )
    assert code == 400 and "Unexpected element type in feature: x" in body["error"]
    code, body = server.post(
        "/v1/models/ex:classify", {"signature_name": "nope", "examples": [{"x": [1.0, 2.0]}]}
    )
    assert (code, body) == (400, {"error": "No signature was found with the name: nope"})
    code, body = server.post(
        "/v1/models/ex:regress", {"signature_name": "classify", "examples": [{"x": [1.0, 2.0]}]}
    )
    assert code == 400 and "outputs" in body["error"]


# -- bad requests: 4xx with a reason, and the server keeps serving -----------------------------
BAD = [
    (b"", 400, "JSON Parse error: The document is empty"),
    (b'{"instances": [1,', 400, "JSON Parse error"),
    (b'{"instances": [["a", "b", "c"]]}', 400, "is not of expected type: float"),
    (b'{"instances": [[1, 2]]}', 400, "incompatible with the shape"),
    (b'{"instances": [[1, 2, 3], [4, 5]]}', 400, "Encountered list at unexpected size"),
    (
        b'{"signature_name": "nope", "instances": [[1, 2, 3]]}',
        400,
        'Serving signature name: "nope" not found in signature def',
    ),
    (b'{"signature_name": 3, "instances": [[1, 2, 3]]}', 400, "must be a string"),
    (b'{"foo": 1}', 400, "Missing 'inputs' or 'instances' key"),
    (b'{"inputs": [[1,2,3]], "instances": [[1,2,3]]}', 400, "only one of 'inputs' or 'instances'"),
    (b'{"instances": []}', 400, "No values in 'instances' array"),
]


@pytest.mark.parametrize(("body", "code", "message"), BAD)
def test_bad_predict_requests(server: Server, body: bytes, code: int, message: str) -> None:
    got, parsed = server.post("/v1/models/half:predict", body)
    assert got == code and message in parsed["error"], parsed
    assert server.post("/v1/models/half:predict", {"instances": X})[0] == 200


def test_unknown_model_and_routes(server: Server) -> None:
    assert server.post("/v1/models/nope:predict", {"instances": X}) == (
        404,
        {"error": "Servable not found for request: Latest(nope)"},
    )
    assert server.post("/v1/models/half/versions/5:predict", {"instances": X}) == (
        404,
        {"error": "Servable not found for request: Specific(half, 5)"},
    )
    code, body = server.get("/v1/models/half:predict")
    assert code == 400 and body["error"].startswith("Malformed request: GET")
    code, body = server.post("/v1/models/half/metadata", {})
    assert code == 400 and body["error"].startswith("Malformed request: POST")
    assert server.get("/elsewhere")[0] == 404


def test_wrong_integer_dtype_is_rejected(server: Server) -> None:
    code, body = server.post("/v1/models/bytes:predict", {"instances": [1]})
    assert code == 400 and "is not of expected type: string" in body["error"]


def test_oversized_body_is_refused(server: Server) -> None:
    big = b'{"instances": [' + b"[1.0, 2.0, 3.0]," * 10000 + b"[1.0, 2.0, 3.0]]}"
    code, body = server.post("/v1/models/half:predict", big)
    assert code == 413 and "exceeds the limit of 100000 bytes" in body["error"]
    code, body = server.post(
        "/v1/models/half:predict", gz(big), headers={"Content-Encoding": "gzip"}
    )
    assert code == 413 and "exceeds the limit" in body["error"]
    assert server.post("/v1/models/half:predict", {"instances": X})[0] == 200


def test_gzip_request_body(server: Server) -> None:
    import json

    body = gz(json.dumps({"instances": X}).encode())
    code, parsed = server.post(
        "/v1/models/half:predict", body, headers={"Content-Encoding": "gzip"}
    )
    assert code == 200 and len(parsed["predictions"]) == 2


def test_cors(server: Server) -> None:
    code, _, headers = server.request("GET", "/v1/models/half")
    assert headers["access-control-allow-origin"] == "*"
    code, _, headers = server.request(
        "OPTIONS", "/v1/models/half:predict", headers={"Origin": "http://example.com"}
    )
    assert code == 200
    code, body, _ = server.request("OPTIONS", "/v1/models/half:predict")
    assert code == 400 and "Origin header is missing" in body["error"]


def test_health_routes(server: Server) -> None:
    assert server.get("/v2/health/live") == (200, {"live": True})
    assert server.get("/v2/health/ready") == (200, {"ready": True})


# -- KServe V2 (Open Inference Protocol) ------------------------------------------------------
def test_v2_server_and_model_metadata(server: Server) -> None:
    code, body = server.get("/v2")
    assert code == 200 and body["name"] == "stowflow"
    code, body = server.get("/v2/models/half")
    assert code == 200
    assert body["platform"] == "tensorflow_savedmodel"
    assert body["versions"] == ["2", "1"]
    assert body["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 3]}]
    assert body["outputs"] == [{"name": "y", "datatype": "FP32", "shape": [-1, 2]}]
    assert server.get("/v2/models/half/versions/1/ready") == (200, {"name": "half", "ready": True})
    assert server.get("/v2/models/half/versions/7/ready") == (400, {"name": "half", "ready": False})
    assert server.get("/v2/models/nope")[0] == 404


def test_v2_infer(server: Server) -> None:
    request = {
        "id": "r1",
        "inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]}],
    }
    code, body = server.post("/v2/models/half/versions/1/infer", request)
    assert code == 200
    assert body["model_name"] == "half" and body["model_version"] == "1" and body["id"] == "r1"
    [out] = body["outputs"]
    assert out["name"] == "y" and out["datatype"] == "FP32" and out["shape"] == [2, 2]
    np.testing.assert_allclose(out["data"], _expected(X).reshape(-1), rtol=1e-6)
    code, body = server.post(
        "/v2/models/bytes/infer",
        {
            "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["hi"]}],
            "outputs": [{"name": "echo"}],
        },
    )
    assert code == 200
    assert body["outputs"] == [{"name": "echo", "datatype": "BYTES", "shape": [1], "data": ["hi"]}]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ([{"name": "x", "shape": [1, 3], "datatype": "INT32", "data": [1, 2, 3]}], "expects FP32"),
        (
            [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3]}],
            "needs 6 elements",
        ),
        ([{"name": "q", "shape": [1], "datatype": "FP32", "data": [1]}], "Unknown input 'q'"),
        (
            [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}],
            "incompatible with the shape",
        ),
    ],
)
def test_v2_bad_infer(server: Server, inputs: list[dict[str, object]], message: str) -> None:
    code, body = server.post("/v2/models/half/infer", {"inputs": inputs})
    assert code == 400 and message in body["error"], body
