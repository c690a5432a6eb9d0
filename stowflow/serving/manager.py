"""The model manager: which versions of which models are loaded, and keeping that current.

For every model of the ModelServerConfig, the manager lists the numeric children of its base
path, applies the version policy (``latest {N}``, ``all``, ``specific``), loads (and warms up)
versions it should serve before they take traffic, then retires versions it should not
serve: they stop taking new requests at once and are closed when their in-flight requests
have finished (TF Serving's availability-preserving policy). A version whose load fails keeps
its error in the status and is retried when its files change. A poll thread repeats this
every ``file_system_poll_wait_seconds``.

A base path that holds a SavedModel itself (``saved_model.pb`` directly in it, and no numeric
version directories) is served as version 1: KServe's storage initializer puts a model at
``/mnt/models`` in either layout.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from stowflow import errors
from stowflow.serving import status, storage, warmup
from stowflow.serving.batching import Batcher
from stowflow.serving.config import BatchingOptions
from stowflow.serving.servable import RunFn, Servable

log = logging.getLogger("stowflow.serving")

BARE_VERSION = 1
"""The version number of a SavedModel placed directly in a base path."""
_SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")

# States of a version, as GetModelStatus reports them (ModelVersionStatus.State).
START, LOADING, AVAILABLE, UNLOADING, END = "START", "LOADING", "AVAILABLE", "UNLOADING", "END"


@dataclass
class ManagerOptions:
    """Settings of the manager (from tensorflow_model_server's flags)."""

    file_system_poll_wait_seconds: float = 1.0
    allow_version_labels_for_unavailable_models: bool = False
    enable_model_warmup: bool = True
    num_request_iterations_for_warmup: int = 1
    batching: BatchingOptions | None = None
    saved_model_tags: list[str] | None = None
    loader: Callable[..., Any] | None = None
    """Loads a SavedModel directory (default :func:`stowflow.saved_model.load`)."""
    on_load: Callable[[str, bool], None] | None = None
    """Called with (model name, success) after every load attempt (metrics)."""
    runner_factory: Callable[[Servable], RunFn] | None = None
    """Without ``batching``: makes the runner of each loaded version from it (Ray Serve maps
    batching onto ``@serve.batch`` this way); None runs signatures directly."""


@dataclass
class VersionState:
    """One version of a model as the manager sees it."""

    version: int
    path: str
    state: str = START
    error: errors.OpError | None = None
    servable: Servable | None = None
    failed_fingerprint: Any = None


@dataclass
class ModelState:
    """One model: its config entry, versions and labels."""

    config: Any
    versions: dict[int, VersionState] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)


def parse_version(name: str) -> int | None:
    """A child directory name as an int64 version number (None if it is not one)."""
    text = name.strip()
    if not text or not (text.isdigit() or (text[0] in "+-" and text[1:].isdigit())):
        return None
    value = int(text)
    return value if 0 <= value < 2**63 else None


def wanted_versions(policy: Any, available: list[int]) -> set[int]:
    """The versions a ServableVersionPolicy selects from those on disk."""
    choice = policy.WhichOneof("policy_choice")
    if choice == "all":
        return set(available)
    if choice == "specific":
        return set(policy.specific.versions) & set(available)
    num = max(1, policy.latest.num_versions) if choice == "latest" else 1
    return set(sorted(available)[-num:])


