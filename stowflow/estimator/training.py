"""``tf.estimator.train_and_evaluate`` (local, non-distributed), its specs and exporters.

As tensorflow-estimator 2.15 runs it on one machine: ``train`` up to ``TrainSpec.max_steps``
with a checkpoint listener that, after every checkpoint save but the first (and after the
last one if it was not evaluated), evaluates the new checkpoint (at most once per
``EvalSpec.throttle_secs``) and hands the result to every exporter, which write under
``model_dir/export/<exporter name>``. Returns the last evaluation's metrics and exports.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, NamedTuple

from stowflow import gfile
from stowflow.estimator.estimator import Estimator
from stowflow.graph.core import GraphKeys
from stowflow.monitored.hooks import CheckpointSaverListener, SecondOrStepTimer
from stowflow.monitored.session_run_hook import SessionRunHook

log = logging.getLogger("tensorflow")


# -- exporters ----------------------------------------------------------------------------------


class Exporter:
    """Exports a model after an evaluation (``tf.estimator.Exporter``)."""

    @property
    def name(self) -> str:
        """The exporter's name: its directory under ``model_dir/export``."""
        raise NotImplementedError

    def export(
        self,
        estimator: Any,
        export_path: str,
        checkpoint_path: str,
        eval_result: dict[str, Any],
        is_the_final_export: bool,
    ) -> Any:
        """Exports ``checkpoint_path`` under ``export_path``; returns the export or None."""
        raise NotImplementedError


class _SavedModelExporter(Exporter):
    def __init__(
        self,
        name: str,
        serving_input_receiver_fn: Callable[[], Any],
        assets_extra: dict[str, str] | None = None,
        as_text: bool = False,
    ) -> None:
        self._name = name
        self._serving_input_receiver_fn = serving_input_receiver_fn
        self._assets_extra = assets_extra
        self._as_text = as_text

    @property
    def name(self) -> str:
        return self._name

    def export(
        self,
        estimator: Any,
        export_path: str,
        checkpoint_path: str,
        eval_result: dict[str, Any],
        is_the_final_export: bool,
    ) -> Any:
        return estimator.export_saved_model(
            export_path,
            self._serving_input_receiver_fn,
            assets_extra=self._assets_extra,
            as_text=self._as_text,
            checkpoint_path=checkpoint_path,
        )


class FinalExporter(Exporter):
    """Exports once, after the evaluation at the end of training.

    Args:
        name: the export's directory name under ``model_dir/export``.
        serving_input_receiver_fn: builds the serving inputs (a ServingInputReceiver).
        assets_extra: destination (under ``assets.extra``) -> source file to copy.
        as_text: write ``saved_model.pbtxt``.
    """

    def __init__(
        self,
        name: str,
        serving_input_receiver_fn: Callable[[], Any],
        assets_extra: dict[str, str] | None = None,
        as_text: bool = False,
    ) -> None:
        self._exporter = _SavedModelExporter(name, serving_input_receiver_fn, assets_extra, as_text)

    @property
    def name(self) -> str:
        return self._exporter.name

    def export(
        self,
        estimator: Any,
        export_path: str,
        checkpoint_path: str,
        eval_result: dict[str, Any],
        is_the_final_export: bool,
    ) -> Any:
        """Exports only when ``is_the_final_export``; returns the export directory or None."""
        if not is_the_final_export:
            return None
        log.info("Performing the final export in the end of training.")
        return self._exporter.export(
            estimator, export_path, checkpoint_path, eval_result, is_the_final_export
        )


class LatestExporter(Exporter):
    """Exports after every evaluation and keeps the ``exports_to_keep`` newest exports.

    Raises:
        ValueError: for ``exports_to_keep <= 0`` (TF's message).
    """

    def __init__(
        self,
        name: str,
        serving_input_receiver_fn: Callable[[], Any],
        assets_extra: dict[str, str] | None = None,
        as_text: bool = False,
        exports_to_keep: int | None = 5,
    ) -> None:
        self._exporter = _SavedModelExporter(name, serving_input_receiver_fn, assets_extra, as_text)
        if exports_to_keep is not None and exports_to_keep <= 0:
            raise ValueError("`exports_to_keep`, if provided, must be positive number")
        self._exports_to_keep = exports_to_keep

    @property
    def name(self) -> str:
        return self._exporter.name

    def export(
        self,
        estimator: Any,
        export_path: str,
        checkpoint_path: str,
        eval_result: dict[str, Any],
        is_the_final_export: bool,
    ) -> Any:
        """Exports, then deletes all but the newest ``exports_to_keep`` exports."""
        result = self._exporter.export(
            estimator, export_path, checkpoint_path, eval_result, is_the_final_export
        )
        self._garbage_collect(export_path)
        return result

    def _garbage_collect(self, export_dir_base: str) -> None:
        if self._exports_to_keep is None:
            return
        versions = sorted(
            int(entry)
            for entry in gfile.ListDirectory(export_dir_base)
            if len(entry.rstrip("/")) == 10 and entry.rstrip("/").isdigit()
        )
        for version in versions[: -self._exports_to_keep]:
            path = os.path.join(export_dir_base, str(version))
            try:
                gfile.DeleteRecursively(path)
            except OSError as e:
                log.warning("Can not delete %s recursively: %s", path, e)


