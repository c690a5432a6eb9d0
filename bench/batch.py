"""Batch scoring throughput: stowflow on Ray Data against TensorFlow in one process.

A script, not a test: it measures and prints, asserting nothing. In one run, over the same
data (written once from a fixed seed into a scratch directory):

- (a) ``tf1_predict`` ``serving_default`` (``y = x W + b``, x float32 [N, 3]) from Parquet;
- (b) ``tf1_classify_regress`` ``predict_raw`` (``tf.io.parse_example`` + softmax) from a
  TFRecord file of serialized ``tf.train.Example``;

it times records/s of

- ``ray``: :func:`stowflow.ray.predict` on a local Ray (``--cpus``, ``--actors``, default one
  CPU left for Ray Data's read tasks), reading the
  files with Ray Data (``read_parquet``; :func:`stowflow.ray.read_tfrecords`) and consuming
  every output batch; Ray's startup is not timed, Ray Data's planning and actor start are;
- ``stowflow``: ``stowflow.saved_model.load`` in this process over the same batches;
- ``TF``: ``tf.saved_model.load(...).signatures[key]`` in one process of the TensorFlow 2.21
  oracle (this file with ``--tf-worker``), data read in memory first (numpy for (a),
  ``tf.data.TFRecordDataset`` for (b)); TF's import and load are not timed;

and prints the ratios ``ray / TF``. Every number is the best of ``--reps`` runs.

    .venv/bin/python bench/batch.py                  # 200,000 records per case
    .venv/bin/python bench/batch.py --records 20000  # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "tests" / "golden" / "savedmodels"
TF_PYTHON = Path(
    os.environ.get("STOWFLOW_TF_PYTHON", Path.home() / ".cache/stowflow/tf-2.21.0/bin/python")
)
CASES = {
    "predict_parquet": ("tf1_predict", "serving_default"),
    "parse_tfrecord": ("tf1_classify_regress", "predict_raw"),
}


def _examples(n: int, seed: int) -> list[bytes]:
    from stowflow.proto import example_pb2

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2)).astype(np.float32)
    out = []
    for i in range(n):
        ex = example_pb2.Example()
        ex.features.feature["x"].float_list.value.extend(x[i].tolist())
        ex.features.feature["age"].int64_list.value.append(i % 90)
        ex.features.feature["tags"].bytes_list.value.extend([b"a", b"b"][: i % 3])
        out.append(ex.SerializeToString())
    return out


def write_data(root: Path, n: int, seed: int) -> None:
    """x.npy + x.parquet (case a) and examples.tfrecord (case b)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from stowflow import tfrecord

    x = np.random.default_rng(seed).standard_normal((n, 3)).astype(np.float32)
    np.save(root / "x.npy", x)
    column = pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), 3)
    pq.write_table(pa.table({"x": column}), root / "x.parquet", row_group_size=65536)
    tfrecord.write_records(root / "examples.tfrecord", _examples(n, seed))


