"""TF1's basic session-run hooks: stop at a step, save checkpoints and summaries, log, count.

Log lines are TF's (``Saving checkpoints for 10 into /m/model.ckpt.``, ``loss = 0.4, step =
11 (0.093 sec)``, ``global_step/sec: 54.3``) on the ``tensorflow`` logger.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import numpy as np

from stowflow.graph.builder import apply_op_outputs
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph
from stowflow.monitored.session_run_hook import (
    SessionRunArgs,
    SessionRunContext,
    SessionRunHook,
    SessionRunValues,
)
from stowflow.proto import event_pb2, summary_pb2
from stowflow.summary.writer import FileWriterCache
from stowflow.training.meta_graph import create_meta_graph_def
from stowflow.training.optimizer import get_global_step

log = logging.getLogger("tensorflow")
GLOBAL_STEP_READ_KEY = "global_step_read_op_cache"


def global_step_read(graph: Any = None) -> Tensor | None:
    """A tensor reading the global step (``global_step/add``: the step + 0), made once.

    TF reads the step through ``initialized_value()`` (a ``tf.cond`` on its initialization)
    so that ops built later run after initialization; stowflow's graphs need no such guard,
    so the ``global_step/cond`` nodes TF adds here are absent.
    """
    graph = graph or get_default_graph()
    cached = graph.get_collection(GLOBAL_STEP_READ_KEY)
    if cached:
        return cached[0]
    step = get_global_step(graph)
    if step is None:
        return None
    with graph.as_default(), graph.name_scope(None), graph.name_scope(step.op.name + "/"):
        value = step.value() if hasattr(step, "value") else step
        read = apply_op_outputs("AddV2", {"x": value, "y": np.zeros((), np.int64)}, name="add")[0]
    graph.add_to_collection(GLOBAL_STEP_READ_KEY, read)
    return read


def _require_step(hook: str) -> Tensor:
    step = global_step_read()
    if step is None:
        raise RuntimeError(f"Global step should be created to use {hook}.")
    return step


class SecondOrStepTimer:
    """Triggers every N seconds or every N steps (exactly one of them)."""

    def __init__(self, every_secs: float | None = None, every_steps: int | None = None) -> None:
        if every_secs is None and every_steps is None:
            raise ValueError("Either every_secs or every_steps should be provided.")
        if every_secs is not None and every_steps is not None:
            raise ValueError("Can not provide both every_secs and every_steps.")
        self._every_secs = every_secs
        self._every_steps = every_steps
        self.reset()

    def reset(self) -> None:
        """Forgets the last trigger (the next check triggers)."""
        self._last_time: float | None = None
        self._last_step: int | None = None

    def should_trigger_for_step(self, step: int) -> bool:
        """Whether ``step`` is due (always for the first one, never twice for one step)."""
        if self._last_step is None:
            return True
        if self._last_step == step:
            return False
        if self._every_secs is not None and self._last_time is not None:
            if time.time() >= self._last_time + self._every_secs:
                return True
        return self._every_steps is not None and step >= self._last_step + self._every_steps

    def update_last_triggered_step(self, step: int) -> tuple[float | None, int | None]:
        """Records a trigger at ``step``; returns seconds and steps since the previous one."""
        now = time.time()
        elapsed = (
            (None, None)
            if self._last_time is None or self._last_step is None
            else (now - self._last_time, step - self._last_step)
        )
        self._last_time, self._last_step = now, step
        return elapsed

    def last_triggered_step(self) -> int | None:
        """The step of the last trigger (None before the first)."""
        return self._last_step


class NeverTriggerTimer(SecondOrStepTimer):
    """A timer that never triggers (``LoggingTensorHook(at_end=True)`` alone)."""

    def __init__(self) -> None:
        self.reset()

    def should_trigger_for_step(self, step: int) -> bool:
        """Never."""
        return False


class StopAtStepHook(SessionRunHook):
    """Requests a stop once the global step reaches ``last_step`` (or start + ``num_steps``)."""

    def __init__(self, num_steps: int | None = None, last_step: int | None = None) -> None:
        if num_steps is None and last_step is None:
            raise ValueError("One of num_steps or last_step must be specified.")
        if num_steps is not None and last_step is not None:
            raise ValueError("Only one of num_steps or last_step can be specified.")
        self._num_steps = num_steps
        self._last_step = last_step

    def begin(self) -> None:
        """Finds the global step."""
        self._step = _require_step("StopAtStepHook")

    def after_create_session(self, session: Any, coord: Any) -> None:
        """Turns ``num_steps`` into a last step from the current step."""
        if self._last_step is None and self._num_steps is not None:
            self._last_step = int(session.run(self._step)) + self._num_steps

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        """Fetches the (stale) step."""
        return SessionRunArgs(self._step)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        """Stops once the step after this run reaches the last step."""
        last = int(self._last_step or 0)
        if int(run_values.results) + 1 >= last:
            if int(run_context.session.run(self._step)) >= last:
                run_context.request_stop()


class CheckpointSaverListener:
    """Called around every checkpoint a CheckpointSaverHook writes."""

    def begin(self) -> None:
        """Called once before the session is created."""

    def before_save(self, session: Any, global_step_value: int) -> None:
        """Called before each save."""

    def after_save(self, session: Any, global_step_value: int) -> bool | None:
        """Called after each save; True asks training to stop."""
        return None

    def end(self, session: Any, global_step_value: int) -> None:
        """Called at the end, after the last save."""


class CheckpointSaverHook(SessionRunHook):
    """Saves a checkpoint (and ``graph.pbtxt``, event-file graph) every N steps or seconds."""

    def __init__(
        self,
        checkpoint_dir: str,
        save_secs: float | None = None,
        save_steps: int | None = None,
        saver: Any = None,
        checkpoint_basename: str = "model.ckpt",
        scaffold: Any = None,
        listeners: list[CheckpointSaverListener] | None = None,
        save_graph_def: bool = True,
    ) -> None:
        log.info("Create CheckpointSaverHook.")
        if saver is not None and scaffold is not None:
            raise ValueError("You cannot provide both saver and scaffold.")
        self._saver = saver
        self._checkpoint_dir = checkpoint_dir
        self._save_path = os.path.join(checkpoint_dir, checkpoint_basename)
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._listeners = listeners or []
        self._save_graph_def = save_graph_def

    def begin(self) -> None:
        """Opens the directory's summary writer and finds the global step."""
        self._writer = FileWriterCache.get(self._checkpoint_dir)
        self._step = _require_step("CheckpointSaverHook")
        for listener in self._listeners:
            listener.begin()

    def after_create_session(self, session: Any, coord: Any) -> None:
        """Writes ``graph.pbtxt`` and the graph events, then saves the starting state."""
        from stowflow.graph.graph_io import write_graph

        step = int(session.run(self._step))
        graph = get_default_graph()
        if self._save_graph_def:
            write_graph(graph.as_graph_def(add_shapes=True), self._checkpoint_dir, "graph.pbtxt")
        saver = self._get_saver()
        self._writer.add_graph(graph)
        self._writer.add_meta_graph(
            create_meta_graph_def(graph, saver_def=saver.saver_def if saver else None)
        )
        self._save(session, step)
        self._timer.update_last_triggered_step(step)

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        """Fetches the (stale) step."""
        return SessionRunArgs(self._step)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        """Saves when the step after this run is due."""
        if self._timer.should_trigger_for_step(int(run_values.results) + 1):
            step = int(run_context.session.run(self._step))
            if self._timer.should_trigger_for_step(step):
                self._timer.update_last_triggered_step(step)
                if self._save(run_context.session, step):
                    run_context.request_stop()

    def end(self, session: Any) -> None:
        """Saves the final step unless it was just saved."""
        last = int(session.run(self._step))
        if last != self._timer.last_triggered_step():
            self._save(session, last)
        for listener in self._listeners:
            listener.end(session, last)

    def _save(self, session: Any, step: int) -> bool:
        log.info("Calling checkpoint listeners before saving checkpoint %d...", step)
        for listener in self._listeners:
            listener.before_save(session, step)
        log.info("Saving checkpoints for %d into %s.", step, self._save_path)
        self._get_saver().save(
            session, self._save_path, global_step=step, write_meta_graph=self._save_graph_def
        )
        self._writer.add_session_log(
            event_pb2.SessionLog(
                status=event_pb2.SessionLog.CHECKPOINT, checkpoint_path=self._save_path
            ),
            step,
        )
        log.info("Calling checkpoint listeners after saving checkpoint %d...", step)
        stop = False
        for listener in self._listeners:
            if listener.after_save(session, step):
                log.info(
                    "A CheckpointSaverListener requested that training be stopped. listener: %s",
                    listener,
                )
                stop = True
        return stop

    def _get_saver(self) -> Any:
        if self._saver is not None:
            return self._saver
        if self._scaffold is not None:
            return self._scaffold.saver
        savers = get_default_graph().get_collection(GraphKeys.SAVERS)
        if not savers:
            raise RuntimeError(
                f"No items in collection {GraphKeys.SAVERS}. Please add a saver to the "
                "collection or provide a saver or scaffold."
            )
        if len(savers) > 1:
            raise RuntimeError(
                f"More than one item in collection {GraphKeys.SAVERS}. Please indicate which "
                "one to use by passing it to the constructor."
            )
        self._saver = savers[0]
        return self._saver


