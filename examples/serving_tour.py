"""Serving tour: `stowflow serve` over an exported model, called over gRPC and REST.

:func:`serving_tour` copies a SavedModel in as version 1 of a model base path, starts
``stowflow serve`` (tensorflow_model_server's flags) on free 127.0.0.1 ports, calls Classify
and Predict over gRPC with ``stowflow.serving.apis`` (TF Serving's request messages and stubs,
no TensorFlow needed) and Predict over REST with plain ``http.client``, prints every answer
next to what ``stowflow.saved_model.load`` computes for the same inputs, and stops the
server with SIGTERM. Inputs are made up from the signatures: for an Estimator-style export
(serialized ``tf.Example`` input), the features are read from the graph's parse op.

    python examples/serving_tour.py EXPORT_DIR
"""

from __future__ import annotations

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
import time
from typing import Any

import numpy as np

from stowflow import saved_model
from stowflow.proto import example_pb2

MODEL = "tour"
CLASSIFY = "tensorflow/serving/classify"
PREDICT = "tensorflow/serving/predict"
STARTUP_SECONDS = 180.0  # generous: a busy machine can be slow to import and load
PARSE_OPS = ("ParseExampleV2", "ParseExample")


def serving_tour(export_dir: str) -> int:
    """Serves ``export_dir`` with ``stowflow serve`` and checks its answers; 0 when all match.

    Returns:
        0 when every gRPC and REST answer matches ``stowflow.saved_model.load``'s and the
        server exits 0 on SIGTERM; 1 otherwise.
    """
    model = saved_model.load(export_dir)
    calls = _plan(model)
    scratch = tempfile.mkdtemp(prefix="stowflow-serving-tour-")
    base = os.path.join(scratch, MODEL)
    shutil.copytree(export_dir, os.path.join(base, "1"))
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
        f"--model_name={MODEL}",
        f"--model_base_path={base}",
    ]
    print("$ stowflow serve " + " ".join(cmd[4:]))
    log_path = os.path.join(scratch, "server.log")
    ok = True
    try:
        with open(log_path, "w+") as log:
            started = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=log, stderr=log)
            try:
                ok = _wait_ready(proc, log_path)
                if ok:
                    print(f"server ready after {time.perf_counter() - started:.2f} s")
                ports = {"grpc": grpc_port, "rest": rest_port}
                for call, key, api in calls if ok else []:
                    try:
                        ok &= call(model, key, ports[api])
                    except Exception as e:  # the tour reports a failed call and goes on
                        print(f"  {call.__name__} failed: {type(e).__name__}: {e}")
                        ok = False
            finally:
                stopped = proc.poll() is None
                if stopped:
                    proc.send_signal(signal.SIGTERM)
                try:
                    code = proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    code = proc.wait()
        print(f"server {'stopped with SIGTERM' if stopped else 'had exited'}: exit code {code}")
        if code != 0 or not stopped:
            ok = False
            with open(log_path, errors="replace") as f:
                print(f.read()[-2000:])
    finally:
        model.close()
        shutil.rmtree(scratch, ignore_errors=True)
    print("serving tour:", "all answers match" if ok else "MISMATCH")
    return 0 if ok else 1


# -- inputs ---------------------------------------------------------------------------------
def feature_spec(model: Any, input_tensor: str) -> dict[str, tuple[str, int]]:
    """{feature: (dtype name, values per example)} of the parse op reading ``input_tensor``."""
    parse = [
        op
        for op in model.graph.get_operations()
        if op.type in PARSE_OPS and op.inputs[0].name == input_tensor
    ]
    if not parse:
        return {}
    op = parse[0]
    if op.type == "ParseExampleV2":
        sparse_keys, dense_keys = model.session.run([op.inputs[2], op.inputs[3]])
    else:
        n_sparse, n_dense = op.get_attr("Nsparse"), op.get_attr("Ndense")
        keys = model.session.run(list(op.inputs[2 : 2 + n_sparse + n_dense]))
        sparse_keys, dense_keys = keys[:n_sparse], keys[n_sparse:]
    spec = {}
    for key, dtype, shape in zip(dense_keys, op.get_attr("Tdense"), op.get_attr("dense_shapes")):
        spec[_text(key)] = (dtype.name, int(np.prod(shape.as_list())))
    for key, dtype in zip(sparse_keys, op.get_attr("sparse_types")):
        spec[_text(key)] = (dtype.name, 1)
    return spec


