"""Dynamic batching: merge along dim 0, split back, padding, full queue -> UNAVAILABLE."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from serving_testlib import Server, copy_version

from stowflow import errors
from stowflow.serving import config
from stowflow.serving.batching import Batcher


class Recorder:
    """A run function that doubles inputs and records each batch's feeds."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.batches: list[dict[str, np.ndarray]] = []
        self.gate = gate
        self.entered = threading.Event()

    def __call__(self, sig: str, feeds: dict[str, np.ndarray], outs: tuple[str, ...]) -> Any:
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(60)
        self.batches.append(feeds)
        return {"y": feeds["x"] * 2}


def _opts(**kw: Any) -> config.BatchingOptions:
    base: dict[str, Any] = {"num_batch_threads": 1, "batch_timeout_micros": 0}
    return config.BatchingOptions(**{**base, **kw})


def test_concurrent_tasks_are_merged_and_split_back() -> None:
    gate = threading.Event()
    run = Recorder(gate)
    batcher = Batcher(run, _opts(max_batch_size=8, max_enqueued_batches=4))
    try:
        with ThreadPoolExecutor(4) as pool:
            first = pool.submit(batcher.submit, "s", {"x": np.array([[0.0]])}, ("y",))
            assert run.entered.wait(60)  # the worker holds the first task; the rest queue up
            rest = [
                pool.submit(batcher.submit, "s", {"x": np.full((n, 1), float(n))}, ("y",))
                for n in (1, 2, 3)
            ]
            _wait_queued(batcher, 6)
            gate.set()
            assert first.result(60)["y"].tolist() == [[0.0]]
            for n, fut in zip((1, 2, 3), rest):
                assert fut.result(60)["y"].tolist() == [[2.0 * n]] * n
    finally:
        batcher.close()
    assert [b["x"].shape[0] for b in run.batches] == [1, 6]


def _wait_queued(batcher: Batcher, rows: int) -> None:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with batcher._cond:
            if sum(t.size for q in batcher._queues.values() for t in q) >= rows:
                return
        time.sleep(0.01)
    raise AssertionError("tasks did not queue")


def test_full_queue_is_unavailable_not_a_hang() -> None:
    gate = threading.Event()
    run = Recorder(gate)
    batcher = Batcher(run, _opts(max_batch_size=1, max_enqueued_batches=1))
    try:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(batcher.submit, "s", {"x": np.ones((1, 1))}, ("y",))
            assert run.entered.wait(60)
            second = pool.submit(batcher.submit, "s", {"x": np.ones((1, 1))}, ("y",))
            _wait_queued(batcher, 1)
            with pytest.raises(errors.UnavailableError, match="queue .* is full"):
                batcher.submit("s", {"x": np.ones((1, 1))}, ("y",))
            gate.set()
            assert first.result(60)["y"].shape == (1, 1)
            assert second.result(60)["y"].shape == (1, 1)
    finally:
        batcher.close()


def test_oversized_task_and_unbatchable_inputs_are_invalid() -> None:
    batcher = Batcher(Recorder(), _opts(max_batch_size=2))
    try:
        with pytest.raises(errors.InvalidArgumentError, match="larger than maximum input batch"):
            batcher.submit("s", {"x": np.ones((3, 1))}, ("y",))
        with pytest.raises(errors.InvalidArgumentError, match="0th-dimension"):
            batcher.submit("s", {"x": np.ones((1, 1)), "z": np.ones((2, 1))}, ("y",))
    finally:
        batcher.close()


def test_allowed_batch_sizes_pad_and_variable_length_inputs() -> None:
    run = Recorder()
    batcher = Batcher(
        run, _opts(max_batch_size=4, allowed_batch_sizes=(2, 4), pad_variable_length_inputs=True)
    )
    try:
        out = batcher.submit("s", {"x": np.ones((3, 2))}, ("y",))
        assert out["y"].shape == (3, 2)
        assert run.batches[0]["x"].shape == (4, 2)  # padded up to the next allowed size
        merged = batcher._merge([np.ones((1, 2)), np.ones((1, 3))], 0)
        assert merged.tolist() == [[1, 1, 0], [1, 1, 1]]
    finally:
        batcher.close()


def test_batching_parameters_file(tmp_path: Path) -> None:
    path = tmp_path / "batching.config"
    path.write_text(
        "max_batch_size { value: 8 }\nbatch_timeout_micros { value: 500 }\n"
        "num_batch_threads { value: 2 }\nallowed_batch_sizes: 4\nallowed_batch_sizes: 8\n"
    )
    opts = config.read_batching_parameters(str(path))
    assert (opts.max_batch_size, opts.batch_timeout_micros, opts.num_batch_threads) == (8, 500, 2)
    assert opts.max_enqueued_batches == 10 and opts.allowed_batch_sizes == (4, 8)
    path.write_text("max_batch_size { value: 8 }\nallowed_batch_sizes: 4\n")
    with pytest.raises(errors.InvalidArgumentError, match="Last entry in allowed_batch_sizes"):
        config.read_batching_parameters(str(path))
    path.write_text("max_batch_size: 8\n")
    with pytest.raises(errors.InvalidArgumentError, match="Invalid protobuf file"):
        config.read_batching_parameters(str(path))


def test_server_with_batching_answers_concurrent_requests(
    tmp_path: Path, start_server: Callable[..., Server]
) -> None:
    copy_version("tf1_predict", tmp_path / "m", 1)
    params = tmp_path / "batching.config"
    params.write_text(
        "max_batch_size { value: 16 }\nbatch_timeout_micros { value: 20000 }\n"
        "max_enqueued_batches { value: 100 }\nnum_batch_threads { value: 1 }\n"
    )
    server = start_server(
        "--model_name=m",
        f"--model_base_path={tmp_path / 'm'}",
        "--enable_batching",
        f"--batching_parameters_file={params}",
    )
    rows = [[float(i), 1.0, 2.0] for i in range(12)]
    with ThreadPoolExecutor(12) as pool:
        answers = list(
            pool.map(
                lambda r: server.post(
                    "/v1/models/m:predict", {"signature_name": "double", "instances": [r]}
                ),
                rows,
            )
        )
    for r, (code, body) in zip(rows, answers):
        assert code == 200 and body["predictions"] == [[2 * v for v in r]]
