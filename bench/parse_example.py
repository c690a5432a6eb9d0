#!/usr/bin/env python
"""Throughput of ``tf.io.parse_example`` (the ``ParseExampleV2`` batch kernel) in records/s.

A script, not a test: it measures and prints, asserting no thresholds. Two workloads, each
at 1,000 and 10,000 records, parsed through a TF1 graph Session with a placeholder feed (as
serving does):

- ``serving``: the serving demo's spec ``{"x": FixedLenFeature([2], float32)}``;
- ``mixed20``: a 20-feature Example -- fixed-length floats of several widths, int64 scalars
  whose varint widths vary per record, var-length int64/float/string lists, short strings.

In one run it measures stowflow's fast path, stowflow's exact per-example parser (the
pre-fast-path behaviour, forced with ``parsing_kernels.FAST_PATH = False``) and the anchor,
TensorFlow 2.21's ``tf.io.parse_example`` in a ``tf.compat.v1`` Session with a placeholder
feed. TensorFlow runs in a subprocess (this same file with ``--tf-worker``, under
``~/.cache/stowflow/tf-2.21.0/bin/python`` or ``$STOWFLOW_TF_PYTHON``) that regenerates the
identical serialized records from the same seed; a fingerprint of the records must match.
Only the ``Session.run`` calls are timed; each number is the median of ``--reps`` runs after
one warm-up run. The warm-up outputs of the two stowflow paths are compared (untimed) and the
table says whether they are identical.

    .venv/bin/python bench/parse_example.py              # full run with the TF anchor
    .venv/bin/python bench/parse_example.py --skip-tf    # stowflow only
    .venv/bin/python bench/parse_example.py --exact      # exact parser only (no fast column)
    .venv/bin/python bench/parse_example.py --smoke --skip-tf   # tiny sizes, 1 rep (seconds)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

SEED = 20261202
TF_VERSION = "2.21.0"
WORKLOADS = ("serving", "mixed20")
SIZES = (1_000, 10_000)
SMOKE_SIZES = (40, 200)
RESULT_PREFIX = "TFRESULT "

# -- shared by both processes: nothing here may import stowflow or tensorflow ------------------

Row = dict[str, tuple[str, list[Any]]]
"""One Example as ``{feature key: (list kind "f"/"i"/"b", values)}``."""

SpecEntry = tuple[str, str, list[int], str, Any]
"""One parse spec entry: ``(key, "fixed"/"var"/"seq", shape, dtype name, default_value)``."""

LIST_FIELD = {"f": "float_list", "i": "int64_list", "b": "bytes_list"}
WORDS = [b"a", b"bb", b"red", b"blue", b"green", b"purple"]


def serving_spec() -> list[SpecEntry]:
    return [("x", "fixed", [2], "float32", None)]


def serving_rows(n: int, rng: np.random.Generator) -> list[Row]:
    return [{"x": ("f", rng.standard_normal(2).tolist())} for _ in range(n)]


def mixed_spec() -> list[SpecEntry]:
    spec: list[SpecEntry] = [(f"f{k}", "fixed", [1 + k % 4], "float32", None) for k in range(8)]
    spec += [(f"i{k}", "fixed", [1], "int64", None) for k in range(5)]
    spec += [
        ("vi", "var", [], "int64", None),
        ("vf", "var", [], "float32", None),
        ("id", "fixed", [], "string", None),
        ("word", "fixed", [], "string", b""),
        ("tags", "var", [], "string", None),
        ("opt", "fixed", [2], "float32", [0.0, 0.0]),
        ("seq", "seq", [], "int64", None),
    ]
    return spec


def mixed_rows(n: int, rng: np.random.Generator) -> list[Row]:
    rows = []
    for r in range(n):
        feats: Row = {}
        for k in range(8):
            feats[f"f{k}"] = ("f", rng.standard_normal(1 + k % 4).tolist())
        for k in range(5):
            feats[f"i{k}"] = ("i", [int(rng.integers(0, 1000 if k < 3 else 2**40))])
        feats["vi"] = ("i", rng.integers(0, 100, 3).tolist())
        feats["vf"] = ("f", rng.standard_normal(2).tolist())
        feats["id"] = ("b", [b"id-%06d" % r])
        feats["word"] = ("b", [WORDS[int(rng.integers(len(WORDS)))]])
        feats["tags"] = ("b", [b"t1", b"t2"])
        if r % 4:
            feats["opt"] = ("f", [1.0, 2.0])
        feats["seq"] = ("i", rng.integers(0, 5, 4).tolist())
        rows.append(feats)
    return rows


CASES: dict[str, tuple[Callable[[], list[SpecEntry]], Callable[..., list[Row]]]] = {
    "serving": (serving_spec, serving_rows),
    "mixed20": (mixed_spec, mixed_rows),
}


def case_rows(workload: str, n: int) -> list[Row]:
    """The records of one case, from a seed of its own (so either process can make any case)."""
    rng = np.random.default_rng([SEED, WORKLOADS.index(workload), n])
    return CASES[workload][1](n, rng)


def serialize(example_cls: Any, rows: list[Row]) -> list[bytes]:
    """Serializes ``rows`` with ``example_cls`` (stowflow's or TF's ``Example``), map keys sorted."""
    out = []
    for feats in rows:
        example = example_cls()
        fmap = example.features.feature
        for key, (kind, values) in feats.items():
            getattr(fmap[key], LIST_FIELD[kind]).value.extend(values)
        out.append(example.SerializeToString(deterministic=True))
    return out


def fingerprint(records: list[bytes]) -> str:
    """SHA-256 of the length-prefixed records (first 16 hex digits)."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(len(record).to_bytes(8, "little"))
        digest.update(record)
    return digest.hexdigest()[:16]


