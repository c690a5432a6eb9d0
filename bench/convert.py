#!/usr/bin/env python
"""Checkpoint -> safetensors conversion: speed and peak memory, stowflow against TensorFlow.

One run measures, on the same checkpoint and the same disk:

  stowflow     ``stowflow.convert.convert(prefix, out.safetensors)``: streams one tensor at a
               time from the checkpoint's data file into the output.
  TensorFlow   the route users take today (transformers' conversion scripts, forum answers):
               ``tf.train.load_checkpoint`` + ``get_tensor`` for every variable into a dict,
               then ``safetensors.numpy.save_file`` (TF 2.21 oracle venv; safetensors is
               installed into it on first use).
  raw copy     reading the data file and writing the same number of bytes, in 16 MiB chunks:
               the disk's ceiling for any converter.

Each route runs in a fresh subprocess (this file with ``--worker``), which reports its wall
time for the conversion only (imports excluded), its RSS after imports and its peak RSS
(``VmHWM``). "Extra RSS" = peak - after-imports: what the conversion itself held. For a
streaming converter it is bounded by the largest tensor (plus its transformed copy when a
layout transform applies). The page cache is warmed before every repetition (the source is
read once), so all routes read from memory; each figure is the median of ``--reps``.

The checkpoint (default 2 GiB: 32 float32 tensors of 64 MiB) is generated once into
``--dir`` (default ``~/.cache/stowflow/bench-convert``) keyed by its size.

Not a test: it asserts nothing. Usage:
    python bench/convert.py [--size-gb 2] [--reps 3] [--skip-tf] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TENSOR_MIB = 64
CHUNK = 16 << 20
ROOT = Path(__file__).resolve().parents[1]
TF_PYTHON = Path.home() / ".cache" / "stowflow" / "tf-2.21.0" / "bin" / "python"


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mib() -> float:
    return _status_mib("VmRSS")


def _peak_mib() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec from the parent process
    return _status_mib("VmHWM")


# -- workers (run in their own process; print one JSON line) -----------------------------------


def _worker_stowflow(src: str, dst: str) -> None:
    from stowflow.convert import convert

    base = _rss_mib()
    start = time.perf_counter()
    convert(src, dst)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "import_mib": base, "peak_mib": _peak_mib()}))


def _worker_tf(src: str, dst: str) -> None:
    import tensorflow as tf
    from safetensors.numpy import save_file

    base = _rss_mib()
    start = time.perf_counter()
    reader = tf.train.load_checkpoint(src)
    tensors = {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}
    save_file(tensors, dst)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "import_mib": base, "peak_mib": _peak_mib()}))


def _worker_raw(src: str, dst: str) -> None:
    data_files = sorted(Path(src).parent.glob(Path(src).name + ".data-*"))
    base = _rss_mib()
    start = time.perf_counter()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    with open(dst, "wb") as out:
        for path in data_files:
            with open(path, "rb", buffering=0) as f:
                while n := f.readinto(buffer):
                    out.write(view[:n])
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "import_mib": base, "peak_mib": _peak_mib()}))


WORKERS = {"stowflow": _worker_stowflow, "tf": _worker_tf, "raw": _worker_raw}


# -- driver -------------------------------------------------------------------------------------


def _make_checkpoint(directory: Path, size_gb: float) -> tuple[str, int]:
    """Writes (once) a checkpoint of ``size_gb`` GiB; returns its prefix and byte count."""
    import numpy as np

    from stowflow import checkpoint

    count = max(1, round(size_gb * 1024 / TENSOR_MIB))
    prefix = directory / f"ckpt-{count}x{TENSOR_MIB}MiB" / "model.ckpt"
    elements = TENSOR_MIB * (1 << 20) // 4
    nbytes = count * elements * 4
    if not Path(str(prefix) + ".index").exists():
        print(f"writing a {nbytes / 2**30:.1f} GiB checkpoint to {prefix.parent} ...")
        rng = np.random.default_rng(0)
        row = rng.standard_normal(elements, dtype=np.float32)
        tensors = {f"layer_{i:03d}/kernel": np.roll(row, i) for i in range(count)}
        checkpoint.save(str(prefix), tensors)
    return str(prefix), nbytes


def _warm(prefix: str) -> None:
    for path in Path(prefix).parent.glob(Path(prefix).name + ".*"):
        with open(path, "rb", buffering=0) as f:
            while f.read(CHUNK):
                pass


def _run(route: str, prefix: str, out: Path) -> dict[str, float]:
    python = str(TF_PYTHON) if route == "tf" else sys.executable
    env = dict(os.environ)
    if route == "stowflow":
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [python, __file__, "--worker", route, prefix, str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{route} worker failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _ensure_tf_safetensors() -> bool:
    if not TF_PYTHON.exists():
        print(f"no TensorFlow oracle venv at {TF_PYTHON}: TF route skipped (scripts/tf_venv)")
        return False
    probe = subprocess.run([str(TF_PYTHON), "-c", "import safetensors"], capture_output=True)
    if probe.returncode != 0:
        print("installing safetensors into the TF oracle venv (bench only) ...")
        subprocess.run([str(TF_PYTHON), "-m", "pip", "install", "-q", "safetensors"], check=True)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--skip-tf", action="store_true")
    parser.add_argument("--dir", default=str(Path.home() / ".cache/stowflow/bench-convert"))
    parser.add_argument("--worker", nargs=3, metavar=("ROUTE", "SRC", "DST"))
    args = parser.parse_args()
    if args.worker:
        route, src, dst = args.worker
        WORKERS[route](src, dst)
        return 0

    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    prefix, nbytes = _make_checkpoint(directory, args.size_gb)
    routes = ["raw", "stowflow"] + ([] if args.skip_tf or not _ensure_tf_safetensors() else ["tf"])
    out_dir = directory / "out"
    results: dict[str, list[dict[str, float]]] = {r: [] for r in routes}
    for _ in range(args.reps):
        for route in routes:  # interleaved, so drift hits every route alike
            shutil.rmtree(out_dir, ignore_errors=True)
            out_dir.mkdir()
            _warm(prefix)
            results[route].append(_run(route, prefix, out_dir / "model.safetensors"))
    shutil.rmtree(out_dir, ignore_errors=True)

    def median(route: str, key: str) -> float:
        return statistics.median(r[key] for r in results[route])

    gib = nbytes / 2**30
    print(
        f"\ncheckpoint: {gib:.2f} GiB in {nbytes // (TENSOR_MIB << 20)} float32 tensors of "
        f"{TENSOR_MIB} MiB; median of {args.reps}; page cache warm"
    )
    print(f"{'route':<10} {'seconds':>8} {'GB/s':>7} {'peak RSS MiB':>13} {'extra RSS MiB':>14}")
    for route in routes:
        seconds = median(route, "seconds")
        peak = median(route, "peak_mib")
        extra = statistics.median(r["peak_mib"] - r["import_mib"] for r in results[route])
        print(
            f"{route:<10} {seconds:8.2f} {nbytes / 1e9 / seconds:7.2f} {peak:13.0f} {extra:14.0f}"
        )
    if "tf" in results:
        speed = median("tf", "seconds") / median("stowflow", "seconds")
        rss = median("stowflow", "peak_mib") / median("tf", "peak_mib")
        print(
            f"\nstowflow vs TF route: {speed:.2f}x the speed (goal >= 2x: "
            f"{'met' if speed >= 2 else 'NOT met'}), {rss:.2f}x the peak RSS (goal <= 0.5x: "
            f"{'met' if rss <= 0.5 else 'NOT met'})"
        )
    extra = statistics.median(r["peak_mib"] - r["import_mib"] for r in results["stowflow"])
    print(
        f"stowflow extra RSS {extra:.0f} MiB vs largest tensor {TENSOR_MIB} MiB "
        f"({extra / TENSOR_MIB:.2f}x)"
    )
    raw = median("raw", "seconds") / median("stowflow", "seconds")
    print(f"stowflow vs raw copy: {raw:.2f}x the speed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