def make_examples(spec: dict[str, tuple[str, int]], count: int = 3) -> list[bytes]:
    """``count`` serialized tf.Examples with made-up values for every feature of ``spec``."""
    out = []
    for i in range(count):
        example = example_pb2.Example()
        for key, (dtype, size) in spec.items():
            feature = example.features.feature[key]
            if dtype.startswith("float") or dtype.startswith("bfloat"):
                feature.float_list.value.extend(
                    [0.5 * (i + 1) * (j + 1) * (-1) ** j for j in range(size)]
                )
            elif dtype.startswith("int"):
                feature.int64_list.value.extend([20 + 10 * i + j for j in range(size)])
            else:
                feature.bytes_list.value.extend([f"{key}{i}".encode()] * size)
        out.append(example.SerializeToString())
    return out


def make_inputs(model: Any, signature: Any) -> dict[str, np.ndarray]:
    """Made-up inputs for a signature: tf.Examples for an Example input, else small arrays."""
    feeds = {}
    for key, info in signature.signature_def.inputs.items():
        dtype, shape = signature.inputs[key]
        if dtype == "string":
            spec = feature_spec(model, info.name)
            values = make_examples(spec) if spec else [b"stowflow", b"serve"]
            array = np.empty(len(values), dtype=object)
            array[:] = values
            feeds[key] = array
            continue
        dims = [2 if d is None else d for d in (shape if shape is not None else [2])]
        size = int(np.prod(dims))
        feeds[key] = (np.arange(size) % 7 * 0.5 + 1).reshape(dims).astype(dtype)
    return feeds


# -- calls ----------------------------------------------------------------------------------
def _plan(model: Any) -> list[tuple[Any, str, str]]:
    """The calls of the tour, as (function, signature key, "grpc" | "rest").

    Classify over gRPC when the export has a classify signature; Predict over gRPC and REST
    on ``serving_default`` if it is a predict signature, else on the first predict signature.
    """
    sigs = model.signatures
    classify = next((k for k, s in sigs.items() if s.method_name == CLASSIFY), None)
    predict = (
        "serving_default"
        if "serving_default" in sigs and sigs["serving_default"].method_name == PREDICT
        else next((k for k, s in sigs.items() if s.method_name == PREDICT), None)
    ) or next(iter(sigs))
    calls: list[tuple[Any, str, str]] = []
    if classify is not None:
        calls.append((grpc_classify, classify, "grpc"))
    calls += [(grpc_predict, predict, "grpc"), (rest_predict, predict, "rest")]
    return calls


