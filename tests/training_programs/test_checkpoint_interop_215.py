"""Training checkpoints (variables and optimizer slots) cross between TF and stowflow.

The program is ``programs/mlp_train.py mixed``: Adam on the hidden layers, Momentum on the
output layer, so a checkpoint holds ``w/Adam``, ``w/Adam_1``, ``beta1_power``,
``beta2_power``, ``w/Momentum`` and ``global_step`` beside the weights.

- TF 2.15 -> stowflow: ``tests/golden/training_programs/tf215_mixed/`` (written by TF 2.15)
  restores in stowflow, which trains on with TF's continued losses.
- stowflow -> TF 2.15: the golden JSON records TF 2.15 restoring and resuming a checkpoint that
  stowflow wrote (the generator ran our code); stowflow's own checkpoint must hold those
  values and resume the same way.
- stowflow <-> TF 2.21 (the CI oracle): TF restores every variable and slot of our checkpoint
  with the values we saved and trains on with the losses we print; stowflow resumes the
  checkpoint TF 2.21 wrote with TF's losses.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import tp_harness  # tests/training_programs, beside this file

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "training_programs"
GOLDEN = json.loads((GOLDEN_DIR / "training_goldens.json").read_text())
STOWFLOW = [sys.executable, "-m", "stowflow.tf1"]
SLOTS = ("hidden1/w/Adam", "hidden1/w/Adam_1", "logits/w/Momentum", "beta1_power", "global_step")


@pytest.fixture(scope="module")
def our_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A directory holding the checkpoint stowflow wrote after training the program."""
    directory = str(tmp_path_factory.mktemp("ours"))
    tp_harness.train_mixed(STOWFLOW, directory)
    return directory


def _assert_same_variables(ours: dict, theirs: dict, rtol: float = 0.0) -> None:
    assert sorted(ours) == sorted(theirs)
    for name in ours:
        np.testing.assert_allclose(
            np.asarray(ours[name]), np.asarray(theirs[name]), rtol=rtol, atol=0, err_msg=name
        )


def test_stowflow_resumes_tf215_checkpoint_as_tf_does(tmp_path: Path) -> None:
    directory = tmp_path / "ckpt"
    shutil.copytree(GOLDEN_DIR / "tf215_mixed", directory)
    ours = tp_harness.resume_mixed(STOWFLOW, str(directory))
    assert ours == GOLDEN["tf215_resumes_tf215"]
    assert any(line.startswith("step 35 loss") for line in ours)


def test_tf215_restored_what_stowflow_saves(our_checkpoint: str) -> None:
    ours = tp_harness.dump_mixed(STOWFLOW, our_checkpoint)
    assert set(SLOTS) <= set(ours)
    # The same program and code made the checkpoint TF 2.15 read: equal up to float32 noise.
    _assert_same_variables(ours, GOLDEN["tf215_reads_stowflow"], rtol=1e-5)


def test_stowflow_resumes_its_checkpoint_as_tf215_does(our_checkpoint: str) -> None:
    assert tp_harness.resume_mixed(STOWFLOW, our_checkpoint) == GOLDEN["tf215_resumes_stowflow"]


TF_RUNS = r"""
import contextlib, io, json, os, runpy, sys
sys.path[:0] = ["tests", os.path.join("tests", "training_programs")]
import tp_harness
ours, theirs = sys.stdin.read().split()
program = str(tp_harness.PROGRAMS / tp_harness.MIXED[0])


def run(directory, phase):
    sys.argv = [program, *tp_harness.MIXED[1:], directory, phase]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        try:
            runpy.run_path(program, run_name="__main__")
        except SystemExit:
            pass
    return buffer.getvalue()


dump = run(ours, "dump")
line = next(x for x in dump.splitlines() if x.startswith(tp_harness.VARIABLES_MARK))
report = {"variables": json.loads(line[len(tp_harness.VARIABLES_MARK):])}
report["resume_ours"] = run(ours, "resume")
run(theirs, "train")
report["resume_theirs"] = run(theirs, "resume")
print("@@REPORT@@" + json.dumps(report))
"""


@pytest.mark.interop
def test_tf221_and_stowflow_restore_each_others_checkpoints(
    our_checkpoint: str, tmp_path: Path
) -> None:
    """TF 2.21 restores our variables and slots exactly and trains on as we do; we resume
    the checkpoint TF 2.21 wrote as TF does."""
    from stowflow_testlib import run_tf_report
    from tf_output import normalise

    theirs = str(tmp_path / "tf221")
    report = run_tf_report(TF_RUNS, f"{our_checkpoint}\n{theirs}")
    ours = tp_harness.dump_mixed(STOWFLOW, our_checkpoint)
    assert set(SLOTS) <= set(ours)
    _assert_same_variables(ours, report["variables"])  # exactly the saved values
    resumed = normalise(report["resume_ours"], our_checkpoint)
    assert tp_harness.resume_mixed(STOWFLOW, our_checkpoint) == resumed
    resumed = normalise(report["resume_theirs"], theirs)
    assert any(line.startswith("step 35 loss") for line in resumed)
    assert tp_harness.resume_mixed(STOWFLOW, theirs) == resumed
