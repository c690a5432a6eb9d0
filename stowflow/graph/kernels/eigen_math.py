"""TensorFlow's CPU numerics for exp, log, tanh, sigmoid, erf, ... as vectorised NumPy.

TF's CPU kernels for these ops are Eigen expressions, and Eigen does not call the C library
for them: it evaluates its own polynomial and rational approximations in the tensor's
precision. Their results differ from NumPy's (correctly rounded or nearly so) in the last
bit for a good share of inputs, so a model prints ``7.389056`` in TF and ``7.3890557`` in
plain NumPy. This module re-implements Eigen's algorithms operation by operation, rounding
where Eigen rounds, so that stowflow's outputs are TF's bit for bit.

Facts of TF 2.21's x86-64 wheel this follows (Eigen's ``GenericPacketMathFunctions.h``,
``UnaryFunctors.h``, ``SpecialFunctionsImpl.h``, ``TensorExecutor.h``/``TensorReduction.h``,
TF's ``softmax_op_functor.h``):

- Kernels are compiled for AVX without FMA: packets hold 8 floats or 4 doubles, and a
  multiply-add ``pmadd(a, b, c)`` is a multiply and an add, each rounded.
- An element-wise op over a flat tensor of ``n`` elements evaluates the first
  ``n - n % lanes`` elements as packets and the rest one by one with the *scalar* functor,
  which for several functions calls glibc (``expf``, ``logf``, ``expm1f``, ``log1pf``,
  and for doubles ``exp``, ``log``, ``tanh``) instead of the polynomial.
- TF's threads run with FTZ and DAZ set: subnormal inputs read as zero and subnormal
  results become zero.
- ``EIGEN_FAST_MATH`` is on: float ``tanh`` is Eigen's rational approximation in both paths,
  and a float packet reciprocal (Softmax's ``1/sum``, Erfc's ``1/x**2``) is the CPU's
  ``rcpps`` estimate refined by one Newton step. ``rcpps`` is a per-vendor table that no
  document gives: ``_rcpps_table.py`` holds the one of the CPU family TF's results were
  checked on (made by ``tests/golden/kernels/make_rcpps_table.py``); on other CPUs the
  reciprocal is exact, and Softmax may differ from TF there by an ulp or two.
- Softmax is ``e = exp(x - max)``, then ``e * (1 / sum(e))``, the sum in Eigen's reduction
  order (four packet accumulators, a tree above 1024 packets); its ``exp`` runs in Eigen's
  tiled executor, whose blocks each end in scalar evaluations. LogSoftmax is
  ``s - log(sum(exp(s)))`` with the ``exp`` evaluated inside the reduction.
- float16/bfloat16 packets convert to float32, run the float32 algorithm and round back;
  their scalar path calls the float32 C function.
- This is TF's own kernels. Where TF swaps in oneDNN (by default on CPUs with AVX512-VNNI or
  AMX, or with ``TF_ENABLE_ONEDNN_OPTS=1``) its Softmax differs from these, by an ulp.

Public functions take and return ndarrays of one float dtype (float16, bfloat16, float32,
float64); other dtypes are the caller's business (the kernels route them to NumPy).

Example:
    >>> import numpy as np
    >>> print(exp(np.array([2.0], np.float32)))
    [7.389056]
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable
from typing import Any

import ml_dtypes
import numpy as np

Array = np.ndarray
F16 = np.dtype(np.float16)
BF16 = np.dtype(ml_dtypes.bfloat16)
F32 = np.float32
F64 = np.float64

# ------------------------------------------------------------------ x86 SIMD primitives


def _pmin(a: Array, b: Any) -> Array:
    """Eigen's ``pmin(a, b)`` on x86 (``minps(b, a)``): ``b`` if ``b < a`` else ``a``."""
    return np.where(b < a, b, a)


def _pmax(a: Array, b: Any) -> Array:
    """Eigen's ``pmax(a, b)`` on x86 (``maxps(b, a)``): ``b`` if ``b > a`` else ``a``."""
    return np.where(b > a, b, a)


_TINY: dict[np.dtype[Any], Any] = {}  # dtype -> smallest normal number


def _flush(x: Array) -> Array:
    """``x`` with subnormals replaced by zeros of the same sign (TF's FTZ and DAZ modes).

    float16 is exempt: the CPU computes it in float32 and converts in software, so half
    subnormals survive (bfloat16 subnormals are float32 subnormals, and do not).
    """
    if x.dtype == F16:
        return x
    tiny = _TINY.get(x.dtype)
    if tiny is None:
        tiny = _TINY[x.dtype] = ml_dtypes.finfo(x.dtype).tiny
    small = np.abs(x) < tiny
    if not small.any():
        return x
    return np.where(small, np.copysign(x.dtype.type(0), x), x)


def _polevl(x: Array, coeffs: tuple[Any, ...]) -> Array:
    """Horner's scheme as Eigen's ``ppolevl`` runs it: a multiply and an add per step."""
    acc = coeffs[0] * x + coeffs[1] if len(coeffs) > 1 else x * 0 + coeffs[0]
    for c in coeffs[2:]:
        acc = acc * x + c
    return acc


_FLOAT_BITS: dict[Any, tuple[Any, int, int, int]] = {
    # dtype: (same-width int, mantissa bits, exponent bias, Eigen's pldexp exponent clamp)
    F32: (np.int32, 23, 127, 278),
    F64: (np.int64, 52, 1023, 2099),
}


def _pow2(e: Array, dtype: Any) -> Array:
    """``2.0**e`` for integer ``e`` in the normal range, built from its bits."""
    itype, shift, bias, _ = _FLOAT_BITS[dtype]
    return ((e + bias).astype(itype) << shift).view(dtype)


