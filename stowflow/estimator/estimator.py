"""``tf.estimator.Estimator`` for custom ``model_fn``s: train, evaluate, predict, export.

What tensorflow-estimator 2.15 does on TF1 graphs: each call builds a fresh graph, creates the
global step, calls ``input_fn`` (tensors, or a ``tf.data.Dataset`` read through an
initializable iterator: see :mod:`stowflow.estimator.inputs`) or the serving receiver, and
``model_fn``, then
- ``train`` runs a MonitoredTrainingSession over ``model_dir`` (checkpoints, ``graph.pbtxt``,
  event files, resuming from the latest checkpoint, or warm-starting when there is none) with
  TF's default hooks, log lines and ``saving_listeners``;
- ``evaluate`` adds ``loss`` (``tf.metrics.mean``) to the spec's ``eval_metric_ops``, restores
  the latest checkpoint, runs the update ops until the input ends or ``steps`` runs, and
  writes the values to ``model_dir/eval`` (``eval_<name>``): see
  :mod:`stowflow.estimator.evaluation`;
- ``predict`` restores the latest checkpoint and yields predictions until the input ends;
- ``export_saved_model`` / ``export_savedmodel`` restore it into a new session and write a
  SavedModel under ``export_dir_base/<timestamp>`` with one signature per ``export_outputs``
  entry (written to ``temp-<timestamp>`` first, then renamed).

Not here: distribution strategies, vocabulary remapping when warm-starting.
"""

from __future__ import annotations

import inspect
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from stowflow import checkpoint as checkpoint_lib
from stowflow import gfile
from stowflow import metrics as metrics_lib
from stowflow.estimator import evaluation
from stowflow.estimator import export as export_lib
from stowflow.estimator import inputs as inputs_lib
from stowflow.estimator.warm_starting import default_warm_start_settings, warm_start
from stowflow.graph import array_ops
from stowflow.graph.core import Graph, GraphKeys, Tensor, get_default_graph
from stowflow.graph.session import Session
from stowflow.monitored import (
    CheckpointSaverHook,
    ChiefSessionCreator,
    LoggingTensorHook,
    MonitoredSession,
    MonitoredTrainingSession,
    NanTensorHook,
    Scaffold,
    StopAtStepHook,
)
from stowflow.monitored.hooks import global_step_read
from stowflow.monitored.session_run_hook import SessionRunHook
from stowflow.saved_model import tag_constants
from stowflow.saved_model.builder import SavedModelBuilder
from stowflow.saved_model.signature_constants import DEFAULT_SERVING_SIGNATURE_DEF_KEY
from stowflow.summary import ops as summary_ops
from stowflow.training.optimizer import get_or_create_global_step
from stowflow.training.saver import Saver

log = logging.getLogger("tensorflow")


class ModeKeys:
    """The three modes a ``model_fn`` is called in."""

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"


class _SpecFields(NamedTuple):
    mode: str
    predictions: Any
    loss: Any
    train_op: Any
    eval_metric_ops: Any
    export_outputs: Any
    training_chief_hooks: tuple[Any, ...]
    training_hooks: tuple[Any, ...]
    scaffold: Scaffold
    evaluation_hooks: tuple[Any, ...]
    prediction_hooks: tuple[Any, ...]


class EstimatorSpec(_SpecFields):
    """What a ``model_fn`` returns: the ops for its mode (TF's validation and messages)."""

    def __new__(
        cls,
        mode: str,
        predictions: Any = None,
        loss: Any = None,
        train_op: Any = None,
        eval_metric_ops: Any = None,
        export_outputs: Any = None,
        training_chief_hooks: Any = None,
        training_hooks: Any = None,
        scaffold: Scaffold | None = None,
        evaluation_hooks: Any = None,
        prediction_hooks: Any = None,
    ) -> EstimatorSpec:
        if mode not in (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT):
            raise ValueError(f"mode={mode} unrecognized.")
        if train_op is None and mode == ModeKeys.TRAIN:
            raise ValueError("Missing train_op.")
        if loss is None and mode in (ModeKeys.TRAIN, ModeKeys.EVAL):
            raise ValueError("Missing loss.")
        if predictions is None and mode == ModeKeys.PREDICT:
            raise ValueError("Missing predictions.")
        if mode == ModeKeys.PREDICT and export_outputs is None:
            outputs = predictions if isinstance(predictions, dict) else {"output": predictions}
            export_outputs = {DEFAULT_SERVING_SIGNATURE_DEF_KEY: export_lib.PredictOutput(outputs)}
        if export_outputs is not None:
            for key, output in export_outputs.items():
                if not isinstance(output, export_lib.ExportOutput):
                    raise TypeError(
                        f"Values in export_outputs must be ExportOutput objects, given: "
                        f"{export_outputs}"
                    )
                del key
        return super().__new__(
            cls,
            mode,
            predictions,
            loss,
            train_op,
            eval_metric_ops or {},
            export_outputs,
            tuple(training_chief_hooks or ()),
            tuple(training_hooks or ()),
            scaffold or Scaffold(),
            tuple(evaluation_hooks or ()),
            tuple(prediction_hooks or ()),
        )