class LoggingTensorHook(SessionRunHook):
    """Logs tensors every N local steps, every N seconds and/or at the end."""

    def __init__(
        self,
        tensors: Any,
        every_n_iter: int | None = None,
        every_n_secs: float | None = None,
        at_end: bool = False,
        formatter: Any = None,
    ) -> None:
        only_log_at_end = at_end and every_n_iter is None and every_n_secs is None
        if not only_log_at_end and (every_n_iter is None) == (every_n_secs is None):
            raise ValueError(
                "either at_end and/or exactly one of every_n_iter and every_n_secs must be "
                "provided."
            )
        if every_n_iter is not None and every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        if not isinstance(tensors, dict):
            self._tag_order = list(tensors)
            tensors = {item: item for item in tensors}
        else:
            self._tag_order = sorted(tensors)
        self._tensors = tensors
        self._formatter = formatter
        self._timer: SecondOrStepTimer = (
            NeverTriggerTimer()
            if only_log_at_end
            else SecondOrStepTimer(every_secs=every_n_secs, every_steps=every_n_iter)
        )
        self._log_at_end = at_end

    def begin(self) -> None:
        """Resolves tensor names."""
        self._timer.reset()
        self._iter_count = 0
        graph = get_default_graph()
        self._current = {
            tag: graph.as_graph_element(t) if isinstance(t, str) else t
            for tag, t in self._tensors.items()
        }

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs | None:
        """Fetches the tensors when a log line is due."""
        self._should_trigger = self._timer.should_trigger_for_step(self._iter_count)
        return SessionRunArgs(self._current) if self._should_trigger else None

    def _log_tensors(self, values: dict[str, Any]) -> None:
        original = np.get_printoptions()
        np.set_printoptions(suppress=True)
        try:
            elapsed, _ = self._timer.update_last_triggered_step(self._iter_count)
            if self._formatter:
                log.info(self._formatter(values))
                return
            # str(), not format(): a NumPy scalar formats as a Python float ("1.409999966")
            stats = ", ".join(f"{tag} = {values[tag]!s}" for tag in self._tag_order)
            if elapsed is not None:
                log.info("%s (%.3f sec)", stats, elapsed)
            else:
                log.info("%s", stats)
        finally:
            np.set_printoptions(**original)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        """Logs what was fetched."""
        if self._should_trigger:
            self._log_tensors(run_values.results)
        self._iter_count += 1

    def end(self, session: Any) -> None:
        """Logs once more at the end when ``at_end``."""
        if self._log_at_end:
            self._log_tensors(session.run(self._current))