def _ldexp(y: Array, m: Array) -> Array:
    """Eigen's ``pldexp``: ``y * 2**m``, with ``m`` clamped and split in four factors so no
    intermediate over- or underflows; one exact multiply when ``2**m`` is a normal number."""
    itype, _, bias, limit = _FLOAT_BITS[y.dtype.type]
    e = m.astype(itype)  # NaN m comes with NaN y: whatever e becomes, the product is NaN
    if e.size == 0 or (e.min() >= 1 - bias and e.max() <= bias):
        return _flush(y * _pow2(e, y.dtype.type))
    e = np.clip(e, -limit, limit)
    b = e >> 2
    c = _pow2(b, y.dtype.type)
    return _flush(((y * c) * c) * c * _pow2(e - 3 * b, y.dtype.type))


_CHUNK = 1 << 15  # elements per packet-path call: keeps the temporaries in cache


def _chunked(fn: Callable[[Array], Array], flat: Array) -> Array:
    """``fn`` over 1-D ``flat`` in cache-sized chunks (``fn`` is element-wise)."""
    if flat.size <= _CHUNK:
        return fn(flat)
    out = np.empty_like(flat)
    for start in range(0, flat.size, _CHUNK):
        out[start : start + _CHUNK] = fn(flat[start : start + _CHUNK])
    return out


def _by_path(x: Array, lanes: int, packet: Callable[[Array], Array],
             scalar: Callable[[Array], Array]) -> Array:  # fmt: skip
    """Eigen's element-wise evaluation: full packets of ``lanes`` elements, then scalars."""
    flat = x.reshape(-1)
    n = flat.size
    k = n - n % lanes
    if k == n:
        return _chunked(packet, flat).reshape(x.shape)
    out = np.empty_like(flat)
    if k:
        out[:k] = _chunked(packet, flat[:k])
    if k < n:
        out[k:] = scalar(flat[k:])
    return out.reshape(x.shape)


# ----------------------------------------------------------------- the C library's scalars
# Eigen's scalar path calls the C library for these (glibc on Linux): TF's results are the
# library's, so stowflow calls the same functions (only for the few scalar-path elements).
# Without a C library it falls back to NumPy in double precision, rounded: within an ulp of
# glibc (expf/logf differ about 1 in 2000, expm1f/log1pf a few percent).


_NUMPY_TWINS: dict[str, Callable[[Array], Array]] = {
    "exp": np.exp, "log": np.log, "expm1": np.expm1, "log1p": np.log1p, "tanh": np.tanh,
}  # fmt: skip
_C_FUNCS: dict[tuple[str, Any], Callable[[float], float] | None] = {}
_LIBM: list[ctypes.CDLL | None] = []


def _libm() -> ctypes.CDLL | None:
    """The C math library, loaded on first use (None if there is none to load)."""
    if not _LIBM:
        import ctypes.util  # only when glibc's name fails: find_library may run a subprocess

        lib = None
        for find in (lambda: "libm.so.6", lambda: ctypes.util.find_library("m")):
            name = find()
            try:
                lib = ctypes.CDLL(name) if name else None
            except OSError:
                continue
            if lib is not None:
                break
        _LIBM.append(lib)
    return _LIBM[0]


def _c_function(name: str, dtype: Any) -> Callable[[float], float] | None:
    """The C library's ``name`` (``namef`` for float32) with its C signature, or None."""
    key = (name, dtype)
    if key not in _C_FUNCS:
        lib, fn = _libm(), None
        if lib is not None:
            ctype = ctypes.c_float if dtype is F32 else ctypes.c_double
            fn = getattr(lib, name + ("f" if dtype is F32 else ""), None)
            if fn is not None:
                fn.restype, fn.argtypes = ctype, [ctype]
        _C_FUNCS[key] = fn
    return _C_FUNCS[key]


def _c_call(name: str, x: Array) -> Array:
    """The C library's ``name`` (``expf``... for float32) on each element of ``x``."""
    dtype = F32 if x.dtype == F32 else F64
    fn = _c_function(name, dtype)
    with np.errstate(all="ignore"):
        if fn is None:
            return _NUMPY_TWINS[name](x.astype(F64)).astype(dtype)
        return np.array([fn(v) for v in x.reshape(-1).tolist()], dtype).reshape(x.shape)


def _c_float(name: str, x: Array) -> Array:
    """The C library's float function ``name`` on float32 ``x`` under FTZ/DAZ.

    glibc's ``expf`` rounds a double result accurate to 2**-33, so for long inputs ``exp`` is
    computed in double with NumPy and rounded, and only results whose double value lies near a
    float rounding boundary (about 1 in 10) are asked of the C library.
    """
    xd = _flush(x)
    if x.size <= 16 or name != "exp":
        out = _c_call(name, xd)
    else:
        with np.errstate(all="ignore"):
            wide = _NUMPY_TWINS[name](xd.astype(F64))
            out = wide.astype(F32)
            ulp = np.spacing(np.abs(out)).astype(F64)
            frac = np.abs(wide - out.astype(F64)) / ulp
            hard = ~(frac < 0.45) | ~(np.abs(out) >= np.finfo(F32).tiny) | ~np.isfinite(out)
        if hard.any():
            out[hard] = _c_call(name, xd[hard])
    if name == "log1p":  # glibc's log1pf returns a tiny x itself, untouched by FTZ
        sub = np.abs(x) < np.finfo(F32).tiny
        if sub.any():
            out[sub] = x[sub]
    if name == "log":  # glibc's logf reads a subnormal's bits: negative ones are invalid,
        # positive ones are normalised by a multiply that DAZ turns into 0 * 2**23
        sub = (x != 0) & (np.abs(x) < np.finfo(F32).tiny)
        if sub.any():
            out[sub] = np.where(x[sub] > 0, F32(-150 * 0.6931471805599453), F32(np.nan))
    return out if name == "log1p" else _flush(out)


def _c_double(name: str, x: Array) -> Array:
    return _flush(_c_call(name, _flush(x)))


