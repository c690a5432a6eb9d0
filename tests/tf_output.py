"""Normalises what a TF1 program printed, so TF's run and stowflow's can be compared.

Imported by tests and by golden generators running in TensorFlow's venv (plain Python, no
pytest, no stowflow). Masks what may differ without being a difference: the run's
directories, timings, steps/sec, the last float32 digits of training losses (compared to 4
decimals), TF's deprecation notices, C++ log lines and its multi-line "Using config" dump.
"""

from __future__ import annotations

import re

NOISE = ("WARNING:tensorflow:From", "Instructions for updating", "non-resource variables")
# TF's StepCounterHook reads the step in the same run as the increment, unordered: whether it
# sees the old or the new value (and so warns that the step "has not been increased") is a
# race in TF, so the warning is not compared.
CPP_LOG = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] ")
RACY = "WARNING:tensorflow:It seems that global step (tf.train.get_global_step) has not"


def normalise(text: str, directory: str) -> list[str]:
    """The lines of ``text`` that both sides must print alike."""
    lines = []
    skip_next = in_config = False
    for line in text.splitlines():
        if skip_next:  # the advice line under a deprecation's "Instructions for updating:"
            skip_next = False
            continue
        skip_next = line.startswith("Instructions for updating")
        if line.startswith("INFO:tensorflow:Using config:"):  # RunConfig's fields: TF's own
            in_config = True
        if in_config:
            in_config = not (line.rstrip().endswith("}") and "'_" in line)
            continue
        if CPP_LOG.match(line):
            continue
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