def local_outputs(model: Any, key: str, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What ``stowflow.saved_model.load``'s signature function returns for ``feeds``."""
    return dict(model.signatures[key](**feeds))


def grpc_classify(model: Any, key: str, port: int) -> bool:
    """Classify over gRPC vs the local classify signature."""
    import grpc

    from stowflow.serving.apis import classification_pb2, prediction_service_pb2_grpc

    feeds = make_inputs(model, model.signatures[key])
    (examples,) = feeds.values()
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = MODEL
    request.model_spec.signature_name = key
    for serialized in examples:
        request.input.example_list.examples.add().ParseFromString(serialized)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        response = stub.Classify(request, 10.0)
    local = local_outputs(model, key, feeds)
    print(f"\ngRPC Classify, signature {key!r}, {len(examples)} tf.Examples:")
    ok = True
    for i, row in enumerate(response.result.classifications):
        served = [(c.label, round(c.score, 6)) for c in row.classes]
        labels = local.get("classes")
        scores = local.get("scores")
        width = len(row.classes)
        mine = [
            (
                _text(labels[i, j]) if labels is not None else "",
                round(float(scores[i, j]), 6) if scores is not None else 0.0,
            )
            for j in range(width)
        ]
        same = len(served) == len(mine) and all(
            a[0] == b[0] and abs(a[1] - b[1]) <= 1e-5 for a, b in zip(served, mine)
        )
        ok &= same
        print(f"  example {i}: server {served}")
        print(f"             load   {mine}  {'match' if same else 'MISMATCH'}")
    return ok


def grpc_predict(model: Any, key: str, port: int) -> bool:
    """Predict over gRPC vs the local signature."""
    import grpc

    from stowflow.serving.apis import (
        make_ndarray,
        make_tensor_proto,
        predict_pb2,
        prediction_service_pb2_grpc,
    )

    feeds = make_inputs(model, model.signatures[key])
    request = predict_pb2.PredictRequest()
    request.model_spec.name = MODEL
    request.model_spec.signature_name = key
    for alias, value in feeds.items():
        request.inputs[alias].CopyFrom(make_tensor_proto(value))
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        response = stub.Predict(request, 10.0)
    served = {alias: make_ndarray(proto) for alias, proto in response.outputs.items()}
    print(f"\ngRPC Predict, signature {key!r}:")
    return _compare(served, local_outputs(model, key, feeds))


def rest_predict(model: Any, key: str, port: int) -> bool:
    """Predict over REST (columnar ``inputs``) vs the local signature."""
    feeds = make_inputs(model, model.signatures[key])
    body = {"signature_name": key, "inputs": {k: _json_value(v) for k, v in feeds.items()}}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            f"/v1/models/{MODEL}:predict",
            json.dumps(body),
            {"Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        answer = json.loads(resp.read())
    finally:
        conn.close()
    print(f"\nREST POST /v1/models/{MODEL}:predict, signature {key!r}: HTTP {resp.status}")
    if resp.status != 200:
        print(f"  {answer}")
        return False
    local = local_outputs(model, key, feeds)
    outputs = answer["outputs"]
    if len(local) == 1 and not isinstance(outputs, dict):
        outputs = {next(iter(local)): outputs}
    served = {k: _from_json(v) for k, v in outputs.items()}
    return _compare(served, local)


def _compare(served: dict[str, np.ndarray], local: dict[str, np.ndarray]) -> bool:
    ok = set(served) == set(local)
    for alias in sorted(local):
        mine = local[alias]
        theirs = served.get(alias)
        if theirs is None:
            same = False
        elif mine.dtype == object:
            same = np.array_equal(
                np.vectorize(_text, otypes=[object])(mine),
                np.vectorize(_text, otypes=[object])(np.asarray(theirs, dtype=object)),
            )
        else:
            theirs = np.asarray(theirs, dtype=np.float64)
            same = theirs.shape == mine.shape and np.allclose(theirs, mine, rtol=1e-5, atol=1e-6)
        ok &= same
        print(f"  {alias}: server {_show(theirs)}")
        print(f"  {' ' * len(alias)}  load   {_show(mine)}  {'match' if same else 'MISMATCH'}")
    return ok


# -- helpers --------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, dict) and "b64" in value:
        value = base64.b64decode(value["b64"])
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _json_value(array: np.ndarray) -> Any:
    if array.dtype == object:
        return np.vectorize(
            lambda b: {"b64": base64.b64encode(b).decode("ascii")}, otypes=[object]
        )(array).tolist()
    return array.tolist()


def _from_json(value: Any) -> np.ndarray:
    array = np.asarray(value, dtype=object)
    if array.size and all(isinstance(v, (int, float, bool)) for v in array.reshape(-1)):
        return np.asarray(value)
    return array


def _show(array: Any) -> str:
    if array is None:
        return "(missing)"
    array = np.asarray(array)
    if array.dtype == object:
        return json.dumps(np.vectorize(_text, otypes=[object])(array).tolist(), ensure_ascii=False)
    if array.dtype.kind == "f":
        return str(np.vectorize(lambda v: float(f"{v:.6g}"), otypes=[object])(array).tolist())
    return str(array.tolist())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(proc: subprocess.Popen, log_path: str) -> bool:
    """Waits for the server's ready line; False if it exits or times out first."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        with open(log_path, errors="replace") as f:
            text = f.read()
        if "stowflow serve: ready" in text:
            return True
        if proc.poll() is not None or time.monotonic() > deadline:
            print("stowflow serve did not get ready")
            return False
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(serving_tour(sys.argv[1]))
