"""Helpers of the converter tests: the golden checkpoints and the torch oracle.

torch is a test-only tool, installed into its own venv (never into .venv):
``python -m venv ~/.cache/stowflow/torch-venv && ~/.cache/stowflow/torch-venv/bin/pip
install torch==2.13.0 numpy``, or point ``$STOWFLOW_TORCH_PYTHON`` at an interpreter
that has torch. Tests that need it skip with that instruction when it is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "checkpoints"
TORCH_GOLDEN = ROOT / "tests" / "golden" / "torch"

# Every TF-written golden checkpoint, named the way a user would point at it.
GOLDEN_SOURCES = {
    "single": GOLDEN / "tf1_single",
    "sharded": GOLDEN / "tf1_sharded",
    "partitioned": GOLDEN / "tf1_partitioned",
    "global_step": GOLDEN / "tf1_global_step",
    "tf2": GOLDEN / "tf2_checkpoint",
    "keras": GOLDEN / "keras_checkpoint" / "ckpt",
    "savedmodel": GOLDEN / "savedmodel_vars" / "model",
    "raw": GOLDEN / "raw_savev2_golden" / "golden",
    "multiblock": GOLDEN / "raw_savev2_multiblock" / "multi",
    "sliced": GOLDEN / "raw_savev2_sliced" / "sliced",
}

# Loads a .pt with torch.load(weights_only=True) and prints every tensor's raw bytes.
TORCH_DUMP = """
import json, sys, torch
names = {torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.int64: "int64", torch.int32: "int32",
    torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool",
    torch.complex64: "complex64", torch.complex128: "complex128", torch.uint16: "uint16",
    torch.uint32: "uint32", torch.uint64: "uint64", torch.float8_e4m3fn: "float8_e4m3fn",
    torch.float8_e5m2: "float8_e5m2", torch.float8_e4m3fnuz: "float8_e4m3fnuz",
    torch.float8_e5m2fnuz: "float8_e5m2fnuz"}
sd = torch.load(sys.argv[1], weights_only=True)
out = {}
for k, t in sd.items():
    flat = t.contiguous().reshape(-1)
    raw = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
    out[k] = {"dtype": names[t.dtype], "shape": list(t.shape), "hex": raw.hex()}
print(json.dumps(out))
"""


def torch_python_path() -> Path:
    """$STOWFLOW_TORCH_PYTHON or the cached torch venv's interpreter."""
    env = os.environ.get("STOWFLOW_TORCH_PYTHON")
    return Path(env) if env else Path.home() / ".cache/stowflow/torch-venv/bin/python"
