"""NumPy kernels for TensorFlow's sparse, ragged and feature-column ops."""

from __future__ import annotations