# ----------------------------------------------------------------- float32 packet kernels
# Each takes raw float32 lanes (subnormals included) and returns what the AVX code stores.

_EXP_P32 = tuple(F32(c) for c in (
    1.37449637986719608306884765625e-3, 8.36894474923610687255859375e-3,
    4.166965186595916748046875e-2, 0.16666518151760101318359375, 0.49999988079071044921875,
))  # fmt: skip
_C1_32, _C2_32 = F32(-0.693359375), F32(2.12194440e-4)
_LOG2E_32 = F32(1.44269504088896341)
_HALF32, _ONE32 = F32(0.5), F32(1.0)


def _exp_reduce32(x: Array) -> tuple[Array, Array]:
    """``m = floor(x log2(e) + 1/2)`` and ``r = x - m ln 2`` (ln 2 in two parts)."""
    m = np.floor(x * _LOG2E_32 + _HALF32)
    r = m * _C1_32 + x
    return m, m * _C2_32 + r


def _pexp32(x: Array) -> Array:
    """Eigen's ``pexp_float``: a degree-6 polynomial of the reduced argument.

    (A subnormal input needs no DAZ here: it reduces to ``r = x`` and ``exp = 1`` either way;
    Eigen's final ``max(result, x)`` only matters for NaN, which the result already is.)
    """
    m, r = _exp_reduce32(np.minimum(x, F32(88.723)))
    p6, p5, p4, p3, p2 = _EXP_P32
    r2 = r * r
    p_even = r2 * p6
    p_even += p4
    p_odd = r2 * p5
    p_odd += p3
    p_even *= r2
    p_even += p2
    y = r * p_odd
    y += p_even
    y *= r2
    r += _ONE32
    y += r
    out = _ldexp(y, m)
    out[x < F32(-104.0)] = 0
    return out


_LOG_ALPHA32 = tuple(F32(c) for c in (0.18256296349849254, 1.0000000190281063, 1.0000000190281136))
_LOG_BETA32 = tuple(
    F32(c) for c in (0.049616247954120038, 0.59923249590823520, 1.4999999999999927, 1.0)
)
_SQRTHF32 = F32(0.707106781186547524)
_LN2_32 = F32(0.693147180559945309417232121458176568)


def _plog32(x: Array) -> Array:
    """Eigen's ``plog_float``: frexp, then a [2/3] rational approximation of log(1+x)."""
    bits = x.view(np.uint32)
    biased = (bits >> np.uint32(23)) & np.uint32(0xFF)
    m = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(F32)  # in [0.5, 1)
    e = biased.astype(F32)
    e -= F32(126.0)
    small = m < _SQRTHF32
    f = m - _ONE32
    f += np.where(small, m, F32(0.0))
    e -= small
    p = f * _polevl(f, _LOG_ALPHA32)
    p /= _polevl(f, _LOG_BETA32)
    r = e * _LN2_32
    r += p
    r[x == np.inf] = np.inf
    r[(x < 0) | np.isnan(x)] = np.nan
    r[biased == 0] = -np.inf  # zeros, and subnormals read as zero (DAZ)
    return r


_TANH_ALPHA32 = tuple(
    F32(c) for c in (1.394553628e-8, 2.102733560e-5, 3.520756727e-3, 1.340216100e-1)
)
_TANH_BETA32 = tuple(
    F32(c) for c in (8.015776984e-7, 3.326951409e-4, 2.597254514e-2, 4.673548340e-1, 1.0)
)
_TANH_CLAMP32 = F32(7.90738964080810547)  # the non-FMA build's clamp


def _ptanh32(x: Array) -> Array:
    """Eigen's ``ptanh_float`` (scalar and packet alike): a [9/8] rational approximation."""
    xc = np.maximum(np.minimum(x, _TANH_CLAMP32), -_TANH_CLAMP32)  # NaN stays NaN
    x2 = xc * xc
    p = _polevl(x2, _TANH_ALPHA32)
    p *= x2 * xc
    p += xc
    p /= _polevl(x2, _TANH_BETA32)
    return _flush(p)  # DAZ/FTZ on x2 and x3 cannot change the result; only a subnormal x can


_LOGISTIC_P32 = tuple(F32(c) for c in (
    8.33471305668354034423828125e-3, 4.1898667812347412109375e-2,
    0.16666877269744873046875, 0.49999141693115234375,
))  # fmt: skip


def _plogistic32(x: Array) -> Array:
    """Eigen's ``scalar_logistic_op<float>::packetOp``: exp(x/2)**2 / (1 + exp(x/2)**2)."""
    m, r = _exp_reduce32(np.minimum(x, F32(16.6355324)) * _HALF32)
    p5, p4, p3, p2 = _LOGISTIC_P32
    r2 = r * r
    p_even = r2 * p4
    p_even += p2
    p = r2 * p5
    p += p3
    p *= r
    p += p_even
    p *= r2
    r += _ONE32
    p += r
    # pldexp_fast: m is in [-75, 9] for x >= -104 (NaN m comes with NaN p)
    e = p * _pow2(np.clip(np.nan_to_num(m), -126, 127).astype(np.int32), F32)
    e *= e
    out = _flush(e / (_ONE32 + e))  # FTZ of e*e first cannot change this
    out[x < F32(-104.0)] = 0
    return out


def _slogistic32(x: Array) -> Array:
    """The scalar path: ``e = expf(min(x, 16.6355324)); e / (1 + e)``."""
    e = _c_float("exp", _pmin(x, F32(16.6355324)))
    return _flush(e / (_ONE32 + e))


def _generic_expm1(x: Array, pexp: Callable[[Array], Array],
                   plog: Callable[[Array], Array]) -> Array:  # fmt: skip
    """Eigen's ``generic_expm1`` (Kahan): ``(u - 1) * x / log(u)`` with ``u = exp(x)``."""
    one = x.dtype.type(1)
    u = pexp(x)
    u_minus_one = u - one
    logu = plog(u)
    out = _flush(u_minus_one * _flush(_flush(x) / logu))
    out = np.where(logu == u, u, out)
    out = np.where(u_minus_one == -one, -one, out)
    return np.where(u == one, x, out)


