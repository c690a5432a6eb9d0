"""``tf.train.MonitoredSession`` / ``MonitoredTrainingSession``: a Session with init, restore and hooks.

Creating one finalizes the graph (through a :class:`Scaffold`), restores the latest checkpoint
of ``checkpoint_dir`` or runs the init ops, runs the local init op, then calls the hooks
around every ``run``. Used as a context manager it closes on ``OutOfRangeError`` (the end of
an input pipeline) without raising, as TF does. Single-process only: there is no master, no
worker/chief split and no recovery from a lost remote session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow import checkpoint as checkpoint_lib
from stowflow import errors
from stowflow.graph import array_ops
from stowflow.graph import variables as variables_lib
from stowflow.graph.core import GraphKeys, get_default_graph
from stowflow.graph.session import Session
from stowflow.monitored.coordinator import Coordinator
from stowflow.monitored.hooks import (
    CheckpointSaverHook,
    StepCounterHook,
    SummarySaverHook,
)
from stowflow.monitored.session_run_hook import (
    SessionRunArgs,
    SessionRunContext,
    SessionRunHook,
    SessionRunValues,
)
from stowflow.summary import ops as summary_ops
from stowflow.training.saver import Saver

log = logging.getLogger("tensorflow")
USE_DEFAULT = object()


def tables_initializer(name: str = "init_all_tables") -> Any:
    """``tf.tables_initializer``: groups the graph's table initializers."""
    initializers = get_default_graph().get_collection(GraphKeys.TABLE_INITIALIZERS)
    return array_ops.group(*initializers, name=name) if initializers else array_ops.no_op(name)


class Scaffold:
    """The ops a monitored session needs (init, ready checks, local init, summary, saver).

    Anything not given is taken from its graph collection or built by default when
    :meth:`finalize` runs, which then finalizes the graph.
    """

    init_op: Any
    init_feed_dict: Any
    ready_op: Any
    ready_for_local_init_op: Any
    local_init_op: Any
    local_init_feed_dict: Any
    summary_op: Any
    saver: Any
    _user_init_fn: Callable[[Scaffold, Any], None] | None

    def __init__(
        self,
        init_op: Any = None,
        init_feed_dict: Any = None,
        init_fn: Callable[[Scaffold, Any], None] | None = None,
        ready_op: Any = None,
        ready_for_local_init_op: Any = None,
        local_init_op: Any = None,
        summary_op: Any = None,
        saver: Any = None,
        copy_from_scaffold: Scaffold | None = None,
        local_init_feed_dict: Any = None,
    ) -> None:
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")
            init_op = init_op or copy_from_scaffold.init_op
            init_feed_dict = init_feed_dict or copy_from_scaffold.init_feed_dict
            init_fn = init_fn or copy_from_scaffold._user_init_fn
            ready_op = ready_op or copy_from_scaffold.ready_op
            ready_for_local_init_op = (
                ready_for_local_init_op or copy_from_scaffold.ready_for_local_init_op
            )
            local_init_op = local_init_op or copy_from_scaffold.local_init_op
            local_init_feed_dict = local_init_feed_dict or copy_from_scaffold.local_init_feed_dict
            summary_op = summary_op or copy_from_scaffold.summary_op
            saver = saver or copy_from_scaffold.saver
        self._user_init_fn = init_fn
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn else None
        self.init_op = init_op
        self.init_feed_dict = init_feed_dict
        self.ready_op = ready_op
        self.ready_for_local_init_op = ready_for_local_init_op
        self.local_init_op = local_init_op
        self.local_init_feed_dict = local_init_feed_dict
        self.summary_op = summary_op
        self.saver = saver

    @property
    def init_fn(self) -> Callable[[Any], None] | None:
        """``init_fn(scaffold, session)`` bound to this scaffold."""
        return self._init_fn

    @staticmethod
    def get_or_default(arg_name: str, collection_key: str, default: Callable[[], Any]) -> Any:
        """The one item of ``collection_key``, or ``default()`` stored there.

        Raises:
            RuntimeError: when the collection holds more than one item (TF's message).
        """
        graph = get_default_graph()
        items = graph.get_collection(collection_key)
        if len(items) > 1:
            raise RuntimeError(
                f'More than one item in the collection "{collection_key}". Please indicate '
                "which one to use by passing it to the tf.Scaffold constructor as:  "
                f"tf.Scaffold({arg_name}=item to use)"
            )
        op = items[0] if items else default()
        if op is not None and not items:
            graph.add_to_collection(collection_key, op)
        return op

    @staticmethod
    def default_local_init_op() -> Any:
        """Initializes local variables and tables."""
        return array_ops.group(variables_lib.local_variables_initializer(), tables_initializer())

    def finalize(self) -> Scaffold:
        """Fills in every op not given, builds the saver and finalizes the graph."""
        if self.init_op is None:
            self.init_op = Scaffold.get_or_default(
                "init_op", GraphKeys.INIT_OP, variables_lib.global_variables_initializer
            )
        if self.ready_op is None:
            self.ready_op = Scaffold.get_or_default(
                "ready_op", GraphKeys.READY_OP, variables_lib.report_uninitialized_variables
            )
        if self.ready_for_local_init_op is None:
            self.ready_for_local_init_op = Scaffold.get_or_default(
                "ready_for_local_init_op",
                GraphKeys.READY_FOR_LOCAL_INIT_OP,
                lambda: variables_lib.report_uninitialized_variables(
                    variables_lib.global_variables()
                ),
            )
        if self.local_init_op is None:
            self.local_init_op = Scaffold.get_or_default(
                "local_init_op", GraphKeys.LOCAL_INIT_OP, Scaffold.default_local_init_op
            )
        if self.summary_op is None:
            self.summary_op = Scaffold.get_or_default(
                "summary_op", GraphKeys.SUMMARY_OP, summary_ops.merge_all
            )
        if self.saver is None:
            self.saver = _saver_or_default()
        get_default_graph().finalize()
        log.info("Graph was finalized.")
        return self


