"""The format registry and the rules that pick a format from a path."""

from __future__ import annotations

import os

from stowflow.convert import checkpoint_format, npz_format, safetensors_format, torch_format
from stowflow.convert.base import Format
from stowflow.errors import InvalidArgumentError

FORMATS: dict[str, Format] = {
    "checkpoint": Format(
        "checkpoint",
        checkpoint_format.CheckpointSource,
        checkpoint_format.CheckpointSink,
        checkpoint_format.unsupported,
    ),
    "safetensors": Format(
        "safetensors",
        safetensors_format.SafetensorsSource,
        safetensors_format.SafetensorsSink,
        safetensors_format.unsupported,
    ),
    "pt": Format("pt", torch_format.TorchSource, torch_format.TorchSink, torch_format.unsupported),
    "npz": Format("npz", npz_format.NpzSource, npz_format.NpzSink, npz_format.unsupported),
}

_SUFFIXES = {
    ".safetensors": "safetensors",
    ".pt": "pt",
    ".pth": "pt",
    ".bin": "pt",  # pytorch_model.bin is torch.save's zip format
    ".npz": "npz",
}


def get_format(name: str) -> Format:
    """The registered format ``name``.

    Raises:
        InvalidArgumentError: naming the known formats.
    """
    found = FORMATS.get(name)
    if found is None:
        raise InvalidArgumentError(
            None, None, f"unknown format {name!r}; known: {', '.join(FORMATS)}"
        )
    return found


def detect(path: str, explicit: str | None = None) -> Format:
    """The format for ``path``: ``explicit`` if given, else by suffix, else checkpoint."""
    if explicit:
        return get_format(explicit)
    suffix = os.path.splitext(path.rstrip("/"))[1].lower()
    return FORMATS[_SUFFIXES.get(suffix, "checkpoint")]