def _generic_log1p(x: Array, plog: Callable[[Array], Array]) -> Array:
    """Eigen's ``generic_log1p`` (Kahan): ``x * log(1 + x) / ((1 + x) - 1)``."""
    one = x.dtype.type(1)
    xp1 = _flush(x) + one
    log1 = plog(xp1)
    large = x * _flush(log1 / (xp1 - one))
    return _flush(np.where((xp1 == one) | (xp1 == log1), x, large))  # TF flushes even x


_ERF_ALPHA32 = tuple(F32(c) for c in (
    2.123732201653183437883853912353515625e-06, 2.861979592125862836837768554687500000e-04,
    3.658048342913389205932617187500000000e-03, 5.243302136659622192382812500000000000e-02,
    1.874160766601562500000000000000000000e-01, 1.128379106521606445312500000000000000e00,
))  # fmt: skip
_ERF_BETA32 = tuple(F32(c) for c in (
    3.89185734093189239501953125000e-05, 1.14329601638019084930419921875e-03,
    1.47520881146192550659179687500e-02, 1.12945675849914550781250000000e-01,
    4.99425798654556274414062500000e-01, 1.0,
))  # fmt: skip


def _perf32(x: Array) -> Array:
    """Eigen's ``generic_fast_erf<float>`` (both paths): an [11/10] rational approximation."""
    xd = _flush(x)
    x2 = _pmin(F32(16.0), _flush(xd * xd))
    r = (xd * _polevl(x2, _ERF_ALPHA32)) / _polevl(x2, _ERF_BETA32)
    return _flush(_pmax(_pmin(r, _ONE32), -_ONE32))


_ERFC_ALPHA32 = tuple(F32(c) for c in (
    5.61802298761904239654541015625e-04, -4.91381669417023658752441406250e-03,
    2.67075151205062866210937500000e-02, -1.12800106406211853027343750000e-01,
    3.76122951507568359375000000000e-01, -1.12837910652160644531250000000e00,
))  # fmt: skip
_ERFC_GAMMA32 = tuple(F32(c) for c in (
    1.0208116471767425537109375e-01, 4.2920666933059692382812500e-01,
    3.2379078865051269531250000e-01, 5.3971976041793823242187500e-02,
))  # fmt: skip
_ERFC_DELTA32 = tuple(F32(c) for c in (
    1.7251677811145782470703125e-02, 3.9137163758277893066406250e-01,
    1.0000000000000000000000000e00, 6.2173241376876831054687500e-01,
    9.5662862062454223632812500e-02,
))  # fmt: skip


def _erfc32(x: Array, pexp: Callable[[Array], Array],
            recip: Callable[[Array], Array]) -> Array:  # fmt: skip
    """Eigen's ``generic_fast_erfc<float>`` with the path's ``exp`` and reciprocal."""
    xc = _pmin(_pmax(_flush(x), F32(-11.0)), F32(11.0))
    x2 = _flush(xc * xc)
    small = _flush(xc * _polevl(x2, _ERFC_ALPHA32) + _ONE32)
    large_mask = _ONE32 < x2
    if not large_mask.any():
        return small
    # Eigen computes this branch for whole packets and selects per lane: same values.
    xc, x2 = xc[large_mask], x2[large_mask]
    # x*x - fl(x*x), exact (Dekker's product; exact in double too)
    x2_lo = (xc.astype(F64) * xc.astype(F64) - x2.astype(F64)).astype(F32)
    exp2_hi = pexp(-x2)
    z = exp2_hi - _flush(exp2_hi * x2_lo)
    q2 = recip(x2)
    r = _polevl(q2, _ERFC_GAMMA32) / (xc * _polevl(q2, _ERFC_DELTA32))
    small[large_mask] = _flush(z * r + np.where(xc < 0, F32(2.0), F32(0.0)))
    return small


def _cpu_id() -> tuple[str, int] | None:
    """This CPU's (vendor, family) from /proc/cpuinfo, or None where there is none."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            info = f.read(65536)
    except OSError:
        return None
    vendor = re.search(r"^vendor_id\s*:\s*(\S+)", info, re.M)
    family = re.search(r"^cpu family\s*:\s*(\d+)", info, re.M)
    return (vendor.group(1), int(family.group(1))) if vendor and family else None


def rcpps_table_for(cpu: tuple[str, int] | None) -> Array | None:
    """The ``rcpps`` mantissa table of the CPU family ``cpu`` (vendor, family), if known."""
    from stowflow.graph.kernels import _rcpps_table as table

    if cpu != (table.VENDOR, table.FAMILY):
        return None
    steps = np.frombuffer("".join(table.STEPS).encode(), np.uint8) - ord("0")
    mantissas = table.FIRST - np.concatenate([[0], np.cumsum(steps)])
    return mantissas.astype(np.uint32) << np.uint32(11)


_RCPPS: list[Array | None] = []  # [table of this CPU], filled on first use


def _rcpps(x: Array) -> Array | None:
    """``rcpps(x)`` as this CPU computes it (DAZ/FTZ), or None if its table is unknown."""
    if not _RCPPS:
        _RCPPS.append(rcpps_table_for(_cpu_id()))
    table = _RCPPS[0]
    if table is None:
        return None
    bits = x.view(np.uint32)
    biased = (bits >> np.uint32(23)) & np.uint32(0xFF)
    sign = bits & np.uint32(0x80000000)
    out_exp = np.uint32(253) - np.minimum(biased, np.uint32(253))
    out = sign | (out_exp << np.uint32(23)) | table[(bits >> np.uint32(11)) & np.uint32(0xFFF)]
    if biased.size and (biased.min() == 0 or biased.max() >= 253):
        out = np.where(out_exp == 0, sign, out)  # a subnormal estimate is flushed
        out = np.where(biased == 0, sign | np.uint32(0x7F800000), out)  # 0, subnormals: inf
        out = np.where(biased == 0xFF, np.where(bits & np.uint32(0x7FFFFF), bits, sign), out)
    return out.view(F32)


def _precip32(x: Array) -> Array:
    """Eigen's float packet reciprocal under fast math: ``rcpps`` and one Newton step.

    ``rcpps`` is a per-vendor table; on CPUs whose table stowflow lacks this is ``1/x``.
    """
    estimate = _rcpps(x)
    if estimate is None:
        return _flush(_ONE32 / _flush(x))
    tmp = _ONE32 - _flush(x * estimate)
    refined = _flush(estimate * tmp) + estimate
    return _flush(np.where(tmp == tmp, refined, estimate))


# ----------------------------------------------------------------- float64 packet kernels

_EXP_P64 = (1.26177193074810590878e-4, 3.02994407707441961300e-2, 9.99999999999999999910e-1)
_EXP_Q64 = (3.00198505138664455042e-6, 2.52448340349684104192e-3, 2.27265548208155028766e-1,
            2.00000000000000000009e0)  # fmt: skip


def _pexp64(x: Array) -> Array:
    """Eigen's ``pexp_double``: a Padé-style rational approximation (Cephes)."""
    xc = np.minimum(x, 709.784)
    fx = np.floor(1.4426950408889634073599 * xc + 0.5)
    r = xc - fx * 0.693145751953125
    r = r - fx * 1.42860682030941723212e-6
    r2 = r * r
    px = _polevl(r2, _EXP_P64) * r
    qx = _polevl(r2, _EXP_Q64)
    y = 2.0 * (px / (qx - px)) + 1.0
    out = _ldexp(y, fx)
    out[x < -745.519] = 0
    return out


