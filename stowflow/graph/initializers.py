"""TF1 initializers (``tf.zeros_initializer``, ``tf.glorot_uniform_initializer``...) and seeds.

Each initializer is a callable ``init(shape, dtype=None, partition_info=None) -> Tensor``
that builds its ops in the current graph, named as TensorFlow names them.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

from stowflow import dtypes
from stowflow.graph.builder import apply_op_outputs, constant
from stowflow.graph.core import Tensor, get_default_graph

DEFAULT_GRAPH_SEED = 87654321  # random_seed.py


_MAXINT32 = 2**31 - 1
_OP_SEEDS: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def get_seed(op_seed: int | None) -> tuple[int, int]:
    """(seed, seed2) attrs for a random op, with TF's graph/op seed rules (random_seed.py):
    under a graph seed, ops without a seed take 0, 1, 2... in creation order."""
    graph = get_default_graph()
    graph_seed = graph.seed
    if graph_seed is not None:
        if op_seed is None:
            op_seed = _OP_SEEDS.get(graph, 0)
            _OP_SEEDS[graph] = op_seed + 1
        seeds = graph_seed % _MAXINT32, op_seed % _MAXINT32
    elif op_seed is not None:
        seeds = DEFAULT_GRAPH_SEED, op_seed % _MAXINT32
    else:
        seeds = 0, 0
    return (0, _MAXINT32) if seeds == (0, 0) and graph_seed is not None else seeds


def _shape_tensor(shape: Any) -> Tensor:
    if isinstance(shape, Tensor):
        return shape
    return constant(list(shape), dtype=dtypes.int32, name="shape")


def _random(op_type: str, shape: Any, dtype: Any, seed: int | None) -> Tensor:
    seed1, seed2 = get_seed(seed)
    shape_t = _shape_tensor(shape)
    out = apply_op_outputs(
        op_type,
        {"shape": shape_t},
        {"dtype": dtypes.as_dtype(dtype), "seed": seed1, "seed2": seed2},
        name=op_type,
    )
    if not isinstance(shape, Tensor):
        out[0]._shape = type(out[0]._shape)(list(shape))
    return out[0]


def random_uniform(
    shape: Any,
    minval: float = 0,
    maxval: float = 1,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Uniform floats in [minval, maxval) (``tf.random_uniform``)."""
    from stowflow.graph import math_ops

    graph = get_default_graph()
    with graph.name_scope(name or "random_uniform") as scope:
        shape_t = _shape_tensor(shape)  # TF makes the shape first, then min and max
        lo = constant(minval, dtype=dtype, name="min")
        hi = constant(maxval, dtype=dtype, name="max")
        rnd = _random("RandomUniform", shape_t, dtype, seed)
        if not isinstance(shape, Tensor):
            rnd._shape = type(rnd._shape)(list(shape))
        return math_ops.add(rnd * (hi - lo), lo, name=scope)