def _best(fn: Any, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run_ray(root: Path, n: int, batch: int, actors: int, reps: int) -> dict[str, float]:
    import ray

    import stowflow.ray

    out = {}
    for case, (model, signature) in CASES.items():

        def once(case: str = case, model: str = model, signature: str = signature) -> None:
            if case == "predict_parquet":
                ds = ray.data.read_parquet(str(root / "x.parquet"))
            else:
                ds = stowflow.ray.read_tfrecords(root / "examples.tfrecord")
            scored = stowflow.ray.predict(
                ds, str(MODELS / model), signature, batch_size=batch, concurrency=actors
            )
            rows = sum(len(next(iter(b.values()))) for b in scored.iter_batches(batch_size=None))
            if rows != n:
                raise RuntimeError(f"{case}: {rows} rows out of {n}")

        out[case] = n / _best(once, reps)
        print(f"ray {case}: {out[case]:,.0f} records/s", file=sys.stderr, flush=True)
    return out


def run_stowflow(root: Path, n: int, batch: int, reps: int) -> dict[str, float]:
    from stowflow import saved_model, tfrecord

    feeds = {
        "predict_parquet": ("x", np.load(root / "x.npy")),
        "parse_tfrecord": (
            "examples",
            np.array(list(tfrecord.read_records(root / "examples.tfrecord")), dtype=object),
        ),
    }
    out = {}
    for case, (model, signature) in CASES.items():
        loaded = saved_model.load(str(MODELS / model))
        fn = loaded.signatures[signature]
        key, data = feeds[case]

        def once(fn: Any = fn, key: str = key, data: np.ndarray = data) -> None:
            for i in range(0, n, batch):
                fn(**{key: data[i : i + batch]})

        out[case] = n / _best(once, reps)
        loaded.close()
        print(f"stowflow {case}: {out[case]:,.0f} records/s", file=sys.stderr, flush=True)
    return out


def tf_worker(root: Path, n: int, batch: int, reps: int) -> None:
    """Runs under the TF oracle: prints {case: records/s} as JSON."""
    import tensorflow as tf

    x = np.load(root / "x.npy")
    records = [r.numpy() for r in tf.data.TFRecordDataset(str(root / "examples.tfrecord"))]
    feeds = {
        "predict_parquet": ("x", x),
        "parse_tfrecord": ("examples", np.array(records, dtype=object)),
    }
    out = {}
    for case, (model, signature) in CASES.items():
        fn = tf.saved_model.load(str(MODELS / model), tags=["serve"]).signatures[signature]
        key, data = feeds[case]
        batches = [tf.constant(data[i : i + batch]) for i in range(0, n, batch)]
        fn(**{key: batches[0]})  # trace/warm up outside the timed runs

        def once(fn: Any = fn, key: str = key, batches: list[Any] = batches) -> None:
            for b in batches:
                fn(**{key: b})

        out[case] = n / _best(once, reps)
    print(json.dumps(out))


def _actors(args: argparse.Namespace) -> int:
    # Actors hold their CPU for the whole run; Ray Data's read tasks need one too.
    return int(args.actors or max(1, args.cpus - 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--actors", type=int, default=None, help="default: --cpus - 1 (reads need a CPU)"
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tf-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tf_worker:
        tf_worker(args.tf_worker, args.records, args.batch, args.reps)
        return

    root = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        write_data(root, args.records, args.seed)
        tf_rates: dict[str, float] = {}
        if TF_PYTHON.exists():
            run = subprocess.run(
                [
                    str(TF_PYTHON),
                    __file__,
                    "--tf-worker",
                    str(root),
                    "--records",
                    str(args.records),
                    "--batch",
                    str(args.batch),
                    "--reps",
                    str(args.reps),
                ],
                capture_output=True,
                text=True,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)},
            )
            if run.returncode:
                raise RuntimeError(run.stderr[-3000:])
            tf_rates = json.loads(run.stdout.strip().splitlines()[-1])
        else:
            print(f"(no TensorFlow at {TF_PYTHON}: TF column skipped)")
        local = run_stowflow(root, args.records, args.batch, args.reps)

        import ray

        ray.init(
            num_cpus=args.cpus,
            include_dashboard=False,
            _node_ip_address="127.0.0.1",
            log_to_driver=False,
            configure_logging=False,
        )
        ray.data.DataContext.get_current().enable_progress_bars = False
        try:
            distributed = run_ray(root, args.records, args.batch, _actors(args), args.reps)
        finally:
            ray.shutdown()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(
        f"\nBatch scoring, {args.records:,} records, batch {args.batch}, Ray: {args.cpus} CPUs, "
        f"{_actors(args)} actors; records/s, best of {args.reps}\n"
    )
    print("| case | stowflow on Ray Data | stowflow, 1 process | TF, 1 process | Ray / TF |")
    print("|---|---:|---:|---:|---:|")
    for case in CASES:
        tf_rate = tf_rates.get(case)
        ratio = f"{distributed[case] / tf_rate:.2f}x" if tf_rate else "-"
        tf_text = f"{tf_rate:,.0f}" if tf_rate else "-"
        print(f"| {case} | {distributed[case]:,.0f} | {local[case]:,.0f} | {tf_text} | {ratio} |")


if __name__ == "__main__":
    sys.exit(main())
