"""``tf.train.Coordinator``: a shared stop flag for a session's threads, with error reporting."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from stowflow import errors


class Coordinator:
    """Threads check ``should_stop()``; any of them can ``request_stop(ex)``; ``join`` waits."""

    def __init__(self, clean_stop_exception_types: Iterable[type] | None = None) -> None:
        self._clean_types = tuple(
            clean_stop_exception_types
            if clean_stop_exception_types is not None
            else (errors.OutOfRangeError,)
        )
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info: Any = None
        self._registered: set[threading.Thread] = set()
        self._joined = False

    def request_stop(self, ex: Any = None) -> None:
        """Asks every thread to stop; an exception (or exc_info) other than a clean one is kept."""
        with self._lock:
            if ex is not None and self._exc_info is None:
                info = ex if isinstance(ex, tuple) else (type(ex), ex, ex.__traceback__)
                if not issubclass(info[0], self._clean_types):
                    self._exc_info = info
            self._stop_event.set()

    def clear_stop(self) -> None:
        """Clears the stop flag and the recorded exception."""
        with self._lock:
            self._joined = False
            self._exc_info = None
            self._stop_event.clear()

    def should_stop(self) -> bool:
        """Whether a stop was requested."""
        return self._stop_event.is_set()

    @contextlib.contextmanager
    def stop_on_exception(self) -> Iterator[None]:
        """Requests a stop with the exception raised inside the block (and swallows it)."""
        try:
            yield
        except Exception:  # noqa: BLE001 - reported through request_stop, as TF
            self.request_stop(ex=sys.exc_info())

    def wait_for_stop(self, timeout: float | None = None) -> bool:
        """Waits until a stop is requested (or ``timeout`` seconds); returns should_stop()."""
        return self._stop_event.wait(timeout)

    def register_thread(self, thread: threading.Thread) -> None:
        """Adds a thread for ``join`` to wait for."""
        with self._lock:
            self._registered.add(thread)

    def join(
        self,
        threads: Iterable[threading.Thread] | None = None,
        stop_grace_period_secs: float = 120,
        ignore_live_threads: bool = False,
    ) -> None:
        """Waits for the threads after a stop request; re-raises a recorded exception.

        Raises:
            RuntimeError: if threads are still running after the grace period (TF's message).
        """
        with self._lock:
            all_threads = set(self._registered) | set(threads or [])
        while any(t.is_alive() for t in all_threads) and not self.wait_for_stop(0.1):
            pass
        deadline = time.monotonic() + stop_grace_period_secs
        for thread in all_threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stragglers = [t.name for t in all_threads if t.is_alive()]
        with self._lock:
            self._joined = True
            self._registered = set()
            info = self._exc_info
        if info is not None:
            raise info[1].with_traceback(info[2])
        if stragglers and not ignore_live_threads:
            raise RuntimeError(
                "Coordinator stopped with threads still running: " + " ".join(stragglers)
            )

    @property
    def joined(self) -> bool:
        """Whether ``join`` has run."""
        return self._joined

    def raise_requested_exception(self) -> None:
        """Raises the exception passed to ``request_stop``, if any."""
        with self._lock:
            info = self._exc_info
        if info is not None:
            raise info[1].with_traceback(info[2])
