"""Server-side batching on Ray Serve's ``@serve.batch`` (ServeBatcher), in-process: rows of
concurrent runs are merged up to max_batch_size, run once and split back; TF Serving's limits
answer at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from stowflow import errors
from stowflow.serving.config import BatchingOptions


class Doubler:
    """A servable stand-in: ``y = 2 x``; records the batch size of every run."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.lock = threading.Lock()

    def run_direct(
        self, signature: str, feeds: dict[str, np.ndarray], outputs: tuple[str, ...]
    ) -> dict[str, np.ndarray]:
        with self.lock:
            self.sizes.append(int(feeds["x"].shape[0]))
        return {"y": feeds["x"] * 2}


@pytest.fixture
def loop(monkeypatch: pytest.MonkeyPatch) -> Iterator[asyncio.AbstractEventLoop]:
    """The replica's event loop, on a thread; the replica context @serve.batch asks for."""
    from types import SimpleNamespace

    from ray import serve

    context = SimpleNamespace(_deployment_config=SimpleNamespace(max_ongoing_requests=64))
    monkeypatch.setattr(serve, "get_replica_context", lambda: context)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop

    async def cancel_all() -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(cancel_all(), loop).result(timeout=60)
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def _batcher(loop: asyncio.AbstractEventLoop, **options: Any) -> Any:
    from stowflow.serving.ray_serve import ServeBatcher

    return ServeBatcher(BatchingOptions(**options), loop)


def test_concurrent_rows_are_merged_and_split_back(loop: asyncio.AbstractEventLoop) -> None:
    # A long timeout: a batch runs when it holds max_batch_size rows, so the split is exact.
    batcher = _batcher(loop, max_batch_size=4, batch_timeout_micros=60_000_000, num_batch_threads=1)
    model = Doubler()
    run = batcher.runner(model)  # type: ignore[arg-type]
    with ThreadPoolExecutor(8) as pool:
        futures = [
            pool.submit(run, "sig", {"x": np.full((1, 2), i, np.float32)}, ("y",)) for i in range(8)
        ]
        results = [f.result(timeout=120) for f in futures]
    batcher.close()
    assert model.sizes == [4, 4]
    for i, result in enumerate(results):
        np.testing.assert_array_equal(result["y"], np.full((1, 2), 2 * i, np.float32))


def test_allowed_batch_sizes_pad_the_batch(loop: asyncio.AbstractEventLoop) -> None:
    batcher = _batcher(loop, max_batch_size=8, allowed_batch_sizes=(4, 8))
    model = Doubler()
    out = batcher.runner(model)("sig", {"x": np.ones((3, 2), np.float32)}, ("y",))
    batcher.close()
    assert model.sizes == [4] and out["y"].shape == (3, 2)


def test_limits(loop: asyncio.AbstractEventLoop) -> None:
    batcher = _batcher(
        loop, max_batch_size=2, batch_timeout_micros=2_000_000, max_enqueued_batches=1
    )
    model = Doubler()
    run = batcher.runner(model)
    with pytest.raises(errors.InvalidArgumentError, match="larger than maximum input batch size"):
        run("sig", {"x": np.ones((3, 2), np.float32)}, ("y",))
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(run, "sig", {"x": np.ones((1, 2), np.float32)}, ("y",))
        while batcher.queued_rows == 0:  # until the first run waits in the queue
            threading.Event().wait(0.01)
        with pytest.raises(errors.UnavailableError, match="queue .* is full"):
            run("sig", {"x": np.ones((2, 2), np.float32)}, ("y",))
        assert waiting.result(timeout=120)["y"].shape == (1, 2)
    batcher.close()