def _validate_exporters(exporters: Any) -> tuple[Exporter, ...]:
    if not exporters:
        return ()
    if isinstance(exporters, Exporter):
        exporters = [exporters]
    try:
        items = list(exporters)
    except TypeError:
        items = [None]
    if not all(isinstance(e, Exporter) for e in items):
        raise TypeError(
            f"`exporters` must be an Exporter, an iterable of Exporter, or `None`, found "
            f"{exporters}."
        )
    names = [e.name for e in items]
    for i, name in enumerate(names):
        if not name:
            raise ValueError(
                f"An Exporter cannot have a name that is `None` or empty. All exporter names: "
                f"{names}"
            )
        if not isinstance(name, str):
            raise ValueError(f"An Exporter must have a string name. Given: {type(name)}")
        if name in names[:i]:
            raise ValueError(
                "`exporters` must have unique names. Such a name cannot be `None`. All "
                f"exporter names: {names}"
            )
    return tuple(items)


# -- specs --------------------------------------------------------------------------------------


def _validate_input_fn(input_fn: Any) -> None:
    if not callable(input_fn):
        raise TypeError(f"`input_fn` must be callable, given: {input_fn}")


def _validate_hooks(hooks: Any) -> tuple[SessionRunHook, ...]:
    hooks = tuple(hooks or ())
    for hook in hooks:
        if not isinstance(hook, SessionRunHook):
            raise TypeError(f"All hooks must be `SessionRunHook` instances, given: {hook}")
    return hooks


def _validate_listeners(listeners: Any) -> tuple[CheckpointSaverListener, ...]:
    listeners = tuple(listeners or ())
    for listener in listeners:
        if not isinstance(listener, CheckpointSaverListener):
            raise TypeError(
                "All saving_listeners must be `CheckpointSaverListener` instances, given: "
                f"{listener}"
            )
    return listeners


class _TrainSpecFields(NamedTuple):
    input_fn: Callable[..., Any]
    max_steps: int | None
    hooks: tuple[SessionRunHook, ...]
    saving_listeners: tuple[CheckpointSaverListener, ...]


class TrainSpec(_TrainSpecFields):
    """The training half of ``train_and_evaluate`` (``tf.estimator.TrainSpec``).

    Raises:
        TypeError: for a non-callable ``input_fn`` or hooks/listeners of the wrong type.
        ValueError: for ``max_steps <= 0`` (TF's messages).
    """

    def __new__(
        cls,
        input_fn: Callable[..., Any],
        max_steps: int | None = None,
        hooks: Any = None,
        saving_listeners: Any = None,
    ) -> TrainSpec:
        _validate_input_fn(input_fn)
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        return super().__new__(
            cls, input_fn, max_steps, _validate_hooks(hooks), _validate_listeners(saving_listeners)
        )


class _EvalSpecFields(NamedTuple):
    input_fn: Callable[..., Any]
    steps: int | None
    name: str | None
    hooks: tuple[SessionRunHook, ...]
    exporters: tuple[Exporter, ...]
    start_delay_secs: float
    throttle_secs: float


class EvalSpec(_EvalSpecFields):
    """The evaluation (and export) half of ``train_and_evaluate`` (``tf.estimator.EvalSpec``).

    ``start_delay_secs`` only matters to a separate evaluator process (not run by stowflow).

    Raises:
        TypeError: for a non-callable ``input_fn``, a non-string name, wrong hooks/exporters.
        ValueError: for ``steps <= 0``, negative delays, bad exporter names (TF's messages).
    """

    def __new__(
        cls,
        input_fn: Callable[..., Any],
        steps: int | None = 100,
        name: str | None = None,
        hooks: Any = None,
        exporters: Any = None,
        start_delay_secs: float = 120,
        throttle_secs: float = 600,
    ) -> EvalSpec:
        _validate_input_fn(input_fn)
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be string, given: {name}")
        hooks = _validate_hooks(hooks)
        exporters = _validate_exporters(exporters)
        if start_delay_secs < 0:
            raise ValueError(f"Must specify start_delay_secs >= 0, given: {start_delay_secs}")
        if throttle_secs < 0:
            raise ValueError(f"Must specify throttle_secs >= 0, given: {throttle_secs}")
        return super().__new__(
            cls, input_fn, steps, name, hooks, exporters, start_delay_secs, throttle_secs
        )


# -- the loop -----------------------------------------------------------------------------------


