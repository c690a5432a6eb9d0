"""Cold start: a small TF1 save/restore program, from process start, stowflow vs TensorFlow.

Runs the same script (below) as ``python -m stowflow.tf1 SCRIPT`` in the dev venv and as
``python SCRIPT`` in the TensorFlow 2.21 oracle venv, alternating, and prints the medians
and their ratio (goal of issue 7: stowflow >= 10x faster). Byte-code caches are allowed
(as after a normal ``pip install``): each interpreter runs once untimed first. Also times
``import stowflow`` and ``import tensorflow`` alone.

    .venv/bin/python bench/cold_start.py [--reps 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROGRAM = """
import tensorflow as tf
tf.compat.v1.disable_eager_execution() if hasattr(tf.compat.v1, "disable_eager_execution") else None
v = tf.compat.v1.Variable([1.0, 2.0, 3.0], name="v")
w = tf.compat.v1.Variable(tf.compat.v1.zeros([3]), name="w")
add = tf.compat.v1.assign_add(w, v)
saver = tf.compat.v1.train.Saver()
with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    sess.run(add)
    path = saver.save(sess, CKPT)
with tf.compat.v1.Session() as sess:
    saver.restore(sess, path)
    print(sess.run(w))
"""


def tf_python() -> str:
    env = os.environ.get("STOWFLOW_TF_PYTHON")
    return env or str(Path.home() / ".cache/stowflow/tf-2.21.0/bin/python")


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "small_tf1.py"
        ckpt = str(Path(scratch) / "ckpt" / "model")
        os.makedirs(os.path.dirname(ckpt))
        script.write_text(f"CKPT = {ckpt!r}\n" + PROGRAM)
        ours = [sys.executable, "-m", "stowflow.tf1", str(script)]
        theirs = [tf_python(), str(script)]
        cases = {
            "TF1 program, stowflow": ours,
            "TF1 program, TensorFlow": theirs,
            "import stowflow": [sys.executable, "-c", "import stowflow"],
            "import tensorflow": [tf_python(), "-c", "import tensorflow"],
        }
        for cmd in cases.values():  # warm the byte-code caches and the page cache
            timed(cmd, env)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.reps):
            for name, cmd in cases.items():
                samples[name].append(timed(cmd, env))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"| case | median of {args.reps} (s) |")
    print("| --- | --- |")
    for name, value in medians.items():
        print(f"| {name} | {value:.3f} |")
    ratio = medians["TF1 program, TensorFlow"] / medians["TF1 program, stowflow"]
    verdict = "met" if ratio >= 10 else "not met"
    print(f"\nTF1 program: stowflow is {ratio:.1f}x faster than TensorFlow (goal 10x: {verdict})")


if __name__ == "__main__":
    main()
