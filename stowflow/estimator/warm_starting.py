"""Warm-starting an Estimator: ``WarmStartSettings`` and ``tf.compat.v1.train.warm_start``.

As TF does, warm-starting replaces chosen variables' initializers with an ``Assign`` from a
``RestoreV2`` (node ``checkpoint_initializer``) reading the old checkpoint; the Estimator
calls it only when its own ``model_dir`` has no checkpoint yet, so a resumed run restores
its own values instead. Vocabulary remapping (``var_name_to_vocab_info``) is not supported.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any, NamedTuple

import numpy as np

from stowflow import checkpoint as checkpoint_lib
from stowflow import gfile
from stowflow.graph.builder import apply_op, apply_op_outputs
from stowflow.graph.core import GraphKeys, get_default_graph
from stowflow.graph.variables import ResourceVariable, Variable

log = logging.getLogger("tensorflow")


class _WarmStartFields(NamedTuple):
    ckpt_to_initialize_from: str
    vars_to_warm_start: Any
    var_name_to_vocab_info: dict[str, Any]
    var_name_to_prev_var_name: dict[str, str]


class WarmStartSettings(_WarmStartFields):
    """Where to warm-start from and which variables (``tf.estimator.WarmStartSettings``).

    Args:
        ckpt_to_initialize_from: a checkpoint prefix, or a directory (its latest checkpoint).
        vars_to_warm_start: a regex over TRAINABLE_VARIABLES' names (default ``'.*'``), a
            list of regexes over GLOBAL_VARIABLES, a list of variables, or None (none).
        var_name_to_vocab_info: must be empty (vocabulary remapping is not supported).
        var_name_to_prev_var_name: current name -> name in the checkpoint.

    Raises:
        ValueError: without a checkpoint (TF's message).
        NotImplementedError: for a non-empty ``var_name_to_vocab_info``.
    """

    def __new__(
        cls,
        ckpt_to_initialize_from: Any,
        vars_to_warm_start: Any = ".*",
        var_name_to_vocab_info: dict[str, Any] | None = None,
        var_name_to_prev_var_name: dict[str, str] | None = None,
    ) -> WarmStartSettings:
        if not ckpt_to_initialize_from:
            raise ValueError("`ckpt_to_initialize_from` MUST be set in WarmStartSettings")
        if var_name_to_vocab_info:
            raise NotImplementedError(
                "stowflow does not support var_name_to_vocab_info (vocabulary remapping) in "
                f"WarmStartSettings; given for {sorted(var_name_to_vocab_info)}"
            )
        return super().__new__(
            cls,
            ckpt_to_initialize_from,
            vars_to_warm_start,
            {},
            dict(var_name_to_prev_var_name or {}),
        )


def default_warm_start_settings(warm_start_from: Any) -> WarmStartSettings | None:
    """Settings from ``Estimator(warm_start_from=...)``: a path, a SavedModel, or settings.

    Raises:
        ValueError: for any other type (TF's message).
    """
    if warm_start_from is None:
        return None
    if isinstance(warm_start_from, bytes):
        warm_start_from = warm_start_from.decode()
    if isinstance(warm_start_from, str | os.PathLike):
        path = os.fspath(warm_start_from)
        variables_dir = os.path.join(path, "variables")
        if gfile.Exists(os.path.join(variables_dir, "variables.index")):
            log.info("Warm-starting from a SavedModel")
            return WarmStartSettings(os.path.join(variables_dir, "variables"))
        return WarmStartSettings(path)
    if isinstance(warm_start_from, WarmStartSettings):
        return warm_start_from
    raise ValueError(
        "warm_start_from must be a string or a WarmStartSettings, instead got "
        f"{type(warm_start_from)}"
    )


def _scoped(key: str, scope: str | None) -> list[Any]:
    """A collection filtered by ``re.match(scope, name)``, as TF's ``get_collection``."""
    items = get_default_graph().get_collection(key)
    if scope is None:
        return list(items)
    pattern = re.compile(scope)
    return [v for v in items if pattern.match(v.op.name)]


def _variables_to_warm_start(vars_to_warm_start: Any) -> dict[str, Variable]:
    if isinstance(vars_to_warm_start, str) or vars_to_warm_start is None:
        log.info("Warm-starting variables only in TRAINABLE_VARIABLES.")
        found = _scoped(GraphKeys.TRAINABLE_VARIABLES, vars_to_warm_start)
    elif isinstance(vars_to_warm_start, list) and all(
        isinstance(v, str) for v in vars_to_warm_start
    ):
        found = [v for s in vars_to_warm_start for v in _scoped(GraphKeys.GLOBAL_VARIABLES, s)]
    elif isinstance(vars_to_warm_start, list) and all(
        isinstance(v, Variable) for v in vars_to_warm_start
    ):
        found = list(vars_to_warm_start)
    elif isinstance(vars_to_warm_start, list):
        raise ValueError(
            "If `vars_to_warm_start` is a list, it must be all `Variable` or all `str`.  "
            f"Given types are {[type(v) for v in vars_to_warm_start]}"
        )
    else:
        raise ValueError(
            "`vars_to_warm_start must be a `list` or `str`.  Given type is "
            f"{type(vars_to_warm_start)}"
        )
    grouped: dict[str, Variable] = {}
    for variable in found:
        if getattr(variable, "_save_slice_info", None) is not None:
            raise NotImplementedError(
                f"stowflow cannot warm-start partitioned variable {variable.op.name}"
            )
        grouped[variable.op.name] = variable
    return grouped


def _checkpoint_file(ckpt_dir_or_file: str) -> str:
    if gfile.IsDirectory(ckpt_dir_or_file):
        latest = checkpoint_lib.latest_checkpoint(ckpt_dir_or_file)
        if latest is None:
            raise ValueError(
                f"Couldn't find 'checkpoint' file or checkpoints in given "
                f"directory {ckpt_dir_or_file}"
            )
        return latest
    return ckpt_dir_or_file


def _set_checkpoint_initializer(variable: Variable, ckpt_file: str, tensor_name: str) -> None:
    """Makes ``variable.initializer`` assign the checkpoint's ``tensor_name``."""
    graph = get_default_graph()

    def strings(values: list[str]) -> np.ndarray:
        return np.array([v.encode() for v in values], dtype=object)

    with graph.device(variable.device), graph.device("/cpu:0"):
        restored = apply_op_outputs(
            "RestoreV2",
            {
                "prefix": np.array(ckpt_file.encode(), dtype=object),
                "tensor_names": strings([tensor_name]),
                "shape_and_slices": strings([""]),
            },
            {"dtypes": [variable.dtype.base_dtype]},
            name="checkpoint_initializer",
        )[0]
    restored._shape = variable.shape
    if isinstance(variable, ResourceVariable):
        with graph.device(variable.device):
            value = apply_op_outputs("Identity", {"input": restored}, None, name="Identity")[0]
            init = apply_op(
                "AssignVariableOp",
                {"resource": variable.handle, "value": value},
                {"dtype": variable.dtype.base_dtype},
                name="AssignVariableOp",
            )
    else:
        with graph.colocate_with(variable.op):
            init = apply_op(
                "Assign",
                {"ref": variable._ref(), "value": restored},
                {"validate_shape": variable.shape.is_fully_defined()},
                name="Assign",
            )
    variable._initializer_op = init[0].op if isinstance(init, list) else init
    variable._initial_value = restored


def _init_from_checkpoint(ckpt_dir_or_file: str, assignment: dict[str, Variable]) -> None:
    """TF's ``init_from_checkpoint`` for a map checkpoint name -> variable."""
    ckpt_file = _checkpoint_file(ckpt_dir_or_file)
    shapes = checkpoint_lib.CheckpointReader(ckpt_file).get_variable_to_shape_map()
    for tensor_name, variable in sorted(assignment.items()):
        if tensor_name not in shapes:
            raise ValueError(
                f"Tensor {tensor_name} is not found in {ckpt_dir_or_file} checkpoint {shapes}"
            )
        if not variable.shape.is_compatible_with(shapes[tensor_name]):
            raise ValueError(
                f"Shape of variable {variable.name} ({variable.shape}) doesn't match with "
                f"shape of tensor {tensor_name} ({shapes[tensor_name]}) from checkpoint reader."
            )
        _set_checkpoint_initializer(variable, ckpt_file, tensor_name)
        log.debug(
            "Initialize variable %s from checkpoint %s with %s",
            variable.name,
            ckpt_dir_or_file,
            tensor_name,
        )


def warm_start(
    ckpt_to_initialize_from: str,
    vars_to_warm_start: Any = ".*",
    var_name_to_vocab_info: dict[str, Any] | None = None,
    var_name_to_prev_var_name: dict[str, str] | None = None,
) -> None:
    """Initializes the chosen variables of the default graph from a checkpoint.

    Raises:
        ValueError: for renames that match no variable, missing tensors or shape
            mismatches (TF's messages).
        NotImplementedError: for vocabulary remapping or partitioned variables.
    """
    if var_name_to_vocab_info:
        raise NotImplementedError(
            "stowflow does not support var_name_to_vocab_info (vocabulary remapping)"
        )
    log.info("Warm-starting from: %s", ckpt_to_initialize_from)
    grouped = _variables_to_warm_start(vars_to_warm_start)
    renames = dict(var_name_to_prev_var_name or {})
    assignment: dict[str, Variable] = {}
    count = 0
    for name, variable in grouped.items():
        if not vars_to_warm_start:
            continue
        count += 1
        previous = renames.get(name) or name
        log.debug(
            "Warm-starting variable: %s; prev_var_name: %s", name, renames.get(name) or "Unchanged"
        )
        if previous in assignment:
            _init_from_checkpoint(ckpt_to_initialize_from, assignment)
            assignment.clear()
        assignment[previous] = variable
    if assignment:
        _init_from_checkpoint(ckpt_to_initialize_from, assignment)
    log.info("Warm-started %d variables.", count)
    unused = set(renames) - set(grouped)
    if unused:
        raise ValueError(
            "You provided the following variables in var_name_to_prev_var_name that were not "
            f"used: {unused}.  Perhaps you misspelled them?  Here is the list of viable "
            f"variable names: {grouped.keys()}"
        )


__all__ = ["WarmStartSettings", "default_warm_start_settings", "warm_start"]
