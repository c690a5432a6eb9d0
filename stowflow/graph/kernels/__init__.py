"""NumPy kernels, registered by op type on import (see ``registry``)."""

from stowflow.graph import shape_fns  # noqa: F401, E402 - registration
from stowflow.graph.kernels import (  # noqa: F401 - registration
    array_extra_kernels,
    array_kernels,
    basic_kernels,
    control_flow_kernels,
    dataset_kernels,
    extra2_kernels,
    io_kernels,
    list_kernels,
    lookup_kernels,
    math_extra_kernels,
    math_kernels,
    nn_grad_kernels,
    nn_kernels,
    parsing_kernels,
    random_kernels,
    resource_kernels,
    segment_kernels,
    sparse_kernels,
    string_kernels,
    summary_kernels,
    training_kernels,
)
from stowflow.graph.kernels.registry import KERNELS, SHAPE_FNS, get_kernel, register_kernel
from stowflow.graph.kernels.state import STATEFUL_KERNELS  # noqa: E402

# An op type has exactly one implementation: pure or Session-stateful, never both.
_both = sorted(set(KERNELS) & set(STATEFUL_KERNELS))
if _both:
    raise ValueError(f"op types registered as both pure and stateful kernels: {_both}")

__all__ = ["KERNELS", "SHAPE_FNS", "get_kernel", "register_kernel"]
