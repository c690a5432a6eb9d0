#!/usr/bin/env python
"""Checkpoint I/O benchmark: stowflow against raw file I/O, safetensors and TensorFlow.

Measures in one run, on the same data and the same disk:

  (a) save and load of ~1 GiB in 200 float32 tensors,
  (b) save and load of 10,000 small float32[16] tensors,
  (c) loading ONE tensor out of checkpoint (a) (warm, median of 20),
  (d) ``import stowflow`` (and the lazy ``stowflow.checkpoint``) in a fresh interpreter.

Anchors: raw file I/O of the same bytes (``f.write`` of each buffer, no fsync; reads with
``readinto`` preallocated arrays), ``safetensors.numpy`` and, when its venv exists,
TensorFlow 2.21 (``tf.raw_ops.SaveV2`` / ``tf.train.load_checkpoint``), which runs in a
subprocess (this same file with ``--tf-worker``) that regenerates the identical data from the
same seed and times only the save/load calls.

If the process may write ``/proc/sys/vm/drop_caches`` (root), loads are measured cold (page
cache dropped before each repetition) and warm; otherwise warm only, for every system.
Each measurement is the median of 3 repetitions. Not a test: it asserts no thresholds.

Usage:
    python bench/checkpoint_io.py [--quick] [--dir DIR] [--skip-tf] [--reps N]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

SEED = 20240601
TF_VERSION = "2.21.0"

# -- shared helpers (also used by the TF worker: nothing here may import stowflow) -------------


def sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {"big_n": 20, "big_len": 262_144, "small_n": 1_000, "small_len": 16}
    # 200 x 1,342,177 float32 = 1,073,741,600 bytes (~1 GiB)
    return {"big_n": 200, "big_len": 1_342_177, "small_n": 10_000, "small_len": 16}


def make_big(p: dict[str, int]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    return {
        f"layer_{i:03d}/kernel": rng.standard_normal(p["big_len"], dtype=np.float32)
        for i in range(p["big_n"])
    }


def make_small(p: dict[str, int]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED + 1)
    block = rng.standard_normal((p["small_n"], p["small_len"]), dtype=np.float32)
    return {f"layer_{i:05d}/w": block[i].copy() for i in range(p["small_n"])}


def fingerprint(arrays: dict[str, np.ndarray]) -> float:
    names = sorted(arrays)
    picks = [arrays[names[0]], arrays[names[len(names) // 2]], arrays[names[-1]]]
    return float(sum(np.asarray(a[:1000], dtype=np.float64).sum() for a in picks))


def can_drop_caches() -> bool:
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def drop_caches() -> None:
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def clear_dir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)


def timed(fn: Callable[[], Any], reps: int, before: Callable[[], None] | None = None) -> float:
    """Median wall seconds of ``fn`` over ``reps`` runs; ``before`` runs untimed first."""
    times = []
    for _ in range(reps):
        if before is not None:
            before()
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        t1 = time.perf_counter()
        del result
        times.append(t1 - t0)
    return statistics.median(times)


def timed_ms(fn: Callable[[], Any], reps: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        del result
    return statistics.median(times) * 1e3


def import_time(python: str, stmt: str, reps: int, env: dict[str, str] | None = None) -> float:
    """Median seconds to run ``stmt`` in a fresh interpreter (timed inside it)."""
    code = f"import time; _t0 = time.perf_counter()\n{stmt}\nprint(repr(time.perf_counter() - _t0))"
    out = []
    for _ in range(reps):
        res = subprocess.run(
            [python, "-c", code], capture_output=True, text=True, check=True, env=env, cwd="/"
        )
        out.append(float(res.stdout.strip().splitlines()[-1]))
    return statistics.median(out)


# -- TensorFlow worker (runs under the TF venv's python) ----------------------------------------


def tf_worker(args: argparse.Namespace) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    p = sizes(args.quick)
    cold = args.cold
    reps = args.reps
    root = args.dir
    res: dict[str, Any] = {"tf_version": tf.__version__}

    def run_case(tag: str, arrays: dict[str, np.ndarray], one: str | None) -> None:
        names = sorted(arrays)
        tensors = [tf.constant(arrays[n]) for n in names]  # conversion not timed
        d = os.path.join(root, f"tf_{tag}")
        prefix = os.path.join(d, "ckpt")

        def save() -> None:
            tf.raw_ops.SaveV2(
                prefix=prefix,
                tensor_names=names,
                shape_and_slices=[""] * len(names),
                tensors=tensors,
            )

        def prep_save() -> None:
            clear_dir(d)
            os.sync()

        def load() -> dict[str, np.ndarray]:
            r = tf.train.load_checkpoint(prefix)
            return {n: r.get_tensor(n) for n in names}

        res[f"{tag}_save"] = timed(save, reps, prep_save)
        got = load()
        res[f"{tag}_fingerprint"] = fingerprint(got)
        del got
        if cold:
            res[f"{tag}_load_cold"] = timed(load, reps, drop_caches)
        res[f"{tag}_load_warm"] = timed(load, reps)
        if one is not None:
            res["one_ms"] = timed_ms(lambda: tf.train.load_checkpoint(prefix).get_tensor(one), 20)
        tensors.clear()

    if not args.small_only:
        big = make_big(p)
        res["big_fingerprint_src"] = fingerprint(big)
        run_case("big", big, sorted(big)[len(big) // 2])
        del big
        gc.collect()
    small = make_small(p)
    run_case("small", small, None)
    print("TFRESULT " + json.dumps(res))


# -- the in-process systems ---------------------------------------------------------------------


def case_name(tag: str, count: int, nbytes: int) -> str:
    if tag == "big":
        return f"a: {nbytes / 2**30:.2f} GiB in {count} tensors"
    return f"b: {count} small tensors"


class Results:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, case: str, system: str, seconds: float, work: float, unit: str) -> None:
        self.rows.append(
            {"case": case, "system": system, "seconds": seconds, "work": work, "unit": unit}
        )

    def get(self, case: str, system: str) -> dict[str, Any] | None:
        for r in self.rows:
            if r["case"] == case and r["system"] == system:
                return r
        return None


def raw_write(path: str, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb", buffering=0) as f:
        for name in sorted(arrays):
            f.write(memoryview(arrays[name]).cast("B"))


def raw_read_into(path: str, out: list[np.ndarray]) -> list[np.ndarray]:
    with open(path, "rb", buffering=0) as f:
        for a in out:
            f.readinto(memoryview(a).cast("B"))
    return out


def raw_read_alloc(path: str, like: list[np.ndarray]) -> list[np.ndarray]:
    out = [np.empty_like(a) for a in like]
    return raw_read_into(path, out)


def run_inprocess(
    tag: str,
    arrays: dict[str, np.ndarray],
    root: str,
    reps: int,
    cold: bool,
    results: Results,
    one: str | None,
) -> dict[str, float]:
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    from stowflow import checkpoint
    from stowflow.bundle import BundleReader

    names = sorted(arrays)
    nbytes = sum(a.nbytes for a in arrays.values())
    count = len(arrays)
    case = case_name(tag, count, nbytes)
    work, unit = (nbytes / 1e9, "GB/s") if tag == "big" else (count, "tensors/s")

    d_raw, d_sf, d_st = (os.path.join(root, f"{s}_{tag}") for s in ("raw", "sf", "st"))
    raw_path = os.path.join(d_raw, "data.bin")
    sf_prefix = os.path.join(d_sf, "ckpt")
    st_path = os.path.join(d_st, "model.safetensors")

    def prep(d: str) -> Callable[[], None]:
        def f() -> None:
            clear_dir(d)
            os.sync()

        return f

    # -- save: repetitions interleaved across systems, so slow disk write-back phases hit
    # every system alike instead of whichever happened to run then.
    savers = {
        "raw write": (lambda: raw_write(raw_path, arrays), prep(d_raw)),
        "stowflow checkpoint.save": (
            lambda: checkpoint.save(sf_prefix, arrays, shards=1),
            prep(d_sf),
        ),
        "safetensors save_file": (lambda: save_file(arrays, st_path), prep(d_st)),
    }
    samples: dict[str, list[float]] = {name: [] for name in savers}
    for _ in range(reps):
        for name, (fn, before) in savers.items():
            samples[name].append(timed(fn, 1, before))
    for name, times in samples.items():
        print(f"# {case} save samples, {name}: {[round(t, 3) for t in times]}", flush=True)
        results.add(f"{case} save", name, statistics.median(times), work, unit)

    # -- correctness spot check (untimed)
    got = checkpoint.load(sf_prefix)
    assert fingerprint(got) == fingerprint(arrays), "stowflow round trip mismatch"
    assert all(np.array_equal(got[n], arrays[n]) for n in (names[0], names[-1]))
    del got

    # -- load
    prealloc = [np.empty_like(arrays[n]) for n in names]
    for a in prealloc:
        a.fill(0)  # fault the pages in, so readinto measures I/O only

    def sf_load_view() -> list[np.ndarray]:
        r = BundleReader(sf_prefix)
        out = [r.read(n, copy=False) for n in r.keys()]
        del out  # views die before the map is closed
        r.close()
        return []

    loaders: list[tuple[str, Callable[[], Any]]] = [
        ("raw readinto (prealloc)", lambda: raw_read_into(raw_path, prealloc)),
        ("raw readinto (alloc inside)", lambda: raw_read_alloc(raw_path, prealloc)),
        ("stowflow checkpoint.load", lambda: checkpoint.load(sf_prefix)),
        ("stowflow BundleReader.read(copy=False)", sf_load_view),
        ("safetensors load_file", lambda: load_file(st_path)),
    ]
    modes = ["cold", "warm"] if cold else ["warm"]
    for mode in modes:
        for system, fn in loaders:
            secs = timed(fn, reps, drop_caches if mode == "cold" else None)
            results.add(f"{case} load ({mode})", system, secs, work, unit)
    prealloc.clear()
    gc.collect()

    # -- one tensor (warm)
    if one is not None:
        c = "c: one tensor of (a), warm"
        offset = sum(arrays[n].nbytes for n in names[: names.index(one)])
        buf = np.empty_like(arrays[one])

        def raw_one() -> np.ndarray:
            with open(raw_path, "rb", buffering=0) as f:
                f.seek(offset)
                f.readinto(memoryview(buf).cast("B"))
            return buf

        def sf_one_view() -> float:
            r = BundleReader(sf_prefix)
            v = r.read(one, copy=False)
            x = float(v[0])
            del v
            r.close()
            return x

        def st_one() -> np.ndarray:
            with safe_open(st_path, framework="np") as f:
                return f.get_tensor(one)

        opener = checkpoint.Reader(sf_prefix)
        for system, fn in [
            ("raw seek+readinto (prealloc)", raw_one),
            (
                "stowflow Reader(prefix).get_tensor",
                lambda: checkpoint.Reader(sf_prefix).get_tensor(one),
            ),
            ("stowflow BundleReader.read(copy=False)", sf_one_view),
            ("stowflow get_tensor, reader already open", lambda: opener.get_tensor(one)),
            ("safetensors safe_open.get_tensor", st_one),
        ]:
            results.add(c, system, timed_ms(fn, 20) / 1e3, 1, "ms")
        opener.close()
    return {}


# -- report -------------------------------------------------------------------------------------


RAW_FOR = {
    "save": "raw write",
    # A loader hands back new arrays, so the fair raw anchor allocates them too; the
    # prealloc row is still printed for reference.
    "load": "raw readinto (alloc inside)",
    "c:": "raw seek+readinto (prealloc)",
}


def render(results: Results, tf_res: dict[str, Any] | None) -> str:
    lines = [
        "| case | system | seconds | throughput | x raw | x TF |",
        "|---|---|---:|---:|---:|---:|",
    ]
    cases: list[str] = []
    for r in results.rows:
        if r["case"] not in cases:
            cases.append(r["case"])
    for case in cases:
        rows = [r for r in results.rows if r["case"] == case]
        raw_name = (
            RAW_FOR["c:"]
            if case.startswith("c:")
            else RAW_FOR["save" if case.endswith("save") else "load"]
        )
        raw = results.get(case, raw_name)
        tf = next((r for r in rows if r["system"].startswith("TensorFlow")), None)
        for r in rows:
            s = r["seconds"]
            if r["unit"] == "ms":
                thr = f"{s * 1e3:.3f} ms"
            elif r["unit"] == "GB/s":
                thr = f"{r['work'] / s:.2f} GB/s"
            elif r["unit"] == "s":
                thr = "-"
            else:
                thr = f"{r['work'] / s:,.0f} tensors/s"
            xr = f"{raw['seconds'] / s:.2f}" if raw and r["unit"] != "s" else "-"
            xt = f"{tf['seconds'] / s:.2f}" if tf else "-"
            sec = f"{s:.4f}" if r["unit"] != "ms" else f"{s:.6f}"
            lines.append(f"| {case} | {r['system']} | {sec} | {thr} | {xr} | {xt} |")
    return "\n".join(lines)


def find_tf_python() -> str | None:
    cand = os.environ.get("STOWFLOW_TF_PYTHON") or os.path.expanduser(
        f"~/.cache/stowflow/tf-{TF_VERSION}/bin/python"
    )
    return cand if cand and os.path.exists(cand) else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, for smoke testing")
    ap.add_argument("--dir", help="scratch directory (default: a new dir under $TMPDIR)")
    ap.add_argument("--skip-tf", action="store_true", help="do not run the TensorFlow anchor")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per measurement (median)")
    ap.add_argument(
        "--small-only", action="store_true", help="only case (b), many small tensors (and d)"
    )
    ap.add_argument("--tf-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.tf_worker:
        tf_worker(args)
        return

    own_dir = args.dir is None
    root = tempfile.mkdtemp(prefix="stowflow-bench-") if own_dir else os.path.abspath(args.dir)
    os.makedirs(root, exist_ok=True)
    p = sizes(args.quick)
    cold = can_drop_caches()
    results = Results()
    tf_python = None if args.skip_tf else find_tf_python()
    print(f"# scratch dir: {root}", flush=True)
    print(
        f"# loads: {'cold (page cache dropped) and warm' if cold else 'warm only (cannot drop page cache)'}",
        flush=True,
    )
    big_case = case_name("big", p["big_n"], p["big_n"] * p["big_len"] * 4)
    small_case = case_name("small", p["small_n"], 0)
    try:
        # TensorFlow first, so its memory is gone before this process builds its data.
        tf_res: dict[str, Any] | None = None
        if tf_python:
            print(f"# running TensorFlow anchor with {tf_python}", flush=True)
            cmd = [
                tf_python,
                os.path.abspath(__file__),
                "--tf-worker",
                "--dir",
                os.path.join(root, "tf"),
                "--reps",
                str(args.reps),
            ]
            cmd += ["--quick"] * args.quick + ["--cold"] * cold + ["--small-only"] * args.small_only
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("TFRESULT ")), None)
            if proc.returncode != 0 or line is None:
                print("# TensorFlow worker failed:\n" + proc.stderr[-3000:], flush=True)
            else:
                tf_res = json.loads(line[len("TFRESULT ") :])
            shutil.rmtree(os.path.join(root, "tf"), ignore_errors=True)
        else:
            print(
                "# TensorFlow anchor skipped" + ("" if args.skip_tf else " (no TF venv found)"),
                flush=True,
            )

        if not args.small_only:
            big = make_big(p)
            if tf_res is not None:
                assert tf_res["big_fingerprint_src"] == fingerprint(big), "TF worker data differs"
                assert tf_res["big_fingerprint"] == fingerprint(big), "TF round trip differs"
            one = sorted(big)[len(big) // 2]
            print(
                f"# (a) {len(big)} tensors, {sum(a.nbytes for a in big.values()):,} bytes",
                flush=True,
            )
            run_inprocess("big", big, root, args.reps, cold, results, one)
            del big
            gc.collect()
            for d in ("raw_big", "sf_big", "st_big"):
                shutil.rmtree(os.path.join(root, d), ignore_errors=True)
        small = make_small(p)
        if tf_res is not None:
            assert tf_res["small_fingerprint"] == fingerprint(small), "TF round trip differs"
        print(f"# (b) {len(small)} tensors of float32[{p['small_len']}]", flush=True)
        run_inprocess("small", small, root, args.reps, cold, results, None)
        del small

        if tf_res is not None:
            nb = p["big_n"] * p["big_len"] * 4 / 1e9
            if not args.small_only:
                results.add(f"{big_case} save", "TensorFlow SaveV2", tf_res["big_save"], nb, "GB/s")
            results.add(
                f"{small_case} save",
                "TensorFlow SaveV2",
                tf_res["small_save"],
                p["small_n"],
                "tensors/s",
            )
            for mode in ("cold", "warm") if cold else ("warm",):
                if not args.small_only:
                    results.add(
                        f"{big_case} load ({mode})",
                        "TensorFlow load_checkpoint+get_tensor",
                        tf_res[f"big_load_{mode}"],
                        nb,
                        "GB/s",
                    )
                results.add(
                    f"{small_case} load ({mode})",
                    "TensorFlow load_checkpoint+get_tensor",
                    tf_res[f"small_load_{mode}"],
                    p["small_n"],
                    "tensors/s",
                )
            if not args.small_only:
                results.add(
                    "c: one tensor of (a), warm",
                    "TensorFlow load_checkpoint().get_tensor",
                    tf_res["one_ms"] / 1e3,
                    1,
                    "ms",
                )
        order = list(dict.fromkeys(r["case"] for r in results.rows))
        results.rows.sort(key=lambda r: (r["case"][0], order.index(r["case"])))

        # -- (d) import times
        ireps = 2 if args.quick else 5
        py = sys.executable
        d = "d: import (fresh process)"
        results.add(d, "import numpy", import_time(py, "import numpy", ireps), 0, "s")
        results.add(d, "import stowflow", import_time(py, "import stowflow", ireps), 0, "s")
        results.add(
            d,
            "import stowflow; stowflow.checkpoint",
            import_time(py, "import stowflow; stowflow.checkpoint", ireps),
            0,
            "s",
        )
        results.add(
            d,
            "import safetensors.numpy",
            import_time(py, "import safetensors.numpy", ireps),
            0,
            "s",
        )
        if tf_python and tf_res is not None:
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
            results.add(
                d,
                "TensorFlow: import tensorflow",
                import_time(tf_python, "import tensorflow", ireps, env),
                0,
                "s",
            )
    finally:
        if own_dir:
            shutil.rmtree(root, ignore_errors=True)

    import resource

    print()
    print(render(results, tf_res))
    print()
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
    print(f"# peak RSS: this process {self_rss:.2f} GB, largest child {child_rss:.2f} GB")

    # -- targets
    def ratio(case: str, system: str, anchor: str) -> float | None:
        a, s = results.get(case, anchor), results.get(case, system)
        return a["seconds"] / s["seconds"] if a and s else None

    print("# targets (a):")
    for kind in (
        []
        if args.small_only
        else ["save"] + [f"load ({m})" for m in (("cold", "warm") if cold else ("warm",))]
    ):
        case = f"{big_case} {kind}"
        raw = RAW_FOR["save" if kind == "save" else "load"]
        tfn = "TensorFlow SaveV2" if kind == "save" else "TensorFlow load_checkpoint+get_tensor"
        systems = (
            ["stowflow checkpoint.save"]
            if kind == "save"
            else ["stowflow checkpoint.load", "stowflow BundleReader.read(copy=False)"]
        )
        for s in systems:
            xr, xt = ratio(case, s, raw), ratio(case, s, tfn)
            ok_r = "MET" if xr is not None and xr >= 0.9 else "MISSED"
            ok_t = "n/a" if xt is None else ("MET" if xt >= 1.5 else "MISSED")
            xr_s = f"{xr:.2f}" if xr is not None else "-"
            xt_s = f"{xt:.2f}" if xt is not None else "-"
            print(f"#   {kind:12s} {s:40s} {xr_s}x raw (>=0.9: {ok_r}), {xt_s}x TF (>=1.5: {ok_t})")
    print("# targets (b), many small tensors:")
    for kind in ["save"] + [f"load ({m})" for m in (("cold", "warm") if cold else ("warm",))]:
        case = f"{small_case} {kind}"
        tfn = "TensorFlow SaveV2" if kind == "save" else "TensorFlow load_checkpoint+get_tensor"
        sname = "stowflow checkpoint.save" if kind == "save" else "stowflow checkpoint.load"
        xt = ratio(case, sname, tfn)
        verdict = "n/a" if xt is None else ("MET" if xt >= 1.0 else "MISSED")
        xt_s = f"{xt:.2f}" if xt is not None else "-"
        print(f"#   {kind:12s} {sname:40s} {xt_s}x TF (>=1.0: {verdict})")
    for s in ("stowflow Reader(prefix).get_tensor", "stowflow BundleReader.read(copy=False)"):
        r = results.get("c: one tensor of (a), warm", s)
        if r:
            ms = r["seconds"] * 1e3
            print(f"# target (c): {s}: {ms:.3f} ms (<2 ms: {'MET' if ms < 2 else 'MISSED'})")


if __name__ == "__main__":
    main()
