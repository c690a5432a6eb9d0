"""Runs the TF1 training programs and normalises what they print.

Shared by the golden generator (``tests/golden/training_programs/make_training_goldens.py``,
run with TensorFlow 2.15's Python) and the tests (stowflow's, ``python -m stowflow.tf1``):
both sides see the same normalisation (``tests/tf_output.py``: paths, timings and TF's
notices masked, losses compared to 4 decimals).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tf_output import normalise

PROGRAMS = Path(__file__).resolve().parent / "programs"
DIR = "{dir}"  # replaced by the case's scratch directory


def _mlp(optimizer: str, variables: str = "ref") -> list[list[str]]:
    return [["mlp_train.py", optimizer, variables, DIR, "train"]]


# case -> the runs (program and arguments), in order, sharing one scratch directory
CASES: dict[str, list[list[str]]] = {
    "mlp_gd": _mlp("gd"),
    "mlp_adam": _mlp("adam"),
    "mlp_momentum": _mlp("momentum"),
    "mlp_nesterov": _mlp("nesterov"),
    "mlp_rmsprop": _mlp("rmsprop"),
    "mlp_adagrad": _mlp("adagrad"),
    "mlp_mixed": _mlp("mixed"),
    "mlp_gd_resource": _mlp("gd", "resource"),
    "mlp_adam_resource": _mlp("adam", "resource"),
    "mlp_momentum_enabled": _mlp("momentum", "enabled"),
    "cnn_towers": [["cnn_train.py", "towers"]],
    "cnn_cond": [["cnn_train.py", "cond"]],
    "mts_data": [["mts_data.py", DIR]],
    "tfrecord_data": [["tfrecord_data.py", DIR]],
}
# The checkpoint-interop program: Adam slots on the hidden layers, Momentum on the head.
MIXED = ["mlp_train.py", "mixed", "ref"]
VARIABLES_MARK = "@@VARIABLES@@"


def run(python: list[str], args: list[str], directory: str) -> str:
    """Runs one program; returns its stdout and stderr (raises with both on failure)."""
    argv = [str(PROGRAMS / args[0]), *(directory if a == DIR else a for a in args[1:])]
    proc = subprocess.run(
        [*python, *argv],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout + proc.stderr


def run_case(python: list[str], case: str, directory: str) -> list[list[str]]:
    """The normalised output of every run of ``case``."""
    return [normalise(run(python, args, directory), directory) for args in CASES[case]]


def train_mixed(python: list[str], directory: str) -> list[str]:
    return normalise(run(python, [*MIXED, DIR, "train"], directory), directory)


def resume_mixed(python: list[str], directory: str) -> list[str]:
    """Restores the latest checkpoint in ``directory`` and trains on; normalised output."""
    return normalise(run(python, [*MIXED, DIR, "resume"], directory), directory)


def dump_mixed(python: list[str], directory: str) -> dict[str, object]:
    """Every global variable (slots included) after restoring the latest checkpoint."""
    out = run(python, [*MIXED, DIR, "dump"], directory)
    line = next(x for x in out.splitlines() if x.startswith(VARIABLES_MARK))
    values: dict[str, object] = json.loads(line[len(VARIABLES_MARK) :])
    return values
