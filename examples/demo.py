"""stowflow product tour: write a TensorFlow checkpoint, read it back, inspect it.

Run with ``scripts/demo`` (README's first command). Everything here runs without
TensorFlow; the files it writes load in TensorFlow unchanged.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import ml_dtypes
import numpy as np

from stowflow import checkpoint


def main() -> int:
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "demo-output")
    shutil.rmtree(out, ignore_errors=True)
    ckpt_dir = os.path.join(out, "ckpt")
    rng = np.random.default_rng(0)
    tensors = {
        "dense/kernel": rng.standard_normal((4, 3)).astype(np.float32),
        "dense/bias": np.zeros(3, np.float32),
        "embedding": rng.standard_normal((10, 2)).astype(ml_dtypes.bfloat16),
        "vocab": np.array([b"hello", "wörld".encode(), b""], dtype=object),
        "global_step": np.int64(1000),
    }
    print("== 1. save a checkpoint (2 data shards, 'embedding' partitioned in 2)")
    t0 = time.perf_counter()
    prefix = checkpoint.save(
        os.path.join(ckpt_dir, "model.ckpt-1000"), tensors, shards=2, partitions={"embedding": 2}
    )
    print(f"wrote {prefix} in {1000 * (time.perf_counter() - t0):.1f} ms:")
    for name in sorted(os.listdir(ckpt_dir)):
        print(f"  {name:36s} {os.path.getsize(os.path.join(ckpt_dir, name)):6d} bytes")

    print("\n== 2. read it back from the directory (latest checkpoint)")
    print("latest_checkpoint:", checkpoint.latest_checkpoint(ckpt_dir))
    loaded = checkpoint.load(ckpt_dir)
    for name, value in sorted(loaded.items()):
        same = np.array_equal(np.asarray(value), np.asarray(tensors[name]))
        print(f"  {name:14s} {str(value.dtype):9s} {list(value.shape)!s:8s} round-trip ok: {same}")
        if not same:
            return 1
    print("list_variables:", checkpoint.list_variables(ckpt_dir))

    print("\n== 3. inspect it, as TF's inspect_checkpoint would")
    cmd = [
        sys.executable,
        "-m",
        "stowflow",
        "inspect",
        f"--file_name={prefix}",
        "--tensor_name=dense/kernel",
    ]
    print("$ stowflow inspect --file_name=... --tensor_name=dense/kernel")
    subprocess.run(cmd, check=True)
    print("\n== 4. a damaged file is refused, naming file and tensor")
    data = os.path.join(ckpt_dir, "model.ckpt-1000.data-00000-of-00002")
    with open(data, "r+b") as f:
        f.seek(5)
        byte = f.read(1)
        f.seek(5)
        f.write(bytes([byte[0] ^ 0xFF]))
    result = subprocess.run(cmd[:5] + ["--all_tensors"], capture_output=True, text=True)
    print(f"exit code {result.returncode}; stderr: {result.stderr.strip()}")
    return 0 if result.returncode != 0 else 1


if __name__ == "__main__":
    sys.exit(main())