_LOG_P64 = (1.01875663804580931796e-4, 4.97494994976747001425e-1, 4.70579119878881725854e0,
            1.44989225341610930846e1, 1.79368678507819816313e1, 7.70838733755885391666e0)  # fmt: skip
_LOG_Q64 = (1.0, 1.12873587189167450590e1, 4.52279145837532221105e1, 8.29875266912776603211e1,
            7.11544750618563894466e1, 2.31251620126765340583e1)  # fmt: skip


def _plog64(x: Array) -> Array:
    """Eigen's ``plog_impl_double`` (Cephes): log(1+f) = f - f**2/2 + f**3 P(f)/Q(f)."""
    xd = _flush(x)
    m, e_int = np.frexp(xd)
    e = e_int.astype(F64)
    small = m < 0.70710678118654752440
    f = (m - 1.0) + np.where(small, m, 0.0)
    e = e - small
    f2 = f * f
    f3 = f2 * f
    p0, p1, p2, p3, p4, p5 = _LOG_P64
    y = (p0 * f + p1) * f + p2
    y1 = (p3 * f + p4) * f + p5
    y_ = y * f3 + y1
    q0, q1, q2, q3, q4, q5 = _LOG_Q64
    y = (q0 * f + q1) * f + q2
    y1 = (q3 * f + q4) * f + q5
    y = y * f3 + y1
    y = (y_ * f3) / y
    y = -0.5 * f2 + y
    r = e * 0.693147180559945309417232121458176568 + (f + y)
    r = np.where(xd == np.inf, np.inf, r)
    r = np.where((xd < 0) | np.isnan(xd), np.nan, r)
    return np.where(xd == 0, -np.inf, r)


_TANH_ALPHA64 = (2.6158007860482230e-23, 7.6534862268749319e-19, 3.1309488231386680e-15,
                 4.2303918148209176e-12, 2.4618379131293676e-09, 6.8644367682497074e-07,
                 9.3839087674268880e-05, 5.9809711724441161e-03, 1.5184719640284322e-01)  # fmt: skip
_TANH_BETA64 = (6.463747022670968018e-21, 5.782506856739003571e-17, 1.293019623712687916e-13,
                1.123643448069621992e-10, 4.492975677839633985e-08, 8.785185266237658698e-06,
                8.295161192716231542e-04, 3.437448108450402717e-02, 4.851805297361760360e-01,
                1.0)  # fmt: skip


def _ptanh64(x: Array) -> Array:
    """Eigen's ``ptanh_double``: a [19/18] rational approximation (packet path only)."""
    c = 17.714196154005176
    xc = _pmax(_pmin(_flush(x), c), -c)
    x2 = _flush(xc * xc)
    x3 = x2 * xc
    p = x3 * _polevl(x2, _TANH_ALPHA64) + xc
    return _flush(p / _polevl(x2, _TANH_BETA64))


_ERF_ALPHA64 = (1.9493725660006057018823477644531294572516344487667083740234375e-04,
                1.8272566210022942682217328425053892715368419885635375976562500e-03,
                4.5303363351690106863856044583371840417385101318359375000000000e-02,
                1.4215015503619179981775744181504705920815467834472656250000000e-01,
                1.1283791670955125585606992899556644260883331298828125000000000e00)  # fmt: skip
_ERF_BETA64 = (2.0294484101083099089526257108317963684385176748037338256835938e-05,
               6.8117805899186819641732970609382391558028757572174072265625000e-04,
               1.0582026056098614921752165685120417037978768348693847656250000e-02,
               9.3252603143757495374188692949246615171432495117187500000000000e-02,
               4.5931062818368939559832142549566924571990966796875000000000000e-01,
               1.0)  # fmt: skip
