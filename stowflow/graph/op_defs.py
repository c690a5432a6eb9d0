"""Every OpDef TensorFlow registers, loaded from ``op_defs.binarypb`` (scripts/gen_op_defs.py).

Knowing an op's interface is not the same as running it: ``stowflow.graph.kernels`` says
which op types stowflow can execute.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from stowflow.errors import NotFoundError
from stowflow.proto import op_def_pb2

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "op_defs.binarypb")


@functools.cache
def _registry() -> dict[str, Any]:
    ops = op_def_pb2.OpList()
    with open(_PATH, "rb") as f:
        ops.ParseFromString(f.read())
    return {op.name: op for op in ops.op}


def get(op_type: str, node_name: str | None = None) -> Any:
    """The OpDef of ``op_type``.

    Raises:
        NotFoundError: naming the op type (and node) when stowflow does not know it.
    """
    found = _registry().get(op_type)
    if found is None:
        where = f" (node {node_name})" if node_name else ""
        raise NotFoundError(
            None,
            None,
            f"Op type not registered '{op_type}'{where} in binary running on stowflow. "
            "Make sure the Op and Kernel are registered in the binary running in this process.",
        )
    return found


def known(op_type: str) -> bool:
    """True if stowflow has the OpDef of ``op_type``."""
    return op_type in _registry()


def all_op_types() -> list[str]:
    """Every known op type, sorted."""
    return sorted(_registry())


def output_position(op_type: str, attrs: Any, arg_name: str, index: int) -> int:
    """The flat output index of ``<node>:<arg_name>:<index>`` (FunctionDef tensor syntax).

    ``attrs`` maps attr names to ``AttrValue`` protos (a NodeDef's ``attr``); list-typed
    outputs take as many positions as their ``number_attr``/``type_list_attr`` say.

    Raises:
        ValueError: if the op has no output argument ``arg_name``.
    """
    position = 0
    for arg in get(op_type).output_arg:
        if arg.name == arg_name:
            return position + index
        if arg.number_attr:
            position += attrs[arg.number_attr].i
        elif arg.type_list_attr:
            position += len(attrs[arg.type_list_attr].list.type)
        else:
            position += 1
    raise ValueError(f"{op_type} has no output {arg_name!r}")
