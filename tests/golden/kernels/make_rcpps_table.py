"""Writes stowflow/graph/kernels/_rcpps_table.py: this CPU's ``rcpps`` estimate table.

NEEDS an x86-64 CPU with AVX and a C compiler (``cc``); no TensorFlow. Run from the
repository root on the machine whose TF results stowflow must reproduce:

    python tests/golden/kernels/make_rcpps_table.py

Why: TF's Eigen computes a float packet reciprocal (Softmax's ``1/sum``, Erfc's ``1/x**2``)
as the hardware estimate ``rcpps`` refined by one Newton step, so its last bit depends on
the CPU vendor's estimate table, which no document gives. The program below asks the CPU
for ``rcpps`` of every float in [1, 2), checks that the estimate depends only on the top 12
mantissa bits and has a 12-bit mantissa in [0.5, 1), and stores those 4096 mantissas as a
start value and a string of (small) decrements, keyed by the CPU's vendor and family.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "stowflow" / "graph" / "kernels" / "_rcpps_table.py"

PROGRAM = r"""
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
static uint32_t out[1u << 23];
int main(void) {
  for (uint32_t m = 0; m < (1u << 23); m += 8) {
    uint32_t in[8];
    for (int k = 0; k < 8; k++) in[k] = 0x3f800000u | (m + k);
    __m256 v, r;
    memcpy(&v, in, sizeof v);
    r = _mm256_rcp_ps(v);
    memcpy(out + m, &r, sizeof r);
  }
  fwrite(out, sizeof out[0], 1u << 23, stdout);
  return 0;
}
"""


def cpu_id() -> tuple[str, str]:
    text = Path("/proc/cpuinfo").read_text()
    vendor = re.search(r"^vendor_id\s*:\s*(\S+)", text, re.M)
    family = re.search(r"^cpu family\s*:\s*(\d+)", text, re.M)
    if not (vendor and family):
        sys.exit("cannot read vendor_id / cpu family from /proc/cpuinfo")
    return vendor.group(1), family.group(1)


def estimates() -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = Path(tmp) / "rcp.c", Path(tmp) / "rcp"
        src.write_text(PROGRAM)
        subprocess.run(["cc", "-O2", "-mavx", str(src), "-o", str(exe)], check=True)
        raw = subprocess.run([str(exe)], check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint32)


def main() -> None:
    vendor, family = cpu_id()
    est = estimates().reshape(4096, -1)
    if not (est == est[:, :1]).all():
        sys.exit("rcpps depends on more than the top 12 mantissa bits: not supported")
    first = est[:, 0]
    if not ((first >> 23) == 126).all() or (first & 0x7FF).any():
        sys.exit("rcpps estimates are not 12-bit mantissas in [0.5, 1): not supported")
    mantissas = (first & 0x7FFFFF) >> 11
    steps = -np.diff(mantissas.astype(np.int64))
    if steps.min() < 0 or steps.max() > 9:
        sys.exit("rcpps table is not monotone with small steps: not supported")
    digits = "".join(str(int(s)) for s in steps)
    lines = [digits[i : i + 96] for i in range(0, len(digits), 96)]
    body = "\n".join(f'    "{line}"' for line in lines)
    OUT.write_text(
        '"""The ``rcpps`` estimate table of one CPU family (generated; do not edit).\n\n'
        "Written by tests/golden/kernels/make_rcpps_table.py, which asks the CPU for the\n"
        "estimate of every float in [1, 2). ``MANTISSAS[i]`` (12 bits) is the estimate's\n"
        "mantissa for inputs whose top 12 mantissa bits are ``i``: the estimate of\n"
        "``(1 + i/4096 + ...) * 2**e`` is ``(1 + MANTISSAS[i]/4096) * 2**(-e - 1)``.\n"
        '"""\n\n'
        f'VENDOR = "{vendor}"\n'
        f"FAMILY = {family}\n"
        f"FIRST = {int(mantissas[0])}\n"
        "# MANTISSAS[i] = MANTISSAS[i - 1] - int(STEPS[i - 1])\n"
        f"STEPS = (\n{body}\n)\n"
    )
    print(f"wrote {OUT} for {vendor} family {family}")


if __name__ == "__main__":
    main()
