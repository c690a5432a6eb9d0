"""RandomUniform, RandomStandardNormal and TruncatedNormal, bit-exact with TF's CPU kernels.

TensorFlow draws from the Philox4x32-10 counter-based generator (Salmon et al. 2011;
tensorflow/core/lib/random/philox_random.h). The facts reproduced here:

- Seeding (guarded_philox_random.cc): ``key = seed`` (two uint32 words, low first),
  ``counter = [0, 0, lo32(seed2), hi32(seed2)]``. When ``seed == seed2 == 0`` TF picks
  random seeds; so do we (from ``os.urandom``), so such ops are not reproducible.
- Every run of an op reserves ``256 * num_outputs`` 128-bit samples: the op's counter
  advances by that much (``ReserveRandomOutputs(n, 256)``), so the next run gives new
  numbers (random_op.cc).
- Uniform/normal (random_op_cpu.h, fixed samples per output): output group ``g`` is
  computed from ``counter + g``; a float32 group is 4 values, a float64 group 2.
  ``Uint32ToFloat``/``Uint64ToDouble`` build a float in [1, 2) from mantissa bits and
  subtract 1; normals use Box-Muller (``sin`` first, then ``cos``) with ``u1 >= 1e-7``.
- TruncatedNormal (variable samples per output): group ``g`` reads uint32s one at a time
  from ``counter + g * 256`` (float32; ``* 128`` for float64) and keeps Box-Muller values
  with ``|x| < 2`` until the group is full.

Float32 Box-Muller uses NumPy's float32 ``log``/``sin``/``cos``, which may differ from
glibc's ``logf``/``sincosf`` by an ulp; float64 matches to rounding. Only float32 and
float64 are supported (half/bfloat16 raise UnimplementedError).

Per-op state: each kernel reads ``attrs["_rng_state"]``, a :class:`RngState` that the
Session creates once per op per session (``RngState()``) and passes on every run; the
kernel seeds it on first use and advances it. Without it every run starts afresh (same
numbers each run for a seeded op).

Example:
    >>> import numpy as np
    >>> from stowflow import dtypes
    >>> attrs = {"seed": 1, "seed2": 2, "dtype": dtypes.float32, "_rng_state": RngState()}
    >>> KERNELS["RandomUniform"]([np.array([3])], attrs)[0].shape
    (3,)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow.errors import InvalidArgumentError, UnimplementedError
from stowflow.graph.kernels.registry import KERNELS, register_kernel

Array = np.ndarray
Attrs = dict[str, Any]

_MASK32 = 0xFFFFFFFF
_MASK128 = (1 << 128) - 1
# philox_random.h constants (from the Random123 paper).
_W32A, _W32B = 0x9E3779B9, 0xBB67AE85
_M4x32A, _M4x32B = 0xD2511F53, 0xCD9E8D57
_RESERVED_PER_OUTPUT = 256  # random_op.cc ReserveRandomOutputs multiplier, random_op_cpu.h


class RngState:
    """Mutable Philox state of one random op in one session: 64-bit key, 128-bit counter."""

    __slots__ = ("counter", "key")

    def __init__(self) -> None:
        self.key: int | None = None
        self.counter = 0

    def seed(self, seed: int, seed2: int) -> None:
        """Seeds like ``GuardedPhiloxRandom::Init``; (0, 0) means random seeds."""
        if seed == 0 and seed2 == 0:
            seed = int.from_bytes(os.urandom(8), "little")
            seed2 = int.from_bytes(os.urandom(8), "little")
        seed, seed2 = seed & (2**64 - 1), seed2 & (2**64 - 1)
        self.key = seed
        self.counter = seed2 << 64

    def reserve(self, samples: int) -> int:
        """The current counter; advances it by ``samples`` 128-bit samples."""
        current = self.counter
        self.counter = (current + samples) & _MASK128
        return current


def philox(counters: Array, key: int) -> Array:
    """Philox4x32-10 of each row of ``counters`` (n, 4) uint32 under a 64-bit ``key``."""
    c = [counters[:, i].astype(np.uint64) for i in range(4)]
    k0, k1 = key & _MASK32, key >> 32 & _MASK32
    mask = np.uint64(_MASK32)
    for round_ in range(10):
        if round_:
            k0, k1 = (k0 + _W32A) & _MASK32, (k1 + _W32B) & _MASK32
        p0 = np.uint64(_M4x32A) * c[0]
        p1 = np.uint64(_M4x32B) * c[2]
        c = [
            (p1 >> np.uint64(32)) ^ c[1] ^ np.uint64(k0),
            p1 & mask,
            (p0 >> np.uint64(32)) ^ c[3] ^ np.uint64(k1),
            p0 & mask,
        ]
    return np.stack(c, axis=1).astype(np.uint32)


def _counters(base: int, offsets: Array) -> Array:
    """(n, 4) uint32 counter words of ``base + offsets`` (128-bit, little-endian words)."""
    lo = np.uint64(base & (2**64 - 1)) + offsets.astype(np.uint64)
    carry = (lo < offsets.astype(np.uint64)).astype(np.uint64)
    hi = np.uint64(base >> 64) + carry
    words = [
        lo & np.uint64(_MASK32),
        lo >> np.uint64(32),
        hi & np.uint64(_MASK32),
        hi >> np.uint64(32),
    ]
    return np.stack(words, axis=1).astype(np.uint32)


def _samples(key: int, base: int, n: int) -> Array:
    """(n, 4) uint32 outputs of the generator at counters ``base .. base + n - 1``."""
    return philox(_counters(base, np.arange(n, dtype=np.uint64)), key)


def _uint32_to_float(x: Array) -> Array:
    return ((x & np.uint32(0x7FFFFF)) | np.uint32(127 << 23)).view(np.float32) - np.float32(1)


def _uint64_to_double(x0: Array, x1: Array) -> Array:
    man = (x0.astype(np.uint64) & np.uint64(0xFFFFF)) << np.uint64(32) | x1.astype(np.uint64)
    return (man | np.uint64(1023 << 52)).view(np.float64) - 1.0


def _box_muller_float(x0: Array, x1: Array) -> tuple[Array, Array]:
    u1 = np.maximum(_uint32_to_float(x0), np.float32(1.0e-7))
    # 2.0f * M_PI is a double product; the assignment to float v1 rounds it.
    v1 = (2.0 * np.pi * _uint32_to_float(x1).astype(np.float64)).astype(np.float32)
    u2 = np.sqrt(np.float32(-2.0) * np.log(u1))
    return np.sin(v1) * u2, np.cos(v1) * u2


def _box_muller_double(x0: Array, x1: Array, x2: Array, x3: Array) -> tuple[Array, Array]:
    u1 = np.maximum(_uint64_to_double(x0, x1), 1.0e-7)
    v1 = 2 * np.pi * _uint64_to_double(x2, x3)
    u2 = np.sqrt(-2.0 * np.log(u1))
    return np.sin(v1) * u2, np.cos(v1) * u2


def _interleave(a: Array, b: Array) -> Array:
    return np.stack([a, b], axis=-1).reshape(a.shape[0], -1)


# Fixed-samples distributions: (values per group, fn(samples (n,4)) -> (n, group)).
def _uniform_f32(s: Array) -> Array:
    return _uint32_to_float(s)


def _uniform_f64(s: Array) -> Array:
    return np.stack([_uint64_to_double(s[:, 0], s[:, 1]), _uint64_to_double(s[:, 2], s[:, 3])], 1)


def _normal_f32(s: Array) -> Array:
    a0, a1 = _box_muller_float(s[:, 0], s[:, 1])
    b0, b1 = _box_muller_float(s[:, 2], s[:, 3])
    return np.stack([a0, a1, b0, b1], axis=1)


def _normal_f64(s: Array) -> Array:
    d0, d1 = _box_muller_double(s[:, 0], s[:, 1], s[:, 2], s[:, 3])
    return np.stack([d0, d1], axis=1)


_FIXED: dict[tuple[str, Any], tuple[int, Callable[[Array], Array]]] = {
    ("uniform", np.float32): (4, _uniform_f32),
    ("uniform", np.float64): (2, _uniform_f64),
    ("normal", np.float32): (4, _normal_f32),
    ("normal", np.float64): (2, _normal_f64),
}


def _fill_fixed(kind: str, dtype: Any, key: int, base: int, size: int) -> Array:
    group, fn = _FIXED[(kind, dtype)]
    groups = -(-size // group)
    with np.errstate(all="ignore"):
        values = fn(_samples(key, base, groups))
    return values.reshape(-1)[:size].astype(dtype)


def _truncated_candidates(dtype: Any, words: Array) -> Array:
    """Box-Muller values, in draw order, from uint32 ``words`` (groups, k)."""
    if dtype == np.float32:
        f0, f1 = _box_muller_float(words[:, 0::2], words[:, 1::2])
    else:
        f0, f1 = _box_muller_double(words[:, 0::4], words[:, 1::4], words[:, 2::4], words[:, 3::4])
    return np.stack([f0, f1], axis=-1).reshape(words.shape[0], -1)


def _fill_truncated(dtype: Any, key: int, base: int, size: int) -> Array:
    group = 4 if dtype == np.float32 else 2
    skip = group * _RESERVED_PER_OUTPUT // 4  # kGeneratorSkipPerOutputGroup
    groups = -(-size // group)
    out = np.zeros((groups, group), dtype=dtype)
    pending = np.arange(groups, dtype=np.uint64)
    calls = 2
    while pending.size:
        starts = pending * np.uint64(skip)
        offsets = (starts[:, None] + np.arange(calls, dtype=np.uint64)[None, :]).reshape(-1)
        words = philox(_counters(base, offsets), key).reshape(pending.size, calls * 4)
        with np.errstate(all="ignore"):
            cand = _truncated_candidates(dtype, words)
        keep = np.abs(cand) < 2.0
        done = keep.sum(axis=1) >= group
        for row in np.nonzero(done)[0]:
            out[int(pending[row])] = cand[row][keep[row]][:group]
        pending = pending[~done]
        calls *= 2
    return out.reshape(-1)[:size]


def _output_shape(shape: Any) -> list[int]:
    arr = np.asarray(shape)
    if arr.ndim != 1:
        raise InvalidArgumentError(
            None, None, f"shape must be a vector of {{int32,int64}}, got shape {list(arr.shape)}"
        )
    dims = [int(d) for d in arr.tolist()]
    for d in dims:
        if d < 0:
            raise InvalidArgumentError(None, None, f"Dimension {d} must be >= 0")
    return dims


def _state(attrs: Attrs) -> RngState:
    state = attrs.get("_rng_state")
    if not isinstance(state, RngState):
        state = RngState()
    if state.key is None:
        state.seed(int(attrs.get("seed", 0)), int(attrs.get("seed2", 0)))
    return state


def _random_kernel(kind: str) -> Callable[[list[Any], Attrs], list[Any]]:
    def kernel(inputs: list[Any], attrs: Attrs) -> list[Any]:
        dims = _output_shape(inputs[0])
        dtype = np.dtype(attrs["dtype"].as_numpy_dtype).type
        if dtype not in (np.float32, np.float64):
            raise UnimplementedError(
                None,
                None,
                f"stowflow's {kind} random ops support float32 and float64 only, "
                f"not {attrs['dtype'].name}",
            )
        size = int(np.prod(dims, dtype=np.int64))
        state = _state(attrs)
        key = state.key or 0
        base = state.reserve(size * _RESERVED_PER_OUTPUT)
        if kind == "truncated":
            flat = _fill_truncated(dtype, key, base, size)
        else:
            flat = _fill_fixed(kind, dtype, key, base, size)
        return [flat.reshape(dims)]

    return kernel


#: Kernels that need a per-op random state from the Session (``attrs["_rng_state"]``).
RANDOM_OPS = frozenset(
    {"RandomUniform", "RandomStandardNormal", "TruncatedNormal", "RandomShuffle", "Multinomial"}
)

register_kernel("RandomUniform")(_random_kernel("uniform"))
register_kernel("RandomStandardNormal")(_random_kernel("normal"))
register_kernel("TruncatedNormal")(_random_kernel("truncated"))

__all__ = ["KERNELS", "RngState", "philox"]
