#!/usr/bin/env python
"""Conv / pool / norm kernel benchmark: stowflow's NumPy kernels against TensorFlow 2.21.

Times, in one run, the kernels real CNNs (ResNet50, MobileNetV2 at 224x224) spend their
time in, called directly (no graph, no Session) on both sides:

  conv3x3    Conv2D      [32,56,56,64] x [3,3,64,64], SAME, stride 1 (a ResNet50 block)
  conv1x1    Conv2D      [32,56,56,64] x [1,1,64,256], VALID (a ResNet50 bottleneck)
  depthwise  DepthwiseConv2dNative [32,112,112,32] x [3,3,32,1], SAME (MobileNetV2)
  maxpool    MaxPool     [32,112,112,64], 3x3, stride 2, SAME (ResNet50 stem)
  batchnorm  FusedBatchNormV3 inference on [32,56,56,64]

stowflow's side calls ``KERNELS[op](inputs, attrs)`` in this process; TensorFlow's side
runs ``tf.raw_ops.<op>`` eagerly on the same inputs (regenerated from the same seed) in a
subprocess -- this file with the hidden ``--tf-worker`` flag -- under the python at
``$STOWFLOW_TF_PYTHON``, else ``~/.cache/stowflow/tf-2.21.0/bin/python``. Each side reports
the median of ``--reps`` warm calls and a checksum of its output, which are cross-checked.

Not a test: it prints a table of times and ratios and asserts nothing.

Usage:
    python bench/conv_kernels.py [--reps N] [--batch N] [--skip-tf]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

SEED = 20261201

# name -> (op, {input name: shape}, attrs); shared with the TF worker (no stowflow here)
CASES: dict[str, tuple[str, dict[str, tuple[int, ...]], dict[str, Any]]] = {
    "conv3x3": (
        "Conv2D",
        {"input": (32, 56, 56, 64), "filter": (3, 3, 64, 64)},
        {"strides": [1, 1, 1, 1], "padding": "SAME"},
    ),
    "conv1x1": (
        "Conv2D",
        {"input": (32, 56, 56, 64), "filter": (1, 1, 64, 256)},
        {"strides": [1, 1, 1, 1], "padding": "VALID"},
    ),
    "depthwise": (
        "DepthwiseConv2dNative",
        {"input": (32, 112, 112, 32), "filter": (3, 3, 32, 1)},
        {"strides": [1, 1, 1, 1], "padding": "SAME"},
    ),
    "maxpool": (
        "MaxPool",
        {"input": (32, 112, 112, 64)},
        {"ksize": [1, 3, 3, 1], "strides": [1, 2, 2, 1], "padding": "SAME"},
    ),
    "batchnorm": (
        "FusedBatchNormV3",
        {"x": (32, 56, 56, 64), "scale": (64,), "offset": (64,), "mean": (64,), "variance": (64,)},
        {"is_training": False, "epsilon": 1e-3},
    ),
}


def inputs_of(name: str, batch: int) -> dict[str, np.ndarray]:
    """The case's inputs (batch dim replaced by ``batch``), the same on both sides."""
    rng = np.random.default_rng(SEED)
    out = {}
    for arg, shape in CASES[name][1].items():
        if len(shape) == 4 and arg in ("input", "x"):
            shape = (batch, *shape[1:])
        value = rng.standard_normal(shape, dtype=np.float32)
        out[arg] = np.abs(value) + 0.5 if arg == "variance" else value
    return out


def median_time(fn: Any, reps: int) -> tuple[float, float, Any]:
    """Median wall and CPU (all threads of the process) seconds of warm calls, and the output.

    The CPU time is reported too because a shared machine's load skews wall times: it is
    the work each side does, whatever else runs.
    """
    result = fn()  # warm-up (and the output for the checksum)
    walls, cpus = [], []
    for _ in range(reps):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), statistics.median(cpus), result


def checksum(y: np.ndarray) -> list[float]:
    y = np.asarray(y, np.float64)
    return [float(y.sum()), float(np.abs(y).mean())]


# --------------------------------------------------------------------------- TF side


def tf_worker(reps: int, batch: int) -> None:
    import tensorflow as tf  # noqa: PLC0415 - only in the worker subprocess

    results = {}
    for name, (op, _, attrs) in CASES.items():
        args = {k: tf.constant(v) for k, v in inputs_of(name, batch).items()}
        fn = getattr(tf.raw_ops, op)

        def call(fn: Any = fn, args: dict[str, Any] = args, attrs: dict[str, Any] = attrs) -> Any:
            out = fn(**args, **attrs)
            return (out[0] if isinstance(out, tuple | list) else out).numpy()

        seconds, cpu, y = median_time(call, reps)
        results[name] = {"seconds": seconds, "cpu": cpu, "checksum": checksum(y)}
    print(json.dumps({"tensorflow": tf.__version__, "results": results}))


def run_tf(reps: int, batch: int) -> dict[str, Any] | None:
    python = os.environ.get("STOWFLOW_TF_PYTHON") or os.path.expanduser(
        "~/.cache/stowflow/tf-2.21.0/bin/python"
    )
    if not os.path.exists(python):
        print(f"(TensorFlow python not found at {python}: TF column skipped)")
        return None
    cmd = [python, os.path.abspath(__file__), "--tf-worker", "--reps", str(reps)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [*cmd, "--batch", str(batch)], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- stowflow side


def stowflow_side(reps: int, batch: int) -> dict[str, Any]:
    from stowflow.graph.kernels.registry import KERNELS  # noqa: PLC0415

    results = {}
    for name, (op, _, attrs) in CASES.items():
        inputs = list(inputs_of(name, batch).values())
        kernel = KERNELS[op]
        decoded = {k: v.encode() if isinstance(v, str) else v for k, v in attrs.items()}
        seconds, cpu, out = median_time(lambda k=kernel, i=inputs, a=decoded: k(i, a)[0], reps)
        results[name] = {"seconds": seconds, "cpu": cpu, "checksum": checksum(out)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--skip-tf", action="store_true")
    parser.add_argument("--tf-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tf_worker:
        tf_worker(args.reps, args.batch)
        return
    ours = stowflow_side(args.reps, args.batch)
    theirs = None if args.skip_tf else run_tf(args.reps, args.batch)
    tf_results = theirs["results"] if theirs else {}
    load = os.getloadavg()[0]
    print(
        f"batch {args.batch}, median of {args.reps} warm calls, {os.cpu_count()} CPUs, load {load:.1f}"
    )
    print(
        f"{'case':<10} {'wall ms: stowflow':>18} {'TF':>7} {'ratio':>6}   "
        f"{'CPU ms: stowflow':>17} {'TF':>7} {'ratio':>6}  checksums agree"
    )
    for name, mine in ours.items():
        row = tf_results.get(name)
        ms, cpu = mine["seconds"] * 1e3, mine["cpu"] * 1e3
        if row is None:
            print(f"{name:<10} {ms:18.1f} {'-':>7} {'-':>6}   {cpu:17.1f}")
            continue
        tf_ms, tf_cpu = row["seconds"] * 1e3, row["cpu"] * 1e3
        agree = np.allclose(mine["checksum"], row["checksum"], rtol=1e-3, atol=1e-2)
        print(
            f"{name:<10} {ms:18.1f} {tf_ms:7.1f} {ms / tf_ms:5.2f}x   "
            f"{cpu:17.1f} {tf_cpu:7.1f} {cpu / tf_cpu:5.2f}x  {agree}"
        )


if __name__ == "__main__":
    sys.exit(main())
