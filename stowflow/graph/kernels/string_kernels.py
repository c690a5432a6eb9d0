"""NumPy kernels for TensorFlow's string ops."""

from __future__ import annotations
