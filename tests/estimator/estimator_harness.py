"""Runs ``programs/seed_estimator.py`` and reduces its effects to comparable facts.

Shared by the golden generator (TF 2.15's Python, where tf.estimator still exists) and the
tests (stowflow): normalised output, the model directory's files, the export's signatures,
and the export's outputs for fixed serialized Examples (computed by a loader passed in).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

from tf_output import normalise

PROGRAM = Path(__file__).resolve().parent / "programs" / "seed_estimator.py"
INPUTS = [[1.0, 2.0], [0.5, -3.0], [4.0, 4.0]]


def run(python: list[str], directory: str) -> dict[str, Any]:
    model_dir, export_base = os.path.join(directory, "model"), os.path.join(directory, "export")
    proc = subprocess.run(
        [*python, str(PROGRAM), model_dir, export_base],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"seed_estimator failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-4000:]}")
    output = normalise(proc.stdout + proc.stderr, directory)
    output = [re.sub(r"temp-\d+", "temp-<time>", line) for line in output]
    files = sorted(re.sub(r"tfevents\.\d+\..*", "tfevents.<t>", n) for n in os.listdir(model_dir))
    (export,) = os.listdir(export_base)
    return {
        "output": output,
        "model_files": files,
        "export_dir": os.path.join(export_base, export),
    }


def signatures(meta_graph: Any) -> dict[str, Any]:
    """Method name, and input/output keys with dtype and shape, of every SignatureDef."""
    result = {}
    for key, sig in sorted(meta_graph.signature_def.items()):

        def infos(m: Any) -> dict[str, Any]:
            return {
                k: [v.dtype, [d.size for d in v.tensor_shape.dim], v.tensor_shape.unknown_rank]
                for k, v in sorted(m.items())
            }

        result[key] = [sig.method_name, infos(sig.inputs), infos(sig.outputs)]
    return result


def examples(example_cls: Any) -> list[bytes]:
    out = []
    for x in INPUTS:
        ex = example_cls()
        ex.features.feature["x"].float_list.value.extend(x)
        out.append(ex.SerializeToString())
    return out