_ERFC_GAMMA64 = (1.5252844933226974316088642158462107545346952974796295166015625e-04,
                 1.0909912393738931124520519233556115068495273590087890625000000e-02,
                 1.0628604636755033252537572252549580298364162445068359375000000e-01,
                 3.3492472973137982217295416376146022230386734008789062500000000e-01,
                 4.5065776215933289750026347064704168587923049926757812500000000e-01,
                 2.9433039130294824659017649537418037652969360351562500000000000e-01,
                 9.8792676360600226170838311645638896152377128601074218750000000e-02,
                 1.7095935395503719655962981960328761488199234008789062500000000e-02,
                 1.4249109729504577659398023570247460156679153442382812500000000e-03,
                 4.4567378313647954771875570045835956989321857690811157226562500e-05)  # fmt: skip
_ERFC_DELTA64 = (2.041985103115789845773520028160419315099716186523437500000000e-03,
                 5.316030659946043707142493417450168635696172714233398437500000e-02,
                 3.426242193784684864077405563875799998641014099121093750000000e-01,
                 8.565637124308049799026321124983951449394226074218750000000000e-01,
                 1.000000000000000000000000000000000000000000000000000000000000e00,
                 5.968805280570776972126623149961233139038085937500000000000000e-01,
                 1.890922854723317836356244470152887515723705291748046875000000e-01,
                 3.152505418656005586885981983868987299501895904541015625000000e-02,
                 2.565085751861882583380047861965067568235099315643310546875000e-03,
                 7.899362131678837697403017248376499992446042597293853759765625e-05)  # fmt: skip


def _twoprod_low64(x: Array, xy: Array) -> Array:
    """``x*x - xy`` exactly (Dekker's product with Veltkamp splitting)."""
    gamma = 134217729.0 * x  # 2**27 + 1
    hi = (x - gamma) + gamma
    lo = x - hi
    p = hi * hi - xy
    p = hi * lo + p
    p = lo * hi + p
    return lo * lo + p


def _erfc_large64(x: Array, x2: Array, pexp: Callable[[Array], Array]) -> Array:
    """Eigen's ``erfc_double_large`` for 1 < |x| < 28."""
    exp2_hi = pexp(-x2)
    z = exp2_hi - _flush(exp2_hi * _twoprod_low64(x, x2))
    q2 = 1.0 / x2
    r = _polevl(q2, _ERFC_GAMMA64) / (x * _polevl(q2, _ERFC_DELTA64))
    return _flush(z * r + np.where(x < 0, 2.0, 0.0))


def _erf64(x: Array, pexp: Callable[[Array], Array]) -> Array:
    """Eigen's ``generic_fast_erf<double>``."""
    xd = _flush(x)
    x2 = _flush(xd * xd)
    small = _flush(xd * (_polevl(x2, _ERF_ALPHA64) / _polevl(x2, _ERF_BETA64)))
    mask = 1.0 < x2
    if not mask.any():
        return small
    return np.where(mask, 1.0 - _erfc_large64(xd, x2, pexp), small)


def _erfc64(x: Array, pexp: Callable[[Array], Array]) -> Array:
    """Eigen's ``generic_fast_erfc<double>``."""
    xc = _pmin(_pmax(_flush(x), -28.0), 28.0)
    x2 = _flush(xc * xc)
    small = 1.0 - _flush(xc * (_polevl(x2, _ERF_ALPHA64) / _polevl(x2, _ERF_BETA64)))
    mask = 1.0 < x2
    if not mask.any():
        return small
    return np.where(mask, _erfc_large64(xc, x2, pexp), small)


def _logistic_generic(x: Array, pexp: Callable[[Array], Array]) -> Array:
    """Eigen's generic ``scalar_logistic_op``: ``e / (1 + e)`` with ``e = exp(x)``, 1 at inf."""
    one = x.dtype.type(1)
    e = pexp(x)
    with np.errstate(all="ignore"):
        out = _flush(e / (one + e))
    return np.where(e == np.inf, one, out)


# ------------------------------------------------------------------------ dispatch tables
Elementwise = Callable[[Array], Array]
_LANES: dict[np.dtype[Any], int] = {np.dtype(F32): 8, np.dtype(F64): 4, F16: 8, BF16: 8}
DTYPES: frozenset[np.dtype[Any]] = frozenset(_LANES)
"""The dtypes this module computes (TF's real floating types)."""


def _c32(name: str) -> Elementwise:
    return lambda x: _c_float(name, x)


def _c64(name: str) -> Elementwise:
    return lambda x: _c_double(name, x)


def _recip_scalar(x: Array) -> Array:
    return _flush(x.dtype.type(1) / _flush(x))


# function -> dtype kind -> (packet path, scalar path); "narrow" is float16 and bfloat16,
# whose paths run on float32 values (the result is rounded back by the caller).
_PATHS: dict[str, dict[str, tuple[Elementwise, Elementwise]]] = {
    "exp": {
        "f32": (_pexp32, _c32("exp")),
        "f64": (_pexp64, _c64("exp")),
        "narrow": (_pexp32, _c32("exp")),
    },
    "log": {
        "f32": (_plog32, _c32("log")),
        "f64": (_plog64, _c64("log")),
        "narrow": (_plog32, _c32("log")),
    },
    "tanh": {
        "f32": (_ptanh32, _ptanh32),
        "f64": (_ptanh64, _c64("tanh")),
        "narrow": (_ptanh32, _c32("tanh")),
    },
    "sigmoid": {
        "f32": (_plogistic32, _slogistic32),
        "f64": (lambda x: _logistic_generic(x, _pexp64), lambda x: _logistic_generic(x, _c64("exp"))),
    },
    "expm1": {
        "f32": (lambda x: _generic_expm1(x, _pexp32, _plog32), _c32("expm1")),
        "f64": (lambda x: _generic_expm1(x, _pexp64, _plog64), _c64("expm1")),
        "narrow": (lambda x: _generic_expm1(x, _pexp32, _plog32), _c32("expm1")),
    },
    "log1p": {
        "f32": (lambda x: _generic_log1p(x, _plog32), _c32("log1p")),
        "f64": (lambda x: _generic_log1p(x, _plog64), _c64("log1p")),
        "narrow": (lambda x: _generic_log1p(x, _plog32), _c32("log1p")),
    },
    "erf": {
        "f32": (_perf32, _perf32),
        "f64": (lambda x: _erf64(x, _pexp64), lambda x: _erf64(x, _c64("exp"))),
        "narrow": (_perf32, _perf32),
    },
    "erfc": {
        "f32": (lambda x: _erfc32(x, _pexp32, _precip32), lambda x: _erfc32(x, _c32("exp"), _recip_scalar)),
        "f64": (lambda x: _erfc64(x, _pexp64), lambda x: _erfc64(x, _c64("exp"))),
        "narrow": (lambda x: _erfc32(x, _pexp32, _precip32), lambda x: _erfc32(x, _c32("exp"), _recip_scalar)),
    },
    "reciprocal": {
        "f32": (_precip32, _recip_scalar),
        "f64": (_recip_scalar, _recip_scalar),
        "narrow": (_precip32, _recip_scalar),
    },
}  # fmt: skip


