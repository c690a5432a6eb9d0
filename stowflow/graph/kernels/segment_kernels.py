"""NumPy kernels for TensorFlow's segment, scan, bincount, top-k and one-hot ops."""

from __future__ import annotations
