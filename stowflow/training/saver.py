"""``tf.train.Saver``: saves and restores variables with SaveV2/RestoreV2 graph ops.

The save/restore subgraph is built as TensorFlow builds it (node names ``save/Const``,
``save/SaveV2``, ``save/restore_all``...), so a ``.meta`` written here restores in
TensorFlow and vice versa.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import time
from typing import Any

import numpy as np

from stowflow import _fs, dtypes, errors
from stowflow import checkpoint as ckpt_lib
from stowflow.graph import array_ops
from stowflow.graph.builder import apply_op, apply_op_outputs, constant
from stowflow.graph.core import GraphKeys, Tensor, get_default_graph
from stowflow.graph.variables import ResourceVariable, Variable, global_variables
from stowflow.proto import saver_pb2
from stowflow.training import meta_graph as meta_lib

logger = logging.getLogger("tensorflow")


class _Saveable:
    """One tensor (or slice) to save: its checkpoint name, spec and variable."""

    def __init__(self, name: str, var: Variable, spec: str) -> None:
        self.name = name
        self.var = var
        self.spec = spec


def _saveables(var_list: Any) -> list[_Saveable]:
    """Normalizes var_list (None, list, dict) into saveables sorted by name.

    Raises:
        ValueError: for duplicate names or unsupported entries.
    """
    if var_list is None:
        var_list = global_variables() + get_default_graph().get_collection(
            GraphKeys.SAVEABLE_OBJECTS
        )
    if isinstance(var_list, dict):
        items = list(var_list.items())
    else:
        items = []
        for v in var_list:
            for part in getattr(v, "_variable_list", [v]):
                info = part._get_save_slice_info() if isinstance(part, Variable) else None
                items.append((info.full_name if info else part.op.name, part))
    out: list[_Saveable] = []
    seen: set[tuple[str, str]] = set()
    saved_parts: set[int] = set()  # one variable under two names is refused, as in TF
    for name, var in items:
        parts = getattr(var, "_variable_list", [var])
        for part in parts:
            if not isinstance(part, Variable):
                raise ValueError(f"Saver only supports variables; got {part!r}")
            info = part._get_save_slice_info()
            spec = info.spec if info is not None else ""
            if (name, spec) in seen or id(part) in saved_parts:
                raise ValueError(f"The same saveable will be restored with two names: {name}")
            seen.add((name, spec))
            saved_parts.add(id(part))
            out.append(_Saveable(name, part, spec))
    out.sort(key=lambda s: (s.name, s.spec))
    return out


def _saved_tensor(var: Variable) -> Tensor:
    """What SaveV2 reads: a ref variable's ref, a resource variable's ``Read/ReadVariableOp``."""
    if isinstance(var, ResourceVariable):
        return var._as_graph_element()
    return var._ref()


def _restore_resource(var: ResourceVariable, value: Tensor) -> Any:
    """TF's ResourceVariableSaveable.restore: ``Identity`` then ``AssignVariableOp``.

    Raises:
        ValueError: when the checkpoint's static shape cannot fit the variable.
    """
    with get_default_graph().device(var.device):
        restored = array_ops.identity(value)
        if not var.shape.is_compatible_with(restored.shape):
            raise ValueError(
                f"Shapes {var.shape} and {restored.shape} are incompatible (restoring {var.op.name})"
            )
        return apply_op(
            "AssignVariableOp",
            {"resource": var.handle, "value": restored},
            {"dtype": var.dtype},
            name="AssignVariableOp",
        )


def _strings(values: list[str], name: str) -> Tensor:
    return constant(
        np.array([v.encode() for v in values], dtype=object), dtype=dtypes.string, name=name
    )


class Saver:
    """Saves and restores variables (``tf.train.Saver``).

    Args:
        var_list: None (all saveable variables), a list, or a dict name -> variable.
        sharded: one SaveV2 per device, merged into one checkpoint.
        max_to_keep: most recent checkpoints to keep (None/0 keeps all).
        keep_checkpoint_every_n_hours: also keep one checkpoint per this many hours.
        name: name scope of the save ops (default ``save``).
        saver_def: rebuild from an existing SaverDef (as ``import_meta_graph`` does).

    Raises:
        ValueError: ``No variables to save`` when the list is empty and not ``allow_empty``.
    """

    def __init__(
        self,
        var_list: Any = None,
        reshape: bool = False,
        sharded: bool = False,
        max_to_keep: int | None = 5,
        keep_checkpoint_every_n_hours: float = 10000.0,
        name: str | None = None,
        restore_sequentially: bool = False,
        saver_def: Any = None,
        builder: Any = None,
        defer_build: bool = False,
        allow_empty: bool = False,
        write_version: int = saver_pb2.SaverDef.V2,
        pad_step_number: bool = False,
        save_relative_paths: bool = False,
        filename: str | None = None,
    ) -> None:
        self._max_to_keep = max_to_keep
        self._keep_every = keep_checkpoint_every_n_hours
        self._pad_step_number = pad_step_number
        self._save_relative_paths = save_relative_paths
        self._last_checkpoints: list[tuple[str, float]] = []
        self._next_keep_time = time.time() + keep_checkpoint_every_n_hours * 3600
        self._is_empty = False
        if saver_def is not None:
            self.saver_def = saver_def
            return
        saveables = _saveables(var_list)
        if not saveables:
            if not allow_empty:
                raise ValueError("No variables to save")
            self._is_empty = True
            self.saver_def = None
            return
        graph = get_default_graph()
        with graph.name_scope(name or "save") as scope:
            if sharded:
                names = self._build_sharded(saveables, scope, reshape, filename)
            else:
                names = self._build_single(saveables, scope, reshape, filename)
        self.saver_def = saver_pb2.SaverDef(
            filename_tensor_name=names[0],
            save_tensor_name=names[1],
            restore_op_name=names[2],
            max_to_keep=max_to_keep or 0,
            sharded=sharded,
            keep_checkpoint_every_n_hours=keep_checkpoint_every_n_hours,
            version=write_version,
        )

    # -- graph construction ---------------------------------------------------------------------

    @staticmethod
    def _filename_tensor(filename: str | None) -> Tensor:
        default = constant(filename or "model", name="filename/input")
        fname = array_ops.placeholder_with_default(default, shape=[], name="filename")
        return array_ops.placeholder_with_default(fname, shape=[], name="Const")

    @staticmethod
    def _save_op(prefix: Tensor, saveables: list[_Saveable], name: str = "SaveV2") -> Any:
        graph = get_default_graph()
        with graph.name_scope(name) as scope:
            names = _strings([s.name for s in saveables], "tensor_names")
            specs = _strings([s.spec for s in saveables], "shape_and_slices")
            return apply_op(
                "SaveV2",
                {
                    "prefix": prefix,
                    "tensor_names": names,
                    "shape_and_slices": specs,
                    "tensors": [_saved_tensor(s.var) for s in saveables],
                },
                {"_has_manual_control_dependencies": True},
                name=scope,
            )

    @staticmethod
    def _restore_ops(
        prefix: Tensor, saveables: list[_Saveable], reshape: bool, name: str = "RestoreV2"
    ) -> list[Any]:
        graph = get_default_graph()
        with graph.device("/device:CPU:0"), graph.name_scope(name) as scope:
            names = _strings([s.name for s in saveables], "tensor_names")
            specs = _strings([s.spec for s in saveables], "shape_and_slices")
            restored = apply_op_outputs(
                "RestoreV2",
                {"prefix": prefix, "tensor_names": names, "shape_and_slices": specs},
                {"dtypes": [s.var.dtype.base_dtype for s in saveables]},
                name=scope,
            )
        assigns = []
        for saveable, value in zip(saveables, restored, strict=True):
            if isinstance(saveable.var, ResourceVariable):
                assigns.append(_restore_resource(saveable.var, value))
                continue
            with graph.colocate_with(saveable.var.op):
                out = apply_op_outputs(
                    "Assign",
                    {"ref": saveable.var._ref(), "value": value},
                    {
                        "validate_shape": not reshape,
                        "use_locking": True,
                        "_has_manual_control_dependencies": True,
                    },
                    name="Assign",
                )
            assigns.append(out[0].op)
        return assigns

    def _build_single(
        self, saveables: list[_Saveable], scope: str, reshape: bool, filename: str | None
    ) -> tuple[str, str, str]:
        graph = get_default_graph()
        prefix = self._filename_tensor(filename)
        save = self._save_op(prefix, saveables)
        with graph.control_dependencies([save]), graph.colocate_with(prefix.op):
            saved = array_ops.identity(prefix, name="control_dependency")
        assigns = self._restore_ops(prefix, saveables, reshape)
        restore_all = array_ops.group(*assigns, name="restore_all")
        return prefix.name, saved.name, restore_all.name

    def _build_sharded(
        self, saveables: list[_Saveable], scope: str, reshape: bool, filename: str | None
    ) -> tuple[str, str, str]:
        graph = get_default_graph()
        prefix = self._filename_tensor(filename)
        by_device: dict[str, list[_Saveable]] = {}
        for s in saveables:
            by_device.setdefault(s.var.device, []).append(s)
        with graph.device("/device:CPU:0"):
            is_s3 = apply_op_outputs(
                "StaticRegexFullMatch", {"input": prefix}, {"pattern": "^s3://.*"}
            )
            suffix = array_ops.where(is_s3[0], constant(".part"), constant("_temp/part"))
            tmp = apply_op_outputs("StringJoin", {"inputs": [prefix, suffix]}, {"separator": ""})
        num_shards = constant(len(by_device), dtype=dtypes.int32, name="num_shards")
        shard_prefixes, saved = [], []
        for i, (device, items) in enumerate(sorted(by_device.items())):
            with graph.device(device):
                sharded_name = apply_op_outputs(
                    "ShardedFilename",
                    {
                        "basename": tmp[0],
                        "shard": constant(i, dtype=dtypes.int32),
                        "num_shards": num_shards,
                    },
                    None,
                )
                save = self._save_op(sharded_name[0], items)
                with graph.control_dependencies([save]), graph.colocate_with(sharded_name[0].op):
                    saved.append(array_ops.identity(sharded_name[0], name="control_dependency"))
            shard_prefixes.append(sharded_name[0])
        with graph.control_dependencies([t.op for t in saved]), graph.device("/device:CPU:0"):
            with graph.name_scope("MergeV2Checkpoints") as merge_scope:
                parts = array_ops.stack(shard_prefixes, name="checkpoint_prefixes")
                merge = apply_op(
                    "MergeV2Checkpoints",
                    {"checkpoint_prefixes": parts, "destination_prefix": prefix},
                    {"_has_manual_control_dependencies": True},
                    name=merge_scope,
                )
            with graph.control_dependencies([merge]):
                result = array_ops.identity(prefix, name="Identity")
        shard_restores = []
        for device, items in sorted(by_device.items()):
            with graph.device(device):
                assigns = self._restore_ops(prefix, items, reshape)
                shard_restores.append(array_ops.group(*assigns, name="restore_shard"))
        restore_all = array_ops.group(*shard_restores, name="restore_all")
        return prefix.name, result.name, restore_all.name

    # -- checkpoints bookkeeping ---------------------------------------------------------------

    @property
    def last_checkpoints(self) -> list[str]:
        """Prefixes of the checkpoints this Saver still tracks, oldest first."""
        return [p for p, _ in self._last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time: list[tuple[str, float]]):
        """Replaces the tracked (prefix, timestamp) list."""
        self._last_checkpoints = list(last_checkpoints_with_time)

    def recover_last_checkpoints(self, checkpoint_paths: list[str]) -> None:
        """Starts tracking existing checkpoints (e.g. after a restart)."""
        stamps = []
        for p in checkpoint_paths:
            files = _fs.glob(glob.escape(p) + ".index") or _fs.glob(glob.escape(p))
            stamps.append((p, max((_fs.getmtime(f) for f in files), default=time.time())))
        self._last_checkpoints = sorted(stamps, key=lambda t: t[1])

    def _record(self, path: str) -> list[str]:
        """Tracks ``path``; returns the evicted prefixes whose files should now be deleted."""
        if not self._max_to_keep:
            return []  # as TF's _RecordLastCheckpoint: nothing is tracked (or deleted)
        self._last_checkpoints = [c for c in self._last_checkpoints if c[0] != path]
        self._last_checkpoints.append((path, time.time()))
        evicted = []
        # One save evicts at most one checkpoint, as TF's _RecordLastCheckpoint (an `if`):
        # after recover_last_checkpoints the list may stay longer than max_to_keep.
        if len(self._last_checkpoints) > self._max_to_keep:
            old, stamp = self._last_checkpoints.pop(0)
            if stamp > self._next_keep_time:
                self._next_keep_time += self._keep_every * 3600
            else:
                evicted.append(old)
        return evicted

    @staticmethod
    def _delete_checkpoint_files(prefix: str) -> None:
        for pattern in (".index", ".data-?????-of-?????", ".meta"):
            for f in _fs.glob(glob.escape(prefix) + pattern):
                with contextlib.suppress(FileNotFoundError):
                    _fs.remove(f)

    def as_saver_def(self) -> Any:
        """The SaverDef proto."""
        return self.saver_def

    def to_proto(self, export_scope: str | None = None) -> Any:
        """The SaverDef proto (for the ``savers`` collection)."""
        return self.saver_def

    # -- save / restore -------------------------------------------------------------------------

    def save(
        self,
        sess: Any,
        save_path: str,
        global_step: Any = None,
        latest_filename: str | None = None,
        meta_graph_suffix: str = "meta",
        write_meta_graph: bool = True,
        write_state: bool = True,
        strip_default_attrs: bool = False,
        save_debug_info: bool = False,
    ) -> str | None:
        """Saves the variables; returns the checkpoint prefix written.

        Raises:
            TypeError: if ``sess`` is not a Session.
            ValueError: if ``latest_filename`` contains a path separator.
        """
        if not hasattr(sess, "run"):
            raise TypeError(f"'sess' must be a Session; {sess!r}")
        if latest_filename is None:
            latest_filename = "checkpoint"
        if os.path.split(latest_filename)[0]:
            raise ValueError("'latest_filename' must not contain path components")
        save_path = os.fspath(save_path)
        if global_step is not None:
            step = (
                global_step
                if isinstance(global_step, int | np.integer)
                else int(sess.run(global_step))
            )
            checkpoint_file = (
                f"{save_path}-{step:08d}" if self._pad_step_number else f"{save_path}-{step}"
            )
        else:
            checkpoint_file = save_path
        save_dir = os.path.dirname(save_path)
        if self._is_empty:
            return None
        result = sess.run(
            self.saver_def.save_tensor_name, {self.saver_def.filename_tensor_name: checkpoint_file}
        )
        model_checkpoint_path = result.decode() if isinstance(result, bytes) else str(result)
        if write_meta_graph:
            self.export_meta_graph(
                f"{checkpoint_file}.{meta_graph_suffix}", strip_default_attrs=strip_default_attrs
            )
        if write_state:
            evicted = self._record(model_checkpoint_path)
            ckpt_lib.update_checkpoint_state(
                save_dir,
                model_checkpoint_path,
                self.last_checkpoints,
                latest_filename,
                save_relative_paths=self._save_relative_paths,
            )
            # Old files go only once the state file no longer names them (as TF orders it).
            for prefix in evicted:
                self._delete_checkpoint_files(prefix)
        return model_checkpoint_path

    def restore(self, sess: Any, save_path: str | None) -> None:
        """Restores the variables from ``save_path``.

        Raises:
            ValueError: if ``save_path`` is None or not a checkpoint.
            errors.NotFoundError: a key is missing from the checkpoint (TF's message).
            errors.InvalidArgumentError: a shape or dtype does not match.
        """
        if self._is_empty:
            return
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        save_path = os.fspath(save_path)
        if not ckpt_lib.checkpoint_exists(save_path):
            raise ValueError(f"The passed save_path is not a valid checkpoint: {save_path}")
        logger.info("Restoring parameters from %s", save_path)
        try:
            sess.run(
                self.saver_def.restore_op_name, {self.saver_def.filename_tensor_name: save_path}
            )
        except errors.NotFoundError as e:
            raise errors.NotFoundError(
                None,
                None,
                "Restoring from checkpoint failed. This is most likely due to a "
                "Variable name or other graph key that is missing from the checkpoint. Please "
                "ensure that you have not altered the graph expected based on the checkpoint. "
                f"Original error:\n\n{e.message}",
            ) from None
        except errors.InvalidArgumentError as e:
            raise errors.InvalidArgumentError(
                None,
                None,
                "Restoring from checkpoint failed. This is most likely due to a "
                "mismatch between the current graph and the graph from the checkpoint. Please "
                "ensure that you have not altered the graph expected based on the checkpoint. "
                f"Original error:\n\n{e.message}",
            ) from None

    def export_meta_graph(
        self,
        filename: str | None = None,
        collection_list: Any = None,
        as_text: bool = False,
        export_scope: str | None = None,
        clear_devices: bool = False,
        clear_extraneous_savers: bool = False,
        strip_default_attrs: bool = False,
        save_debug_info: bool = False,
    ) -> Any:
        """Writes (if ``filename``) and returns the MetaGraphDef with this SaverDef."""
        return export_meta_graph(
            filename,
            collection_list,
            as_text,
            clear_devices,
            strip_default_attrs,
            saver_def=self.saver_def,
        )


def import_meta_graph(
    meta_graph_or_file: Any,
    clear_devices: bool = False,
    import_scope: str | None = None,
    **kwargs: Any,
) -> Saver | None:
    """``tf.train.import_meta_graph`` (one implementation: :mod:`stowflow.training.meta_graph`)."""
    return meta_lib.import_meta_graph(meta_graph_or_file, clear_devices, import_scope, **kwargs)


def export_meta_graph(
    filename: str | None = None,
    collection_list: Any = None,
    as_text: bool = False,
    clear_devices: bool = False,
    strip_default_attrs: bool = False,
    saver_def: Any = None,
    **_: Any,
) -> Any:
    """``tf.train.export_meta_graph``: writes (if ``filename``) and returns a MetaGraphDef."""
    meta = meta_lib.create_meta_graph_def(
        saver_def=saver_def,
        collection_list=collection_list,
        clear_devices=clear_devices,
        strip_default_attrs=strip_default_attrs,
    )
    if filename:
        meta_lib.write_meta_graph(meta, filename, as_text)
    return meta
