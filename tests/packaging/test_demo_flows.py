"""The product tour (examples/demo.py, what scripts/demo runs) works from the stowflow under
test; under scripts/test that is the installed wheel, run away from the source tree."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from stowflow_testlib import DEV_PYTHON_ENV, INSTALLED, ROOT

DEMO = ROOT / "examples" / "demo.py"

# Report which stowflow the demo imports, then run it as `python examples/demo.py OUT` would.
_RUN = """
import runpy, sys, stowflow
print("@@stowflow", stowflow.__file__, flush=True)
sys.argv = [sys.argv[1], sys.argv[2]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_demo_runs(tmp_path: Path) -> None:
    out = tmp_path / "demo-output"
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, str(DEMO), str(out)],
        cwd=tmp_path,
        env=DEV_PYTHON_ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    where = next(line.split(" ", 1)[1] for line in proc.stdout.splitlines() if line.startswith("@@stowflow "))
    assert Path(where).resolve().is_relative_to(ROOT / "stowflow") is not INSTALLED, where
    # Every step of the tour ran and printed its result.
    for step in range(1, 15):
        assert f"== {step}. " in proc.stdout, f"step {step} missing:\n{proc.stdout[-3000:]}"
    assert "round-trip ok: False" not in proc.stdout
    assert "pwned" not in proc.stdout
    assert (out / "saved_model" / "saved_model.pb").is_file()
    # Steps 13-14: the premade DNNClassifier learned Iris, and `stowflow run` scored its export.
    accuracy = re.search(r"held-out accuracy (\d\.\d+)", proc.stdout)
    assert accuracy and float(accuracy.group(1)) >= 0.8, proc.stdout[-2000:]
    assert "Result for output key scores:" in proc.stdout.split("== 14. ")[1]