def _saver_or_default() -> Any:
    graph = get_default_graph()
    savers = graph.get_collection(GraphKeys.SAVERS)
    if len(savers) > 1:
        raise RuntimeError(
            f"More than one item in collection {GraphKeys.SAVERS}. Please indicate which one "
            "to use by passing it to the constructor."
        )
    if savers:
        return savers[0]
    saver = Saver(sharded=True, allow_empty=True)
    graph.add_to_collection(GraphKeys.SAVERS, saver)
    return saver


def _ready(op: Any, sess: Any) -> tuple[bool, str | None]:
    """Runs a ready op: an empty (or int32) result means ready."""
    if op is None:
        return True, None
    value = np.asarray(sess.run(op))
    if value.dtype == np.int32 or value.size == 0:
        return True, None
    names = ", ".join(v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in value)
    return False, "Variables not initialized: " + names


class SessionManager:
    """Creates a session and brings it to a ready state: restore or init, then local init."""

    def __init__(
        self,
        local_init_op: Any = None,
        ready_op: Any = None,
        ready_for_local_init_op: Any = None,
        graph: Any = None,
        local_init_feed_dict: Any = None,
    ) -> None:
        self._local_init_op = local_init_op
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._graph = graph or get_default_graph()
        self._local_init_feed_dict = local_init_feed_dict

    def _restore(
        self, saver: Any, checkpoint_dir: str | None, checkpoint_path: str | None, config: Any
    ) -> tuple[Session, bool]:
        sess = Session(graph=self._graph, config=config)
        if checkpoint_path:
            saver.restore(sess, checkpoint_path)
            return sess, True
        if not saver or not checkpoint_dir:
            return sess, False
        state = checkpoint_lib.get_checkpoint_state(checkpoint_dir)
        if not state or not state.model_checkpoint_path:
            return sess, False
        saver.restore(sess, state.model_checkpoint_path)
        saver.recover_last_checkpoints(list(state.all_model_checkpoint_paths))
        return sess, True

    def _local_init(self, sess: Any) -> tuple[bool, str | None]:
        if self._local_init_op is None:
            return True, None
        ready, message = _ready(self._ready_for_local_init_op, sess)
        if not ready:
            return False, message
        log.info("Running local_init_op.")
        sess.run(self._local_init_op, feed_dict=self._local_init_feed_dict)
        log.info("Done running local_init_op.")
        return True, None

    def prepare_session(
        self,
        master: str = "",
        init_op: Any = None,
        saver: Any = None,
        checkpoint_dir: str | None = None,
        wait_for_checkpoint: bool = False,
        max_wait_secs: float = 7200,
        config: Any = None,
        init_feed_dict: Any = None,
        init_fn: Callable[[Any], None] | None = None,
        checkpoint_filename_with_path: str | None = None,
    ) -> Session:
        """A session restored from the latest checkpoint, or initialized; then local init.

        Raises:
            RuntimeError: when nothing can initialize the model, or it is not ready after
                initialization (TF's messages).
        """
        sess, restored = self._restore(saver, checkpoint_dir, checkpoint_filename_with_path, config)
        if not restored:
            if init_op is None and not init_fn and self._local_init_op is None:
                raise RuntimeError(
                    "Model is not initialized and no init_op or init_fn or local_init_op was given"
                )
            if init_op is not None:
                sess.run(init_op, feed_dict=init_feed_dict)
            if init_fn:
                init_fn(sess)
        ok, message = self._local_init(sess)
        if not ok:
            raise RuntimeError(
                "Init operations did not make model ready for local_init.  "
                f"Init op: {_name(init_op)}, init fn: {init_fn}, error: {message}"
            )
        ready, message = _ready(self._ready_op, sess)
        if not ready:
            raise RuntimeError(
                "Init operations did not make model ready.  "
                f"Init op: {_name(init_op)}, init fn: {init_fn}, "
                f"local_init_op: {_name(self._local_init_op)}, error: {message}"
            )
        return sess


