"""Benchmark of `stowflow serve` against TensorFlow in-process behind the same server stack.

A script, not a test: it measures and prints, asserting nothing. In one run it starts, for
each model, two servers on free 127.0.0.1 ports:

- ``stowflow`` -- ``stowflow serve`` as users run it (dev venv);
- ``TF`` -- the baseline: the very same server code (flags, model manager, grpcio servicers,
  ASGI app under uvicorn) run by the TensorFlow 2.21 oracle interpreter, with every model
  version loaded by ``tf.saved_model.load`` and run through ``loaded.signatures[key]`` (the
  ``run_signature`` hook of :class:`stowflow.serving.servable.Servable`), i.e. what users build
  today with TensorFlow behind a web framework. The serve packages the TF venv lacks
  (uvicorn, starlette, orjson, prometheus-client) are pip-installed into it on first use, at
  the dev venv's versions, and listed;

each over (a) the small model, the TF-made Estimator-style export
``tests/golden/savedmodels/tf1_classify_regress``, and (b) MobileNetV2 (the real-model
fixture's SavedModel, batch-1 image requests). For every model x API x method x concurrency
cell (REST Predict JSON, gRPC Predict, gRPC Classify for the small model) the two servers
take turns (so load drift on the machine hits both alike); it prints requests/s, p50 and p99
latency for both and the ratios; then time from process start
to ready, server RSS after traffic, RSS before/after ``--reloads`` HandleReloadConfigRequest
cycles (stowflow; the model is toggled out and in), whether both servers answer alike, and
the issue's goal verdicts. Tables are Markdown (``--json`` also writes the numbers).

    .venv/bin/python bench/serving.py --quick        # smoke run (< 2 minutes)
    .venv/bin/python bench/serving.py                # the full run, on an idle machine
    .venv/bin/python bench/serving.py --quick --no-baseline --no-mobilenet --requests 20

Client threads (one connection each) run in this process on the same cores as the servers;
numbers from a shared machine are only indicative.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SMALL_MODEL = ROOT / "tests" / "golden" / "savedmodels" / "tf1_classify_regress"
TF_PYTHON = Path(
    os.environ.get("STOWFLOW_TF_PYTHON", Path.home() / ".cache/stowflow/tf-2.21.0/bin/python")
)
SERVE_DEPS = {
    "uvicorn": "uvicorn",
    "starlette": "starlette",
    "orjson": "orjson",
    "prometheus-client": "prometheus_client",
}
"""Distribution -> module of the serve packages the TF venv may lack (grpcio comes with TF)."""
BACKENDS = ("stowflow", "TF")
READY_LINE = "stowflow serve: ready"
STARTUP_TIMEOUT = 600.0
REQUEST_TIMEOUT = 600.0
"""Seconds a request may take: MobileNet requests queue deep at concurrency 64 on 2 cores."""


# -- the TF baseline's model: runs inside the TF venv's server process ----------------------------
class TFSavedModel:
    """A SavedModel loaded by TensorFlow, served through ``Servable``'s ``run_signature`` hook.

    ``meta_graph_def`` (what the server reads for metadata and request checks) is parsed by
    stowflow from the same ``saved_model.pb``; inference is ``loaded.signatures[key](**feeds)``.
    """

    def __init__(self, export_dir: str) -> None:
        import tensorflow as tf

        from stowflow.saved_model import loader

        saved = loader.parse_saved_model(export_dir)
        self.meta_graph_def = loader.find_meta_graph(saved, ["serve"], export_dir)
        self._tf = tf
        self._loaded: Any = tf.saved_model.load(export_dir, tags=["serve"])
        self._functions = dict(self._loaded.signatures)

    def run_signature(
        self, signature: str, feeds: dict[str, np.ndarray], outputs: tuple[str, ...]
    ) -> dict[str, np.ndarray]:
        """Runs ``loaded.signatures[signature]`` on the feeds; returns the wanted outputs."""
        result = self._functions[signature](**{k: self._tf.constant(v) for k, v in feeds.items()})
        return {k: result[k].numpy() for k in outputs}

    def close(self) -> None:
        """Drops the TensorFlow objects."""
        self._functions = {}
        self._loaded = None


def tf_server_main(argv: list[str]) -> int:
    """``stowflow serve`` with TensorFlow loading and running the models (TF venv only)."""
    from stowflow.serving import server

    build = server.build_manager

    def build_with_tf(values: dict[str, Any], metrics: Any = None) -> Any:
        manager, config_file = build(values, metrics)
        manager.options.loader = TFSavedModel  # the manager's documented loader seam
        return manager, config_file

    server.build_manager = build_with_tf
    return server.main(argv)


# -- environment -----------------------------------------------------------------------------------
def ensure_tf_serve_deps(python: Path) -> list[str]:
    """Installs into the TF venv the serve packages it lacks; returns what was installed.

    Each is pinned to the version in this (the dev) venv, so both servers run the same
    front-end code; none of them is a TensorFlow dependency, and TF is re-imported after the
    install to make sure it still works.
    """
    from importlib import metadata

    probe = (
        "import importlib.util as u, sys; "
        "print(' '.join(m for m in sys.argv[1:] if u.find_spec(m) is None))"
    )
    absent = subprocess.run(
        [str(python), "-c", probe, *SERVE_DEPS.values()],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    missing = [f"{d}=={metadata.version(d)}" for d, m in SERVE_DEPS.items() if m in absent]
    if missing:
        print(f"installing into the TF venv: {' '.join(missing)}", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *missing], check=True)
        check = subprocess.run(
            [str(python), "-c", "import tensorflow"], capture_output=True, text=True, check=False
        )
        if check.returncode:
            raise SystemExit(f"TensorFlow no longer imports after the install:\n{check.stderr}")
    return missing


def mobilenet_export() -> Path:
    """The MobileNetV2 fixture's SavedModel (generated with the TF oracle if not cached)."""
    sys.path.insert(0, str(ROOT / "tests" / "models"))
    import fixtures  # the tests' fixture locator; it imports TensorFlow only to generate

    return fixtures.get_fixture("mobilenet_v2").saved_model


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    """Resident set size of a process in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# -- servers ---------------------------------------------------------------------------------------
class ServerProcess:
    """A server subprocess (stowflow or the TF baseline) on free ports over one model."""

    def __init__(self, backend: str, base: Path, name: str, scratch: Path, batching: bool):
        self.grpc_port, self.rest_port = _free_port(), _free_port()
        flags = [
            f"--port={self.grpc_port}",
            f"--rest_api_port={self.rest_port}",
            "--grpc_host=127.0.0.1",
            "--rest_api_host=127.0.0.1",
            f"--model_name={name}",
            f"--model_base_path={base}",
            "--file_system_poll_wait_seconds=0",
        ]
        if batching:
            flags.append("--enable_batching")
        if backend == "stowflow":
            cmd = [sys.executable, "-m", "stowflow", "serve", *flags]
            env = dict(os.environ)
        else:
            cmd = [str(TF_PYTHON), str(Path(__file__).resolve()), "--tf-server", *flags]
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
        self.log_path = scratch / f"{backend}-{name}.log"
        self._log = open(self.log_path, "w+")  # noqa: SIM115 - closed in stop()
        started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=self._log, env=env)
        while READY_LINE not in self.log_path.read_text(errors="replace"):
            if self.proc.poll() is not None or time.perf_counter() - started > STARTUP_TIMEOUT:
                self.stop()
                raise SystemExit(f"{backend} server failed:\n{self.log_path.read_text()}")
            time.sleep(0.005)
        self.ready_seconds = time.perf_counter() - started

    def rss(self) -> float:
        return rss_mib(self.proc.pid)

    def stop(self) -> int | None:
        """SIGTERM, wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


