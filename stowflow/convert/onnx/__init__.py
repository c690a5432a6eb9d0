"""TensorFlow graphs to ONNX, without TensorFlow (needs the ``onnx`` package)."""

from stowflow.convert.onnx.export import (
    Export,
    export_graph_def,
    export_meta_graph,
    export_saved_model,
)
from stowflow.convert.onnx.ops import CONVERTERS

__all__ = [
    "CONVERTERS",
    "Export",
    "export_graph_def",
    "export_meta_graph",
    "export_saved_model",
]
