"""One evaluation pass as ``Estimator.evaluate`` runs it (TF's ``evaluation._evaluate_once``).

The graph gets a local ``eval_step`` counter (int64, collections LOCAL_VARIABLES and
EVAL_STEP) incremented with every run of the metrics' update ops; a MonitoredSession
restores the checkpoint (or initializes, when there is none), runs the update ops until the
input ends (``OutOfRangeError``) or a :class:`StopAfterNEvalsHook` has seen ``steps`` runs,
then reads the metric values once. The results go to an event file in the eval directory.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph import array_ops
from stowflow.graph.core import GraphKeys, get_default_graph
from stowflow.graph.initializers import Zeros
from stowflow.graph.variables import assign_add, get_variable
from stowflow.monitored import ChiefSessionCreator, MonitoredSession
from stowflow.monitored.hooks import FinalOpsHook
from stowflow.monitored.session_run_hook import (
    SessionRunArgs,
    SessionRunContext,
    SessionRunHook,
    SessionRunValues,
)
from stowflow.proto import summary_pb2
from stowflow.summary.writer import FileWriterCache
from stowflow.tensors import make_tensor_proto

log = logging.getLogger("tensorflow")


def get_or_create_eval_step() -> Any:
    """The graph's ``eval_step`` counter, created on first use.

    Raises:
        ValueError: when the EVAL_STEP collection holds several tensors (TF's message).
    """
    graph = get_default_graph()
    steps = graph.get_collection(GraphKeys.EVAL_STEP)
    if len(steps) == 1:
        return steps[0]
    if len(steps) > 1:
        raise ValueError("Multiple tensors added to tf.GraphKeys.EVAL_STEP")
    return get_variable(
        "eval_step",
        shape=[],
        dtype=dtypes.int64,
        initializer=Zeros(),
        trainable=False,
        collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.EVAL_STEP],
    )


class StopAfterNEvalsHook(SessionRunHook):
    """Logs "Evaluation [n/N]" and stops after ``num_evals`` runs (None: until the input ends)."""

    def __init__(self, num_evals: int | None, log_progress: bool = True) -> None:
        self._num_evals = num_evals
        self._evals_completed: Any = None
        self._log_progress = log_progress
        self._log_frequency = (
            1 if num_evals is None or num_evals < 20 else math.floor(num_evals / 10.0)
        )

    def _set_evals_completed_tensor(self, updated_eval_step: Any) -> None:
        self._evals_completed = updated_eval_step

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        """Fetches the eval step after this run's updates."""
        return SessionRunArgs({"evals_completed": self._evals_completed})

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        """Logs progress; requests a stop after the last evaluation."""
        done = int(run_values.results["evals_completed"])
        if self._log_progress:
            if self._num_evals is None:
                log.info("Evaluation [%d]", done)
            elif done % self._log_frequency == 0 or done == self._num_evals:
                log.info("Evaluation [%d/%d]", done, self._num_evals)
        if self._num_evals is not None and done >= self._num_evals:
            run_context.request_stop()


def evaluate_once(
    checkpoint_path: str | None,
    scaffold: Any,
    eval_ops: Any,
    final_ops: Any,
    hooks: list[SessionRunHook],
    config: Any = None,
) -> Any:
    """Runs ``eval_ops`` until stopped, then returns the values of ``final_ops``."""
    eval_step = get_or_create_eval_step()
    hooks = list(hooks)
    if eval_ops is not None:
        update_eval_step = assign_add(eval_step, np.int64(1), use_locking=True)
        if isinstance(eval_ops, dict):
            eval_ops = {**eval_ops, "update_eval_step": update_eval_step}
        elif isinstance(eval_ops, list | tuple):
            eval_ops = [*eval_ops, update_eval_step]
        else:
            eval_ops = [eval_ops, update_eval_step]
        deps = list(eval_ops.values()) if isinstance(eval_ops, dict) else eval_ops
        with get_default_graph().control_dependencies(deps):
            eval_step_value = array_ops.identity(eval_step.read_value())
        for hook in hooks:
            if isinstance(hook, StopAfterNEvalsHook):
                hook._set_evals_completed_tensor(eval_step_value)
    log.info("Starting evaluation at %s", time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime()))
    start = time.time()
    creator = ChiefSessionCreator(
        scaffold=scaffold, checkpoint_filename_with_path=checkpoint_path, config=config
    )
    final_hook = FinalOpsHook(final_ops)
    hooks.append(final_hook)
    with MonitoredSession(creator, hooks) as session:
        if eval_ops is not None:
            while not session.should_stop():
                session.run(eval_ops)
    log.info("Inference Time : %.5fs", time.time() - start)
    log.info("Finished evaluation at %s", time.strftime("%Y-%m-%d-%H:%M:%S", time.localtime()))
    return final_hook.final_ops_values


def _dict_to_str(results: dict[str, Any]) -> str:
    return ", ".join(
        f"{key} = {value!s}"
        for key, value in sorted(results.items())
        if not isinstance(value, bytes)
    )


def _add_value(summary: Any, key: str, value: Any) -> None:
    """Adds one result to ``summary`` as TF's ``_write_dict_to_summary`` does."""
    if isinstance(value, np.floating | float):
        summary.value.add(tag=key, simple_value=float(value))
    elif isinstance(value, np.integer | int):
        summary.value.add(tag=key, simple_value=int(value))
    elif isinstance(value, bytes):
        try:
            parsed = summary_pb2.Summary.FromString(value)
        except Exception:  # noqa: BLE001 - protobuf's DecodeError: not a Summary
            log.warning("Skipping summary for %s, cannot parse string to Summary.", key)
            return
        for i, item in enumerate(parsed.value):
            item.tag = f"{key}/{i}"
        summary.value.extend(parsed.value)
    elif isinstance(value, np.ndarray):
        item = summary.value.add(tag=key, node_name=key)
        item.tensor.CopyFrom(make_tensor_proto(value))
        log.info(
            "Summary for np.ndarray is not visible in Tensorboard by default. Consider using "
            "a Tensorboard plugin for visualization (see "
            "https://github.com/tensorflow/tensorboard-plugin-example/blob/master/README.md "
            "for more information)."
        )
    else:
        log.warning(
            "Skipping summary for %s, must be a float, np.float32, np.int64, np.int32 or int "
            "or np.ndarray or a serialized string of Summary.",
            key,
        )


def write_dict_to_summary(output_dir: str, results: dict[str, Any], global_step: int) -> None:
    """Logs the results and writes them (but the global step) as one Summary at that step."""
    log.info("Saving dict for global step %d: %s", global_step, _dict_to_str(results))
    summary = summary_pb2.Summary()
    for key, value in results.items():
        if value is None or key == GraphKeys.GLOBAL_STEP:
            continue
        _add_value(summary, key, value)
    writer = FileWriterCache.get(output_dir)
    writer.add_summary(summary, global_step)
    writer.flush()


def write_checkpoint_path_to_summary(
    output_dir: str, checkpoint_path: str, global_step: int
) -> None:
    """Records which checkpoint was evaluated (a string tensor summary ``checkpoint_path``)."""
    log.info(
        "Saving 'checkpoint_path' summary for global step %d: %s", global_step, checkpoint_path
    )
    summary = summary_pb2.Summary()
    summary.value.add(
        tag="checkpoint_path",
        tensor=make_tensor_proto(np.array(checkpoint_path.encode(), dtype=object), dtypes.string),
    )
    writer = FileWriterCache.get(output_dir)
    writer.add_summary(summary, global_step)
    writer.flush()
