"""Kernels for TensorList and TensorArray ops."""

from __future__ import annotations