def _kind(dtype: np.dtype[Any]) -> str:
    if dtype == F32:
        return "f32"
    if dtype == F64:
        return "f64"
    if dtype in (F16, BF16):
        return "narrow"
    raise TypeError(f"eigen_math supports float16, bfloat16, float32 and float64, not {dtype}")


def _paths(name: str, dtype: np.dtype[Any]) -> tuple[Elementwise, Elementwise]:
    """The (packet, scalar) functions of ``name`` for arrays of ``dtype``."""
    kind = _kind(dtype)
    if name == "sigmoid" and kind == "narrow":  # Eigen's generic logistic, in half arithmetic
        exp_packet, exp_scalar = _paths("exp", dtype)
        return (lambda x: _logistic_generic(x, exp_packet),
                lambda x: _logistic_generic(x, exp_scalar))  # fmt: skip
    packet, scalar = _PATHS[name][kind]
    if kind != "narrow":
        return packet, scalar
    return _narrowed(packet, dtype), _narrowed(scalar, dtype)


def _narrowed(fn: Elementwise, dtype: np.dtype[Any]) -> Elementwise:
    """``fn`` run on float32 values of a float16/bfloat16 array, rounded back to ``dtype``."""
    return lambda x: fn(x.astype(F32)).astype(dtype)


def _elementwise(name: str, x: Array) -> Array:
    x = np.asarray(x)
    packet, scalar = _paths(name, x.dtype)
    with np.errstate(all="ignore"):
        return _by_path(x, _LANES[x.dtype], packet, scalar)


def exp(x: Array) -> Array:
    """TF's ``Exp`` on CPU, bit for bit."""
    return _elementwise("exp", x)


def log(x: Array) -> Array:
    """TF's ``Log`` on CPU, bit for bit."""
    return _elementwise("log", x)


def tanh(x: Array) -> Array:
    """TF's ``Tanh`` on CPU, bit for bit."""
    return _elementwise("tanh", x)


def sigmoid(x: Array) -> Array:
    """TF's ``Sigmoid`` on CPU, bit for bit."""
    return _elementwise("sigmoid", x)


def expm1(x: Array) -> Array:
    """TF's ``Expm1`` on CPU, bit for bit."""
    return _elementwise("expm1", x)


def log1p(x: Array) -> Array:
    """TF's ``Log1p`` on CPU, bit for bit."""
    return _elementwise("log1p", x)


def erf(x: Array) -> Array:
    """TF's ``Erf`` on CPU, bit for bit."""
    return _elementwise("erf", x)


def erfc(x: Array) -> Array:
    """TF's ``Erfc`` on CPU, bit for bit."""
    return _elementwise("erfc", x)


# ----------------------------------------------------------------------- softmax family
_LEAF = {np.dtype(F32): 1024, np.dtype(F64): 1024, F16: 200, BF16: 128}


def _predux(p: Array) -> Array:
    """Eigen's horizontal sum of each row's packet (halves, then pairs; narrow types in f32)."""
    narrow = p.dtype in (F16, BF16)
    q = p.astype(F32) if narrow else p
    while q.shape[1] > 1:
        half = q.shape[1] // 2
        q = q[:, :half] + q[:, half:]
    return q[:, 0].astype(p.dtype) if narrow else q[:, 0]


