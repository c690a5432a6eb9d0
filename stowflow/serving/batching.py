"""Server-side dynamic batching with TF Serving's BatchingParameters.

Concurrent runs of the same signature (same inputs and outputs) are queued; worker threads
take up to ``max_batch_size`` rows (waiting at most ``batch_timeout_micros`` for more),
concatenate the inputs along dim 0 (padding variable-length dims when asked, and the batch
up to the next ``allowed_batch_sizes`` entry), run once, and split the outputs back. When
``max_enqueued_batches`` batches are already waiting, a new task is refused at once with
UNAVAILABLE; nothing ever waits on a full queue.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from stowflow.serving import status
from stowflow.serving.config import BatchingOptions

RunFn = Callable[[str, dict[str, np.ndarray], tuple[str, ...]], dict[str, np.ndarray]]
QueueKey = tuple[str, tuple[str, ...], tuple[str, ...]]


@dataclass
class _Task:
    feeds: dict[str, np.ndarray]
    size: int
    future: Future[dict[str, np.ndarray]] = field(default_factory=Future)
    enqueued: float = field(default_factory=time.monotonic)


class Batcher:
    """Batches calls to ``run`` (a servable's direct runner); :meth:`submit` replaces it.

    Args:
        run: runs one signature on a batch: ``run(signature, feeds, outputs)``.
        options: the batching parameters.
    """

    def __init__(self, run: RunFn, options: BatchingOptions) -> None:
        self._run = run
        self._options = options
        self._queues: dict[QueueKey, deque[_Task]] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"batch-{i}", daemon=True)
            for i in range(options.num_batch_threads)
        ]
        for t in self._threads:
            t.start()

    def submit(
        self, signature: str, feeds: dict[str, np.ndarray], outputs: tuple[str, ...]
    ) -> dict[str, np.ndarray]:
        """Queues one request and waits for its slice of the batch's outputs.

        Raises:
            stowflow.errors.OpError: INVALID_ARGUMENT for inputs that cannot be batched,
                UNAVAILABLE when the queue is full; errors of the batch run.
        """
        sizes = {a.shape[0] if a.ndim else -1 for a in feeds.values()}
        if len(sizes) != 1 or -1 in sizes:
            raise status.invalid(
                "Batching session Run() input tensors must have equal 0th-dimension size"
            )
        size = sizes.pop()
        limit = self._options.max_batch_size
        if size > limit:
            raise status.invalid(
                f"Task size {size} is larger than maximum input batch size {limit}"
            )
        key = (signature, tuple(sorted(feeds)), outputs)
        task = _Task(feeds, size)
        with self._cond:
            if self._closed:
                raise status.unavailable("Batch scheduler is shutting down")
            queue = self._queues.setdefault(key, deque())
            rows = sum(t.size for t in queue) + size
            batches = -(-rows // limit)
            if batches > self._options.max_enqueued_batches:
                raise status.unavailable(
                    "The batch scheduling queue to which this task was submitted is full"
                )
            queue.append(task)
            self._cond.notify()
        return task.future.result()

    def close(self) -> None:
        """Stops the workers after the queued tasks ran."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for t in self._threads:
            t.join()

    # -- workers ------------------------------------------------------------------------------
    def _take(self) -> tuple[QueueKey, list[_Task]] | None:
        timeout = self._options.batch_timeout_micros / 1e6
        limit = self._options.max_batch_size
        with self._cond:
            while True:
                ready = [(k, q) for k, q in self._queues.items() if q]
                if not ready:
                    if self._closed:
                        return None
                    self._cond.wait()
                    continue
                key, queue = min(ready, key=lambda kq: kq[1][0].enqueued)
                rows = sum(t.size for t in queue)
                wait = queue[0].enqueued + timeout - time.monotonic()
                if rows < limit and wait > 0 and not self._closed:
                    self._cond.wait(wait)
                    continue
                batch: list[_Task] = []
                total = 0
                while queue and total + queue[0].size <= limit:
                    task = queue.popleft()
                    batch.append(task)
                    total += task.size
                return key, batch

    def _work(self) -> None:
        while True:
            taken = self._take()
            if taken is None:
                return
            (signature, _inputs, outputs), batch = taken
            try:
                results = self._run_batch(signature, outputs, batch)
            except BaseException as e:  # noqa: BLE001 - every waiter must hear about it
                for task in batch:
                    task.future.set_exception(e)
                continue
            for task, result in zip(batch, results):
                task.future.set_result(result)

    def _run_batch(
        self, signature: str, outputs: tuple[str, ...], batch: list[_Task]
    ) -> list[dict[str, np.ndarray]]:
        sizes = [t.size for t in batch]
        total = sum(sizes)
        target = next((s for s in self._options.allowed_batch_sizes if s >= total), total)
        feeds = {
            name: self._merge([t.feeds[name] for t in batch], target - total)
            for name in batch[0].feeds
        }
        out = self._run(signature, feeds, outputs)
        bounds = np.cumsum([0, *sizes])
        for name, value in out.items():
            if value.ndim == 0 or value.shape[0] != target:
                raise status.invalid(
                    f"Batched output tensor {name} has shape {list(value.shape)}; its 0th "
                    f"dimension must equal the batch size {target}"
                )
        return [
            {name: value[bounds[i] : bounds[i + 1]] for name, value in out.items()}
            for i in range(len(batch))
        ]

    def _merge(self, parts: list[np.ndarray], pad_rows: int) -> np.ndarray:
        tails = {p.shape[1:] for p in parts}
        if len(tails) > 1:
            if not self._options.pad_variable_length_inputs or len({len(t) for t in tails}) > 1:
                raise status.invalid(
                    "Tensors with different shapes can only be batched with "
                    "pad_variable_length_inputs: shapes " + ", ".join(str(list(t)) for t in tails)
                )
            tail = tuple(max(d) for d in zip(*tails))
            parts = [_pad(p, tail) for p in parts]
        merged = np.concatenate(parts, axis=0)
        if pad_rows:
            filler = np.repeat(merged[:1], pad_rows, axis=0)
            merged = np.concatenate([merged, filler], axis=0)
        return merged


def _pad(array: np.ndarray, tail: tuple[int, ...]) -> np.ndarray:
    widths = [(0, 0)] + [(0, want - have) for have, want in zip(array.shape[1:], tail)]
    if array.dtype == object:
        out = np.full((array.shape[0], *tail), b"", dtype=object)
        out[tuple(slice(0, n) for n in array.shape)] = array
        return out
    return np.pad(array, widths)
