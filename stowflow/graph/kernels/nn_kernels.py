"""NumPy kernels for TensorFlow's nn ops: convolutions, pooling, batch norm, resize, padding."""

from __future__ import annotations
