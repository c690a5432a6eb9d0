"""Makes eigen_goldens.npz: TF's outputs of its Eigen-computed math ops, for bit-exact tests.

NEEDS TENSORFLOW. Run with the TF venv from the repository root (about a minute):

    ~/.cache/stowflow/tf-2.21.0/bin/python tests/golden/kernels/make_eigen_goldens.py

For Exp, Log, Tanh, Sigmoid, Expm1, Log1p, Erf, Erfc, Softmax and LogSoftmax and each of
float32, float64, float16 and bfloat16, it draws inputs from a fixed seed (normal, wide,
near-zero, large, subnormal and special values; 2-D logits for the softmax family, some large
enough for TF's tiled evaluation), runs the raw op in a ``tf.compat.v1.Session`` and stores
input and output. A case labelled ``scalar`` holds rows that TF ran as separate ops of one
row each, which Eigen evaluates on its scalar path. The ``examples`` cases are the values
quoted in issue 12 (``exp(2.0)``, ``softmax([1.0, 3.0])``).

Keys are ``{op}/{dtype}/{label}/x`` and ``.../y``; bfloat16 arrays are stored as their uint16
bit patterns. ``meta`` holds the CPU (vendor, family) the file was made on: TF's float
reciprocal, and so its Softmax and Erfc, depend on the CPU's ``rcpps`` table. oneDNN is
switched off (``TF_ENABLE_ONEDNN_OPTS=0``) so that TF runs its Eigen kernels on any CPU.
About 12,000 values per op (about 1 MB in all); compressed, no pickle.
"""

from __future__ import annotations

import json
import os
import re

# TF's own (Eigen) kernels: on CPUs with AVX512-VNNI/AMX the wheel would otherwise swap in
# oneDNN's Softmax & co., whose numerics depend on the CPU's instruction set.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.compat.v1.disable_eager_execution()

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "eigen_goldens.npz")
RNG = np.random.default_rng(12)
UNARY = ["Exp", "Log", "Tanh", "Sigmoid", "Expm1", "Log1p", "Erf", "Erfc"]
SOFTMAX = ["Softmax", "LogSoftmax"]
BF16 = np.dtype(ml_dtypes.bfloat16)
F32_TINY = float(np.finfo(np.float32).tiny)
SPECIAL = [np.inf, -np.inf, np.nan, 0.0, -0.0, 1.0, -1.0, 2.0, 88.72283, -87.33654, -104.0,
           16.6355324, 7.9073896, 11.0, 4.0, 3.4028235e38, -3.4028235e38, F32_TINY]  # fmt: skip


def mixed(n: int, dtype: np.dtype) -> np.ndarray:
    """``n`` values over every range the kernels treat differently."""
    k = n // 8
    parts = [
        RNG.standard_normal(2 * k),
        RNG.uniform(-120, 120, 2 * k),
        RNG.uniform(-20, 20, k),
        RNG.choice([-1, 1], k) * 10.0 ** RNG.uniform(-38, -2, k),
        RNG.choice([-1, 1], k // 2) * 10.0 ** RNG.uniform(1.8, 38, k // 2),
        RNG.choice([-1, 1], k // 2) * RNG.uniform(0, F32_TINY, k // 2),
        1.0 + RNG.normal(0, 1e-3, k // 2),
        np.resize(SPECIAL, k // 2),
    ]
    values = np.concatenate(parts)
    values = np.concatenate([values, RNG.standard_normal(n - values.size)])
    with np.errstate(over="ignore"):  # huge values become inf in float16/bfloat16
        return RNG.permutation(values).astype(dtype)


def run(op: str, x: np.ndarray) -> np.ndarray:
    g = tf.Graph()
    with g.as_default():
        p = tf.compat.v1.placeholder(tf.as_dtype(x.dtype))
        fn = getattr(tf.raw_ops, op)
        y = fn(logits=p) if op in SOFTMAX else fn(x=p)
        with tf.compat.v1.Session(graph=g) as sess:
            return sess.run(y, {p: x})


def run_rows(op: str, x: np.ndarray) -> np.ndarray:
    """One op per row of ``x`` (each row small enough for Eigen's scalar path)."""
    g = tf.Graph()
    with g.as_default():
        p = tf.compat.v1.placeholder(tf.as_dtype(x.dtype), x.shape)
        fn = getattr(tf.raw_ops, op)
        rows = [fn(logits=r) if op in SOFTMAX else fn(x=r) for r in tf.unstack(p)]
        y = tf.stack(rows)
        with tf.compat.v1.Session(graph=g) as sess:
            return sess.run(y, {p: x})


def unary_cases(op: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    cases = []
    for dtype, n_packet, scalar_shape in (
        (np.dtype(np.float32), 8_003, (150, 7)),
        (np.dtype(np.float64), 1_601, (80, 3)),
        (np.dtype(np.float16), 1_200, (20, 7)),
        (BF16, 1_200, (20, 7)),
    ):
        x = mixed(n_packet, dtype)
        cases.append((f"{op}/{dtype.name}/packet", x, run(op, x)))
        xs = mixed(scalar_shape[0] * scalar_shape[1], dtype).reshape(scalar_shape)
        cases.append((f"{op}/{dtype.name}/scalar", xs, run_rows(op, xs)))
    return cases


def logits(rows: int, cols: int, dtype: np.dtype, scale: float) -> np.ndarray:
    x = RNG.standard_normal((rows, cols)) * scale
    x[RNG.random((rows, cols)) < 0.01] = -np.inf  # masked logits
    return x.astype(dtype)


def softmax_cases(op: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    shapes = {
        np.dtype(np.float32): [(1201, 7, 3.0), (11, 1000, 10.0), (3, 9, 1.0)],
        np.dtype(np.float64): [(301, 11, 3.0), (2, 1300, 10.0)],
        np.dtype(np.float16): [(100, 10, 3.0)],
        BF16: [(100, 10, 3.0)],
    }
    cases = []
    for dtype, dims in shapes.items():
        for rows, cols, scale in dims:
            x = logits(rows, cols, dtype, scale)
            cases.append((f"{op}/{dtype.name}/{rows}x{cols}", x, run(op, x)))
        xs = logits(40, 6, dtype, 3.0)
        cases.append((f"{op}/{dtype.name}/scalar", xs, run_rows(op, xs)))
    return cases


def cpu() -> dict[str, str]:
    with open("/proc/cpuinfo") as f:
        text = f.read()
    vendor = re.search(r"^vendor_id\s*:\s*(\S+)", text, re.M)
    family = re.search(r"^cpu family\s*:\s*(\d+)", text, re.M)
    return {
        "vendor": vendor.group(1) if vendor else "",
        "family": family.group(1) if family else "",
    }


def main() -> None:
    cases = []
    for op in UNARY:
        cases += unary_cases(op)
    for op in SOFTMAX:
        cases += softmax_cases(op)
    cases.append(
        ("Exp/float32/examples", np.array(2.0, np.float32), run("Exp", np.array(2.0, np.float32)))
    )
    pair = np.array([1.0, 3.0], np.float32)
    cases.append(("Softmax/float32/examples", pair, run("Softmax", pair)))
    arrays = {}
    for key, x, y in cases:
        if x.dtype == BF16:
            x, y = x.view(np.uint16), y.view(np.uint16)
        arrays[f"{key}/x"], arrays[f"{key}/y"] = x, y
    meta = {"tf_version": tf.__version__, "cpu": cpu()}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT}: {len(cases)} cases, {os.path.getsize(OUT):,} bytes")


if __name__ == "__main__":
    main()
