#!/usr/bin/env python
"""Bit-identity of stowflow's Eigen-style math kernels with TensorFlow 2.21 on this machine.

For Exp, Log, Tanh, Sigmoid, Expm1, Log1p, Erf, Erfc, Softmax and LogSoftmax, in one run:

  (1) builds random inputs per function and input range (float32: 10**6 per function, spread
      over the ranges below; float64: 2*10**5; float16 and bfloat16: every one of the 65,536
      bit patterns), from a fixed seed;
  (2) runs TF on them in a subprocess (this same file with the hidden ``--tf-worker`` flag,
      run by ``$STOWFLOW_TF_PYTHON``, else ``~/.cache/stowflow/tf-2.21.0/bin/python``), in a
      ``tf.compat.v1.Session`` with placeholders and ``TF_ENABLE_ONEDNN_OPTS=0`` (TF's Eigen
      kernels, as on CPUs without AVX512-VNNI/AMX), one op over the whole array (so almost all
      elements take Eigen's packet path). A ``scalar`` range also runs 2,000 ops of 7
      elements each, which Eigen evaluates entirely on its scalar path;
  (3) runs ``stowflow.graph.kernels.eigen_math`` on the same inputs and prints, per row, the
      share of bit-identical results (NaN counts as identical to NaN) and the largest
      distance in ulps;
  (4) times the stowflow kernels against ``np.exp`` on 10**6 float32 values (median of 5).

Not a test: it prints tables and asserts nothing.

Usage:
    python bench/eigen_numerics.py [--quick] [--skip-timing] [--tf-cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

UNARY = ["Exp", "Log", "Tanh", "Sigmoid", "Expm1", "Log1p", "Erf", "Erfc"]
SOFTMAX = ["Softmax", "LogSoftmax"]
SCALAR_OPS = 2000  # the scalar range: this many ops of 7 elements each


# ------------------------------------------------------------------------------ inputs
def _f32_ranges(rng: np.random.Generator, n: int, op: str) -> dict[str, np.ndarray]:
    """Input ranges for a float32 unary op (about ``n`` values in all)."""

    def logu(k: int, lo: float, hi: float) -> np.ndarray:
        return 10.0 ** rng.uniform(lo, hi, k)

    def signs(k: int) -> np.ndarray:
        return rng.choice([-1.0, 1.0], k)

    tiny = np.finfo(np.float32).tiny
    special = np.array(
        [np.inf, -np.inf, np.nan, 0.0, -0.0, np.finfo(np.float32).max, -np.finfo(np.float32).max,
         tiny, -tiny, 1.0, -1.0, 88.72283, -87.33654, 16.6355324, 7.9073896, -104.0, 11.0, 4.0],
    )  # fmt: skip
    k = n // 10
    out = {
        "normal N(0,1)": rng.standard_normal(3 * k),
        "wide |x|<120": rng.uniform(-120, 120, 2 * k),
        "near zero 1e-38..1e-2": signs(k) * logu(k, -38, -2),
        "large 60..1e38": signs(k) * logu(k, np.log10(60), 38),
        "subnormal": signs(k // 2) * rng.uniform(0, tiny, k // 2),
        "special": np.resize(special, k // 2),
    }
    if op in ("Log", "Log1p"):
        out["positive 1e-38..1e38"] = logu(2 * k, -38, 38)
        out["near 1 (log) / 0 (log1p)"] = (1.0 if op == "Log" else 0.0) + rng.normal(0, 1e-3, k)
    else:
        out["softsign |x|<20"] = rng.uniform(-20, 20, 2 * k)
        out["moderate |x|<5"] = rng.uniform(-5, 5, k)
    out["scalar path"] = rng.standard_normal(SCALAR_OPS * 7) * 10
    return {name: v.astype(np.float32) for name, v in out.items()}


def _every_pattern(dtype: Any) -> np.ndarray:
    return np.arange(65536, dtype=np.uint16).view(dtype)


def _softmax_inputs(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """2-D logits of several row lengths (float32, about ``n`` values in all)."""
    k = n // 10
    shapes = {
        "rows of 10, N(0,3)": ((3 * k) // 10, 10, 3.0),
        "rows of 3, N(0,3)": (k // 3, 3, 3.0),
        "rows of 37, U(-50,50)": (k // 37, 37, None),
        "rows of 1000, N(0,10)": (2 * k // 1000, 1000, 10.0),
        "rows of 10000, N(0,1) (tree sum)": (max(1, 3 * k // 10000), 10000, 1.0),
    }
    out = {}
    for name, (rows, cols, scale) in shapes.items():
        if scale is None:
            v = rng.uniform(-50, 50, (rows, cols))
        else:
            v = rng.standard_normal((rows, cols)) * scale
        out[name] = v.astype(np.float32)
    return out


def build_cases(quick: bool) -> list[dict[str, Any]]:
    """Every (op, dtype, range) case with its input array (deterministic)."""
    import ml_dtypes

    rng = np.random.default_rng(20261201)
    n32 = 100_000 if quick else 1_000_000
    n64 = 20_000 if quick else 200_000
    cases: list[dict[str, Any]] = []
    for op in UNARY:
        for rname, v in _f32_ranges(rng, n32, op).items():
            cases.append({"op": op, "dtype": "float32", "range": rname, "x": v})
        for rname, v in _f32_ranges(rng, n64, op).items():
            if rname in ("normal N(0,1)", "wide |x|<120", "near zero 1e-38..1e-2", "scalar path"):
                cases.append(
                    {"op": op, "dtype": "float64", "range": rname, "x": v.astype(np.float64)}
                )
        for dtype in (np.float16, ml_dtypes.bfloat16):
            name = np.dtype(dtype).name
            cases.append(
                {"op": op, "dtype": name, "range": "all 65536 values", "x": _every_pattern(dtype)}
            )
    for op in SOFTMAX:
        for rname, v in _softmax_inputs(rng, n32).items():
            cases.append({"op": op, "dtype": "float32", "range": rname, "x": v})
        for rname, v in _softmax_inputs(rng, n64).items():
            if "tree" not in rname:
                cases.append(
                    {"op": op, "dtype": "float64", "range": rname, "x": v.astype(np.float64)}
                )
                for dtype in (np.float16, ml_dtypes.bfloat16):
                    cases.append({"op": op, "dtype": np.dtype(dtype).name, "range": rname,
                                  "x": v[: max(1, len(v) // 10)].astype(dtype)})  # fmt: skip
    return cases


# ------------------------------------------------------------------------- TF side
def tf_worker(spec_path: str, in_path: str, out_path: str) -> None:
    """Runs each case's op in TF (graph mode) and saves the outputs (runs under TF)."""
    import ml_dtypes  # noqa: F401 - registers bfloat16 with NumPy for np.load
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    spec = json.loads(open(spec_path).read())
    inputs = np.load(in_path)
    outputs = {}
    for i, case in enumerate(spec):
        x = inputs[f"x{i}"].view(case["view"]) if case["view"] else inputs[f"x{i}"]
        g = tf.Graph()
        with g.as_default():
            p = tf.compat.v1.placeholder(tf.as_dtype(x.dtype))
            fn = getattr(tf.raw_ops, case["op"])

            def apply(t: Any, fn: Any = fn, op: str = case["op"]) -> Any:
                return fn(logits=t) if op in SOFTMAX else fn(x=t)

            if case["range"] == "scalar path":
                pieces = tf.unstack(tf.reshape(p, [SCALAR_OPS, 7]))
                y = tf.reshape(tf.stack([apply(t) for t in pieces]), [-1])
            else:
                y = apply(p)
            with tf.compat.v1.Session(graph=g) as sess:
                out = sess.run(y, {p: x})
        outputs[f"y{i}"] = out.view(np.uint16) if case["view"] else out
    np.savez(out_path, **outputs)


