"""``tf.train.SessionRunHook`` and the values passed to it around each ``run`` call."""

from __future__ import annotations

from typing import Any, NamedTuple


class SessionRunHook:
    """Extends a MonitoredSession: called at begin, after session creation, around runs, at end."""

    def begin(self) -> None:
        """Called once before the graph is finalized; may still add ops."""

    def after_create_session(self, session: Any, coord: Any) -> None:
        """Called when the session exists and is initialized (or restored)."""

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs | None:
        """Called before each run; may return fetches/feeds to add to it."""
        return None

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        """Called after each run with the results of what ``before_run`` asked for."""

    def end(self, session: Any) -> None:
        """Called at the end of the session (not when it ends with an exception)."""


class SessionRunArgs(NamedTuple):
    """What a hook adds to a ``run`` call: fetches, feeds and run options."""

    fetches: Any
    feed_dict: Any = None
    options: Any = None


class SessionRunValues(NamedTuple):
    """The results of a hook's fetches, with the run's options and metadata."""

    results: Any
    options: Any
    run_metadata: Any


class SessionRunContext:
    """The ``run`` call a hook sees: its original args, the session, and a stop request."""

    def __init__(self, original_args: SessionRunArgs, session: Any) -> None:
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self) -> SessionRunArgs:
        """The caller's fetches and feeds."""
        return self._original_args

    @property
    def session(self) -> Any:
        """The raw session (runs on it bypass the hooks)."""
        return self._session

    @property
    def stop_requested(self) -> bool:
        """Whether a hook asked to stop."""
        return self._stop_requested

    def request_stop(self) -> None:
        """Makes ``MonitoredSession.should_stop()`` true after this run."""
        self._stop_requested = True
