"""Beyond TF Serving: bearer-token auth on REST and gRPC, HTTPS on REST, TLS on gRPC."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from serving_testlib import Server, copy_version

X = {"instances": [[1.0, 2.0, 3.0]]}


def _cert(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return key, cert


def test_bearer_token_on_rest_and_grpc(tmp_path: Path, start_server: Callable[..., Server]) -> None:
    grpc = pytest.importorskip("grpc")
    from stowflow.serving.apis import get_model_status_pb2, model_service_pb2_grpc

    copy_version("tf1_predict", tmp_path / "m", 1)
    (tmp_path / "token").write_text("s3cret\n")
    server = start_server(
        "--model_name=m",
        f"--model_base_path={tmp_path / 'm'}",
        f"--auth_token_file={tmp_path / 'token'}",
    )
    code, body = server.post("/v1/models/m:predict", X)
    assert code == 401 and body == {"error": "Missing or invalid bearer token"}
    assert (
        server.post("/v1/models/m:predict", X, headers={"Authorization": "Bearer wrong"})[0] == 401
    )
    assert (
        server.post("/v1/models/m:predict", X, headers={"Authorization": "Bearer s3cret"})[0] == 200
    )
    assert server.get("/v2/health/ready") == (200, {"ready": True})  # probes need no token

    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        stub = model_service_pb2_grpc.ModelServiceStub(channel)
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = "m"
        with pytest.raises(grpc.RpcError) as info:
            stub.GetModelStatus(request, timeout=60)
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        response = stub.GetModelStatus(
            request, timeout=60, metadata=[("authorization", "Bearer s3cret")]
        )
        assert response.model_version_status[0].version == 1


def test_https_rest_and_tls_grpc(tmp_path: Path, start_server: Callable[..., Server]) -> None:
    grpc = pytest.importorskip("grpc")
    from stowflow.serving.apis import get_model_status_pb2, model_service_pb2_grpc

    key, cert = _cert(tmp_path)
    copy_version("tf1_predict", tmp_path / "m", 1)
    ssl_config = tmp_path / "ssl.config"
    # TF Serving's SSLConfig text proto; Python's repr of the PEM text is a valid quoted string.
    ssl_config.write_text(f"server_key: {key.read_text()!r}\nserver_cert: {cert.read_text()!r}\n")
    server = start_server(
        "--model_name=m",
        f"--model_base_path={tmp_path / 'm'}",
        f"--rest_api_ssl_cert_file={cert}",
        f"--rest_api_ssl_key_file={key}",
        f"--ssl_config_file={ssl_config}",
    )
    server.scheme = "https"
    server.ssl_context = ssl.create_default_context(cafile=str(cert))
    assert server.post("/v1/models/m:predict", X)[0] == 200

    credentials = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
    with grpc.secure_channel(f"localhost:{server.grpc_port}", credentials) as channel:
        stub = model_service_pb2_grpc.ModelServiceStub(channel)
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = "m"
        assert stub.GetModelStatus(request, timeout=60).model_version_status[0].version == 1
