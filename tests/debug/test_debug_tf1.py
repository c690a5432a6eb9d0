"""A TF1 program that wraps its session in ``tf_debug.LocalCLIDebugWrapperSession``, run
unchanged under ``python -m stowflow.tf1`` with the debugger's commands on stdin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from stowflow_testlib import DEV_PYTHON_ENV
from tfdbg_models import split_transcript, table_rows

PROGRAM = """
import numpy as np
import tensorflow as tf
from tensorflow.python import debug as tf_debug

x = tf.placeholder(tf.float32, [3], name="x")
shifted = tf.subtract(x, 2.0, name="shifted")
out = tf.multiply(tf.log(shifted, name="log"), 2.0, name="out")

sess = tf.Session()
sess = tf_debug.LocalCLIDebugWrapperSession(sess)
sess.add_tensor_filter("big", lambda datum, tensor: datum.node_name == "out" and tensor.max() > 2)
assert tf_debug.has_inf_or_nan(None, np.array([np.nan])) and callable(tf_debug.add_debug_tensor_watch)
for step in range(6):
    feed = np.array([3.0, 4.0, 5.0] if step != 2 else [1.0, 4.0, 5.0], np.float32)
    print("step", step, sess.run(out, feed_dict={x: feed}), flush=True)
"""

SCRIPT = """\
run -f has_inf_or_nan
pt log:0
ni log
run -t 2
run -f big
run -n
"""


def test_wrapped_tf1_session_under_stowflow_tf1(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(PROGRAM)
    done = subprocess.run(
        [sys.executable, "-m", "stowflow.tf1", str(script)],
        input=SCRIPT, capture_output=True, text=True, timeout=300, env=DEV_PYTHON_ENV,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # run -f: calls #1 and #2 have no NaN and run through; call #3 (log(-1)) stops.
    assert out.index("step 1 ") < out.index("run-end: Session.run() call #3") < out.index("step 2 ")
    pairs = dict(split_transcript(out))
    screen = pairs["run -f has_inf_or_nan"]
    assert 'First tensor passing filter "has_inf_or_nan": log:0 (op Log;' in screen
    assert [row[3] for row in table_rows(screen)] == ["log:0", "out:0"]
    assert "array([      nan, 0.6931472, 1.0986123], dtype=float32)" in pairs["pt log:0"]
    assert "  Op: Log" in pairs["ni log"]
    # run -t 2: call #4 runs through, call #5 is debugged.
    assert out.index("step 3 ") < out.index("run-end: Session.run() call #5") < out.index("step 4 ")
    assert "run-end: Session.run() call #4" not in out
    # run -f big (a custom filter): call #6 (out = 2 * log(3) > 2) passes at once.
    big = pairs["run -f big"]
    assert 'First tensor passing filter "big": out:0 (op Mul;' in big
    assert "run-end: Session.run() call #6" in big
    # run -n was the last command; the program ended normally.
    assert out.rstrip().endswith("step 5 [0.        1.3862944 2.1972246]")
