"""One loaded model version: its signatures, a run lock, and in-flight request counting."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.saved_model import constants
from stowflow.serving import status

DEFAULT_SIGNATURE = "serving_default"

RunFn = Callable[[str, dict[str, np.ndarray], tuple[str, ...]], dict[str, np.ndarray]]


class Servable:
    """A loaded SavedModel version that serves requests.

    Args:
        name: the model name.
        version: the version number.
        model: a :class:`stowflow.saved_model.native.LoadedModel`, or any object with
            ``meta_graph_def`` and ``close()`` that runs signatures itself through a
            ``run_signature(signature, feeds, outputs)`` method (a :data:`RunFn`; e.g. another
            runtime behind the same server, as ``bench/serving.py`` does). Such a model is
            called without the per-version run lock, so it must be thread-safe.
    """

    def __init__(self, name: str, version: int, model: Any) -> None:
        self.name = name
        self.version = version
        self.model = model
        self.meta_graph_def = model.meta_graph_def
        self._run_lock = threading.Lock()
        self._own_runner: RunFn | None = getattr(model, "run_signature", None)
        self._inflight = 0
        self._idle = threading.Condition()
        self.runner: RunFn = self.run_direct
        """How signatures run: :meth:`run_direct`, or a batcher's submit."""
        self.batcher: Any = None
        """The :class:`~stowflow.serving.batching.Batcher` behind ``runner``, if any."""

    # -- signatures ---------------------------------------------------------------------------
    @property
    def signature_defs(self) -> Any:
        """The MetaGraphDef's signature map."""
        return self.meta_graph_def.signature_def

    def signature(self, name: str) -> Any:
        """The SignatureDef ``name`` ("" means ``serving_default``); None if absent."""
        key = name or DEFAULT_SIGNATURE
        if key == constants.INIT_OP_SIGNATURE_KEY:
            return None
        return self.signature_defs.get(key) if key in self.signature_defs else None

    def run(
        self, signature: str, feeds: dict[str, np.ndarray], outputs: tuple[str, ...]
    ) -> dict[str, np.ndarray]:
        """Runs ``signature`` on input arrays keyed by signature input names."""
        return self.runner(signature, feeds, outputs)

    def run_direct(
        self, signature: str, feeds: dict[str, np.ndarray], outputs: tuple[str, ...]
    ) -> dict[str, np.ndarray]:
        """Runs the signature in the model's session (one run at a time per version).

        A model with its own ``run_signature`` runs it instead (no lock; see the class).
        """
        if self._own_runner is not None:
            return self._own_runner(signature, feeds, outputs)
        sig = self.signature_defs[signature]
        feed_dict = {sig.inputs[k].name: v for k, v in feeds.items()}
        fetches = {k: sig.outputs[k].name for k in outputs}
        with self._run_lock:
            results = self.model.session.run(fetches, feed_dict)
        return {k: np.asarray(v) for k, v in results.items()}

    # -- lifetime -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def request(self) -> Iterator[Servable]:
        """Counts a request in flight for the duration of the ``with`` block."""
        with self._idle:
            self._inflight += 1
        try:
            yield self
        finally:
            with self._idle:
                self._inflight -= 1
                if not self._inflight:
                    self._idle.notify_all()

    def drain_and_close(self) -> None:
        """Waits for in-flight requests to finish, then stops batching and releases the session."""
        with self._idle:
            self._idle.wait_for(lambda: self._inflight == 0)
        if self.batcher is not None:
            self.batcher.close()
        self.model.close()


def tensor_dtype(info: Any) -> dtypes.DType:
    """The DType of a signature TensorInfo."""
    return dtypes.as_dtype(info.dtype)


def check_feed(key: str, info: Any, array: np.ndarray) -> None:
    """Checks an input array's rank/dims against its TensorInfo (TF's wording).

    Raises:
        stowflow.errors.InvalidArgumentError: on a shape mismatch.
    """
    shape = info.tensor_shape
    if shape.unknown_rank:
        return
    dims = [d.size for d in shape.dim]
    ok = len(dims) == array.ndim and all(d < 0 or d == a for d, a in zip(dims, array.shape))
    if not ok:
        want = "[" + ",".join("?" if d < 0 else str(d) for d in dims) + "]"
        got = "[" + ",".join(str(a) for a in array.shape) + "]"
        raise status.invalid(
            f"input tensor alias: {key} has shape {got} which is incompatible with the "
            f"shape {want} expected by the signature"
        )
