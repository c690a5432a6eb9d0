"""Runs the monitored-session programs and reduces their effects to comparable facts.

Shared by the golden generator (run with TensorFlow's Python) and the test (stowflow's):
both sides see the same normalisation, so timings, paths and hostnames never decide.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

PROGRAMS = Path(__file__).resolve().parent / "programs"
# (program, runs: [last_step, ...]) - several runs share one checkpoint directory (resume)
CASES = {"mts_train": [12], "mts_resume": [12, 20]}
NOISE = ("WARNING:tensorflow:From", "Instructions for updating", "non-resource variables")
# TF's StepCounterHook reads the step in the same run as the increment, unordered: whether it
# sees the old or the new value (and so warns that the step "has not been increased") is a
# race in TF, so the warning is not compared.
RACY = "WARNING:tensorflow:It seems that global step (tf.train.get_global_step) has not"


def normalise(text: str, directory: str) -> list[str]:
    lines = []
    skip_next = False
    for line in text.splitlines():
        if skip_next:  # the advice line under a deprecation's "Instructions for updating:"
            skip_next = False
            continue
        skip_next = line.startswith("Instructions for updating")
        if line.startswith((*NOISE, RACY)) or not line.strip() or "tensorflow/core" in line:
            continue
        if line.startswith(("WARNING: All log", "I0000", "W0000", "E0000")):
            continue
        line = line.replace(directory, "<dir>")
        line = re.sub(r"global_step/sec: [0-9.e+-]+", "global_step/sec: <rate>", line)
        line = re.sub(r"\(\d+\.\d+ sec\)", "(<secs>)", line)
        # Training runs match TF's losses to 4 decimals, not to the last float32 digit.
        line = re.sub(r"-?\d+\.\d{5,}", lambda m: f"{float(m.group()):.4f}", line)
        lines.append(line)
    return lines


def events(directory: str, summary_iterator: Callable[[str], Iterable[Any]]) -> list[list[object]]:
    """(kind, step, tags or checkpoint path) of every event, in file order."""
    rows: list[list[object]] = []
    for path in sorted(Path(directory).glob("events.out.tfevents.*")):
        for event in summary_iterator(str(path)):
            kind = event.WhichOneof("what")
            detail: object = None
            if kind == "summary":
                detail = sorted(v.tag for v in event.summary.value)
            elif kind == "session_log":
                detail = [
                    event.session_log.status,
                    event.session_log.checkpoint_path.replace(directory, "<dir>"),
                ]
            rows.append([kind, event.step, detail])
    return rows


def files(directory: str) -> list[str]:
    return sorted(
        re.sub(r"tfevents\.\d+\..*", "tfevents.<time>.<host>", n) for n in os.listdir(directory)
    )


def run_case(
    python: list[str], case: str, directory: str, summary_iterator: Callable[[str], Iterable[Any]]
) -> dict[str, object]:
    program = str(PROGRAMS / f"{case.split('_')[0]}_train.py")
    outputs = []
    for last_step in CASES[case]:
        proc = subprocess.run(
            [*python, program, directory, str(last_step)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{case} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        outputs.append(normalise(proc.stdout + proc.stderr, directory))
    state = (Path(directory) / "checkpoint").read_text().replace(directory, "<dir>")
    return {
        "output": outputs,
        "files": files(directory),
        "state": state,
        "events": events(directory, summary_iterator),
    }