# -- workloads -------------------------------------------------------------------------------------
Client = Any
"""A client connection: ``client()`` sends one request and returns the answer; ``close()``."""


@dataclass
class Workload:
    """One model x API x method: how to connect a client, and its answer as arrays."""

    model: str
    api: str
    method: str
    connect: Callable[[ServerProcess], Client]
    answer: Callable[[Any], dict[str, np.ndarray]]


def _example(x: list[float], age: int, tags: list[bytes]) -> bytes:
    from stowflow.proto import example_pb2

    ex = example_pb2.Example()
    ex.features.feature["x"].float_list.value.extend(x)
    ex.features.feature["age"].int64_list.value.append(age)
    ex.features.feature["tags"].bytes_list.value.extend(tags)
    return ex.SerializeToString()


class _RestClient:
    """One keep-alive HTTP connection POSTing the same JSON body."""

    def __init__(self, port: int, path: str, body: bytes) -> None:
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        self._path, self._body = path, body

    def __call__(self) -> bytes:
        self._conn.request("POST", self._path, self._body, {"Content-Type": "application/json"})
        resp = self._conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"REST {self._path}: {resp.status} {data[:200]!r}")
        return data

    def close(self) -> None:
        self._conn.close()


class _GrpcClient:
    """One channel sending the same request to a PredictionService method."""

    def __init__(self, port: int, method: str, request: Any) -> None:
        import grpc

        from stowflow.serving.apis import prediction_service_pb2_grpc

        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", 64 << 20)]
        )
        stub = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self._rpc, self._request = getattr(stub, method), request

    def __call__(self) -> Any:
        return self._rpc(self._request, timeout=REQUEST_TIMEOUT)

    def close(self) -> None:
        self._channel.close()


