"""On a terminal the analyzer uses readline: tab completion on tensor/node names, history."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stowflow_testlib import DEV_PYTHON_ENV

pytest.importorskip("readline")
pty = pytest.importorskip("pty")

PROGRAM = """
import numpy as np
import stowflow as tf
from stowflow.debug import LocalCLIDebugWrapperSession
x = tf.placeholder(tf.float32, [2], name="x")
y = tf.multiply(x, 3.0, name="mysterious")
sess = LocalCLIDebugWrapperSession(tf.Session())
print("RESULT", sess.run(y, {x: np.array([1.0, 2.0], np.float32)}))
"""


def _drive(argv: list[str], keystrokes: list[bytes], env: dict[str, str]) -> str:
    """Runs ``argv`` on a pseudo-terminal, typing each keystroke group after a prompt."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    output = b""
    pending = list(keystrokes)
    deadline = time.monotonic() + 120  # a hang guard, not a performance threshold
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
                if pending and output.rstrip().endswith(b"tfdbg>"):
                    os.write(master, pending.pop(0))
            elif proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.close(master)
    return output.decode(errors="replace").replace("\r", "")


def test_tab_completion_and_history_on_a_terminal(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM)
    env = {**DEV_PYTHON_ENV, "HOME": str(tmp_path), "TERM": "dumb", "INPUTRC": "/dev/null"}
    out = _drive([sys.executable, str(script)], [b"run\n", b"pt myst\t\n", b"run\n"], env)
    # "myst<TAB>" completed to the node name, so pt printed that tensor.
    assert 'Tensor "mysterious:0":' in out, out
    assert "RESULT [3. 6.]" in out
    history = (tmp_path / ".stowflow_tfdbg_history").read_text().splitlines()
    assert history[-3:] == ["run", "pt mysterious", "run"]