def build_spec(tf: Any, entries: list[SpecEntry]) -> dict[str, Any]:
    """The parse spec for ``tf`` (the stowflow or the TensorFlow module)."""
    makers = {
        "fixed": lambda shape, dtype, default: tf.io.FixedLenFeature(shape, dtype, default),
        "var": lambda shape, dtype, default: tf.io.VarLenFeature(dtype),
        "seq": lambda shape, dtype, default: tf.io.FixedLenSequenceFeature(
            shape, dtype, allow_missing=True
        ),
    }
    return {
        key: makers[kind](shape, getattr(tf, dtype), default)
        for key, kind, shape, dtype, default in entries
    }


def time_session(run: Callable[[], Any], reps: int) -> tuple[float, Any]:
    """One untimed warm-up ``run()`` (its result is returned), then the median of ``reps``."""
    result = run()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def case_list(smoke: bool) -> list[tuple[str, int]]:
    return [(w, n) for w in WORKLOADS for n in (SMOKE_SIZES if smoke else SIZES)]


# -- TensorFlow worker (runs under the TF venv's python) ----------------------------------------


def tf_worker(args: argparse.Namespace) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    res: dict[str, Any] = {"tf_version": tf.__version__, "cases": {}}
    for workload, n in case_list(args.smoke):
        records = serialize(tf.train.Example, case_rows(workload, n))
        res["cases"][f"{workload}/{n}"] = {
            "fingerprint": fingerprint(records),
            "seconds": tf_measure(tf, workload, records, args.reps),
        }
    print(RESULT_PREFIX + json.dumps(res), flush=True)


def tf_measure(tf: Any, workload: str, records: list[bytes], reps: int) -> float:
    """Median seconds of TF's ``Session.run`` of ``tf.io.parse_example`` over ``records``."""
    tf1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        s = tf1.placeholder(tf.string, [None])
        out = tf.io.parse_example(s, build_spec(tf, CASES[workload][0]()))
        feed = np.array(records, dtype=object)
        with tf1.Session(graph=graph) as sess:
            seconds, _ = time_session(lambda: sess.run(out, {s: feed}), reps)
    return seconds


def find_tf_python() -> str | None:
    cand = os.environ.get("STOWFLOW_TF_PYTHON") or os.path.expanduser(
        f"~/.cache/stowflow/tf-{TF_VERSION}/bin/python"
    )
    return cand if os.path.exists(cand) else None


def run_tf_anchor(tf_python: str, smoke: bool, reps: int) -> dict[str, Any] | None:
    """Runs the TF worker; its result, or None (with the reason printed) if it failed."""
    cmd = [tf_python, os.path.abspath(__file__), "--tf-worker", "--reps", str(reps)]
    cmd += ["--smoke"] * smoke
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd="/")
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)), None)
    if proc.returncode != 0 or line is None:
        print("# TensorFlow worker failed:\n" + proc.stderr[-3000:], flush=True)
        return None
    result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
    return result


# -- stowflow ------------------------------------------------------------------------------------


