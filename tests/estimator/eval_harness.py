"""Runs ``programs/eval_estimator.py`` and reduces its effects to comparable facts.

Shared by the golden generator (TF 2.15's Python) and the tests (stowflow): the normalised
output, each model directory's files, the records of every ``eval*`` event file (tags,
steps, values to 4 decimals), the train_and_evaluate exports and the final export's
signatures. Event files are read with a reader passed in (TF's or stowflow's).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from estimator_harness import signatures  # noqa: F401 - the seed test's, re-exported
from tf_output import normalise

HERE = Path(__file__).resolve().parent
PROGRAM = HERE / "programs" / "eval_estimator.py"
MODEL_DIRS = ("model", "warm", "warm_some", "tae", "numpy")
# What differs between runs, not between TF and stowflow: clock times, a retry while two
# exports fall in the same second, and TF's own v1-API notice.
MASKS = (
    (re.compile(r"(Starting|Finished) evaluation at \S+"), r"\1 evaluation at <time>"),
    (re.compile(r"Inference Time : \S+"), "Inference Time : <secs>"),
    (re.compile(r"temp-\d+"), "temp-<time>"),
)
DROPPED = ("This API was designed for TensorFlow v1", "WARNING:tensorflow:Directory ")


def run(python: list[str], directory: str) -> dict[str, Any]:
    """Runs the program with ``python`` (a command prefix) in ``directory``."""
    proc = subprocess.run(
        [*python, str(PROGRAM), directory],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"eval_estimator failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-4000:]}")
    output = []
    for line in normalise(proc.stdout + proc.stderr, directory):
        if line.startswith(DROPPED):
            continue
        for pattern, replacement in MASKS:
            line = pattern.sub(replacement, line)
        output.append(line)
    files = {
        name: sorted(
            re.sub(r"tfevents\.\d+\..*", "tfevents.<t>", entry)
            for entry in os.listdir(os.path.join(directory, name))
        )
        for name in MODEL_DIRS
    }
    export_base = os.path.join(directory, "tae", "export")
    exports = {
        exporter: len(os.listdir(os.path.join(export_base, exporter)))
        for exporter in sorted(os.listdir(export_base))
    }
    (final,) = os.listdir(os.path.join(export_base, "final"))
    return {
        "output": output,
        "model_files": files,
        "exports": exports,
        "final_export": os.path.join(export_base, "final", final),
    }


def eval_events(directory: str, read: Callable[[str], Iterable[Any]]) -> dict[str, Any]:
    """Every eval directory's event records: ``[step, [[tag, value], ...]]`` per summary."""
    result = {}
    for name in MODEL_DIRS:
        model_dir = os.path.join(directory, name)
        for sub in sorted(os.listdir(model_dir)):
            if not sub.startswith("eval"):
                continue
            records = []
            for event_file in sorted(os.listdir(os.path.join(model_dir, sub))):
                for event in read(os.path.join(model_dir, sub, event_file)):
                    if not event.HasField("summary"):
                        records.append([event.step, event.WhichOneof("what")])
                        continue
                    values = []
                    for value in event.summary.value:
                        if value.HasField("tensor"):
                            shown = [
                                s.decode().replace(directory, "<dir>")
                                for s in value.tensor.string_val
                            ]
                        else:
                            shown = round(value.simple_value, 4)
                        values.append([value.tag, shown])
                    records.append([event.step, values])
            result[f"{name}/{sub}"] = records
    return result
