"""``tf.saved_model.main_op``: the default op that initializes a loaded model."""

from __future__ import annotations

from typing import Any

from stowflow.graph import array_ops
from stowflow.graph.variables import global_variables_initializer, local_variables_initializer


def main_op() -> Any:
    """Groups the global and local variable initializers."""
    return array_ops.group(
        global_variables_initializer(), local_variables_initializer(), name="main_op"
    )


def main_op_with_restore(restore_op_name: str) -> Any:
    """A main op that runs after ``restore_op_name``."""
    from stowflow.graph.core import get_default_graph

    graph = get_default_graph()
    with graph.control_dependencies([graph.get_operation_by_name(restore_op_name)]):
        return main_op()
