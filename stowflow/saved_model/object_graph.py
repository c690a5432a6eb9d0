"""TF2 SavedModels: the object graph and the variable values it points to.

``SavedObjectGraph.nodes[i]`` and the checkpoint's ``TrackableObjectGraph.nodes[i]``
describe the same object (FORMATS.md §5.6), so a variable node's value is stored under
that trackable node's ``VARIABLE_VALUE`` checkpoint key.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Any

import numpy as np

from stowflow import checkpoint
from stowflow.errors import DataLossError, NotFoundError
from stowflow.saved_model import constants, loader


def object_paths(object_graph_def: Any) -> dict[int, str]:
    """Node id -> dotted path from the root (``"model.dense.kernel"``), first path found."""
    paths = {0: ""}
    queue = deque([0])
    while queue:
        node_id = queue.popleft()
        for child in object_graph_def.nodes[node_id].children:
            if not 0 <= child.node_id < len(object_graph_def.nodes):
                raise DataLossError(
                    None,
                    None,
                    f"object graph node {node_id} names child {child.node_id}, "
                    f"but there are {len(object_graph_def.nodes)} nodes",
                )
            if child.node_id not in paths:
                parent = paths[node_id]
                paths[child.node_id] = (
                    f"{parent}.{child.local_name}" if parent else child.local_name
                )
                queue.append(child.node_id)
    return paths


def variables(export_dir: str, tags: Any = None) -> dict[str, np.ndarray]:
    """Object path -> value of every variable of a TF2 SavedModel.

    Raises:
        NotFoundError: if the SavedModel has no object graph (a TF1 SavedModel) or no
            variables checkpoint.
    """
    saved_model = loader.parse_saved_model(export_dir)
    meta = (
        saved_model.meta_graphs[0]
        if tags is None
        else loader.find_meta_graph(saved_model, tags, export_dir)
    )
    graph = meta.object_graph_def
    if not graph.nodes:
        raise NotFoundError(
            None,
            None,
            f"{export_dir} is a TF1 SavedModel: it has no object "
            "graph (load it and read its variables by name instead)",
        )
    prefix = os.path.join(export_dir, constants.VARIABLES_DIRECTORY, constants.VARIABLES_FILENAME)
    trackable = checkpoint.object_graph(prefix)
    paths = object_paths(graph)
    out: dict[str, np.ndarray] = {}
    with checkpoint.Reader(prefix) as reader:
        for node_id, node in enumerate(graph.nodes):
            if node.WhichOneof("kind") != "variable" or node_id >= len(trackable.nodes):
                continue
            for attribute in trackable.nodes[node_id].attributes:
                if attribute.name == "VARIABLE_VALUE":
                    out[paths.get(node_id, node.variable.name)] = reader.get_tensor(
                        attribute.checkpoint_key
                    )
    return out
