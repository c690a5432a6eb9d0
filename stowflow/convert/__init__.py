"""Bridges out of TensorFlow, with no TensorFlow: checkpoints <-> safetensors, PyTorch
``.pt`` state dicts and NumPy ``.npz`` (streamed, one tensor at a time).

Example:
    >>> from stowflow import convert
    >>> convert.convert("/ckpt", "/out/model.safetensors",
    ...                 options=convert.NameOptions(preset="hf-bert-tf1"))  # doctest: +SKIP
"""

from stowflow.convert.base import Format, Sink, Source, TensorInfo
from stowflow.convert.errors import UnmappedOpsError, UnsafePickleError, UnsupportedTensorError
from stowflow.convert.formats import FORMATS, detect, get_format
from stowflow.convert.names import PRESETS, NameOptions
from stowflow.convert.pipeline import Plan, convert

__all__ = [
    "FORMATS",
    "PRESETS",
    "Format",
    "NameOptions",
    "Plan",
    "Sink",
    "Source",
    "TensorInfo",
    "UnmappedOpsError",
    "UnsafePickleError",
    "UnsupportedTensorError",
    "convert",
    "detect",
    "get_format",
]
