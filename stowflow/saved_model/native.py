"""``stowflow.saved_model.load``: a SavedModel as Python callables over NumPy arrays.

``load(export_dir).signatures["serving_default"](x=array)`` returns ``{"y": array}``,
like TF2's ``loaded.signatures[...]`` but for TF1 SavedModels (ours or TensorFlow's).
Called TF1-style, ``load(sess, tags, export_dir)`` behaves as ``loader.load``.

A natively loaded model is untrusted code confined to its directory: its file-touching
ops (checkpoint I/O, text-file tables) may only use files under ``export_dir`` plus the
caller's ``allowed_paths`` (see :func:`sandbox_policy` and ``stowflow.graph.file_policy``);
anything else is ``PermissionDeniedError``. The TF1-style call keeps TF's full access.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from stowflow import _fs, dtypes
from stowflow.errors import UnimplementedError
from stowflow.graph import coverage, file_policy
from stowflow.graph.core import Graph
from stowflow.graph.session import Session
from stowflow.saved_model import constants, loader, tag_constants


class SignatureFunction:
    """One signature, callable with keyword arrays; returns a dict of output arrays."""

    def __init__(self, session: Session, key: str, signature_def: Any) -> None:
        self._session = session
        self.name = key
        self.signature_def = signature_def
        self.method_name = signature_def.method_name

    @property
    def inputs(self) -> dict[str, tuple[str, list[int | None] | None]]:
        """Input key -> (dtype name, shape) (None dims unknown; None shape unknown rank)."""
        return {k: _describe(v) for k, v in self.signature_def.inputs.items()}

    @property
    def outputs(self) -> dict[str, tuple[str, list[int | None] | None]]:
        """Output key -> (dtype name, shape)."""
        return {k: _describe(v) for k, v in self.signature_def.outputs.items()}

    def __call__(self, **inputs: Any) -> dict[str, np.ndarray]:
        """Runs the signature.

        Raises:
            TypeError: for unknown or missing input keys (naming them).
            errors.OpError: from the graph, naming the failing node.
        """
        wanted = set(self.signature_def.inputs)
        unknown = sorted(set(inputs) - wanted)
        missing = sorted(wanted - set(inputs))
        if unknown:
            raise TypeError(
                f"signature {self.name!r} got unexpected inputs {unknown}; it takes "
                f"{sorted(wanted)}"
            )
        if missing:
            raise TypeError(f"signature {self.name!r} is missing inputs {missing}")
        feeds = {}
        for key, value in inputs.items():
            info = self.signature_def.inputs[key]
            if info.WhichOneof("encoding") != "name":
                raise UnimplementedError(None, None, f"input {key!r} is not a dense tensor")
            feeds[info.name] = _as_array(value, dtypes.as_dtype(info.dtype))
        fetches = {}
        for key, info in self.signature_def.outputs.items():
            if info.WhichOneof("encoding") != "name":
                raise UnimplementedError(None, None, f"output {key!r} is not a dense tensor")
            fetches[key] = info.name
        results = self._session.run(fetches, feeds)
        return {k: np.asarray(v) for k, v in results.items()}

    def __repr__(self) -> str:
        return f"<SignatureFunction {self.name!r} inputs={self.inputs} outputs={self.outputs}>"


def _describe(info: Any) -> tuple[str, list[int | None] | None]:
    shape = info.tensor_shape
    dims = None if shape.unknown_rank else [None if d.size < 0 else d.size for d in shape.dim]
    return dtypes.as_dtype(info.dtype).name, dims


def _as_array(value: Any, dtype: dtypes.DType) -> np.ndarray:
    if dtype == dtypes.string:
        array = np.asarray(value, dtype=object)
        flat = [v.encode() if isinstance(v, str) else bytes(v) for v in array.reshape(-1)]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(array.shape)
    return np.asarray(value, dtype=dtype.as_numpy_dtype)


class LoadedModel:
    """A loaded SavedModel: its graph, session, MetaGraphDef and callable signatures."""

    def __init__(self, export_dir: str, meta_graph_def: Any, session: Session) -> None:
        self.export_dir = export_dir
        self.meta_graph_def = meta_graph_def
        self.session = session
        self.graph = session.graph
        self.tags = list(meta_graph_def.meta_info_def.tags)
        self.signatures = {
            key: SignatureFunction(session, key, sig)
            for key, sig in sorted(meta_graph_def.signature_def.items())
            if key != constants.INIT_OP_SIGNATURE_KEY
        }

    def close(self) -> None:
        """Releases the session."""
        self.session.close()


def _needed_nodes(meta: Any) -> list[str]:
    """What running the signatures needs: their outputs, the restore and init ops."""
    roots = [info.name for sig in meta.signature_def.values() for info in sig.outputs.values()]
    if meta.HasField("saver_def"):
        roots.append(meta.saver_def.restore_op_name)
    for key in (constants.MAIN_OP_KEY, constants.LEGACY_INIT_OP_KEY):
        if key in meta.collection_def:
            roots.extend(meta.collection_def[key].node_list.value)
    init = meta.signature_def.get(constants.INIT_OP_SIGNATURE_KEY)
    if init is not None:
        roots.extend(info.name for info in init.outputs.values())
    return roots


def _pick_tags(saved_model: Any, export_dir: str) -> list[str]:
    sets = loader.tag_sets(saved_model)
    if len(sets) == 1:
        return sets[0]
    if [tag_constants.SERVING] in sets:
        return [tag_constants.SERVING]
    raise ValueError(
        f"SavedModel at {export_dir} has several MetaGraphDefs with tag-sets {sets}; pass "
        "tags= to choose one."
    )


def sandbox_policy(
    export_dir: str | os.PathLike[str], allowed_paths: Iterable[str | os.PathLike[str]] = ()
) -> file_policy.FilePolicy:
    """The file policy for running the SavedModel at ``export_dir`` as untrusted code.

    File-touching ops may use ``export_dir`` and everything below it, and ``allowed_paths``
    (directories or files; symlinks resolved in both); ``RestoreV2`` may also read the
    loader's own variables prefix (``variables/variables``) wherever it resolves. Install it
    with ``file_policy.confine(session, policy)`` before the first run (the model server
    gets it through :func:`load`).
    """
    export_dir = os.fspath(export_dir)
    variables = os.path.join(
        export_dir, constants.VARIABLES_DIRECTORY, constants.VARIABLES_FILENAME
    )
    return file_policy.FilePolicy(
        roots=[export_dir, *allowed_paths], grants={"RestoreV2": [variables]}
    )


def load(
    export_dir: Any,
    tags: Any = None,
    export_dir_tf1: str | None = None,
    *,
    allowed_paths: Iterable[str | os.PathLike[str]] | None = None,
    **kwargs: Any,
) -> Any:
    """Loads a SavedModel (native form) or, given a Session first, does ``loader.load``.

    Args:
        export_dir: the SavedModel directory (or a Session, TF1-style).
        tags: the tag-set to load; None picks the only one, or ``serve``.
        allowed_paths: native form only: files or directories outside ``export_dir`` the
            model's ops may also read and write (default: none; see :func:`sandbox_policy`).

    Returns:
        A :class:`LoadedModel` (native) or the MetaGraphDef (TF1-style).

    Raises:
        OSError: if there is no SavedModel there.
        ValueError: if ``tags`` is None and the choice is ambiguous.
        RuntimeError: if no MetaGraphDef has exactly ``tags``.
        UnimplementedError: for TF2 SavedModels whose functions stowflow cannot run yet.
        PermissionDeniedError: when the model's restore or main_op touches a file outside
            its directory and ``allowed_paths`` (later signature runs raise it the same way).
        TypeError: for ``allowed_paths`` in the TF1-style call.
    """
    if isinstance(export_dir, Session):
        if allowed_paths is not None:
            raise TypeError("allowed_paths applies to load(export_dir), not load(sess, ...)")
        target = export_dir_tf1 if export_dir_tf1 is not None else kwargs.pop("export_dir")
        return loader.load(export_dir, tags, target, **kwargs)  # TF1 code: warns as TF does
    export_dir = _fs.local_path(os.fspath(export_dir))  # file:// URLs load as local paths
    saved_model = loader.parse_saved_model(export_dir)
    chosen = _pick_tags(saved_model, export_dir) if tags is None else tags
    meta = loader.find_meta_graph(saved_model, chosen, export_dir)
    coverage.check_runnable(meta.graph_def, f"SavedModel {export_dir}", _needed_nodes(meta))
    session = Session(graph=Graph())
    file_policy.confine(session, sandbox_policy(export_dir, allowed_paths or ()))
    try:
        loader.load_internal(session, chosen, export_dir)
    except BaseException:
        session.close()
        raise
    return LoadedModel(export_dir, meta, session)