class RunConfig:
    """How an Estimator runs: checkpoint and summary cadence, seeds, retention."""

    def __init__(
        self,
        model_dir: str | None = None,
        tf_random_seed: int | None = None,
        save_summary_steps: int = 100,
        save_checkpoints_steps: int | None = None,
        save_checkpoints_secs: Any = "default",
        session_config: Any = None,
        keep_checkpoint_max: int = 5,
        keep_checkpoint_every_n_hours: float = 10000,
        log_step_count_steps: int = 100,
        checkpoint_save_graph_def: bool = True,
        **unsupported: Any,
    ) -> None:
        if unsupported:
            raise ValueError(
                f"RunConfig arguments not supported by stowflow: {sorted(unsupported)}"
            )
        if save_checkpoints_steps is not None and save_checkpoints_secs not in (None, "default"):
            raise ValueError(
                "Can not provide both save_checkpoints_steps and save_checkpoints_secs."
            )
        if save_checkpoints_secs == "default":
            save_checkpoints_secs = None if save_checkpoints_steps is not None else 600
        self.model_dir = model_dir
        self.tf_random_seed = tf_random_seed
        self.save_summary_steps = save_summary_steps
        self.save_checkpoints_steps = save_checkpoints_steps
        self.save_checkpoints_secs = save_checkpoints_secs
        self.session_config = session_config
        self.keep_checkpoint_max = keep_checkpoint_max
        self.keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self.log_step_count_steps = log_step_count_steps
        self.checkpoint_save_graph_def = checkpoint_save_graph_def

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed."""
        fields = {k: v for k, v in vars(self).items()}
        fields.update(changes)
        return RunConfig(**fields)

    def describe(self) -> dict[str, Any]:
        """The fields as TF logs them ("Using config: {...}")."""
        return {f"_{key}": value for key, value in vars(self).items()}

    # A single local process, as TF's RunConfig describes one without TF_CONFIG.
    is_chief = True
    task_type = "worker"
    task_id = 0
    global_id_in_cluster = 0
    num_ps_replicas = 0
    num_worker_replicas = 1
    master = ""
    evaluation_master = ""
    cluster_spec = None
    train_distribute = None
    eval_distribute = None
    device_fn = None


def _call_with_supported(fn: Callable[..., Any], **kwargs: Any) -> Any:
    names = inspect.signature(fn).parameters
    return fn(**{k: v for k, v in kwargs.items() if k in names})


class Estimator:
    """Trains, predicts with and exports a TF1 ``model_fn`` (``tf.estimator.Estimator``).

    Args:
        model_fn: ``model_fn(features, labels, mode, params, config)`` (any subset of those
            argument names) returning an :class:`EstimatorSpec`.
        model_dir: where checkpoints and events go (a temporary directory if None).
        config: a :class:`RunConfig`.
        params: passed to ``model_fn`` as ``params``.
        warm_start_from: a checkpoint (prefix or directory), a SavedModel directory or a
            :class:`~stowflow.estimator.warm_starting.WarmStartSettings`; used by ``train``
            and ``evaluate`` while ``model_dir`` has no checkpoint.

    Canned estimators subclass it and pass their own ``model_fn``, as in TF.
    """

    def __init__(
        self,
        model_fn: Callable[..., EstimatorSpec],
        model_dir: str | None = None,
        config: RunConfig | None = None,
        params: dict[str, Any] | None = None,
        warm_start_from: Any = None,
    ) -> None:
        config = config or RunConfig()
        if model_dir is None:
            model_dir = config.model_dir
        if model_dir is None:
            model_dir = tempfile.mkdtemp()
            log.warning("Using temporary folder as model directory: %s", model_dir)
        self._model_dir = os.fspath(model_dir)
        self._config = config.replace(model_dir=self._model_dir)
        self._model_fn = model_fn
        self._params = dict(params or {})
        self._warm_start_settings = default_warm_start_settings(warm_start_from)
        log.info("Using config: %s", self._config.describe())

    @property
    def model_dir(self) -> str:
        """The model directory."""
        return self._model_dir

    @property
    def config(self) -> RunConfig:
        """The RunConfig (with ``model_dir`` filled in)."""
        return self._config

    @property
    def params(self) -> dict[str, Any]:
        """A copy of the params."""
        return dict(self._params)

    # -- checkpoints --------------------------------------------------------------------------

    def latest_checkpoint(self) -> str | None:
        """The newest checkpoint prefix in ``model_dir``, or None."""
        return checkpoint_lib.latest_checkpoint(self._model_dir)

    def get_variable_names(self) -> list[str]:
        """Names of the variables in the latest checkpoint, sorted.

        Raises:
            ValueError: when the Estimator has not been trained (TF's message).
        """
        return [name for name, _ in checkpoint_lib.list_variables(self._require_checkpoint())]

    def get_variable_value(self, name: str) -> Any:
        """A variable's value in the latest checkpoint."""
        return checkpoint_lib.CheckpointReader(self._require_checkpoint()).get_tensor(name)

    def _require_checkpoint(self) -> str:
        path = self.latest_checkpoint()
        if not path:
            raise ValueError(f"Could not find trained model in model_dir: {self._model_dir}.")
        return path

    # -- graph building -----------------------------------------------------------------------

    def _call_model_fn(self, features: Any, labels: Any, mode: str) -> EstimatorSpec:
        log.info("Calling model_fn.")
        spec = _call_with_supported(
            self._model_fn,
            features=features,
            labels=labels,
            mode=mode,
            params=self.params,
            config=self._config,
        )
        if not isinstance(spec, EstimatorSpec):
            raise ValueError(f"model_fn should return an EstimatorSpec. Given: {spec}")
        log.info("Done calling model_fn.")
        return spec

    def _input(
        self, input_fn: Callable[..., Any], mode: str
    ) -> tuple[Any, Any, list[SessionRunHook]]:
        """Calls ``input_fn`` (with ``mode``/``params``/``config`` if it takes them).

        Returns:
            ``(features, labels, input_hooks)``; a Dataset's iterator needs the hooks.
        """
        if not callable(input_fn):
            raise TypeError(f"`input_fn` must be callable, given: {input_fn}")
        result = _call_with_supported(input_fn, mode=mode, params=self.params, config=self._config)
        return inputs_lib.parse_input_fn_result(result)

    def _maybe_warm_start(self, checkpoint_path: str | None) -> None:
        if not checkpoint_path and self._warm_start_settings:
            log.info("Warm-starting with WarmStartSettings: %s", self._warm_start_settings)
            warm_start(*self._warm_start_settings)

    def _new_graph(self) -> Graph:
        graph = Graph()
        with graph.as_default():
            if self._config.tf_random_seed is not None:
                graph.seed = self._config.tf_random_seed
            get_or_create_global_step(graph)
        return graph

    # -- train --------------------------------------------------------------------------------

    def train(
        self,
        input_fn: Callable[..., Any],
        hooks: list[Any] | None = None,
        steps: int | None = None,
        max_steps: int | None = None,
        saving_listeners: list[Any] | None = None,
    ) -> Estimator:
        """Trains for ``steps`` more steps or up to ``max_steps`` (or until input ends).

        Raises:
            ValueError: for both or non-positive ``steps``/``max_steps`` (TF's messages).
        """
        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        if max_steps is not None and max_steps <= self._saved_global_step():
            log.info("Skipping training since max_steps has already saved.")
            return self
        hooks = _check_hooks(hooks)
        if steps is not None or max_steps is not None:
            hooks.append(StopAtStepHook(steps, max_steps))
        graph = self._new_graph()
        with graph.as_default():
            step = get_or_create_global_step(graph)
            global_step_read(graph)
            features, labels, input_hooks = self._input(input_fn, ModeKeys.TRAIN)
            spec = self._call_model_fn(features, labels, ModeKeys.TRAIN)
            self._train_with_spec(spec, [*input_hooks, *hooks], step, saving_listeners)
        return self

    def _train_with_spec(
        self,
        spec: EstimatorSpec,
        worker_hooks: list[Any],
        step: Any,
        saving_listeners: list[Any] | None,
    ) -> Any:
        """Runs the training loop of ``spec`` (TF's ``_train_with_estimator_spec``)."""
        graph = get_default_graph()
        if self._warm_start_settings and not self.latest_checkpoint():
            self._maybe_warm_start(None)
        if not any(t.op.name == "loss" for t in graph.get_collection(GraphKeys.SUMMARIES)):
            summary_ops.scalar("loss", spec.loss)
        graph.add_to_collection(GraphKeys.LOSSES, spec.loss)
        worker_hooks = [*worker_hooks, NanTensorHook(spec.loss)]
        if self._config.log_step_count_steps is not None:
            worker_hooks.append(
                LoggingTensorHook(
                    {"loss": spec.loss, "step": step},
                    every_n_iter=self._config.log_step_count_steps,
                )
            )
        worker_hooks.extend(spec.training_hooks)
        if not graph.get_collection(GraphKeys.SAVERS) and spec.scaffold.saver is None:
            graph.add_to_collection(
                GraphKeys.SAVERS,
                Saver(
                    sharded=True,
                    max_to_keep=self._config.keep_checkpoint_max,
                    keep_checkpoint_every_n_hours=self._config.keep_checkpoint_every_n_hours,
                    save_relative_paths=True,
                ),
            )
        chief_hooks, saver_hooks = self._checkpoint_hooks(spec, worker_hooks)
        for listener in saving_listeners or []:
            if not saver_hooks:
                raise ValueError(
                    "There should be a CheckpointSaverHook to use saving_listeners. Please set "
                    "one of the RunConfig.save_checkpoints_steps or "
                    "RunConfig.save_checkpoints_secs."
                )
            if listener not in saver_hooks[0]._listeners:
                saver_hooks[0]._listeners.append(listener)
        loss = None
        steps_run = 0
        with MonitoredTrainingSession(
            checkpoint_dir=self._model_dir,
            scaffold=spec.scaffold,
            hooks=worker_hooks,
            chief_only_hooks=[*chief_hooks, *spec.training_chief_hooks],
            save_checkpoint_secs=0,
            save_summaries_steps=self._config.save_summary_steps,
            config=self._config.session_config,
            log_step_count_steps=self._config.log_step_count_steps,
            save_graph_def=self._config.checkpoint_save_graph_def,
        ) as session:
            while not session.should_stop():
                steps_run += 1
                _, loss = session.run([spec.train_op, spec.loss])
        if steps_run == 0:
            log.warning(
                "Training with estimator made no steps. Perhaps input is empty or misspecified."
            )
        log.info("Loss for final step: %s.", loss)
        return loss

    def _checkpoint_hooks(
        self, spec: EstimatorSpec, worker_hooks: list[Any]
    ) -> tuple[list[Any], list[Any]]:
        """TF's CheckpointSaverHook (unless the spec brings one) and every saver hook."""
        everything = [*worker_hooks, *spec.training_chief_hooks]
        saver_hooks = [h for h in everything if isinstance(h, CheckpointSaverHook)]
        chief_hooks: list[Any] = []
        config = self._config
        if (config.save_checkpoints_secs or config.save_checkpoints_steps) and not saver_hooks:
            chief_hooks = [
                CheckpointSaverHook(
                    self._model_dir,
                    save_secs=config.save_checkpoints_secs,
                    save_steps=config.save_checkpoints_steps,
                    scaffold=spec.scaffold,
                    save_graph_def=config.checkpoint_save_graph_def,
                )
            ]
            saver_hooks = [chief_hooks[0]]
        return chief_hooks, saver_hooks

    def _saved_global_step(self) -> int:
        path = self.latest_checkpoint()
        if not path:
            return 0
        return int(checkpoint_lib.CheckpointReader(path).get_tensor(GraphKeys.GLOBAL_STEP))

    # -- evaluate -----------------------------------------------------------------------------

    def eval_dir(self, name: str | None = None) -> str:
        """Where ``evaluate`` writes its event file: ``model_dir/eval`` or ``eval_<name>``."""
        return os.path.join(self._model_dir, "eval" if not name else "eval_" + name)

    def evaluate(
        self,
        input_fn: Callable[..., Any],
        steps: int | None = None,
        hooks: list[Any] | None = None,
        checkpoint_path: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Evaluates the latest (or given) checkpoint on ``input_fn``'s batches.

        Runs the metrics' update ops until the input ends or ``steps`` batches; without any
        checkpoint the variables are initialized (or warm-started) instead.

        Returns:
            The value of every ``eval_metric_ops`` entry, ``loss`` (the mean loss per
            batch) and ``global_step``.

        Raises:
            ValueError: for ``steps <= 0`` or a metric named ``loss``/``global_step``
                (TF's messages).
        """
        hooks = _check_hooks(hooks)
        if steps is not None:
            if steps <= 0:
                raise ValueError(f"Must specify steps > 0, given: {steps}")
            hooks.append(evaluation.StopAfterNEvalsHook(num_evals=steps))
        if not checkpoint_path:
            checkpoint_path = self.latest_checkpoint()
            if not checkpoint_path:
                log.info(
                    "Could not find trained model in model_dir: %s, running initialization to "
                    "evaluate.",
                    self._model_dir,
                )
        graph = self._new_graph()
        with graph.as_default():
            scaffold, update_op, eval_dict, all_hooks = self._evaluate_build_graph(
                input_fn, hooks, checkpoint_path
            )
            results = evaluation.evaluate_once(
                checkpoint_path,
                scaffold,
                update_op,
                eval_dict,
                all_hooks,
                self._config.session_config,
            )
            # Inside the graph: a new eval directory's writer records this graph, as in TF.
            output_dir = self.eval_dir(name)
            step = int(results[GraphKeys.GLOBAL_STEP])
            evaluation.write_dict_to_summary(output_dir, results, step)
            if checkpoint_path:
                evaluation.write_checkpoint_path_to_summary(output_dir, checkpoint_path, step)
        return dict(results)

    def _evaluate_build_graph(
        self, input_fn: Callable[..., Any], hooks: list[Any], checkpoint_path: str | None
    ) -> tuple[Scaffold, Any, dict[str, Any], list[Any]]:
        """The EVAL graph: ``(scaffold, update_op, value tensors by name, hooks)``."""
        graph = get_default_graph()
        features, labels, input_hooks = self._input(input_fn, ModeKeys.EVAL)
        spec = self._call_model_fn(features, labels, ModeKeys.EVAL)
        metric_ops = dict(spec.eval_metric_ops)
        if "loss" in metric_ops:
            raise ValueError(
                'Metric with name "loss" is not allowed, because Estimator already defines a '
                "default metric with the same name."
            )
        metric_ops["loss"] = metrics_lib.mean(spec.loss)
        update_ops, eval_dict = [], {}
        for key, (value, update) in sorted(metric_ops.items()):
            eval_dict[key] = value
            update_ops.append(update)
        update_op = array_ops.group(*update_ops) if update_ops else None
        self._maybe_warm_start(checkpoint_path)
        if GraphKeys.GLOBAL_STEP in eval_dict:
            raise ValueError(
                "Metric with name `global_step` is not allowed, because Estimator already "
                "defines a default metric with the same name."
            )
        eval_dict[GraphKeys.GLOBAL_STEP] = get_or_create_global_step(graph)
        scaffold = spec.scaffold
        if scaffold.local_init_op is not None:
            evaluation.get_or_create_eval_step()
            scaffold = Scaffold(
                local_init_op=array_ops.group(
                    scaffold.local_init_op, Scaffold.default_local_init_op()
                ),
                copy_from_scaffold=scaffold,
            )
        return scaffold, update_op, eval_dict, [*input_hooks, *hooks, *spec.evaluation_hooks]

    # -- predict ------------------------------------------------------------------------------

    def predict(
        self,
        input_fn: Callable[..., Any],
        predict_keys: list[str] | None = None,
        hooks: list[Any] | None = None,
        checkpoint_path: str | None = None,
        yield_single_examples: bool = True,
    ) -> Iterator[Any]:
        """Yields predictions (per example, or per batch) until the input ends.

        Without a checkpoint the variables are initialized (or warm-started), as in TF.

        Raises:
            ValueError: for ``predict_keys`` that match nothing (TF's messages).
        """
        hooks = _check_hooks(hooks)
        checkpoint_path = checkpoint_path or self.latest_checkpoint()
        if not checkpoint_path:
            log.info(
                "Could not find trained model in model_dir: %s, running initialization to predict.",
                self._model_dir,
            )
        graph = self._new_graph()
        with graph.as_default():
            features, _, input_hooks = self._input(input_fn, ModeKeys.PREDICT)
            if not _uses_dataset_or_queue(features):
                log.warning(
                    "Input graph does not use tf.data.Dataset or contain a QueueRunner. That "
                    "means predict yields forever. This is probably a mistake."
                )
            spec = self._call_model_fn(features, None, ModeKeys.PREDICT)
            self._maybe_warm_start(checkpoint_path)
            predictions = _extract_keys(spec.predictions, predict_keys)
            creator = ChiefSessionCreator(
                scaffold=spec.scaffold,
                checkpoint_filename_with_path=checkpoint_path,
                config=self._config.session_config,
            )
            all_hooks = [*input_hooks, *hooks, *spec.prediction_hooks]
            with MonitoredSession(creator, all_hooks) as session:
                while not session.should_stop():
                    batch = session.run(predictions)
                    if not yield_single_examples:
                        yield batch
                        continue
                    yield from _examples(batch)

    # -- export -------------------------------------------------------------------------------

    def export_saved_model(
        self,
        export_dir_base: str,
        serving_input_receiver_fn: Callable[[], Any],
        assets_extra: dict[str, str] | None = None,
        as_text: bool = False,
        checkpoint_path: str | None = None,
    ) -> bytes:
        """Writes ``export_dir_base/<timestamp>`` (a SavedModel with the PREDICT graph).

        Returns:
            The export directory, as bytes (as TF returns it).

        Raises:
            ValueError: when there is no checkpoint (TF's message).
        """
        if serving_input_receiver_fn is None:
            raise ValueError("An input_receiver_fn must be defined.")
        checkpoint_path = checkpoint_path or self.latest_checkpoint()
        if not checkpoint_path:
            raise ValueError(f"Couldn't find trained model at {self._model_dir}.")
        export_dir = _timestamped_dir(os.fspath(export_dir_base))
        temp_dir = os.path.join(os.path.dirname(export_dir), "temp-" + os.path.basename(export_dir))
        graph = self._new_graph()
        with graph.as_default():
            receiver = serving_input_receiver_fn()
            spec = self._call_model_fn(
                receiver.features, getattr(receiver, "labels", None), ModeKeys.PREDICT
            )
            signatures = build_all_signature_defs(
                receiver.receiver_tensors,
                spec.export_outputs,
                getattr(receiver, "receiver_tensors_alternatives", None),
            )
            local_init_op = spec.scaffold.local_init_op or Scaffold.default_local_init_op()
            saver = spec.scaffold.saver or Saver(sharded=True)
            with Session(graph=graph, config=self._config.session_config) as session:
                saver.restore(session, checkpoint_path)
                builder = SavedModelBuilder(temp_dir)
                builder.add_meta_graph_and_variables(
                    session,
                    [tag_constants.SERVING],
                    signature_def_map=signatures,
                    assets_collection=graph.get_collection(GraphKeys.ASSET_FILEPATHS),
                    main_op=local_init_op,
                    saver=saver,
                    strip_default_attrs=True,
                )
                builder.save(as_text)
        if assets_extra:
            for destination, source in assets_extra.items():
                target = os.path.join(temp_dir, "assets.extra", destination)
                gfile.MakeDirs(os.path.dirname(target))
                gfile.Copy(source, target, overwrite=True)
        gfile.Rename(temp_dir, export_dir)
        return export_dir.encode()

    def export_savedmodel(
        self,
        export_dir_base: str,
        serving_input_receiver_fn: Callable[[], Any],
        assets_extra: dict[str, str] | None = None,
        as_text: bool = False,
        checkpoint_path: str | None = None,
        strip_default_attrs: bool = False,
    ) -> bytes:
        """The TF1 spelling of :meth:`export_saved_model`."""
        return self.export_saved_model(
            export_dir_base, serving_input_receiver_fn, assets_extra, as_text, checkpoint_path
        )


def _check_hooks(hooks: Any) -> list[Any]:
    hooks = list(hooks or [])
    for hook in hooks:
        if not isinstance(hook, SessionRunHook):
            raise TypeError(f"Hooks must be a SessionRunHook, given: {hook}")
    return hooks


def _uses_dataset_or_queue(features: Any) -> bool:
    """Whether the input ends by itself: a Dataset's ``IteratorGetNext`` or a queue runner."""
    values = features.values() if isinstance(features, dict) else [features]
    if any(isinstance(t, Tensor) and t.op.type == "IteratorGetNext" for t in values):
        return True
    return bool(get_default_graph().get_collection(GraphKeys.QUEUE_RUNNERS))


def _extract_keys(predictions: Any, predict_keys: list[str] | None) -> Any:
    """The predictions named in ``predict_keys`` (all when None).

    Raises:
        ValueError: for keys with non-dict predictions, or keys matching none (TF's messages).
    """
    if not predict_keys:
        return predictions
    if not isinstance(predictions, dict):
        raise ValueError("predict_keys argument is not valid in case of non-dict predictions.")
    chosen = {k: v for k, v in predictions.items() if k in predict_keys}
    if not chosen:
        raise ValueError(
            f"Expected to run at least one output from {predictions.keys()}, provided "
            f"{predict_keys}."
        )
    return chosen


def _examples(batch: Any) -> Iterator[Any]:
    if isinstance(batch, dict):
        sizes = {len(np.asarray(v)) for v in batch.values()}
        if len(sizes) != 1:
            raise ValueError(
                "Batch length of predictions should be same. "
                f"{', '.join(f'{k} has different batch length' for k in batch)}"
            )
        for i in range(sizes.pop()):
            yield {k: np.asarray(v)[i] for k, v in batch.items()}
    else:
        yield from np.asarray(batch)


def _timestamped_dir(base: str) -> str:
    for attempt in range(10):
        result = os.path.join(base, str(int(time.time())))
        if not gfile.Exists(result):
            return result
        time.sleep(1)
        log.warning(
            "Directory %s already exists; retrying (attempt %d/%d)", result, attempt + 1, 10
        )
    raise RuntimeError("Failed to obtain a unique export directory name after 10 attempts.")


_FRIENDLY_METHOD_NAMES = {
    export_lib.CLASSIFY_METHOD_NAME: "Classify",
    export_lib.REGRESS_METHOD_NAME: "Regress",
    export_lib.PREDICT_METHOD_NAME: "Predict",
    "tensorflow/supervised/training": "Train",
    "tensorflow/supervised/eval": "Eval",
}


def build_all_signature_defs(
    receiver_tensors: Any, export_outputs: Any, receiver_tensors_alternatives: Any = None
) -> dict[str, Any]:
    """One SignatureDef per export output (and per receiver alternative), logged as TF does.

    Raises:
        ValueError: when ``export_outputs`` is not a dict (TF's message).
    """
    if not isinstance(receiver_tensors, dict):
        receiver_tensors = {"input": receiver_tensors}
    if export_outputs is None or not isinstance(export_outputs, dict):
        raise ValueError(
            f"`export_outputs` must be a dict. Received {export_outputs} with type "
            f"{type(export_outputs).__name__}."
        )
    signatures: dict[str, Any] = {}
    excluded: dict[str, str] = {}
    receivers = [(None, receiver_tensors), *(receiver_tensors_alternatives or {}).items()]
    for receiver_name, tensors in receivers:
        if not isinstance(tensors, dict):
            tensors = {"input": tensors}
        for output_key, output in export_outputs.items():
            name = f"{output_key or 'None'}"
            if receiver_name is not None:
                name = f"{receiver_name or 'None'}:{name}"
            try:
                signatures[name] = output.as_signature_def(tensors)
            except ValueError as e:
                excluded[name] = str(e)
    by_method: dict[str, list[str]] = {method: [] for method in _FRIENDLY_METHOD_NAMES}
    for name, signature in signatures.items():
        by_method.setdefault(signature.method_name, []).append(name)
    for method, names in by_method.items():
        label = _FRIENDLY_METHOD_NAMES.get(method, method)
        log.info("Signatures INCLUDED in export for %s: %s", label, names if names else "None")
    if excluded:
        log.info(
            "Signatures EXCLUDED from export because they cannot be be served via TensorFlow "
            "Serving APIs:"
        )
        for name, message in excluded.items():
            log.info("'%s' : %s", name, message)
    if not signatures:
        log.warning("Export includes no signatures!")
    elif DEFAULT_SERVING_SIGNATURE_DEF_KEY not in signatures:
        log.warning("Export includes no default signature!")
    return signatures
