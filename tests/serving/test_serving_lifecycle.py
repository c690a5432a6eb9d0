"""Versions over time: hot load/unload by polling, failed loads and retries, config reloads,
SIGTERM, and the command line (each test starts its own `stowflow serve`)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from serving_testlib import Server, copy_version, wait_until
from stowflow_testlib import DEV_PYTHON_ENV

CONFIG = """
model_config_list {
  config {
    name: 'm' base_path: '%(base)s'
    model_version_policy { %(policy)s }
    %(labels)s
  }
}
"""

X = {"instances": [[1.0, 2.0, 3.0]]}


def _versions(server: Server, model: str = "m") -> dict[str, str]:
    code, body = server.get(f"/v1/models/{model}")
    if code != 200:
        return {}
    return {row["version"]: row["state"] for row in body["model_version_status"]}


def test_poll_loads_new_versions_and_unloads_removed_ones(
    tmp_path: Path, start_server: Callable[..., Server]
) -> None:
    base = tmp_path / "m"
    copy_version("tf1_predict", base, 1)
    server = start_server(
        "--model_name=m", f"--model_base_path={base}", "--file_system_poll_wait_seconds=1"
    )
    assert _versions(server) == {"1": "AVAILABLE"}
    # Copy under a non-numeric name, then rename: the poll only sees complete versions.
    staging = copy_version("tf1_predict", base, "staging")
    staging.rename(base / "2")
    wait_until(lambda: _versions(server).get("1") == "END", "version 1 retired")
    assert _versions(server) == {"2": "AVAILABLE", "1": "END"}
    code, body = server.post("/v1/models/m/versions/2:predict", X)
    assert code == 200 and len(body["predictions"]) == 1
    assert server.post("/v1/models/m/versions/1:predict", X)[0] == 404
    shutil.rmtree(base / "2")  # version 1 (still on disk) is the latest again
    wait_until(lambda: _versions(server).get("1") == "AVAILABLE", "version 1 reloaded")
    wait_until(lambda: _versions(server).get("2") == "END", "version 2 removed")
    assert server.post("/v1/models/m:predict", X)[0] == 200


def test_failed_version_is_reported_and_retried_when_files_change(
    tmp_path: Path, start_server: Callable[..., Server]
) -> None:
    base = tmp_path / "m"
    copy_version("tf1_predict", base, 1)
    broken = copy_version("tf1_predict", base, 2)
    good_pb = (broken / "saved_model.pb").read_bytes()
    (broken / "saved_model.pb").write_bytes(b"\x08not a saved model")
    config = tmp_path / "models.config"
    config.write_text(CONFIG % {"base": base, "policy": "all {}", "labels": ""})
    server = start_server(f"--model_config_file={config}", "--file_system_poll_wait_seconds=1")
    code, body = server.get("/v1/models/m/versions/2")
    assert code == 200
    row = body["model_version_status"][0]
    assert row["state"] == "END" and row["status"]["error_code"] != "OK"
    assert row["status"]["error_message"]
    # The broken newest version does not take the model down: the latest available serves.
    assert server.post("/v1/models/m:predict", X)[0] == 200
    (broken / "saved_model.pb").write_bytes(good_pb)
    wait_until(lambda: _versions(server).get("2") == "AVAILABLE", "version 2 retried")
    assert server.get("/v1/models/m/versions/2")[1]["model_version_status"][0]["status"] == {
        "error_code": "OK",
        "error_message": "",
    }


def test_config_file_poll_changes_policy_and_labels(
    tmp_path: Path, start_server: Callable[..., Server]
) -> None:
    base = tmp_path / "m"
    for v in (1, 2, 3):
        copy_version("tf1_predict", base, v)
    config = tmp_path / "models.config"

    def write(policy: str, labels: str = "") -> None:
        config.write_text(CONFIG % {"base": base, "policy": policy, "labels": labels})

    write("latest { num_versions: 2 }")
    server = start_server(
        f"--model_config_file={config}",
        "--model_config_file_poll_wait_seconds=1",
        "--file_system_poll_wait_seconds=1",
    )
    assert _versions(server) == {"3": "AVAILABLE", "2": "AVAILABLE"}
    write("specific { versions: 1 versions: 3 }", "version_labels { key: 'stable' value: 1 }")
    wait_until(
        lambda: (
            _versions(server).get("1") == "AVAILABLE"
            and server.get("/v1/models/m/labels/stable")[0] == 200
        ),
        "policy change",
    )
    wait_until(lambda: _versions(server).get("2") == "END", "version 2 retired")
    assert server.post("/v1/models/m/labels/stable:predict", X)[0] == 200
    write("all {}")
    wait_until(lambda: set(_versions(server).values()) == {"AVAILABLE"}, "all versions")
    assert server.get("/v1/models/m/labels/stable")[0] == 400  # labels are gone with the config


def test_label_on_unavailable_version_is_refused_unless_allowed(
    tmp_path: Path, start_server: Callable[..., Server]
) -> None:
    base = tmp_path / "m"
    copy_version("tf1_predict", base, 1)
    config = tmp_path / "models.config"
    config.write_text(
        CONFIG
        % {"base": base, "policy": "all {}", "labels": "version_labels { key: 'next' value: 5 }"}
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "stowflow",
            "serve",
            "--port=0",
            f"--model_config_file={config}",
            "--file_system_poll_wait_seconds=0",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=DEV_PYTHON_ENV,
    )
    assert run.returncode == 1
    assert "Request to assign label to version 5 of model m" in run.stderr
    server = start_server(
        f"--model_config_file={config}", "--allow_version_labels_for_unavailable_models=true"
    )
    assert server.post("/v1/models/m/labels/next:predict", X)[0] == 404
    copy_version("tf1_predict", base, 5)
    wait_until(lambda: server.post("/v1/models/m/labels/next:predict", X)[0] == 200, "v5 label")


def test_sigterm_drains_and_exits_zero(tmp_path: Path, start_server: Callable[..., Server]) -> None:
    base = tmp_path / "m"
    copy_version("tf1_predict", base, 1)
    server = start_server("--model_name=m", f"--model_base_path={base}")
    assert server.post("/v1/models/m:predict", X)[0] == 200
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=120) == 0
    assert "Server stopped" in server.log()


def _serve(*args: str) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "stowflow", "serve", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=DEV_PYTHON_ENV,
    )


def test_unknown_flag_fails_like_tf_serving() -> None:
    run = _serve("--model_base_path=/x", "--no_such_flag=1")
    assert run.returncode == 1
    assert "Unknown command line flag 'no_such_flag'" in run.stderr
    run = _serve("--port")
    assert run.returncode == 1 and "Missing the value for flag 'port'" in run.stderr
    run = _serve("--port=abc")
    assert run.returncode == 1 and "Illegal value 'abc'" in run.stderr
    run = _serve("--port=0")
    assert run.returncode == 1 and "model_base_path" in run.stderr
    run = _serve("--enable_batching=false", "--batching_parameters_file=/x", "--model_base_path=/x")
    assert run.returncode == 1 and "requires --enable_batching" in run.stderr


def test_space_separated_flags_and_ignored_flag_notice(
    tmp_path: Path, start_server: Callable[..., Server]
) -> None:
    base = tmp_path / "m"
    copy_version("tf1_predict", base, 1)
    server = start_server(
        "--model_name",
        "m",
        "--model_base_path",
        str(base),
        "--tensorflow_intra_op_parallelism=4",
        "--enable_model_warmup",
        "false",
    )
    assert server.post("/v1/models/m:predict", X)[0] == 200
    assert "Flag --tensorflow_intra_op_parallelism has no effect" in server.log()


def test_help_does_not_import_grpc() -> None:
    code = (
        "import sys; from stowflow.tools import cli; cli.build_parser().format_help(); "
        "print(sorted(m for m in ('grpc', 'uvicorn', 'starlette') if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=DEV_PYTHON_ENV,
    )
    assert run.stdout.strip() == "[]", run.stderr


def test_prometheus_metrics(tmp_path: Path, start_server: Callable[..., Server]) -> None:
    base = tmp_path / "m"
    copy_version("tf1_predict", base, 1)
    monitoring = tmp_path / "monitoring.config"
    monitoring.write_text("prometheus_config { enable: true path: '/metrics' }")
    server = start_server(
        "--model_name=m", f"--model_base_path={base}", f"--monitoring_config_file={monitoring}"
    )
    assert server.post("/v1/models/m:predict", X)[0] == 200
    assert server.post("/v1/models/m:predict", {"instances": [[1.0]]})[0] == 400
    code, text, headers = server.request("GET", "/metrics", raw=True)
    assert code == 200 and headers["content-type"].startswith("text/plain")
    lines = text.decode().splitlines()
    assert ':tensorflow:serving:request_count{model_name="m",status="OK"} 1.0' in lines
    assert (
        ':tensorflow:serving:request_count{model_name="m",status="INVALID_ARGUMENT"} 1.0' in lines
    )
    assert any(
        line.startswith(
            ':tensorflow:serving:request_latency_count{API="Predict",'
            'entrypoint="REST",model_name="m"} 2'
        )
        for line in lines
    )
    assert ':stowflow:serving:load_count{model_name="m",status="OK"} 1.0' in lines


def test_missing_serve_extra_is_one_line() -> None:
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('grpc', 'orjson'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from stowflow.tools import cli\n"
        "sys.exit(cli.main(['serve', '--model_base_path=/nowhere']))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=DEV_PYTHON_ENV,
    )
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'stowflow[serve]'" in lines[0], run.stderr


def test_serve_help_lists_tf_serving_flags() -> None:
    run = _serve("--help")
    assert run.returncode == 0
    for flag in (
        "--port=8500",
        "--rest_api_port=0",
        "--model_config_file_poll_wait_seconds",
        "--enable_batching",
        "--rest_api_timeout_in_ms=30000",
    ):
        assert flag in run.stdout