def _name(op: Any) -> str:
    return getattr(op, "name", str(op))


class ChiefSessionCreator:
    """Creates the session of a chief: finalizes the scaffold, restores or initializes."""

    def __init__(
        self,
        scaffold: Scaffold | None = None,
        master: str = "",
        config: Any = None,
        checkpoint_dir: str | None = None,
        checkpoint_filename_with_path: str | None = None,
    ) -> None:
        if checkpoint_dir and checkpoint_filename_with_path:
            raise ValueError(
                "Only one of checkpoint_dir or checkpoint_filename_with_path can be specified."
            )
        self._scaffold = scaffold or Scaffold()
        self._config = config
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_path = checkpoint_filename_with_path

    def create_session(self) -> Session:
        """A ready session."""
        self._scaffold.finalize()
        manager = SessionManager(
            local_init_op=self._scaffold.local_init_op,
            local_init_feed_dict=self._scaffold.local_init_feed_dict,
            ready_op=self._scaffold.ready_op,
            ready_for_local_init_op=self._scaffold.ready_for_local_init_op,
            graph=get_default_graph(),
        )
        return manager.prepare_session(
            saver=self._scaffold.saver,
            checkpoint_dir=self._checkpoint_dir,
            checkpoint_filename_with_path=self._checkpoint_path,
            config=self._config,
            init_op=self._scaffold.init_op,
            init_feed_dict=self._scaffold.init_feed_dict,
            init_fn=self._scaffold.init_fn,
        )


class StepContext:
    """What ``run_step_fn``'s function gets: the raw session, hooked runs and a stop request."""

    def __init__(self, session: Any, run_with_hooks: Callable[..., Any]) -> None:
        self._session = session
        self._run_with_hooks = run_with_hooks
        self._stop = False

    @property
    def session(self) -> Any:
        """The raw session (no hooks)."""
        return self._session

    def run_with_hooks(self, *args: Any, **kwargs: Any) -> Any:
        """``MonitoredSession.run``: a run with the hooks."""
        return self._run_with_hooks(*args, **kwargs)

    def request_stop(self) -> None:
        """Stops the monitored session after this step."""
        self._stop = True