class _Evaluator:
    """Evaluates the latest checkpoint and runs the exporters on the result."""

    def __init__(self, estimator: Any, eval_spec: EvalSpec, max_training_steps: int | None):
        self._estimator = estimator
        self._spec = eval_spec
        self._max_steps = max_training_steps
        self._previous_checkpoint: str | None = None

    def evaluate_and_export(self) -> tuple[dict[str, Any] | None, list[Any]]:
        checkpoint = self._estimator.latest_checkpoint()
        if not checkpoint:
            log.warning(
                "Estimator is not trained yet. Will start an evaluation when a checkpoint is ready."
            )
            return None, []
        if checkpoint == self._previous_checkpoint:
            log.warning(
                "No new checkpoint ready for evaluation. Skip the current evaluation pass as "
                "evaluation results are expected to be same for the same checkpoint."
            )
            return None, []
        metrics = self._estimator.evaluate(
            input_fn=self._spec.input_fn,
            steps=self._spec.steps,
            name=self._spec.name,
            checkpoint_path=checkpoint,
            hooks=list(self._spec.hooks),
        )
        is_final = bool(self._max_steps) and metrics[GraphKeys.GLOBAL_STEP] >= self._max_steps
        base = os.path.join(os.fspath(self._estimator.model_dir), "export")
        exports = [
            exporter.export(
                estimator=self._estimator,
                export_path=os.path.join(base, exporter.name),
                checkpoint_path=checkpoint,
                eval_result=metrics,
                is_the_final_export=is_final,
            )
            for exporter in self._spec.exporters
        ]
        self._previous_checkpoint = checkpoint
        return metrics, exports


class _EvaluateAtCheckpoints(CheckpointSaverListener):
    """Evaluates every new checkpoint (throttled), and the last one at the end."""

    def __init__(self, evaluator: _Evaluator, throttle_secs: float) -> None:
        self._evaluator = evaluator
        self._throttle_secs = throttle_secs
        self.eval_result: dict[str, Any] | None = None
        self.export_results: list[Any] | None = None

    def begin(self) -> None:
        self._timer = SecondOrStepTimer(every_secs=self._throttle_secs)
        self._is_first_run = True

    def after_save(self, session: Any, global_step_value: int) -> bool | None:
        if self._is_first_run:  # the checkpoint of the untrained model
            self._is_first_run = False
            return None
        if self._timer.should_trigger_for_step(global_step_value):
            self._evaluate(global_step_value)
        else:
            log.info(
                "Skip the current checkpoint eval due to throttle secs (%s secs).",
                self._throttle_secs,
            )
        return None

    def end(self, session: Any, global_step_value: int) -> None:
        if global_step_value != self._timer.last_triggered_step():
            self._evaluate(global_step_value)

    def _evaluate(self, global_step_value: int) -> None:
        self._timer.update_last_triggered_step(global_step_value)
        self.eval_result, self.export_results = self._evaluator.evaluate_and_export()
        if self.eval_result is None:
            raise RuntimeError(
                "There was no new checkpoint after the training. Eval status: no new checkpoint"
            )


def train_and_evaluate(
    estimator: Any, train_spec: TrainSpec, eval_spec: EvalSpec
) -> tuple[dict[str, Any] | None, list[Any] | None]:
    """Trains ``estimator`` and evaluates (and exports) it at every checkpoint.

    Returns:
        ``(metrics of the last evaluation, results of its exporters)``.

    Raises:
        TypeError: for arguments of the wrong types (TF's messages).
        NotImplementedError: for a distributed RunConfig.
    """
    if not isinstance(eval_spec, EvalSpec):
        raise TypeError(
            f"`eval_spec` must have type `tf.estimator.EvalSpec`. Got: {type(eval_spec)}"
        )
    if not isinstance(estimator, Estimator):
        raise TypeError(
            f"`estimator` must have type `tf.estimator.Estimator`. Got: {type(estimator)}"
        )
    if not isinstance(train_spec, TrainSpec):
        raise TypeError(
            f"`train_spec` must have type `tf.estimator.TrainSpec`. Got: {type(train_spec)}"
        )
    config = estimator.config
    log.info("Not using Distribute Coordinator.")
    log.info("Running training and evaluation locally (non-distributed).")
    log.info(
        "Start train and evaluate loop. The evaluate will happen after every checkpoint. "
        "Checkpoint frequency is determined based on RunConfig arguments: "
        "save_checkpoints_steps %s or save_checkpoints_secs %s.",
        config.save_checkpoints_steps,
        config.save_checkpoints_secs,
    )
    evaluator = _Evaluator(estimator, eval_spec, train_spec.max_steps)
    listener = _EvaluateAtCheckpoints(evaluator, eval_spec.throttle_secs)
    estimator.train(
        input_fn=train_spec.input_fn,
        max_steps=train_spec.max_steps,
        hooks=list(train_spec.hooks),
        saving_listeners=[*train_spec.saving_listeners, listener],
    )
    return listener.eval_result, listener.export_results
