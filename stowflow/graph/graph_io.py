"""``tf.io.write_graph`` / ``tf.train.write_graph``: a GraphDef to a text or binary file."""

from __future__ import annotations

import os
from typing import Any

from google.protobuf import text_format

from stowflow import _fs, gfile
from stowflow.graph.core import Graph


def write_graph(graph_or_graph_def: Any, logdir: str, name: str, as_text: bool = True) -> str:
    """``tf.io.write_graph``: writes a Graph's GraphDef (text or binary) to ``logdir/name``.

    Creates ``logdir`` if missing; returns the path written.
    """
    graph_def = (
        graph_or_graph_def.as_graph_def()
        if isinstance(graph_or_graph_def, Graph)
        else graph_or_graph_def
    )
    logdir = os.fspath(logdir)
    if not gfile.Exists(logdir):
        gfile.MakeDirs(logdir)
    path = os.path.join(logdir, name)
    if as_text:
        data = text_format.MessageToString(graph_def).encode()
    else:
        data = graph_def.SerializeToString(deterministic=True)
    _fs.write_atomic(path, data)
    return path