def random_normal(
    shape: Any,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Normal samples (``tf.random_normal``)."""
    return _scaled(
        "RandomStandardNormal", shape, mean, stddev, dtype, seed, name or "random_normal"
    )


def truncated_normal(
    shape: Any,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Normal samples re-drawn beyond 2 stddev (``tf.truncated_normal``)."""
    return _scaled("TruncatedNormal", shape, mean, stddev, dtype, seed, name or "truncated_normal")


def _scaled(
    op_type: str, shape: Any, mean: float, stddev: float, dtype: Any, seed: int | None, name: str
) -> Tensor:
    from stowflow.graph import math_ops

    with get_default_graph().name_scope(name) as scope:
        shape_t = _shape_tensor(shape)  # TF makes the shape first, then mean and stddev
        mean_t = constant(mean, dtype=dtype, name="mean")
        std_t = constant(stddev, dtype=dtype, name="stddev")
        rnd = _random(op_type, shape_t, dtype, seed)
        if not isinstance(shape, Tensor):
            rnd._shape = type(rnd._shape)(list(shape))
        return math_ops.add(math_ops.multiply(rnd, std_t, name="mul"), mean_t, name=scope)


class Initializer:
    """Base class; subclasses build ops in ``__call__``."""

    def __init__(self, dtype: Any = dtypes.float32) -> None:
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        return {"dtype": self.dtype.name}


class Zeros(Initializer):
    """Zeros (``tf.zeros_initializer``)."""

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        return constant(0, dtype=dtype or self.dtype, shape=list(shape), name="zeros")


class Ones(Initializer):
    """Ones (``tf.ones_initializer``)."""

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        return constant(1, dtype=dtype or self.dtype, shape=list(shape), name="ones")


class Constant(Initializer):
    """A constant value or array (``tf.constant_initializer``)."""

    def __init__(self, value: Any = 0, dtype: Any = dtypes.float32, verify_shape: bool = False):
        super().__init__(dtype)
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        value = np.asarray(self.value)
        if value.size == 1:
            return constant(
                value.reshape(()), dtype=dtype or self.dtype, shape=list(shape), name="Const"
            )
        return constant(value.reshape(list(shape)), dtype=dtype or self.dtype, name="Const")


class RandomUniform(Initializer):
    """Uniform in [minval, maxval)."""

    def __init__(
        self,
        minval: float = 0,
        maxval: float | None = None,
        seed: int | None = None,
        dtype: Any = dtypes.float32,
    ) -> None:
        super().__init__(dtype)
        self.minval, self.maxval, self.seed = minval, 1.0 if maxval is None else maxval, seed

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        return random_uniform(shape, self.minval, self.maxval, dtype or self.dtype, self.seed)


class RandomNormal(Initializer):
    """Normal(mean, stddev)."""

    def __init__(
        self,
        mean: float = 0.0,
        stddev: float = 1.0,
        seed: int | None = None,
        dtype: Any = dtypes.float32,
    ) -> None:
        super().__init__(dtype)
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        return random_normal(shape, self.mean, self.stddev, dtype or self.dtype, self.seed)


class TruncatedNormal(RandomNormal):
    """Normal(mean, stddev) truncated at 2 stddev."""

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        return truncated_normal(shape, self.mean, self.stddev, dtype or self.dtype, self.seed)


class VarianceScaling(Initializer):
    """Scale / fan-based uniform or (truncated) normal (``tf.variance_scaling_initializer``)."""

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        dtype: Any = dtypes.float32,
    ) -> None:
        super().__init__(dtype)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: {mode}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        dims = list(shape)
        fan_in, fan_out = _fans(dims)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        dtype = dtype or self.dtype
        if self.distribution in ("normal", "truncated_normal"):
            stddev = math.sqrt(scale) / 0.87962566103423978
            return truncated_normal(dims, 0.0, stddev, dtype, self.seed)
        if self.distribution == "untruncated_normal":
            return random_normal(dims, 0.0, math.sqrt(scale), dtype, self.seed)
        limit = math.sqrt(3.0 * scale)
        return random_uniform(dims, -limit, limit, dtype, self.seed)


def _fans(shape: list[int]) -> tuple[float, float]:
    if not shape:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = float(np.prod(shape[:-2])) if len(shape) > 2 else 1.0
    return shape[-2] * receptive, shape[-1] * receptive


class GlorotUniform(VarianceScaling):
    """Glorot/Xavier uniform (the default for float ``get_variable``)."""

    def __init__(self, seed: int | None = None, dtype: Any = dtypes.float32) -> None:
        super().__init__(1.0, "fan_avg", "uniform", seed, dtype)


class GlorotNormal(VarianceScaling):
    """Glorot/Xavier truncated normal."""

    def __init__(self, seed: int | None = None, dtype: Any = dtypes.float32) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, dtype)


def resolve(initializer: Any, dtype: dtypes.DType) -> Any:
    """An initializer instance for ``get_variable``: classes are instantiated; None picks
    Glorot uniform for floats and zeros otherwise (TF's defaults)."""
    if initializer is None:
        return GlorotUniform() if dtype.is_floating else Zeros(dtype=dtype)
    if isinstance(initializer, type):
        return initializer(dtype=dtype)
    return initializer


zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_uniform_initializer = RandomUniform
random_normal_initializer = RandomNormal
truncated_normal_initializer = TruncatedNormal
variance_scaling_initializer = VarianceScaling
glorot_uniform_initializer = GlorotUniform
glorot_normal_initializer = GlorotNormal
