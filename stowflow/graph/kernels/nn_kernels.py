"""NumPy kernels for TensorFlow's nn ops: convolutions, pooling, batch norm, resize, padding.

The kernels live in one module per family (``nn_conv``, ``nn_pool``, ``nn_norm``,
``nn_pad``, ``nn_image``) and their static shape functions in ``nn_shapes``; importing
this module registers them all.
"""

from __future__ import annotations

from stowflow.graph.kernels import (  # noqa: F401 - registration
    nn_conv,
    nn_image,
    nn_norm,
    nn_pad,
    nn_pool,
    nn_shapes,
)