def _rest_call(path: str, body: bytes) -> Callable[[ServerProcess], Client]:
    return lambda server: _RestClient(server.rest_port, path, body)


def _rest_answer(data: bytes) -> dict[str, np.ndarray]:
    predictions = json.loads(data)["predictions"]
    rows = predictions if isinstance(predictions[0], dict) else [{"": p} for p in predictions]
    return {k: np.asarray([row[k] for row in rows], dtype=np.float64) for k in rows[0]}


def _grpc_call(method: str, request: Any) -> Callable[[ServerProcess], Client]:
    return lambda server: _GrpcClient(server.grpc_port, method, request)


def _predict_answer(response: Any) -> dict[str, np.ndarray]:
    from stowflow.serving.apis import make_ndarray

    out = {}
    for key, proto in response.outputs.items():
        value = make_ndarray(proto)
        if value.dtype != object:
            out[key] = value.astype(np.float64)
    return out


def _classify_answer(response: Any) -> dict[str, np.ndarray]:
    scores = [[c.score for c in row.classes] for row in response.result.classifications]
    return {"scores": np.asarray(scores, dtype=np.float64)}


def small_workloads() -> list[Workload]:
    """REST Predict, gRPC Predict and gRPC Classify on the Estimator-style export."""
    from stowflow.serving.apis import classification_pb2, make_tensor_proto, predict_pb2

    example = _example([1.0, 2.0], 22, [b"a"])
    rest_body = json.dumps(
        {
            "signature_name": "predict_raw",
            "instances": [{"b64": base64.b64encode(example).decode()}],
        }
    ).encode()
    predict = predict_pb2.PredictRequest()
    predict.model_spec.name = "small"
    predict.model_spec.signature_name = "predict_raw"
    predict.inputs["examples"].CopyFrom(make_tensor_proto(np.array([example], object)))
    classify = classification_pb2.ClassificationRequest()
    classify.model_spec.name = "small"
    classify.model_spec.signature_name = "classify"
    classify.input.example_list.examples.add().ParseFromString(example)
    return [
        Workload(
            "small",
            "REST",
            "Predict",
            _rest_call("/v1/models/small:predict", rest_body),
            _rest_answer,
        ),
        Workload("small", "gRPC", "Predict", _grpc_call("Predict", predict), _predict_answer),
        Workload("small", "gRPC", "Classify", _grpc_call("Classify", classify), _classify_answer),
    ]