class StepCounterHook(SessionRunHook):
    """Logs and records global steps per second (``global_step/sec``)."""

    def __init__(
        self,
        every_n_steps: int | None = 100,
        every_n_secs: float | None = None,
        output_dir: str | None = None,
        summary_writer: Any = None,
    ) -> None:
        if (every_n_steps is None) == (every_n_secs is None):
            raise ValueError("exactly one of every_n_steps and every_n_secs should be provided.")
        self._timer = SecondOrStepTimer(every_steps=every_n_steps, every_secs=every_n_secs)
        self._output_dir = output_dir
        self._writer = summary_writer
        self._last_step: int | None = None

    def begin(self) -> None:
        """Opens the summary writer and finds the global step."""
        if self._writer is None and self._output_dir:
            self._writer = FileWriterCache.get(self._output_dir)
        self._step = _require_step("StepCounterHook")
        step_var = get_global_step()
        self._tag = f"{step_var.op.name}/sec"

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        """Fetches the (stale) step."""
        return SessionRunArgs(self._step)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        """Logs steps/sec when due."""
        stale = int(run_values.results)
        if self._timer.should_trigger_for_step(stale + 1):
            step = int(run_context.session.run(self._step))
            if self._timer.should_trigger_for_step(step):
                elapsed, steps = self._timer.update_last_triggered_step(step)
                if elapsed is not None and steps is not None:
                    rate = steps / elapsed
                    if self._writer is not None:
                        summary = summary_pb2.Summary()
                        summary.value.add(tag=self._tag, simple_value=rate)
                        self._writer.add_summary(summary, step)
                    log.info("%s: %g", self._tag, rate)
        self._last_step = stale


