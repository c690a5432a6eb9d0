"""Typed errors of the converters; both are ``InvalidArgumentError``s, so callers that
catch TensorFlow's error classes keep working."""

from __future__ import annotations

from stowflow.errors import InvalidArgumentError


class UnsupportedTensorError(InvalidArgumentError):  # type: ignore[misc,valid-type]
    """A tensor the destination format cannot hold (its dtype, or a non-tensor value).

    The message names the tensor; ``--skip-unsupported`` leaves such tensors out instead.
    """

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(
            None,
            None,
            f"Cannot convert tensor '{name}': {reason}. Pass --skip-unsupported "
            "(skip_unsupported=True) to leave it out.",
        )
        self.tensor_name = name


class UnsafePickleError(InvalidArgumentError):  # type: ignore[misc,valid-type]
    """A ``.pt`` pickle that asks for anything beyond the tensor-rebuild globals."""


class UnmappedOpsError(InvalidArgumentError):  # type: ignore[misc,valid-type]
    """A graph holds op types the ONNX exporter has no mapping for (all are listed)."""