def mobilenet_workloads(export_dir: Path) -> list[Workload]:
    """REST and gRPC Predict of one 224x224 image on MobileNetV2's serving_default."""
    from stowflow.saved_model import loader
    from stowflow.serving.apis import make_tensor_proto, predict_pb2

    sig = loader.find_meta_graph(
        loader.parse_saved_model(str(export_dir)), ["serve"], str(export_dir)
    ).signature_def["serving_default"]
    (key,) = sig.inputs
    image = np.random.default_rng(0).uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
    image = np.round(image, 3)  # a shorter JSON body; the same values for both APIs
    rest_body = json.dumps({"instances": image.tolist()}).encode()
    predict = predict_pb2.PredictRequest()
    predict.model_spec.name = "mobilenet"
    predict.inputs[key].CopyFrom(make_tensor_proto(image))
    return [
        Workload(
            "mobilenet_v2",
            "REST",
            "Predict",
            _rest_call("/v1/models/mobilenet:predict", rest_body),
            _rest_answer,
        ),
        Workload(
            "mobilenet_v2", "gRPC", "Predict", _grpc_call("Predict", predict), _predict_answer
        ),
    ]


# -- load generation -------------------------------------------------------------------------------
def run_clients(
    connect: Callable[[], Client], requests: int, concurrency: int
) -> tuple[float, list[float]]:
    """``concurrency`` threads, one connection each, share ``requests`` calls.

    Returns (wall seconds from the common start, per-request latencies in seconds).
    """
    latencies: list[float] = []
    lock = threading.Lock()
    per_worker = max(1, requests // concurrency)
    clients = [connect() for _ in range(concurrency)]
    barrier = threading.Barrier(concurrency + 1)

    def worker(call: Client) -> None:
        mine = []
        barrier.wait()
        for _ in range(per_worker):
            t = time.perf_counter()
            call()
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    try:
        with ThreadPoolExecutor(concurrency) as pool:
            futures = [pool.submit(worker, client) for client in clients]
            barrier.wait()
            start = time.perf_counter()
            for f in futures:
                f.result()
            wall = time.perf_counter() - start
    finally:
        for client in clients:
            client.close()
    return wall, latencies


@dataclass
class Cell:
    """Measurements of one workload at one concurrency on one backend."""

    rps: float
    p50_ms: float
    p99_ms: float


@dataclass
class Results:
    cells: dict[tuple[str, str, str, int], dict[str, Cell]] = field(default_factory=dict)
    ready: dict[tuple[str, str], float] = field(default_factory=dict)
    rss: dict[tuple[str, str], float] = field(default_factory=dict)
    answers: dict[tuple[str, str, str], dict[str, dict[str, np.ndarray]]] = field(
        default_factory=dict
    )
    reloads: dict[str, tuple[int, float, float]] = field(default_factory=dict)


def bench_workloads(
    servers: dict[str, ServerProcess],
    workloads: list[Workload],
    requests: int,
    levels: list[int],
    results: Results,
) -> None:
    """Runs every workload at every concurrency level against every server.

    The backends take turns cell by cell (alternating which goes first), so a change in the
    machine's load during the run affects both sides alike.
    """
    turn = 0
    for w in workloads:
        for backend, server in servers.items():
            client = w.connect(server)
            try:
                answer = w.answer(client())
            finally:
                client.close()
            results.answers.setdefault((w.model, w.api, w.method), {})[backend] = answer
        for c in levels:
            order = list(servers.items())
            for backend, server in order[::-1] if turn % 2 else order:
                connect = lambda w=w, server=server: w.connect(server)  # noqa: E731
                run_clients(connect, max(c, min(50, requests // 4)), c)  # warm-up
                wall, lat = run_clients(connect, requests, c)
                results.cells.setdefault((w.model, w.api, w.method, c), {})[backend] = Cell(
                    len(lat) / wall,
                    float(np.percentile(lat, 50) * 1e3),
                    float(np.percentile(lat, 99) * 1e3),
                )
                print(
                    f"  {backend:<8} {w.model:<12} {w.api:<4} {w.method:<8} c={c:<3} "
                    f"{len(lat) / wall:8.1f} req/s",
                    flush=True,
                )
            turn += 1


def reload_cycles(server: ServerProcess, base: Path, reloads: int) -> tuple[int, float, float]:
    """Toggles the model out and in with HandleReloadConfigRequest: (cycles, RSS before, after).

    RSS in MiB.

    Each cycle replaces the config by one naming the same base path under the other of two
    names, so the loaded version is unloaded and a fresh one loaded. One uncounted cycle per
    five counted ones comes first: the allocator's arenas settle over the first few dozen
    loads (measured in-process: +2 MiB over the first 100 cycles, then flat over 200 more),
    which is not a leak. The counted cycles are even, so the original name serves at the end.
    """
    import grpc

    from stowflow.serving.apis import model_management_pb2, model_service_pb2_grpc

    channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}")
    stub = model_service_pb2_grpc.ModelServiceStub(channel)

    def cycle(i: int) -> None:
        request = model_management_pb2.ReloadConfigRequest()
        entry = request.config.model_config_list.config.add(name="small" if i % 2 else "small2")
        entry.base_path = str(base)
        entry.model_platform = "tensorflow"
        response = stub.HandleReloadConfigRequest(request, timeout=300)
        if response.status.error_code:
            raise RuntimeError(f"reload {i} failed: {response.status.error_message}")

    for i in range(2 * max(1, reloads // 10)):
        cycle(i)
    time.sleep(0.5)  # retired versions are closed on a background thread
    before = server.rss()
    count = reloads + reloads % 2
    for i in range(count):
        cycle(i)
    time.sleep(0.5)
    channel.close()
    return count, before, server.rss()


def run_model(
    name: str,
    base: Path,
    backends: tuple[str, ...],
    workloads: list[Workload],
    args: argparse.Namespace,
    scratch: Path,
    results: Results,
) -> None:
    """Benchmarks one model: a server per backend, started one after the other, run in turns."""
    servers: dict[str, ServerProcess] = {}
    try:
        for backend in backends:
            server = servers[backend] = ServerProcess(backend, base, name, scratch, args.batching)
            results.ready[(backend, name)] = server.ready_seconds
            print(f"{backend} server ({name}) ready after {server.ready_seconds:.2f} s", flush=True)
        requests = args.requests if name == "small" else args.mobilenet_requests
        levels = args.levels if name == "small" else args.mobilenet_levels
        bench_workloads(servers, workloads, requests, levels, results)
        for backend, server in servers.items():
            results.rss[(backend, name)] = server.rss()
        for backend, server in servers.items():
            if name == "small" and args.reloads and (backend == "stowflow" or args.tf_reloads):
                results.reloads[backend] = reload_cycles(server, base, args.reloads)
    finally:
        for backend, server in servers.items():
            code = server.stop()
            if code != 0:
                print(f"warning: {backend} server exited with {code}; log: {server.log_path}")


# -- report ----------------------------------------------------------------------------------------
def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _table(title: str, header: list[str], align: str, rows: list[list[str]]) -> list[str]:
    return [
        f"## {title}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]


def _throughput(results: Results) -> tuple[list[str], list[bool]]:
    """The throughput/latency table, and for the small model whether each cell met the goal."""
    rows, checks = [], []
    for (model, api, method, conc), by in results.cells.items():
        ours, tf = by["stowflow"], by.get("TF")
        rps_ratio = _ratio(ours.rps, tf.rps if tf else None)
        p99_ratio = _ratio(ours.p99_ms, tf.p99_ms if tf else None)
        if model == "small" and rps_ratio is not None and p99_ratio is not None:
            checks.append(rps_ratio >= 2.0 and p99_ratio <= 1.0)
        rows.append(
            [model, api, method, str(conc), f"{ours.rps:.1f}", f"{ours.p50_ms:.2f}"]
            + [f"{ours.p99_ms:.2f}", _fmt(tf.rps if tf else None)]
            + [_fmt(tf.p50_ms if tf else None, 2), _fmt(tf.p99_ms if tf else None, 2)]
            + [_fmt(rps_ratio, 2), _fmt(p99_ratio, 2)]
        )
    header = ["model", "api", "method", "conc", "stowflow req/s", "stowflow p50 ms"]
    header += ["stowflow p99 ms", "TF req/s", "TF p50 ms", "TF p99 ms", "req/s ratio", "p99 ratio"]
    title = "Throughput and latency (stowflow vs TF in-process behind the same stack)"
    return _table(title, header, "llll" + "r" * 8, rows), checks


def _footprint(results: Results) -> list[str]:
    rows = []
    models = sorted({name for _, name in results.ready}, key=lambda n: n != "small")
    for label, values, digits in (
        ("ready after process start, {} (s)", results.ready, 2),
        ("RSS after traffic, {} (MiB)", results.rss, 0),
    ):
        for name in models:
            ours, tf = values[("stowflow", name)], values.get(("TF", name))
            ratio = _fmt(_ratio(ours, tf), 3)
            rows.append([label.format(name), _fmt(ours, digits), _fmt(tf, digits), ratio])
    reloads = {b: f"{x:.0f} -> {y:.0f}" for b, (_, x, y) in results.reloads.items()}
    if reloads:
        count = next(iter(results.reloads.values()))[0]
        row = [f"RSS before -> after {count} reloads (MiB)"]
        rows.append(row + [reloads.get("stowflow", "-"), reloads.get("TF", "-"), "-"])
    return _table("Footprint", ["measure", "stowflow", "TF", "stowflow/TF"], "lrrr", rows)


def _answers(results: Results) -> list[str]:
    rows = []
    for (model, api, method), by in results.answers.items():
        diffs = [
            float(np.max(np.abs(by["stowflow"][k] - by["TF"][k]), initial=0.0))
            for k in by["stowflow"]
        ]
        rows.append([model, api, method, f"{max(diffs, default=0.0):.2e}"])
    header = ["model", "api", "method", "max abs diff stowflow vs TF"]
    return _table("Same answers", header, "lllr", rows)


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def _goals(results: Results, checks: list[bool]) -> list[tuple[str, str, str]]:
    """(goal, measured, verdict) for issue 9's four goals."""
    ready = results.ready.get(("stowflow", "small"))
    rss_ratio = _ratio(results.rss.get(("stowflow", "small")), results.rss.get(("TF", "small")))
    reload = results.reloads.get("stowflow")
    growth = None if reload is None else reload[2] - reload[1]
    return [
        (
            ">= 2x TF req/s at <= TF p99, small model",
            f"{sum(checks)}/{len(checks)} cells" if checks else "-",
            _verdict(all(checks) if checks else None),
        ),
        (
            "ready < 1 s after start, small model",
            f"{_fmt(ready, 2)} s",
            _verdict(None if ready is None else ready < 1.0),
        ),
        (
            "RSS < 1/5 of TF's, small model",
            f"ratio {_fmt(rss_ratio, 3)}",
            _verdict(None if rss_ratio is None else rss_ratio < 0.2),
        ),
        (
            "no RSS growth over the reloads (<= max(2 MiB, 2%))",
            "-" if reload is None or growth is None else f"{growth:+.1f} MiB over {reload[0]}",
            _verdict(
                None if reload is None or growth is None else growth <= max(2.0, 0.02 * reload[1])
            ),
        ),
    ]


def report(results: Results, baseline: bool) -> tuple[str, dict[str, Any]]:
    """The Markdown tables and a JSON-able summary."""
    lines, checks = _throughput(results)
    lines += _footprint(results)
    if baseline:
        lines += _answers(results)
    goals = _goals(results, checks)
    lines += _table(
        "Goals (issue 9, item 9)", ["goal", "measured", "verdict"], "lll", [list(g) for g in goals]
    )
    summary = {
        "cells": [
            {"model": m, "api": a, "method": k, "concurrency": c}
            | {b: vars(cell) for b, cell in by.items()}
            for (m, a, k, c), by in results.cells.items()
        ],
        "ready_seconds": {f"{b}/{n}": v for (b, n), v in results.ready.items()},
        "rss_mib": {f"{b}/{n}": v for (b, n), v in results.rss.items()},
        "reloads": {
            b: {"count": c, "before_mib": x, "after_mib": y}
            for b, (c, x, y) in results.reloads.items()
        },
        "goals": [{"goal": g, "measured": m, "verdict": v} for g, m, v in goals],
    }
    return "\n".join(lines).rstrip(), summary


# -- main ------------------------------------------------------------------------------------------
def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per small-model cell")
    parser.add_argument("--concurrency", default="1,8,64", help="comma-separated levels")
    parser.add_argument("--mobilenet-requests", type=int, default=256, help="per MobileNet cell")
    parser.add_argument("--mobilenet-concurrency", default="1,8,64", help="levels for MobileNet")
    parser.add_argument("--reloads", type=int, default=100, help="reload cycles for RSS growth")
    parser.add_argument("--tf-reloads", action="store_true", help="also reload-cycle the baseline")
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer requests/levels")
    parser.add_argument("--no-baseline", action="store_true", help="stowflow only (no TF)")
    parser.add_argument("--no-mobilenet", action="store_true", help="the small model only")
    parser.add_argument("--batching", action="store_true", help="serve with --enable_batching")
    parser.add_argument("--json", help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        given = set(argv)
        defaults = {
            "--requests": ("requests", 200),
            "--concurrency": ("concurrency", "1,8,64"),
            "--mobilenet-requests": ("mobilenet_requests", 8),
            "--mobilenet-concurrency": ("mobilenet_concurrency", "1"),
            "--reloads": ("reloads", 10),
        }
        for flag, (dest, value) in defaults.items():
            if not any(a == flag or a.startswith(flag + "=") for a in given):
                setattr(args, dest, value)
    args.levels = [int(c) for c in args.concurrency.split(",")]
    args.mobilenet_levels = [int(c) for c in args.mobilenet_concurrency.split(",")]
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    baseline = not args.no_baseline
    if baseline:
        if not TF_PYTHON.exists():
            raise SystemExit(f"no TensorFlow oracle at {TF_PYTHON}; use --no-baseline")
        installed = ensure_tf_serve_deps(TF_PYTHON)
        print(
            "TF venv serve packages: "
            + (f"installed {', '.join(installed)}" if installed else "already present"),
            flush=True,
        )
    scratch = Path(tempfile.mkdtemp(prefix="stowflow-bench-serving-"))
    try:
        shutil.copytree(SMALL_MODEL, scratch / "small" / "1")
        bases = {"small": scratch / "small"}
        workloads = {"small": small_workloads()}
        if not args.no_mobilenet:
            export = mobilenet_export()
            (scratch / "mobilenet").mkdir()
            shutil.copytree(export, scratch / "mobilenet" / "1")
            bases["mobilenet"] = scratch / "mobilenet"
            workloads["mobilenet"] = mobilenet_workloads(export)
        results = Results()
        backends = BACKENDS if baseline else BACKENDS[:1]
        for name, base in bases.items():
            run_model(name, base, backends, workloads[name], args, scratch, results)
        table, summary = report(results, baseline)
        print()
        print(table)
        if args.json:
            Path(args.json).write_text(json.dumps(summary, indent=1))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--tf-server"]:
        sys.path.insert(0, str(ROOT))
        sys.exit(tf_server_main(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
