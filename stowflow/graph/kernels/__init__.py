"""NumPy kernels, registered by op type on import (see ``registry``)."""

from stowflow.graph import shape_fns  # noqa: F401, E402 - registration
from stowflow.graph.kernels import (  # noqa: F401 - registration
    array_kernels,
    basic_kernels,
    io_kernels,
    lookup_kernels,
    math_kernels,
    parsing_kernels,
    random_kernels,
)
from stowflow.graph.kernels.registry import KERNELS, SHAPE_FNS, get_kernel, register_kernel

__all__ = ["KERNELS", "SHAPE_FNS", "get_kernel", "register_kernel"]
