"""Runs the monitored-session programs and reduces their effects to comparable facts.

Shared by the golden generator (run with TensorFlow's Python) and the test (stowflow's):
both sides see the same normalisation, so timings, paths and hostnames never decide.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tf_output import normalise

PROGRAMS = Path(__file__).resolve().parent / "programs"
# (program, runs: [last_step, ...]) - several runs share one checkpoint directory (resume)
CASES = {"mts_train": [12], "mts_resume": [12, 20]}


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


def _wait_for_next_second() -> None:
    """Event files are named by the second their writer opened them, in TF as here.

    Two runs that start within one second share a name and the second truncates the first
    (TF's EventsWriter does the same), so a resumed run must start in a later second; a TF
    run takes seconds to import, ours can take less than one.
    """
    finished = int(time.time())
    while int(time.time()) <= finished:
        time.sleep(0.05)


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
        _wait_for_next_second()
    state = (Path(directory) / "checkpoint").read_text().replace(directory, "<dir>")
    return {
        "output": outputs,
        "files": files(directory),
        "state": state,
        "events": events(directory, summary_iterator),
    }