def _tf_python() -> str | None:
    cand = os.environ.get("STOWFLOW_TF_PYTHON") or os.path.expanduser(
        "~/.cache/stowflow/tf-2.21.0/bin/python"
    )
    return cand if os.path.exists(cand) else None


def _fingerprint(cases: list[dict[str, Any]]) -> str:
    import hashlib

    h = hashlib.sha256()
    for c in cases:
        h.update(f"{c['op']}|{c['dtype']}|{c['range']}|{c['x'].shape}".encode())
        h.update(np.ascontiguousarray(c["x"]).view(np.uint8).tobytes())
    return h.hexdigest()[:16]


def run_tf(cases: list[dict[str, Any]], cache: str | None = None) -> list[np.ndarray]:
    """TF's outputs for ``cases``; with ``cache``, reused from an earlier run on equal inputs."""
    cached = os.path.join(cache, f"tf_{_fingerprint(cases)}.npz") if cache else None
    if cached and os.path.exists(cached):
        out = np.load(cached)
        return [out[f"y{i}"] for i in range(len(cases))]
    python = _tf_python()
    if python is None:
        sys.exit("TensorFlow python not found (set STOWFLOW_TF_PYTHON)")
    with tempfile.TemporaryDirectory() as tmp:
        spec = [{"op": c["op"], "range": c["range"],
                 "view": "bfloat16" if c["dtype"] == "bfloat16" else ""} for c in cases]  # fmt: skip
        arrays = {f"x{i}": c["x"].view(np.uint16) if c["dtype"] == "bfloat16" else c["x"]
                  for i, c in enumerate(cases)}  # fmt: skip
        paths = [os.path.join(tmp, f) for f in ("spec.json", "in.npz", "out.npz")]
        with open(paths[0], "w") as f:
            json.dump(spec, f)
        np.savez(paths[1], **arrays)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
        proc = subprocess.run([python, __file__, "--tf-worker", *paths], env=env,
                              capture_output=True, text=True)  # fmt: skip
        if proc.returncode != 0:
            sys.exit("TF worker failed:\n" + proc.stderr[-3000:])
        if cached:
            os.makedirs(cache or ".", exist_ok=True)
            os.replace(paths[2], cached)
            paths[2] = cached
        out = np.load(paths[2])
        return [out[f"y{i}"] for i in range(len(cases))]