class MonitoredSession:
    """A session that calls hooks around runs and manages init, restore and closing.

    Args:
        session_creator: makes the session (default: a ChiefSessionCreator).
        hooks: SessionRunHooks, called in order.
        stop_grace_period_secs: for the coordinator's join at close.

    Example:
        >>> # with MonitoredSession(hooks=[StopAtStepHook(last_step=10)]) as sess:
        >>> #     while not sess.should_stop(): sess.run(train_op)
    """

    def __init__(
        self,
        session_creator: Any = None,
        hooks: list[SessionRunHook] | None = None,
        stop_grace_period_secs: float = 120,
    ) -> None:
        self._hooks = list(hooks or [])
        for hook in self._hooks:
            hook.begin()
        self._graph = get_default_graph()
        self._graph_was_finalized = self._graph.finalized
        self._grace = stop_grace_period_secs
        creator = session_creator or ChiefSessionCreator()
        self._sess: Session | None = creator.create_session()
        self._coord = Coordinator()
        for hook in self._hooks:
            hook.after_create_session(self._sess, self._coord)
        self._should_stop = False

    @property
    def graph(self) -> Any:
        """The session's graph."""
        return self._graph

    def _session(self) -> Session:
        if self._sess is None:
            raise RuntimeError("Session is already closed.")
        return self._sess

    def run(
        self, fetches: Any, feed_dict: Any = None, options: Any = None, run_metadata: Any = None
    ) -> Any:
        """Runs ``fetches`` with every hook's before_run/after_run around it.

        Raises:
            RuntimeError: when called after a hook requested a stop (TF's message).
        """
        if self.should_stop():
            raise RuntimeError("Run called even after should_stop requested.")
        sess = self._session()
        context = SessionRunContext(SessionRunArgs(fetches, feed_dict), sess)
        # The hooks' fetches go first: stowflow runs ops in fetch order, and TF's parallel
        # executor computes a hook's short chain (the global step read) before the caller's
        # long one (the train op). Variables fetched as refs are read at the end either way.
        all_fetches: dict[Any, Any] = {}
        feeds = dict(feed_dict or {})
        hook_feeds: dict[Any, Any] = {}
        for hook in self._hooks:
            request = hook.before_run(context)
            if request is None:
                continue
            if request.fetches is not None:
                all_fetches[hook] = request.fetches
            for key, value in (request.feed_dict or {}).items():
                if key in hook_feeds:
                    raise RuntimeError("Same tensor is fed by two hooks.")
                if key in feeds:
                    raise RuntimeError("Same tensor is fed by a SessionRunHook and user.")
                hook_feeds[key] = value
        feeds.update(hook_feeds)
        all_fetches["caller"] = fetches
        outputs = sess.run(all_fetches, feed_dict=feeds or None)
        for hook in self._hooks:
            hook.after_run(context, SessionRunValues(outputs.get(hook), options, run_metadata))
        self._should_stop = self._should_stop or context.stop_requested
        return outputs["caller"]

    def run_step_fn(self, step_fn: Callable[[StepContext], Any]) -> Any:
        """Calls ``step_fn(step_context)``; ``request_stop()`` in it ends the session's loop."""
        context = StepContext(self._session(), self.run)
        result = step_fn(context)
        if context._stop:
            self._should_stop = True
        return result

    def should_stop(self) -> bool:
        """Whether a hook (or the coordinator) asked to stop, or the session is closed."""
        return self._sess is None or self._should_stop or self._coord.should_stop()

    def close(self) -> None:
        """Calls every hook's ``end`` and closes the session."""
        self._close(None)

    def _close(self, exception_type: Any) -> None:
        if self._sess is None:
            return
        try:
            if exception_type is None:
                for hook in self._hooks:
                    hook.end(self._sess)
        finally:
            try:
                self._coord.request_stop()
                self._coord.join(stop_grace_period_secs=self._grace)
            finally:
                self._sess.close()
                self._sess = None
                if not self._graph_was_finalized:
                    self._graph._finalized = False

    def __enter__(self) -> MonitoredSession:
        return self

    def __exit__(self, exception_type: Any, exception_value: Any, traceback: Any) -> bool:
        if exception_type is not None and issubclass(
            exception_type, errors.OutOfRangeError | StopIteration
        ):
            exception_type = None
        self._close(exception_type)
        return exception_type is None


