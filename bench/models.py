#!/usr/bin/env python
"""Real-model benchmark: stowflow against TensorFlow 2.21 on Keras application SavedModels.

For MobileNetV2 and ResNet50 (224x224, the fixtures of tests/golden/models/make_models.py,
generated with the TF oracle on first use), measures in one run, for each system:

  import    the framework import (``import tensorflow`` / ``import stowflow``);
  load      ``tf.saved_model.load(dir)`` / ``stowflow.saved_model.load(dir)`` + signature;
  first     the first ``serving_default`` call at batch 1 (tracing / planning included);
  b1        steady batch-1 latency: median of N calls after the first;
  b32       steady batch-32 latency: median of M calls after one warm-up batch-32 call;
  peak RSS  ``ru_maxrss`` of the process at the end.

Each (model, system) pair runs in its own subprocess (this file with the hidden
``--worker`` flag), so peak RSS is per process: TensorFlow's with the python at
$STOWFLOW_TF_PYTHON else ~/.cache/stowflow/tf-2.21.0/bin/python, stowflow's with this
python. Both sides get the same inputs (from one seed) and the parent checks that their
batch-1 outputs agree. Not a test: it prints a table, the ratios and the goal verdicts
(batch 1 <= 1.5x TF's time, batch 32 <= 1.0x, load time and peak RSS <= TF's); it asserts
no thresholds.

Usage:
    python bench/models.py [--quick] [--models mobilenet_v2,resnet50] [--skip-tf]
    python bench/models.py --profile mobilenet_v2 [--profile-calls 5]   # cProfile stowflow
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MODELS = ("mobilenet_v2", "resnet50")
GOALS = {"b1": 1.5, "b32": 1.0, "load": 1.0, "rss": 1.0}
SEED = 20261201
REPORT = "@@BENCH@@"


def reps(quick: bool) -> dict[str, int]:
    return {"b1": 5, "b32": 2} if quick else {"b1": 20, "b32": 5}


def inputs(batch: int, size: int = 224) -> np.ndarray:
    return (
        np.random.default_rng(SEED + batch)
        .uniform(-1, 1, (batch, size, size, 3))
        .astype(np.float32)
    )


# ----------------------------------------------------------------------------- worker side


def _median_ms(fn: Any, n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


def _tf_runner(model_dir: str, key: str) -> tuple[float, float, Any]:
    started = time.perf_counter()
    import tensorflow as tf

    imported = time.perf_counter() - started
    started = time.perf_counter()
    loaded = tf.saved_model.load(model_dir)
    signature = loaded.signatures["serving_default"]
    load = time.perf_counter() - started

    def call(x: np.ndarray) -> np.ndarray:
        (out,) = signature(**{key: tf.constant(x)}).values()
        return out.numpy()

    call.keep_alive = loaded  # type: ignore[attr-defined]
    return imported, load, call


def _stowflow_runner(model_dir: str, key: str) -> tuple[float, float, Any]:
    started = time.perf_counter()
    from stowflow import saved_model

    imported = time.perf_counter() - started
    started = time.perf_counter()
    loaded = saved_model.load(model_dir)
    signature = loaded.signatures["serving_default"]
    load = time.perf_counter() - started

    def call(x: np.ndarray) -> np.ndarray:
        (out,) = signature(**{key: x}).values()
        return out

    return imported, load, call


def worker(system: str, model_dir: str, key: str, quick: bool, profile: int) -> dict[str, Any]:
    """Measures one system on one model in this process; returns the figures."""
    runner = _tf_runner if system == "tensorflow" else _stowflow_runner
    imported, load, call = runner(model_dir, key)
    x1, x32 = inputs(1), inputs(32)
    started = time.perf_counter()
    first_out = call(x1)
    first = time.perf_counter() - started
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(profile):
            call(x1)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        print(f"--- cProfile: {profile} steady batch-1 calls, by tottime", file=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
        print("--- by cumulative time", file=sys.stderr)
        stats.sort_stats("cumulative").print_stats(25)
    n = reps(quick)
    b1 = _median_ms(lambda: call(x1), n["b1"])
    call(x32)
    b32 = _median_ms(lambda: call(x32), n["b32"])
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "import_s": imported,
        "load_s": load,
        "first_ms": first * 1e3,
        "b1_ms": b1,
        "b32_ms": b32,
        "rss_mb": rss_mb,
        "out_b1": base64.b64encode(np.asarray(first_out, np.float32).tobytes()).decode(),
    }


# ----------------------------------------------------------------------------- parent side


def tf_python() -> Path:
    env = os.environ.get("STOWFLOW_TF_PYTHON")
    return Path(env) if env else Path.home() / ".cache/stowflow/tf-2.21.0/bin/python"


def run_worker(python: Path, system: str, model_dir: Path, key: str, args: Any) -> dict:
    command = [
        str(python),
        __file__,
        "--worker",
        system,
        "--model-dir",
        str(model_dir),
        "--input-key",
        key,
    ]
    if args.quick:
        command.append("--quick")
    if args.profile_calls and system == "stowflow" and args.profile:
        command += ["--profile-calls", str(args.profile_calls)]
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
        "PYTHONPATH": str(REPO),
    }
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
    if args.profile and system == "stowflow":
        print(proc.stderr)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(REPORT)]
    if proc.returncode or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-12:])
        return {"error": f"exit {proc.returncode}: {tail}"}
    return json.loads(lines[-1][len(REPORT) :])


def fixture(family: str) -> tuple[Path, str]:
    sys.path.insert(0, str(REPO / "tests" / "models"))
    from fixtures import get_fixture

    fx = get_fixture(family)
    (key,) = fx.manifest["signatures"]["serving_default"]["inputs"]
    return fx.saved_model, key


def _fmt(value: float, unit: str) -> str:
    return f"{value:9.1f} {unit}" if value >= 10 else f"{value:9.3f} {unit}"


def report(model: str, sf: dict, tf: dict | None) -> None:
    rows = [
        ("import", "import_s", "s", None),
        ("load", "load_s", "s", "load"),
        ("first call b1", "first_ms", "ms", None),
        ("steady b1", "b1_ms", "ms", "b1"),
        ("steady b32", "b32_ms", "ms", "b32"),
        ("peak RSS", "rss_mb", "MB", "rss"),
    ]
    print(f"\n{model} (224x224, serving_default)")
    print(f"  {'':14} {'stowflow':>12} {'tensorflow':>12} {'sf/tf':>7}  goal")
    for label, key, unit, goal in rows:
        ours = sf.get(key)
        theirs = tf.get(key) if tf else None
        ratio = ours / theirs if ours is not None and theirs else None
        verdict = ""
        if goal and ratio is not None:
            met = "met" if ratio <= GOALS[goal] else "NOT met"
            verdict = f"<= {GOALS[goal]:.1f}x: {met}"
        print(
            f"  {label:14} {_fmt(ours, unit) if ours is not None else '-':>12} "
            f"{_fmt(theirs, unit) if theirs is not None else '-':>12} "
            f"{f'{ratio:.2f}x' if ratio is not None else '-':>7}  {verdict}"
        )
    if tf and "out_b1" in tf and "out_b1" in sf:
        a = np.frombuffer(base64.b64decode(sf["out_b1"]), np.float32)
        b = np.frombuffer(base64.b64decode(tf["out_b1"]), np.float32)
        if a.shape == b.shape:
            diff = float(np.max(np.abs(a - b))) / (float(b.std()) or 1.0)
            print(f"  outputs agree: max|diff| = {diff:.2e} of std(TF output)")
        else:
            print(f"  outputs DIFFER in shape: {a.shape} vs {b.shape}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"fewer repetitions {reps(True)}")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--skip-tf", action="store_true")
    parser.add_argument("--profile", choices=MODELS, help="cProfile stowflow on this model")
    parser.add_argument("--profile-calls", type=int, default=5)
    parser.add_argument("--worker", choices=("tensorflow", "stowflow"), help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    parser.add_argument("--input-key", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        profile = args.profile_calls if "--profile-calls" in (argv or sys.argv) else 0
        result = worker(args.worker, args.model_dir, args.input_key, args.quick, profile)
        print(REPORT + json.dumps(result))
        return 0
    models = [args.profile] if args.profile else args.models.split(",")
    print(
        f"bench/models.py {'--quick ' if args.quick else ''}reps={reps(args.quick)}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    python_tf = tf_python()
    for model in models:
        model_dir, key = fixture(model)
        tf_result = None
        if not args.skip_tf and not args.profile:
            if python_tf.exists():
                tf_result = run_worker(python_tf, "tensorflow", model_dir, key, args)
            else:
                print(f"TensorFlow anchor skipped: no oracle python at {python_tf}")
        sf_result = run_worker(Path(sys.executable), "stowflow", model_dir, key, args)
        for name, result in (("stowflow", sf_result), ("tensorflow", tf_result)):
            if result and "error" in result:
                print(f"{model}: {name} failed: {result['error']}")
        report(
            model,
            {} if "error" in sf_result else sf_result,
            None if not tf_result or "error" in tf_result else tf_result,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