def _leaf_sum(v: Array, lanes: int) -> Array:
    """Eigen's vectorised inner-most sum of each row of ``v`` (4 packet accumulators...)."""
    rows, n = v.shape
    zero = v.dtype.type(0)
    packet = None
    start = 0
    if n >= 4 * lanes:
        k4 = (n // (4 * lanes)) * 4 * lanes
        blocks = v[:, :k4].reshape(rows, k4 // (4 * lanes), 4, lanes)
        acc = blocks[:, 0] + zero
        for j in range(1, blocks.shape[1]):
            acc = acc + blocks[:, j]
        packet = (acc[:, 0] + acc[:, 1] + acc[:, 2]) + acc[:, 3]
        start = k4
    full = (n // lanes) * lanes
    for j in range(start, full, lanes):
        packet = v[:, j : j + lanes] + zero if packet is None else packet + v[:, j : j + lanes]
    total = np.full(rows, zero, v.dtype)
    for j in range(max(start, full), n):
        total = total + v[:, j]
    return total + (_predux(packet) if packet is not None else zero)


def _row_sums(v: Array, elem: tuple[Elementwise, Elementwise] | None) -> Array:
    """Eigen's sum over the last axis of 2-D ``v``, after ``elem`` as the reducer reads it.

    Rows longer than ``lanes * leaf`` are summed as a tree whose split points are packet
    aligned in the flat tensor, so those rows are grouped by their start offset.
    """
    rows, n = v.shape
    lanes, leaf = _LANES[v.dtype], _LEAF[v.dtype]

    def leaf_sum(part: Array) -> Array:
        if elem is not None:
            part = _by_path_rows(part, lanes, *elem)
        return _leaf_sum(part, lanes)

    if n <= lanes * leaf:
        return leaf_sum(v)

    def tree(part: Array, first: int, count: int, col: int) -> Array:
        if count <= lanes * leaf:
            return leaf_sum(part[:, col : col + count])
        split = lanes * -(-(first + -(-count // 2)) // lanes)
        left = min(split - first, count)
        acc = tree(part, first, left, col) + part.dtype.type(0)
        if left < count:
            acc = acc + tree(part, split, count - left, col + left)
        return acc

    out = np.empty(rows, v.dtype)
    offsets = (np.arange(rows) * n) % lanes
    for offset in np.unique(offsets):
        sel = offsets == offset
        out[sel] = tree(v[sel], int(offset), n, 0)
    return out


def _by_path_rows(v: Array, lanes: int, packet: Elementwise, scalar: Elementwise) -> Array:
    """``packet`` on each row's full packets, ``scalar`` on each row's tail."""
    n = v.shape[1]
    k = n - n % lanes
    out = np.empty_like(v)
    if k:
        out[:, :k] = _chunked(packet, v[:, :k].reshape(-1)).reshape(-1, k)
    if k < n:
        out[:, k:] = scalar(np.ascontiguousarray(v[:, k:]).reshape(-1)).reshape(-1, n - k)
    return out


# Softmax's ``exp`` is one tiled Eigen assignment: the thread pool's cost model sets a target
# block size (40000 cycles / the expression's cost per coefficient), the block mapper cuts
# the [rows, classes] tensor into blocks skewed to the inner dimension, and each contiguous
# run of a block ends in scalar evaluations. The targets below are those of TF 2.21's build
# (AVX, no FMA), read off TF's outputs (bench/eigen_numerics.py). For float16/bfloat16 the
# two paths round to the same result for every input <= 0, so their target cannot matter.
_SOFTMAX_EXP_BLOCK = {np.dtype(F32): 6956, np.dtype(F64): 2539, F16: 6956, BF16: 6956}


def _scalar_mask(rows: int, cols: int, lanes: int, target: int) -> Array | None:
    """Which elements of a tiled [rows, cols] evaluation take Eigen's scalar path."""
    size = rows * cols
    if size <= target:  # one block: the flat tensor's tail
        run_starts = np.array([0])
        run_lengths = np.array([size])
    elif target >= cols:  # blocks of whole rows, each one contiguous run
        run = -(-target // cols) * cols
        run_starts = np.arange(0, size, run)
        run_lengths = np.minimum(run, size - run_starts)
    else:  # each row cut into runs of `target` columns
        starts_in_row = np.arange(0, cols, target)
        lengths_in_row = np.minimum(target, cols - starts_in_row)
        run_starts = (np.arange(rows)[:, None] * cols + starts_in_row).reshape(-1)
        run_lengths = np.tile(lengths_in_row, rows)
    tails = run_lengths % lanes
    if not tails.any():
        return None
    mask = np.zeros(size, bool)
    for k in range(1, lanes):  # mark the last k elements of runs whose tail is k
        ends = (run_starts + run_lengths)[tails == k]
        for j in range(1, k + 1):
            mask[ends - j] = True
    return mask


def _tiled(x2: Array, packet: Elementwise, scalar: Elementwise, target: int) -> Array:
    """An element-wise function of 2-D ``x2`` evaluated as Eigen's tiled executor does."""
    lanes = _LANES[x2.dtype]
    flat = x2.reshape(-1)
    out = _chunked(packet, flat)
    mask = _scalar_mask(x2.shape[0], x2.shape[1], lanes, target)
    if mask is not None:
        out[mask] = scalar(flat[mask])
    return out.reshape(x2.shape)


def _check_logits(x: Array) -> None:
    if x.ndim < 1:
        raise ValueError("logits must have >= 1 dimension")


def _arith(fn: Callable[[Array, Array], Array], a: Array, b: Array) -> Array:
    """``fn(a, b)`` as the CPU runs it under FTZ/DAZ (bfloat16: in float32, then rounded)."""
    if a.dtype == BF16:
        return _flush(fn(_flush(a.astype(F32)), _flush(b.astype(F32)))).astype(BF16)
    return _flush(fn(_flush(a), _flush(b)))


def _shifted(x2: Array) -> Array:
    return _arith(np.subtract, x2, np.max(x2, axis=1, keepdims=True))


def softmax(x: Array) -> Array:
    """TF's ``Softmax`` on CPU over the last axis, bit for bit.

    ``e = exp(x - max)`` element-wise, then ``e * (1 / sum(e))`` (a reciprocal, not a
    division), the sum in Eigen's reduction order.
    """
    x = np.asarray(x)
    _check_logits(x)
    if x.size == 0:
        return x.copy()
    lanes = _LANES[x.dtype]
    x2 = x.reshape(-1, x.shape[-1])
    with np.errstate(all="ignore"):
        e = _tiled(_shifted(x2), *_paths("exp", x.dtype), _SOFTMAX_EXP_BLOCK[x.dtype])
        inv = _by_path(_row_sums(e, None), lanes, *_paths("reciprocal", x.dtype))
        return _arith(np.multiply, e, inv[:, None]).reshape(x.shape)


def log_softmax(x: Array) -> Array:
    """TF's ``LogSoftmax`` on CPU over the last axis, bit for bit: ``s - log(sum(exp(s)))``."""
    x = np.asarray(x)
    _check_logits(x)
    if x.size == 0:
        return x.copy()
    lanes = _LANES[x.dtype]
    x2 = x.reshape(-1, x.shape[-1])
    with np.errstate(all="ignore"):
        shifted = _shifted(x2)
        total = _row_sums(shifted, _paths("exp", x.dtype))
        log_total = _by_path(total, lanes, *_paths("log", x.dtype))
        return _arith(np.subtract, shifted, log_total[:, None]).reshape(x.shape)
