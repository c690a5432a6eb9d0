#!/usr/bin/env python
"""Training-step benchmark: stowflow's TF1 Session against TensorFlow 2.21 (compat.v1).

Three workloads, built by one function (:func:`build`) against a TF1 namespace (stowflow's
``import stowflow as tf`` in this process; TensorFlow's ``import tensorflow.compat.v1 as tf;
tf.disable_v2_behavior()`` in a subprocess: this same file with the hidden ``--tf-worker``
flag, run by ``$STOWFLOW_TF_PYTHON`` or ``~/.cache/stowflow/tf-2.21.0/bin/python``):

  mlp-sgd   MLP 784-256-256-10 (relu), batch 64, ``GradientDescentOptimizer(0.01)``
  mlp-adam  the same MLP, ``AdamOptimizer(1e-3)``
  cnn       28x28x1 -> conv 5x5x32 + relu + maxpool 2x2 -> conv 5x5x64 + relu + maxpool 2x2
            -> dense 1024 (relu) -> 10, batch 32, ``MomentumOptimizer(0.01, 0.9)``

Every workload minimises the mean sparse softmax cross-entropy; inputs come through
``feed_dict`` (a cycle of a few NumPy batches). Both sides start from the same initial
values (NumPy arrays from a fixed seed, given to ``tf.Variable`` through ``tf.constant``)
and feed the same batches. A step is one ``sess.run(train_op, feed_dict)``; after warm-up
steps, each of ``--steps`` steps is timed alone and the median is reported (steps/s =
1 / median). Before timing, a fresh session runs a few steps fetching the loss, and the
losses of both sides are cross-checked (same math, so they agree to float32 rounding).

Goals (issue 8, item 8): stowflow >= 1.0x TF's steps/s on both MLP workloads; stowflow's
CNN step time <= 2x TF's. Not a test: it prints tables and verdicts and asserts nothing.

Usage:
    python bench/training.py [--steps N] [--warmup N] [--skip-tf] [--json FILE]
    python bench/training.py --smoke        # tiny run, stowflow side only (the test suite's)
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
from typing import Any

import numpy as np

SEED = 20261202
WORKLOADS = ("mlp-sgd", "mlp-adam", "cnn")
BATCH = {"mlp-sgd": 64, "mlp-adam": 64, "cnn": 32}
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
N_BATCHES = 4  # distinct feed batches, cycled
CHECK_STEPS = 3  # steps whose losses are cross-checked
LOSS_TOLERANCE = 1e-3  # float32 sums in another order drift by ~1e-6 per step
GOALS = {  # workload -> (minimum stowflow/TF steps-per-second ratio, goal text)
    "mlp-sgd": (1.0, "MLP + GradientDescent: >= 1.0x TF's steps/s"),
    "mlp-adam": (1.0, "MLP + Adam: >= 1.0x TF's steps/s"),
    "cnn": (0.5, "CNN + Momentum: step time <= 2x TF's (>= 0.5x steps/s)"),
}

# -- shared by both sides (nothing here may import stowflow or tensorflow) ----------------------


def _glorot(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, fan_out: int) -> Any:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def initial_values(workload: str) -> list[np.ndarray]:
    """The workload's parameters (weights, biases alternating) from a fixed seed."""
    rng = np.random.default_rng(SEED)
    if workload.startswith("mlp"):
        dims = [784, 256, 256, 10]
        out = []
        for i in range(3):
            out.append(_glorot(rng, (dims[i], dims[i + 1]), dims[i], dims[i + 1]))
            out.append(np.full(dims[i + 1], 0.01, np.float32))
        return out
    return [
        _glorot(rng, (5, 5, 1, 32), 25, 25 * 32),
        np.full(32, 0.1, np.float32),
        _glorot(rng, (5, 5, 32, 64), 25 * 32, 25 * 64),
        np.full(64, 0.1, np.float32),
        _glorot(rng, (7 * 7 * 64, 1024), 7 * 7 * 64, 1024),
        np.full(1024, 0.1, np.float32),
        _glorot(rng, (1024, 10), 1024, 10),
        np.full(10, 0.1, np.float32),
    ]