# ---------------------------------------------------------------------- comparison
def ordered_bits(a: np.ndarray) -> np.ndarray:
    """Floats mapped to integers whose difference counts ulps (sign-magnitude unfolded)."""
    width = a.dtype.itemsize * 8
    ints = a.view({16: np.int16, 32: np.int32, 64: np.int64}[width]).astype(np.int64)
    return np.where(ints < 0, -(ints & ((1 << (width - 1)) - 1)), ints)


def compare(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float]:
    """(share of bit-identical results, max ulp distance); NaN equals NaN, NaN vs number = inf."""
    ours, theirs = ours.reshape(-1), theirs.reshape(-1)
    both_nan = np.isnan(ours.astype(np.float64)) & np.isnan(theirs.astype(np.float64))
    one_nan = np.isnan(ours.astype(np.float64)) ^ np.isnan(theirs.astype(np.float64))
    a, b = ordered_bits(ours), ordered_bits(theirs)
    same = (a == b) | both_nan
    dist = np.where(both_nan, 0, np.abs(a - b)).astype(np.float64)
    dist[one_nan] = np.inf
    return float(same.mean()), float(dist.max()) if dist.size else 0.0


def ours_fn(op: str) -> Callable[[np.ndarray], np.ndarray]:
    from stowflow.graph.kernels import eigen_math

    names = {"Exp": "exp", "Log": "log", "Tanh": "tanh", "Sigmoid": "sigmoid", "Expm1": "expm1",
             "Log1p": "log1p", "Erf": "erf", "Erfc": "erfc", "Softmax": "softmax",
             "LogSoftmax": "log_softmax"}  # fmt: skip
    return getattr(eigen_math, names[op])


def run_ours(case: dict[str, Any]) -> np.ndarray:
    fn = ours_fn(case["op"])
    if case["range"] == "scalar path":
        return np.concatenate([fn(piece) for piece in case["x"].reshape(SCALAR_OPS, 7)])
    return fn(case["x"])


def timing(reps: int = 5) -> list[tuple[str, float]]:
    """Median ms of each stowflow function and np.exp on 10**6 float32 N(0,1) values."""
    x = np.random.default_rng(1).standard_normal(1_000_000).astype(np.float32)
    logits = x.reshape(-1, 1000)
    rows: list[tuple[str, float]] = []
    fns: list[tuple[str, Callable[[], Any]]] = [("np.exp (reference)", lambda: np.exp(x))]
    fns += [(op, lambda op=op: ours_fn(op)(np.abs(x) if op == "Log" else x)) for op in UNARY]
    fns += [(f"{op} [1000,1000]", lambda op=op: ours_fn(op)(logits)) for op in SOFTMAX]
    for name, fn in fns:
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        rows.append((name, statistics.median(times) * 1e3))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10x fewer float32/float64 inputs")
    ap.add_argument("--skip-timing", action="store_true")
    ap.add_argument("--tf-cache", metavar="DIR",
                    help="keep TF's outputs in DIR and reuse them when the inputs are equal")  # fmt: skip
    ap.add_argument("--tf-worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.tf_worker:
        tf_worker(*args.tf_worker)
        return
    cases = build_cases(args.quick)
    t0 = time.perf_counter()
    theirs = run_tf(cases, args.tf_cache)
    print(f"TF ran {len(cases)} cases in {time.perf_counter() - t0:.0f} s")
    print()
    print("| op | dtype | inputs | n | bit-identical | max ulp |")
    print("|---|---|---|---:|---:|---:|")
    totals: dict[tuple[str, str], list[float]] = {}
    for case, want in zip(cases, theirs, strict=True):
        got = run_ours(case)
        share, ulp = compare(got, want.view(got.dtype) if case["dtype"] == "bfloat16" else want)
        n = case["x"].size
        tot = totals.setdefault((case["op"], case["dtype"]), [0.0, 0.0, 0.0])
        tot[0] += share * n
        tot[1] += n
        tot[2] = max(tot[2], ulp)
        print(f"| {case['op']} | {case['dtype']} | {case['range']} | {n:,} | {100 * share:.4f} % "
              f"| {ulp:g} |")  # fmt: skip
    print()
    print("| op | dtype | n | bit-identical | max ulp |")
    print("|---|---|---:|---:|---:|")
    for (op, dtype), (same, n, ulp) in totals.items():
        print(f"| {op} | {dtype} | {int(n):,} | {100 * same / n:.4f} % | {ulp:g} |")
    if not args.skip_timing:
        print()
        print("| function (10**6 float32) | ms (median of 5) | x np.exp |")
        print("|---|---:|---:|")
        rows = timing()
        base = rows[0][1]
        for name, ms in rows:
            print(f"| {name} | {ms:.1f} | {ms / base:.1f} |")


if __name__ == "__main__":
    main()