class NanLossDuringTrainingError(RuntimeError):
    """Raised by NanTensorHook when the loss is NaN."""

    def __str__(self) -> str:
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Fails (or stops) when the loss becomes NaN."""

    def __init__(self, loss_tensor: Any, fail_on_nan_loss: bool = True) -> None:
        self._loss = loss_tensor
        self._fail = fail_on_nan_loss

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        """Fetches the loss."""
        return SessionRunArgs(self._loss)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        """Raises NanLossDuringTrainingError (or requests a stop) on NaN."""
        if np.isnan(run_values.results):
            message = "Model diverged with loss = NaN."
            if self._fail:
                log.error(message)
                raise NanLossDuringTrainingError
            log.warning(message)
            run_context.request_stop()


class SummarySaverHook(SessionRunHook):
    """Writes the summary op's output every N steps or seconds."""

    def __init__(
        self,
        save_steps: int | None = None,
        save_secs: float | None = None,
        output_dir: str | None = None,
        summary_writer: Any = None,
        scaffold: Any = None,
        summary_op: Any = None,
    ) -> None:
        if (scaffold is None) == (summary_op is None):
            raise ValueError("Exactly one of scaffold or summary_op must be provided.")
        self._summary_op = summary_op
        self._writer = summary_writer
        self._output_dir = output_dir
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self) -> None:
        """Opens the summary writer and finds the global step."""
        if self._writer is None and self._output_dir:
            self._writer = FileWriterCache.get(self._output_dir)
        self._next_step: int | None = None
        self._step = _require_step("SummarySaverHook")

    def _ops(self) -> list[Any] | None:
        op = self._summary_op if self._summary_op is not None else self._scaffold.summary_op
        if op is None:
            return None
        return op if isinstance(op, list) else [op]

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        """Fetches the step, and the summaries when due."""
        self._request = self._next_step is None or self._timer.should_trigger_for_step(
            self._next_step
        )
        requests: dict[str, Any] = {"global_step": self._step}
        ops = self._ops() if self._request else None
        if ops is not None:
            requests["summary"] = ops
        return SessionRunArgs(requests)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        """Writes a START session log first, then the fetched summaries."""
        if not self._writer:
            return
        step = int(run_values.results["global_step"]) + 1
        if self._next_step is None or self._request:
            step = int(run_context.session.run(self._step))
        if self._next_step is None:
            self._writer.add_session_log(
                event_pb2.SessionLog(status=event_pb2.SessionLog.START), step
            )
        if self._request:
            self._timer.update_last_triggered_step(step)
            for summary in run_values.results.get("summary", []):
                self._writer.add_summary(summary, step)
        self._next_step = step + 1

    def end(self, session: Any = None) -> None:
        """Flushes the writer."""
        if self._writer:
            self._writer.flush()


class FinalOpsHook(SessionRunHook):
    """Runs ``final_ops`` when the session ends; their values are in ``final_ops_values``."""

    def __init__(self, final_ops: Any, final_ops_feed_dict: Any = None) -> None:
        self._final_ops = final_ops
        self._feed = final_ops_feed_dict
        self.final_ops_values: Any = None

    def end(self, session: Any) -> None:
        """Runs the final ops."""
        if self._final_ops is not None:
            self.final_ops_values = session.run(self._final_ops, feed_dict=self._feed)


class FeedFnHook(SessionRunHook):
    """Adds ``feed_fn()``'s feeds to every run."""

    def __init__(self, feed_fn: Any) -> None:
        self.feed_fn = feed_fn

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        """Feeds what ``feed_fn`` returns."""
        return SessionRunArgs(fetches=None, feed_dict=self.feed_fn())
