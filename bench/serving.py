"""Benchmark of `stowflow serve`: readiness time, throughput and latency, RSS, reload growth.

A script, not a test: it measures and prints, asserting nothing. It starts `stowflow serve`
on free 127.0.0.1 ports over a SavedModel (default: the TF-made Estimator-style golden
``tests/golden/savedmodels/tf1_classify_regress``), then for REST (Predict over JSON) and gRPC
(Classify over tf.Examples with ``stowflow.serving.apis``) runs ``--requests`` requests at
each concurrency level and prints requests/s, p50 and p99 latency. It also reports the time
from process start to "ready", the server's RSS, and the RSS before/after ``--reloads``
HandleReloadConfigRequest cycles (each unloads and reloads the model).

    .venv/bin/python bench/serving.py --quick       # smoke run (~1 minute)
    .venv/bin/python bench/serving.py               # 2000 requests per cell, 100 reloads

Not measured here (yet): the TensorFlow-in-process baseline behind the same stack and
MobileNetV2; numbers from a shared machine are only indicative.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT / "tests" / "golden" / "savedmodels" / "tf1_classify_regress"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _example(x: list[float]) -> bytes:
    from stowflow.proto import example_pb2

    ex = example_pb2.Example()
    ex.features.feature["x"].float_list.value.extend(x)
    return ex.SerializeToString()


def _run_clients(fn, requests: int, concurrency: int) -> tuple[float, np.ndarray]:
    latencies: list[float] = []
    lock = threading.Lock()
    per_worker = max(1, requests // concurrency)

    def worker() -> None:
        call = fn()
        mine = []
        for _ in range(per_worker):
            t = time.perf_counter()
            call()
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(worker) for _ in range(concurrency)]:
            f.result()
    return time.perf_counter() - start, np.array(latencies)


def _rest_client(port: int):
    body = json.dumps(
        {
            "signature_name": "predict_raw",
            "instances": [{"b64": __import__("base64").b64encode(_example([1.0, 2.0])).decode()}],
        }
    ).encode()

    def make():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def call() -> None:
            conn.request("POST", "/v1/models/m:predict", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"REST status {resp.status}")

        return call

    return make


def _grpc_client(port: int):
    import grpc

    from stowflow.proto import example_pb2
    from stowflow.serving.apis import classification_pb2, prediction_service_pb2_grpc

    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = "m"
    request.model_spec.signature_name = "classify"
    request.input.example_list.examples.add().CopyFrom(
        example_pb2.Example.FromString(_example([1.0, 2.0]))
    )
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)

    def make():
        return lambda: stub.Classify(request, timeout=60)

    return make


def _reload_growth(port: int, base: str, reloads: int, pid: int) -> tuple[float, float]:
    import grpc

    from stowflow.serving.apis import model_management_pb2, model_service_pb2_grpc

    stub = model_service_pb2_grpc.ModelServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    before = _rss_mib(pid)
    for i in range(reloads):
        request = model_management_pb2.ReloadConfigRequest()
        entry = request.config.model_config_list.config.add(name="m" if i % 2 else "m2")
        entry.base_path = base
        stub.HandleReloadConfigRequest(request, timeout=120)
    return before, _rss_mib(pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="SavedModel directory")
    parser.add_argument("--requests", type=int, default=2000, help="requests per cell")
    parser.add_argument("--concurrency", default="1,8,64", help="comma-separated levels")
    parser.add_argument("--reloads", type=int, default=100, help="reload cycles for RSS growth")
    parser.add_argument("--quick", action="store_true", help="200 requests, levels 1,8; 10 reloads")
    parser.add_argument("--batching", action="store_true", help="serve with --enable_batching")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.concurrency, args.reloads = 200, "1,8", 10
    levels = [int(c) for c in args.concurrency.split(",")]

    scratch = Path(tempfile.mkdtemp(prefix="stowflow-bench-serving-"))
    shutil.copytree(args.model, scratch / "m" / "1")
    grpc_port, rest_port = _free_port(), _free_port()
    cmd = [
        sys.executable,
        "-m",
        "stowflow",
        "serve",
        f"--port={grpc_port}",
        f"--rest_api_port={rest_port}",
        "--grpc_host=127.0.0.1",
        "--rest_api_host=127.0.0.1",
        "--model_name=m",
        f"--model_base_path={scratch / 'm'}",
        "--file_system_poll_wait_seconds=0",
    ]
    if args.batching:
        cmd.append("--enable_batching")
    log = open(scratch / "server.log", "w+")  # noqa: SIM115
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=log, stderr=log)
    try:
        while "stowflow serve: ready" not in (scratch / "server.log").read_text():
            if proc.poll() is not None:
                raise SystemExit((scratch / "server.log").read_text())
            time.sleep(0.01)
        ready = time.perf_counter() - started
        print(f"ready after {ready:.2f} s; RSS {_rss_mib(proc.pid):.0f} MiB")
        print(f"{'api':<6}{'conc':>6}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
        for api, client in (("REST", _rest_client(rest_port)), ("gRPC", _grpc_client(grpc_port))):
            for c in levels:
                _run_clients(client, min(50, args.requests), c)  # warm-up
                wall, lat = _run_clients(client, args.requests, c)
                print(
                    f"{api:<6}{c:>6}{lat.size / wall:>10.0f}"
                    f"{np.percentile(lat, 50) * 1e3:>10.2f}{np.percentile(lat, 99) * 1e3:>10.2f}"
                )
        print(f"RSS after load {_rss_mib(proc.pid):.0f} MiB")
        before, after = _reload_growth(grpc_port, str(scratch / "m"), args.reloads, proc.pid)
        print(f"RSS over {args.reloads} reloads: {before:.0f} -> {after:.0f} MiB")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
