"""Small models and transcript helpers shared by the tfdbg tests."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import stowflow as tf

#: Tensors the NaN model's signature run executes, in a valid execution order.
NAN_MODEL_TENSORS = ["w:0", "w/read:0", "mm:0", "shift/y:0", "shift:0", "log:0", "y/y:0", "y:0"]


def build_nan_saved_model(export: Path) -> None:
    """y = log(x @ w - 3) * 10 with w = 2: x = 1 gives log(-1) = NaN (signature "serving_default")."""
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 1], name="x")
        w = tf.Variable([[2.0]], name="w")
        sess.run(tf.global_variables_initializer())
        shifted = tf.subtract(tf.matmul(x, w, name="mm"), 3.0, name="shift")
        out = tf.multiply(tf.log(shifted, name="log"), 10.0, name="y")
        builder = tf.saved_model.Builder(str(export))
        sig = tf.saved_model.signature_def_utils.predict_signature_def({"x": x}, {"y": out})
        builder.add_meta_graph_and_variables(
            sess, ["serve"], signature_def_map={"serving_default": sig}
        )
        builder.save()


NAN_INPUT = np.array([[1.0], [2.0], [3.0]], np.float32)


def split_transcript(text: str) -> list[tuple[str, str]]:
    """``[(command, its output), ...]`` from a scripted session's stdout (prompts echoed)."""
    parts = re.split(r"^tfdbg> (.*)$", text, flags=re.MULTILINE)
    return [(parts[i], parts[i + 1].strip("\n")) for i in range(1, len(parts) - 1, 2)]


def table_rows(lt_output: str) -> list[list[str]]:
    """The rows (t, size, op type, tensor name) of an ``lt`` table."""
    lines = lt_output.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("t (ms)"))
    rows = []
    for line in lines[head + 1 :]:
        if not line.startswith("["):
            break
        rows.append(line.split())
    return rows
