# Needs TensorFlow 2.15.1 (the second oracle) and stowflow's dev venv: run from the repo root as
#   ~/.cache/stowflow/tf-2.15.1/bin/python tests/golden/training_programs/make_training_goldens.py
# (STOWFLOW_DEV_PYTHON overrides stowflow's interpreter, default .venv/bin/python).
"""Runs tests/training_programs/programs under TensorFlow 2.15; records what they print.

Writes ``training_goldens.json``:
- ``cases``: case -> normalised output of each run (``tp_harness.run_case``);
- ``tf215_resumes_tf215``: TF resuming the checkpoint it wrote (committed beside this file in
  ``tf215_mixed/``: variables, Adam and Momentum slots, beta powers, global step);
- ``tf215_resumes_stowflow`` / ``tf215_reads_stowflow``: TF resuming, and restoring every
  variable of, a checkpoint that stowflow's ``python -m stowflow.tf1`` wrote.
"""

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import tensorflow as tf

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "training_programs")]
import tp_harness  # noqa: E402

if not tf.__version__.startswith("2.15."):
    sys.exit(f"needs TensorFlow 2.15, not {tf.__version__}")
TF = [sys.executable]
STOWFLOW = [
    os.environ.get("STOWFLOW_DEV_PYTHON", str(ROOT / ".venv/bin/python")),
    "-m",
    "stowflow.tf1",
]
CHECKPOINT = HERE / "tf215_mixed"

results: dict = {"cases": {}}
for case in tp_harness.CASES:
    with tempfile.TemporaryDirectory() as d:
        results["cases"][case] = tp_harness.run_case(TF, case, d + "/run")
        print(case, "done", flush=True)

with tempfile.TemporaryDirectory() as d:
    tp_harness.train_mixed(TF, d)
    prefix = Path(tf.train.latest_checkpoint(d)).name
    shutil.rmtree(CHECKPOINT, ignore_errors=True)
    CHECKPOINT.mkdir()
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(f"{d}/{prefix}{suffix}", CHECKPOINT / (prefix + suffix))
    state = f'model_checkpoint_path: "{prefix}"\nall_model_checkpoint_paths: "{prefix}"\n'
    (CHECKPOINT / "checkpoint").write_text(state)
with tempfile.TemporaryDirectory() as d:
    shutil.copytree(CHECKPOINT, d + "/ckpt")
    results["tf215_resumes_tf215"] = tp_harness.resume_mixed(TF, d + "/ckpt")

with tempfile.TemporaryDirectory() as d:
    tp_harness.train_mixed(STOWFLOW, d)
    results["tf215_resumes_stowflow"] = tp_harness.resume_mixed(TF, d)
    results["tf215_reads_stowflow"] = tp_harness.dump_mixed(TF, d)

(HERE / "training_goldens.json").write_text(json.dumps(results, indent=1) + "\n")
print(len(results["cases"]), "cases")