def flatten(outputs: dict[str, Any]) -> dict[str, np.ndarray]:
    """Session outputs as plain arrays: a sparse result becomes its three component arrays."""
    flat: dict[str, np.ndarray] = {}
    for key in sorted(outputs):
        value = outputs[key]
        if hasattr(value, "dense_shape"):
            for part in ("indices", "values", "dense_shape"):
                flat[f"{key}.{part}"] = np.asarray(getattr(value, part))
        else:
            flat[key] = np.asarray(value)
    return flat


def same_values(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two parse results are identical (dtypes, shapes, values bit for bit)."""
    fa, fb = flatten(a), flatten(b)
    if fa.keys() != fb.keys():
        return False
    for key, x in fa.items():
        y = fb[key]
        if x.dtype != y.dtype or x.shape != y.shape:
            return False
        equal = x.tolist() == y.tolist() if x.dtype == object else x.tobytes() == y.tobytes()
        if not equal:
            return False
    return True


def stowflow_records(workload: str, n: int) -> list[bytes]:
    import stowflow as tf

    return serialize(tf.train.Example, case_rows(workload, n))


def measure(workload: str, records: list[bytes], fast: bool, reps: int) -> tuple[float, Any]:
    """(median seconds of ``reps`` Session runs, the warm-up run's outputs) for one path."""
    import stowflow as tf
    from stowflow.graph.kernels import parsing_kernels

    old = parsing_kernels.FAST_PATH
    parsing_kernels.FAST_PATH = fast
    try:
        graph = tf.Graph()
        with graph.as_default():
            s = tf.placeholder(tf.string, [None])
            out = tf.io.parse_example(s, build_spec(tf, CASES[workload][0]()))
            feed = np.array(records, dtype=object)
            with tf.Session() as sess:
                return time_session(lambda: sess.run(out, {s: feed}), reps)
    finally:
        parsing_kernels.FAST_PATH = old


def _rate(n: int, seconds: float | None) -> str:
    return "-" if seconds is None else f"{n / seconds:,.0f}"


def _ratio(seconds: float | None, tf_seconds: float | None) -> str:
    return "-" if seconds is None or tf_seconds is None else f"{tf_seconds / seconds:.3g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--exact", action="store_true", help="measure the exact parser only")
    ap.add_argument("--reps", type=int, help="timed Session runs per cell (default 5, smoke 1)")
    ap.add_argument("--skip-tf", action="store_true", help="do not run the TensorFlow anchor")
    ap.add_argument("--smoke", action="store_true", help=f"sizes {SMOKE_SIZES}, quick check")
    ap.add_argument("--tf-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.reps is None:
        args.reps = 1 if args.smoke else 5

    if args.tf_worker:
        tf_worker(args)
        return

    tf_res = None
    tf_python = None if args.skip_tf else find_tf_python()
    if tf_python:
        print(f"# running the TensorFlow anchor with {tf_python}", flush=True)
        tf_res = run_tf_anchor(tf_python, args.smoke, args.reps)
        if tf_res is not None:
            print(f"# TensorFlow {tf_res['tf_version']}", flush=True)
    else:
        print("# TensorFlow anchor skipped" + ("" if args.skip_tf else " (no TF venv found)"))

    lines = [
        f"## parse_example throughput (records/s, median of {args.reps} Session runs)",
        "",
        "| workload | records | fast rec/s | exact rec/s | TF rec/s | fast/TF | exact/TF "
        "| fast==exact |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for workload, n in case_list(args.smoke):
        records = stowflow_records(workload, n)
        tf_seconds = None
        if tf_res is not None:
            theirs = tf_res["cases"][f"{workload}/{n}"]
            if theirs["fingerprint"] != fingerprint(records):
                raise SystemExit(
                    f"{workload}/{n}: TF worker records differ "
                    f"({theirs['fingerprint']} != {fingerprint(records)})"
                )
            tf_seconds = theirs["seconds"]
        exact, exact_out = measure(workload, records, False, args.reps)
        fast = fast_out = None
        if not args.exact:
            fast, fast_out = measure(workload, records, True, args.reps)
        same = "-" if fast_out is None else ("yes" if same_values(fast_out, exact_out) else "NO")
        lines.append(
            f"| {workload} | {n} | {_rate(n, fast)} | {_rate(n, exact)} | {_rate(n, tf_seconds)} "
            f"| {_ratio(fast, tf_seconds)} | {_ratio(exact, tf_seconds)} | {same} |"
        )
        print(f"# {workload}/{n} done", file=sys.stderr, flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
