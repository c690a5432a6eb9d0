"""Load test of `stowflow serve` on Ray Serve: requests/s as replicas are added.

A script, not a test: it measures and prints, asserting nothing. It starts a local Ray
(``--cpus``, default all cores), Serve's proxies on free 127.0.0.1 ports, and for each replica
count in ``--replicas`` deploys :func:`stowflow.serving.ray_serve.build_app` over the small
model (the TF-made Estimator-style export ``tests/golden/savedmodels/tf1_classify_regress``),
then drives it with ``--concurrency`` client threads for ``--seconds`` per cell:

- REST ``POST /v1/models/small:predict`` (signature ``predict_raw``, one b64 tf.Example),
- gRPC ``tensorflow.serving.PredictionService/Predict`` (same request, stowflow's stubs).

It prints one Markdown row per replicas x API: requests/s, p50 and p99 latency (ms), and
requests/s relative to one replica. The client threads share the machine's cores with Ray's
proxy and the replicas, so on a small machine the curve flattens when the cores are busy.

    .venv/bin/python bench/ray_serve.py                      # replicas 1 and 2
    .venv/bin/python bench/ray_serve.py --replicas 1 2 4 --seconds 20
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SMALL_MODEL = ROOT / "tests" / "golden" / "savedmodels" / "tf1_classify_regress"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _example() -> bytes:
    from stowflow.proto import example_pb2

    ex = example_pb2.Example()
    ex.features.feature["x"].float_list.value.extend([1.0, 2.0])
    return ex.SerializeToString()


def _rest_client(port: int) -> Callable[[], Callable[[], None]]:
    body = json.dumps(
        {
            "signature_name": "predict_raw",
            "instances": [{"b64": base64.b64encode(_example()).decode()}],
        }
    ).encode()

    def make() -> Callable[[], None]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def call() -> None:
            conn.request("POST", "/v1/models/small:predict", body)
            response = conn.getresponse()
            data = response.read()
            if response.status != 200:
                raise RuntimeError(f"REST {response.status}: {data[:200]!r}")

        return call

    return make


def _grpc_client(port: int) -> Callable[[], Callable[[], None]]:
    import grpc

    from stowflow.serving.apis import make_tensor_proto, predict_pb2, prediction_service_pb2_grpc

    request = predict_pb2.PredictRequest()
    request.model_spec.name = "small"
    request.model_spec.signature_name = "predict_raw"
    request.inputs["examples"].CopyFrom(make_tensor_proto([_example()], dtype="string"))

    def make() -> Callable[[], None]:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)

        def call() -> None:
            stub.Predict(request, timeout=60)

        return call

    return make


def _load(make: Callable[[], Callable[[], None]], threads: int, seconds: float) -> dict[str, Any]:
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[str] = []
    start_gate = threading.Barrier(threads + 1)
    stop_at = [0.0]

    def worker(i: int) -> None:
        call = make()
        call()  # connect and warm up outside the timed window
        start_gate.wait()
        while time.perf_counter() < stop_at[0]:
            t0 = time.perf_counter()
            try:
                call()
            except Exception as e:  # noqa: BLE001 - counted and reported
                errors.append(str(e))
                continue
            latencies[i].append(time.perf_counter() - t0)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    stop_at[0] = time.perf_counter() + seconds + 3600  # provisional, until every thread is in
    start_gate.wait()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began
    flat = np.array([x for lat in latencies for x in lat])
    return {
        "requests": int(flat.size),
        "rps": flat.size / elapsed,
        "p50_ms": float(np.percentile(flat, 50) * 1e3) if flat.size else float("nan"),
        "p99_ms": float(np.percentile(flat, 99) * 1e3) if flat.size else float("nan"),
        "errors": len(errors),
    }


def _wait_ready(port: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/v2/health/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the Ray Serve app did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()

    import ray
    from ray import serve

    from stowflow.serving import ray_serve

    root = Path(tempfile.mkdtemp(prefix="bench-ray-serve-"))
    shutil.copytree(SMALL_MODEL, root / "small" / "1")
    rest_port, grpc_port = _free_port(), _free_port()
    ray.init(
        num_cpus=args.cpus,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        configure_logging=False,
    )
    results: list[dict[str, Any]] = []
    try:
        http_options, grpc_options = ray_serve.serve_options(
            {"rest_api_host": "127.0.0.1", "rest_api_port": rest_port, "port": grpc_port}
        )
        serve.start(http_options=http_options, grpc_options=grpc_options)
        for replicas in args.replicas:
            app = ray_serve.build_app(
                {
                    "model_name": "small",
                    "model_base_path": str(root / "small"),
                    "num_replicas": replicas,
                }
            )
            serve.run(app, name=ray_serve.APP_NAME, route_prefix="/")
            _wait_ready(rest_port)
            for api, make in (("REST", _rest_client(rest_port)), ("gRPC", _grpc_client(grpc_port))):
                row = {
                    "replicas": replicas,
                    "api": api,
                    **_load(make, args.concurrency, args.seconds),
                }
                results.append(row)
                print(json.dumps(row), flush=True)
    finally:
        serve.shutdown()
        ray.shutdown()
        shutil.rmtree(root, ignore_errors=True)

    base = {r["api"]: r["rps"] for r in results if r["replicas"] == args.replicas[0]}
    print(
        f"\nstowflow serve on Ray Serve, small model, {args.concurrency} client threads, "
        f"{args.cpus} CPUs for Ray, {args.seconds:g} s per cell\n"
    )
    print("| replicas | API | requests/s | vs first | p50 ms | p99 ms | errors |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['replicas']} | {r['api']} | {r['rps']:.0f} | {r['rps'] / base[r['api']]:.2f}x "
            f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