class SingularMonitoredSession(MonitoredSession):
    """A MonitoredSession for one process, made from a scaffold and a checkpoint directory."""

    def __init__(
        self,
        hooks: list[SessionRunHook] | None = None,
        scaffold: Scaffold | None = None,
        master: str = "",
        config: Any = None,
        checkpoint_dir: str | None = None,
        stop_grace_period_secs: float = 120,
        checkpoint_filename_with_path: str | None = None,
    ) -> None:
        creator = ChiefSessionCreator(
            scaffold=scaffold,
            master=master,
            config=config,
            checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path,
        )
        super().__init__(creator, hooks, stop_grace_period_secs)

    def raw_session(self) -> Session:
        """The underlying Session (runs on it bypass the hooks)."""
        return self._session()


def MonitoredTrainingSession(  # noqa: N802 - TF's name (a function in TF too)
    master: str = "",
    is_chief: bool = True,
    checkpoint_dir: str | None = None,
    scaffold: Scaffold | None = None,
    hooks: list[SessionRunHook] | None = None,
    chief_only_hooks: list[SessionRunHook] | None = None,
    save_checkpoint_secs: Any = USE_DEFAULT,
    save_summaries_steps: Any = USE_DEFAULT,
    save_summaries_secs: Any = USE_DEFAULT,
    config: Any = None,
    stop_grace_period_secs: float = 120,
    log_step_count_steps: int | None = 100,
    max_wait_secs: float = 7200,
    save_checkpoint_steps: Any = USE_DEFAULT,
    summary_dir: str | None = None,
    save_graph_def: bool = True,
) -> MonitoredSession:
    """A MonitoredSession with TF's default hooks for a chief.

    Checkpoints every 600 s by default (or every ``save_checkpoint_steps``), summaries every
    100 steps, steps/sec every ``log_step_count_steps``, all under ``checkpoint_dir``.

    Raises:
        NotImplementedError: for ``is_chief=False`` (no distributed training in stowflow).
    """
    if not is_chief:
        raise NotImplementedError("stowflow runs a single process: is_chief must be True")
    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    elif save_summaries_secs is USE_DEFAULT:
        save_summaries_secs = None
    elif save_summaries_steps is USE_DEFAULT:
        save_summaries_steps = None
    if save_checkpoint_steps is USE_DEFAULT and save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_steps, save_checkpoint_secs = None, 600
    elif save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_secs = None
    elif save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_steps = None
    scaffold = scaffold or Scaffold()
    all_hooks: list[SessionRunHook] = list(chief_only_hooks or [])
    creator = ChiefSessionCreator(
        scaffold=scaffold, checkpoint_dir=checkpoint_dir, master=master, config=config
    )
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(
                StepCounterHook(output_dir=summary_dir, every_n_steps=log_step_count_steps)
            )
        if (save_summaries_steps and save_summaries_steps > 0) or (
            save_summaries_secs and save_summaries_secs > 0
        ):
            all_hooks.append(
                SummarySaverHook(
                    scaffold=scaffold,
                    save_steps=save_summaries_steps,
                    save_secs=save_summaries_secs,
                    output_dir=summary_dir,
                )
            )
    if checkpoint_dir and (
        (save_checkpoint_secs and save_checkpoint_secs > 0)
        or (save_checkpoint_steps and save_checkpoint_steps > 0)
    ):
        all_hooks.append(
            CheckpointSaverHook(
                checkpoint_dir,
                save_steps=save_checkpoint_steps,
                save_secs=save_checkpoint_secs,
                scaffold=scaffold,
                save_graph_def=save_graph_def,
            )
        )
    all_hooks.extend(hooks or [])
    return MonitoredSession(creator, all_hooks, stop_grace_period_secs)