def batches(workload: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """``N_BATCHES`` (images, int32 labels) pairs from a fixed seed."""
    rng = np.random.default_rng(SEED + 1)
    n = BATCH[workload]
    shape = (n, 784) if workload.startswith("mlp") else (n, 28, 28, 1)
    return [
        (rng.random(shape, dtype=np.float32), rng.integers(0, 10, n).astype(np.int32))
        for _ in range(N_BATCHES)
    ]


def build(tf: Any, workload: str) -> tuple[Any, Any, Any, Any, Any, Any]:
    """The workload's graph in the TF1 namespace ``tf``.

    Returns (graph, images placeholder, labels placeholder, loss, train op, init op).
    """
    params = initial_values(workload)
    graph = tf.Graph()
    with graph.as_default():
        if workload.startswith("mlp"):
            x = tf.placeholder(tf.float32, [None, 784], name="x")
        else:
            x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
        y = tf.placeholder(tf.int32, [None], name="y")
        vs = [tf.Variable(tf.constant(a), name=f"p{i}") for i, a in enumerate(params)]
        if workload.startswith("mlp"):
            h = tf.nn.relu(tf.matmul(x, vs[0]) + vs[1])
            h = tf.nn.relu(tf.matmul(h, vs[2]) + vs[3])
            logits = tf.matmul(h, vs[4]) + vs[5]
        else:
            h = x
            for w, b in ((vs[0], vs[1]), (vs[2], vs[3])):
                h = tf.nn.relu(tf.nn.conv2d(h, w, [1, 1, 1, 1], "SAME") + b)
                h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
            h = tf.reshape(h, [-1, 7 * 7 * 64])
            h = tf.nn.relu(tf.matmul(h, vs[4]) + vs[5])
            logits = tf.matmul(h, vs[6]) + vs[7]
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
        optimizer = {
            "mlp-sgd": lambda: tf.train.GradientDescentOptimizer(0.01),
            "mlp-adam": lambda: tf.train.AdamOptimizer(1e-3),
            "cnn": lambda: tf.train.MomentumOptimizer(0.01, 0.9),
        }[workload]()
        train = optimizer.minimize(loss)
        init = tf.global_variables_initializer()
    return graph, x, y, loss, train, init


def run_workload(tf: Any, workload: str, steps: int, warmup: int) -> dict[str, Any]:
    """Losses of the first ``CHECK_STEPS`` steps and per-step times of ``steps`` timed steps."""
    graph, x, y, loss, train, init = build(tf, workload)
    feeds = [{x: images, y: labels} for images, labels in batches(workload)]
    with tf.Session(graph=graph) as sess:  # correctness: losses from the initial values
        sess.run(init)
        losses = [
            float(sess.run([loss, train], feeds[i % N_BATCHES])[0]) for i in range(CHECK_STEPS)
        ]
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        for i in range(warmup):
            sess.run(train, feeds[i % N_BATCHES])
        times = []
        for i in range(steps):
            feed = feeds[i % N_BATCHES]
            t0 = time.perf_counter()
            sess.run(train, feed)
            times.append(time.perf_counter() - t0)
        final_loss = float(sess.run(loss, feeds[0]))
    return {"losses": losses, "times": times, "final_loss": final_loss}


def run_all(tf: Any, workloads: list[str], steps: int, warmup: int) -> dict[str, Any]:
    return {w: run_workload(tf, w, steps, warmup) for w in workloads}


def tf_python_path() -> str | None:
    env = os.environ.get("STOWFLOW_TF_PYTHON")
    if env:
        return env if os.path.exists(env) else None
    default = os.path.expanduser("~/.cache/stowflow/tf-2.21.0/bin/python")
    return default if os.path.exists(default) else None


# -- workers (each run in its own process, so thread settings apply from the start) ------------


def worker(args: argparse.Namespace) -> None:
    """Runs the workloads on one system and prints one ``RESULT`` JSON line."""
    threads = args.threads[0]
    res: dict[str, Any] = {}
    if args.worker == "tf":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as real_tf
        import tensorflow.compat.v1 as tf

        tf.disable_v2_behavior()
        if threads:
            real_tf.config.threading.set_intra_op_parallelism_threads(threads)
            real_tf.config.threading.set_inter_op_parallelism_threads(threads)
        res["version"] = real_tf.__version__
    else:
        import stowflow as tf

        res["version"] = "numpy " + np.__version__
    res["results"] = run_all(tf, args.workloads, args.steps, args.warmup)
    print("RESULT " + json.dumps(res))


def run_worker(system: str, python: str, args: argparse.Namespace, threads: int) -> Any:
    """One worker subprocess; ``threads`` > 0 caps TF's pools / the BLAS pool at that many."""
    cmd = [python, os.path.abspath(__file__), "--worker", system, "--threads", str(threads)]
    cmd += ["--steps", str(args.steps), "--warmup", str(args.warmup)]
    cmd += ["--workloads", ",".join(args.workloads)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    for var in BLAS_THREAD_VARS:
        env.pop(var, None)
        if threads and system == "stowflow":
            env[var] = str(threads)
    if system == "tf":
        env.pop("PYTHONPATH", None)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(
        f"{system} worker failed (rc={proc.returncode}):\n{proc.stdout[-2000:]}\n"
        f"{proc.stderr[-4000:]}"
    )


# -- report -------------------------------------------------------------------------------------


def _table(title: str, header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [f"## {title}", "", "| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines + [""]


def _fmt(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _threads_label(threads: int) -> str:
    return f"{threads} thread{'s' if threads > 1 else ''}" if threads else "library default"


def report(runs: dict[int, dict[str, Any]]) -> tuple[list[str], dict[str, Any]]:
    """Markdown tables (speed, same losses, goals) and a JSON-able summary.

    ``runs`` maps a thread setting to ``{"stowflow": result, "tf": result or None}``.
    """
    speed, same, goals = [], [], []
    summary: dict[str, Any] = {"runs": []}
    for threads, by_system in runs.items():
        label = _threads_label(threads)
        tf = by_system.get("tf")
        for w, ours in by_system["stowflow"]["results"].items():
            theirs = tf["results"][w] if tf else None
            ms = statistics.median(ours["times"]) * 1e3
            tf_ms = statistics.median(theirs["times"]) * 1e3 if theirs else None
            ratio = tf_ms / ms if tf_ms else None
            speed.append(
                [w, str(BATCH[w]), label, _fmt(ms, 2), _fmt(1e3 / ms, 1), _fmt(tf_ms, 2)]
                + [_fmt(1e3 / tf_ms if tf_ms else None, 1), _fmt(ratio)]
            )
            if theirs:
                pairs = zip(ours["losses"], theirs["losses"], strict=True)
                diff = max(abs(a - b) for a, b in pairs)
                same.append(
                    [w, label, ", ".join(f"{v:.5f}" for v in ours["losses"])]
                    + [", ".join(f"{v:.5f}" for v in theirs["losses"]), f"{diff:.1e}"]
                    + ["ok" if diff < LOSS_TOLERANCE else "MISMATCH"]
                )
            minimum, text = GOALS[w]
            verdict = "n/a" if ratio is None else ("PASS" if ratio >= minimum else "FAIL")
            goals.append([text, label, f"{_fmt(ratio)}x steps/s", verdict])
            summary["runs"].append(
                {
                    "workload": w,
                    "threads": threads,
                    "stowflow_ms": ms,
                    "tf_ms": tf_ms,
                    "stowflow_min_ms": min(ours["times"]) * 1e3,
                    "tf_min_ms": min(theirs["times"]) * 1e3 if theirs else None,
                    "ratio": ratio,
                    "losses": ours["losses"],
                    "tf_losses": theirs["losses"] if theirs else None,
                    "final_loss": ours["final_loss"],
                    "verdict": verdict,
                }
            )
    header = ["workload", "batch", "threads", "stowflow ms/step", "stowflow steps/s"]
    header += ["TF ms/step", "TF steps/s", "x TF (>1 = stowflow faster)"]
    lines = _table("Training steps (median of timed steps)", header, speed)
    if same:
        header = ["workload", "threads", f"stowflow losses, steps 1-{CHECK_STEPS}", "TF losses"]
        lines += _table("Same losses", header + ["max diff", "check"], same)
    lines += _table("Goals (issue 8, item 8)", ["goal", "threads", "measured", "verdict"], goals)
    return lines, summary


# -- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--steps", type=int, default=50, help="timed steps per workload (50)")
    ap.add_argument("--warmup", type=int, default=5, help="untimed steps first (5)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated subset")
    ap.add_argument(
        "--threads",
        default="1,0",
        help="comma-separated thread settings to run, 0 = each library's default (1,0)",
    )
    ap.add_argument("--skip-tf", action="store_true", help="do not run the TensorFlow side")
    ap.add_argument("--smoke", action="store_true", help="3 steps, 1 warm-up, 1 thread, no TF")
    ap.add_argument("--json", help="also write the numbers to this JSON file")
    ap.add_argument("--worker", choices=("stowflow", "tf"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.workloads = [w for w in args.workloads.split(",") if w]
    unknown = sorted(set(args.workloads) - set(WORKLOADS))
    if unknown:
        ap.error(f"unknown workloads {unknown}; choose from {list(WORKLOADS)}")
    try:
        args.threads = [int(t) for t in args.threads.split(",") if t]
    except ValueError:
        ap.error(f"--threads takes comma-separated integers, got {args.threads!r}")
    if not args.threads or min(args.threads) < 0:
        ap.error("--threads needs at least one setting, each >= 0")
    if args.smoke:
        args.steps, args.warmup, args.skip_tf, args.threads = 3, 1, True, [1]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return
    tf_py = None if args.skip_tf else tf_python_path()
    if not args.skip_tf and tf_py is None:
        print("note: no TensorFlow python found; TF side skipped", file=sys.stderr)
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    runs: dict[int, dict[str, Any]] = {}
    for threads in args.threads:
        runs[threads] = {}
        if tf_py:
            print(f"TF worker, threads={threads} ...", file=sys.stderr, flush=True)
            runs[threads]["tf"] = run_worker("tf", tf_py, args, threads)
        print(f"stowflow worker, threads={threads} ...", file=sys.stderr, flush=True)
        runs[threads]["stowflow"] = run_worker("stowflow", sys.executable, args, threads)
    lines, summary = report(runs)
    print(
        f"stowflow training benchmark: median of {args.steps} timed steps after "
        f"{args.warmup} warm-up steps"
    )
    tf_versions = {r["tf"]["version"] for r in runs.values() if r.get("tf")}
    if tf_versions:
        print(f"TensorFlow {', '.join(tf_versions)} (compat.v1, disable_v2_behavior, Session)")
    print(
        f"numpy {np.__version__}, python {sys.version.split()[0]}, nproc {os.cpu_count()}; "
        "threads N caps TF's intra/inter-op pools and stowflow's BLAS pool "
        f"({'/'.join(BLAS_THREAD_VARS)}) at N"
    )
    print()
    print("\n".join(lines))
    print(
        "load average (1/5/15 min): start "
        + " ".join(f"{v:.2f}" for v in load_start)
        + ", end "
        + " ".join(f"{v:.2f}" for v in os.getloadavg())
        + f"  (nproc {os.cpu_count()}; other load inflates every number)"
    )
    print(f"total wall time {time.perf_counter() - t_start:.1f} s")
    if args.json:
        summary["steps"], summary["warmup"] = args.steps, args.warmup
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