class ModelManager:
    """Loads, serves and retires model versions according to a ModelServerConfig."""

    def __init__(self, config: Any, options: ManagerOptions | None = None) -> None:
        self.options = options or ManagerOptions()
        self._lock = threading.RLock()
        self._poll_lock = threading.Lock()
        self._models: dict[str, ModelState] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending_labels: dict[str, dict[str, int]] = {}
        self._config = config
        self._apply_model_list(config)

    # -- config -------------------------------------------------------------------------------
    def _apply_model_list(self, config: Any) -> None:
        with self._lock:
            entries = {c.name: c for c in config.model_config_list.config}
            for name in list(self._models):
                if name not in entries:
                    self._retire_all(self._models.pop(name))
            for name, entry in entries.items():
                model = self._models.get(name)
                if model is None:
                    self._models[name] = ModelState(config=entry)
                else:
                    if entry.base_path != model.config.base_path:
                        self._retire_all(model)
                        model.versions.clear()
                    model.config = entry
                self._pending_labels[name] = dict(entry.version_labels)

    def reload_config(self, config: Any) -> None:
        """Replaces the model set (models left out are unloaded); loads what is needed.

        Raises:
            stowflow.errors.FailedPreconditionError: a new label names a version that is not
                available (unless ``allow_version_labels_for_unavailable_models``).
        """
        self._config = config
        self._apply_model_list(config)
        self.poll_once()

    @property
    def config(self) -> Any:
        """The ModelServerConfig in force."""
        return self._config

    def _apply_labels(self) -> None:
        problems = []
        with self._lock:
            for name, labels in self._pending_labels.items():
                model = self._models.get(name)
                if model is None:
                    continue
                accepted = {}
                for label, version in labels.items():
                    vs = model.versions.get(version)
                    ready = vs is not None and vs.state == AVAILABLE
                    unchanged = model.labels.get(label) == version
                    if (
                        ready
                        or unchanged
                        or self.options.allow_version_labels_for_unavailable_models
                    ):
                        accepted[label] = version
                    else:
                        problems.append(
                            f"Request to assign label to version {version} of model {name}, "
                            "which is not currently available for inference"
                        )
                model.labels = accepted
            self._pending_labels = {}
        if problems:
            raise status.failed_precondition("; ".join(problems))

    # -- polling ------------------------------------------------------------------------------
    def poll_once(self) -> None:
        """One pass: load wanted versions, retire unwanted ones, apply labels."""
        with self._poll_lock:
            with self._lock:
                models = list(self._models.items())
            for name, model in models:
                self._poll_model(name, model)
            self._apply_labels()

    def _poll_model(self, name: str, model: ModelState) -> None:
        base = model.config.base_path
        try:
            fs = storage.for_path(base)
        except errors.OpError as e:
            log.error("%s", e)
            return
        if not fs.exists(base):
            log.error("Could not find base path %s for servable %s", base, name)
            return
        on_disk: dict[int, str] = {}
        children = sorted(fs.children(base))
        for child in children:
            version = parse_version(child)
            if version is None:
                continue
            if version in on_disk:
                log.warning("Duplicate version directories detected: %s", child)
                continue
            on_disk[version] = storage.join(base, child)
        if not on_disk and any(f in children for f in _SAVED_MODEL_FILES):
            on_disk[BARE_VERSION] = base
        if not on_disk:
            log.warning(
                "No versions of servable %s found under base path %s. Did you forget to name "
                "your leaf directory as a number (eg. '/1/')?",
                name,
                base,
            )
        policy = model.config.model_version_policy
        wanted = wanted_versions(policy, list(on_disk))
        if policy.WhichOneof("policy_choice") == "specific":
            for missing in sorted(set(policy.specific.versions) - set(on_disk)):
                log.warning("Version %d of servable %s is not on disk", missing, name)
        for version in sorted(wanted, reverse=True):
            self._ensure_loaded(name, model, version, on_disk[version], fs)
        with self._lock:
            retire = [
                vs
                for v, vs in model.versions.items()
                if v not in wanted and vs.state in (AVAILABLE, LOADING)
            ]
            for vs in retire:
                vs.state = UNLOADING
        for vs in retire:
            self._finish_unload(name, vs)

    def _ensure_loaded(
        self, name: str, model: ModelState, version: int, path: str, fs: storage.Storage
    ) -> None:
        with self._lock:
            vs = model.versions.get(version)
            if vs is not None and vs.state == AVAILABLE:
                return
            if vs is not None and vs.error is not None:
                if fs.fingerprint(path) == vs.failed_fingerprint:
                    return  # failed before and nothing changed: wait for new files
            vs = VersionState(version, path, state=LOADING)
            model.versions[version] = vs
        log.info("Loading servable: {name: %s version: %d}", name, version)
        try:
            servable = self._load(name, version, fs.local_dir(path))
        except BaseException as e:  # noqa: BLE001 - a bad version never takes the server down
            error = status.as_op_error(e)
            with self._lock:
                vs.state, vs.error = END, error
                vs.failed_fingerprint = fs.fingerprint(path)
            log.error("Loading servable: {name: %s version: %d} failed: %s", name, version, error)
            if self.options.on_load is not None:
                self.options.on_load(name, False)
            return
        with self._lock:
            vs.servable = servable
            vs.state = AVAILABLE
        log.info("Successfully loaded servable version {name: %s version: %d}", name, version)
        if self.options.on_load is not None:
            self.options.on_load(name, True)

    def _load(self, name: str, version: int, export_dir: str) -> Servable:
        if self.options.loader is not None:
            model = self.options.loader(export_dir)
        else:
            from stowflow.saved_model import native

            model = native.load(export_dir, tags=self.options.saved_model_tags)
        servable = Servable(name, version, model)
        if self.options.batching is not None:
            servable.batcher = Batcher(servable.run_direct, self.options.batching)
            servable.runner = servable.batcher.submit
        elif self.options.runner_factory is not None:
            servable.runner = self.options.runner_factory(servable)
        if self.options.enable_model_warmup:
            try:
                count = warmup.run_warmup(
                    servable, export_dir, self.options.num_request_iterations_for_warmup
                )
            except BaseException:
                servable.drain_and_close()
                raise
            if count:
                log.info(
                    "Finished reading warmup data for model at %s. Number of warmup "
                    "records read: %d.",
                    export_dir,
                    count,
                )
        return servable

    def _finish_unload(self, name: str, vs: VersionState) -> None:
        log.info("Unloading servable version {name: %s version: %d}", name, vs.version)
        if vs.servable is not None:
            vs.servable.drain_and_close()
        with self._lock:
            vs.state, vs.servable = END, None
        log.info("Done unloading servable version {name: %s version: %d}", name, vs.version)

    def _retire_all(self, model: ModelState) -> None:
        for vs in model.versions.values():
            if vs.state in (AVAILABLE, LOADING) and vs.servable is not None:
                vs.state = UNLOADING
                servable, vs.servable = vs.servable, None
                threading.Thread(target=servable.drain_and_close, daemon=True).start()
                vs.state = END

    def start(self, poll_wait_seconds: float | None = None) -> None:
        """Starts the poll thread (no thread when the wait is <= 0, as TF Serving)."""
        wait = self.options.file_system_poll_wait_seconds
        wait = wait if poll_wait_seconds is None else poll_wait_seconds
        if wait <= 0:
            return
        self._thread = threading.Thread(target=self._poll_loop, args=(wait,), daemon=True)
        self._thread.start()

    def _poll_loop(self, wait: float) -> None:
        while not self._stop.wait(wait):
            try:
                self.poll_once()
            except errors.OpError as e:
                log.error("%s", e)

    def stop(self) -> None:
        """Stops polling and unloads every version (after its in-flight requests)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            states = [vs for m in self._models.values() for vs in m.versions.values()]
        for vs in states:
            if vs.servable is not None:
                vs.servable.drain_and_close()
                vs.servable, vs.state = None, END

    # -- lookups ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def servable(
        self, name: str, version: int | None = None, label: str | None = None
    ) -> Iterator[Servable]:
        """The servable for a ModelSpec, counted in flight during the ``with`` block.

        Raises:
            stowflow.errors.NotFoundError: unknown model or version, or none available.
            stowflow.errors.InvalidArgumentError: an unknown version label.
        """
        with self._lock:
            if not name and len(self._models) == 1:
                name = next(iter(self._models))  # stowflow: an unnamed request -> the only model
            model = self._models.get(name)
            if label is not None:
                if model is None:
                    raise status.not_found(f"Servable not found for request: Latest({name})")
                if label not in model.labels:
                    raise status.invalid(f"Unrecognized servable version label: {label}")
                version = model.labels[label]
            if version is not None:
                vs = model.versions.get(version) if model else None
                request = f"Specific({name}, {version})"
            else:
                ready = [
                    v for v in (model.versions.values() if model else []) if v.state == AVAILABLE
                ]
                vs = max(ready, key=lambda v: v.version) if ready else None
                request = f"Latest({name})"
            if vs is None or vs.state != AVAILABLE or vs.servable is None:
                raise status.not_found(f"Servable not found for request: {request}")
            servable = vs.servable
            ctx = servable.request()
            ctx.__enter__()
        try:
            yield servable
        finally:
            ctx.__exit__(None, None, None)

    def version_status(
        self, name: str, version: int | None = None, label: str | None = None
    ) -> list[tuple[int, str, errors.OpError | None]]:
        """[(version, state, error)] for GetModelStatus, newest first.

        Raises:
            stowflow.errors.NotFoundError: the model or version is unknown.
            stowflow.errors.InvalidArgumentError: an unknown version label.
        """
        with self._lock:
            model = self._models.get(name)
            if model is not None and label is not None:
                if label not in model.labels:
                    raise status.invalid(f"Unrecognized servable version label: {label}")
                version = model.labels[label]
            if model is None or not model.versions:
                raise status.not_found(f"Could not find any versions of model {name}")
            if version is not None:
                vs = model.versions.get(version)
                if vs is None:
                    raise status.not_found(f"Could not find version {version} of model {name}")
                return [(vs.version, vs.state, vs.error)]
            return [
                (vs.version, vs.state, vs.error)
                for vs in sorted(model.versions.values(), key=lambda v: -v.version)
            ]

    def model_names(self) -> list[str]:
        """Names of the configured models."""
        with self._lock:
            return sorted(self._models)

    def ready(self) -> bool:
        """True when every configured model has an available version."""
        with self._lock:
            return all(
                any(vs.state == AVAILABLE for vs in m.versions.values())
                for m in self._models.values()
            )
