"""Runtime errors raise TensorFlow's class with a message naming what went wrong and where.

The expected fragments are TF 2.21's (``tf.compat.v1``) own wording; ``test_same_as_tf``
runs the identical scenarios under TensorFlow in a subprocess and compares class names and
messages (skipped when the oracle venv is missing).
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from stowflow_testlib import DEV_PYTHON_ENV, ROOT, require_tf_python

import stowflow as tf
from stowflow import errors

# Each scenario is a function of (tf, tmpdir) that must raise. Shared verbatim with TF.
SCENARIOS_SRC = r"""
import os
import numpy as np


def uninitialized_read(tf, d):
    v = tf.Variable([1.0, 2.0], name="v")
    y = tf.add(v, 1.0, name="y")
    with tf.Session() as s:
        s.run(y)


def uninitialized_fetch(tf, d):
    v = tf.Variable([1.0, 2.0], name="v")
    with tf.Session() as s:
        s.run(v)


def missing_feed(tf, d):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    z = tf.reduce_sum(x, name="z")
    with tf.Session() as s:
        s.run(z)


def missing_feed_unknown_shape(tf, d):
    x = tf.placeholder(tf.int64, name="x")
    with tf.Session() as s:
        s.run(x + 1)


def ill_shaped_feed(tf, d):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.Session() as s:
        s.run(x, {x: np.zeros((2, 4), np.float32)})


def ill_ranked_feed(tf, d):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.Session() as s:
        s.run(x, {x: np.zeros((3,), np.float32)})


def _save_a(tf, d):
    with tf.Graph().as_default():
        a = tf.Variable([1.0, 2.0], name="a")
        saver = tf.train.Saver()
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            return saver.save(s, os.path.join(d, "m"))


def restore_missing_key(tf, d):
    path = _save_a(tf, d)
    tf.Variable([1.0, 2.0], name="a")
    tf.Variable([1.0], name="bmissing")
    saver = tf.train.Saver()
    with tf.Session() as s:
        saver.restore(s, path)


def restore_shape_mismatch(tf, d):
    path = _save_a(tf, d)
    tf.Variable([1.0, 2.0, 3.0], name="a")
    saver = tf.train.Saver()
    with tf.Session() as s:
        saver.restore(s, path)


def restore_not_a_checkpoint(tf, d):
    tf.Variable([1.0, 2.0], name="a")
    saver = tf.train.Saver()
    with tf.Session() as s:
        saver.restore(s, os.path.join(d, "nothing_here"))


def restore_none(tf, d):
    tf.Variable([1.0, 2.0], name="a")
    saver = tf.train.Saver()
    with tf.Session() as s:
        saver.restore(s, None)


def get_variable_twice(tf, d):
    tf.get_variable("w", [1])
    tf.get_variable("w", [1])


def get_variable_reuse_missing(tf, d):
    with tf.variable_scope("s", reuse=True):
        tf.get_variable("nothere", [1])


def _graph_def(tf, op_type, input_name):
    gd = tf.GraphDef()
    n = gd.node.add()
    n.name = "c"
    n.op = "Const"
    n.attr["dtype"].type = 1
    n.attr["value"].tensor.dtype = 1
    n.attr["value"].tensor.tensor_shape.SetInParent()
    n.attr["value"].tensor.float_val.append(1.0)
    m = gd.node.add()
    m.name = "weird"
    m.op = op_type
    m.input.append(input_name)
    m.attr["T"].type = 1
    return gd


def import_unknown_op(tf, d):
    tf.import_graph_def(_graph_def(tf, "TotallyUnknownOp", "c"))


def import_unknown_input(tf, d):
    tf.import_graph_def(_graph_def(tf, "Identity", "missing_node"))


def import_missing_return_element(tf, d):
    tf.import_graph_def(_graph_def(tf, "Identity", "c"), return_elements=["zz:0"])


def fetch_missing_name(tf, d):
    tf.constant(1.0, name="c")
    with tf.Session() as s:
        s.run("nope:0")


def fetch_none(tf, d):
    tf.constant(1.0, name="c")
    with tf.Session() as s:
        s.run(None)


def run_empty_graph(tf, d):
    with tf.Session() as s:
        s.run([])


def feed_missing_name(tf, d):
    c = tf.constant(1.0, name="c")
    with tf.Session() as s:
        s.run(c, {"nope:0": 1.0})


def closed_session(tf, d):
    c = tf.constant(1.0, name="c")
    s = tf.Session()
    s.close()
    s.run(c)


def eval_without_session(tf, d):
    tf.constant(1.0, name="c").eval()


def cross_graph_fetch(tf, d):
    with tf.Graph().as_default():
        c = tf.constant(1.0, name="c")
    tf.constant(2.0, name="other")
    with tf.Session() as s:
        s.run(c)


def run_scenario(tf, name, d):
    try:
        with tf.Graph().as_default():
            globals()[name](tf, d)
    except Exception as e:  # noqa: BLE001 - reporting
        return [type(e).__name__, str(e)]
    return None

"""

_NS: dict[str, Any] = {}
exec(SCENARIOS_SRC, _NS)  # noqa: S102 - our own constant source text
SCENARIO_NAMES = [
    name
    for name, fn in _NS.items()
    if callable(fn)
    and not name.startswith("_")
    and name != "run_scenario"
    and getattr(fn, "__code__", None) is not None
    and fn.__code__.co_argcount == 2
]

# scenario -> (error class, fragments that must appear in the message)
EXPECTED: dict[str, tuple[type[BaseException], list[str]]] = {
    "uninitialized_read": (
        errors.FailedPreconditionError,
        ["Attempting to use uninitialized value v", "v/read"],
    ),
    "uninitialized_fetch": (
        errors.FailedPreconditionError,
        ["Attempting to use uninitialized value v"],
    ),
    "missing_feed": (
        errors.InvalidArgumentError,
        [
            "You must feed a value for placeholder tensor 'x' with dtype float and shape [?,3]",
            "[[{{node x}}]]",
        ],
    ),
    "missing_feed_unknown_shape": (
        errors.InvalidArgumentError,
        ["You must feed a value for placeholder tensor 'x' with dtype int64"],
    ),
    "ill_shaped_feed": (
        ValueError,
        ["Cannot feed value of shape (2, 4) for Tensor x:0, which has shape (?, 3)"],
    ),
    "ill_ranked_feed": (
        ValueError,
        ["Cannot feed value of shape (3,) for Tensor x:0, which has shape (?, 3)"],
    ),
    "restore_missing_key": (
        errors.NotFoundError,
        [
            "Restoring from checkpoint failed",
            "Key bmissing not found in checkpoint",
            "save/RestoreV2",
        ],
    ),
    "restore_shape_mismatch": (
        errors.InvalidArgumentError,
        [
            "Restoring from checkpoint failed",
            "Assign requires shapes of both tensors to match. lhs shape= [3] rhs shape= [2]",
            "save/Assign",
        ],
    ),
    "restore_not_a_checkpoint": (
        ValueError,
        ["The passed save_path is not a valid checkpoint: ", "nothing_here"],
    ),
    "restore_none": (ValueError, ["Can't load save_path when it is None."]),
    "get_variable_twice": (
        ValueError,
        [
            "Variable w already exists, disallowed. Did you mean to set reuse=True or "
            "reuse=tf.AUTO_REUSE in VarScope?"
        ],
    ),
    "get_variable_reuse_missing": (
        ValueError,
        ["Variable s/nothere does not exist, or was not created with tf.get_variable()."],
    ),
    "import_unknown_op": (
        errors.NotFoundError,
        ["Op type not registered 'TotallyUnknownOp'"],
    ),
    "import_unknown_input": (ValueError, ["Node 'weird': Unknown input node 'missing_node'"]),
    "import_missing_return_element": (
        ValueError,
        ["Requested return tensor 'zz:0' not found in graph def"],
    ),
    "fetch_missing_name": (
        ValueError,
        [
            "Argument `fetch` = nope:0 cannot be interpreted as a Tensor.",
            "The name 'nope:0' refers to a Tensor which does not exist.",
        ],
    ),
    "fetch_none": (TypeError, ['Argument `fetch` = None has invalid type "NoneType"']),
    "feed_missing_name": (
        TypeError,
        [
            "Cannot interpret feed_dict key as Tensor:",
            "The name 'nope:0' refers to a Tensor which does not exist.",
        ],
    ),
    "closed_session": (RuntimeError, ["Attempted to use a closed Session."]),
    "eval_without_session": (
        ValueError,
        ["Cannot evaluate tensor using `eval()`: No default session is registered."],
    ),
    "cross_graph_fetch": (ValueError, ["is not an element of this graph"]),
    "run_empty_graph": (
        RuntimeError,
        ["The Session graph is empty. Add operations to the graph before calling run()."],
    ),
}


def test_every_scenario_has_an_expectation() -> None:
    assert sorted(SCENARIO_NAMES) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_error_class_and_message(name: str, tmp_path: Any) -> None:
    cls, fragments = EXPECTED[name]
    with tf.Graph().as_default(), pytest.raises(cls) as info:
        _NS[name](tf, str(tmp_path))
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_op_errors_are_op_error_subclasses_with_codes(tmp_path: Any) -> None:
    with tf.Graph().as_default(), pytest.raises(errors.OpError) as info:
        _NS["restore_missing_key"](tf, str(tmp_path))
    assert info.value.error_code == errors.NOT_FOUND == 5
    with tf.Graph().as_default(), pytest.raises(errors.OpError) as info:
        _NS["uninitialized_read"](tf, str(tmp_path))
    assert info.value.error_code == errors.FAILED_PRECONDITION == 9
    assert info.value.op is not None and info.value.op.name == "v/read"
    assert info.value.node_def.name == "v/read"


def test_unknown_op_error_names_the_node(tmp_path: Any) -> None:
    with tf.Graph().as_default(), pytest.raises(errors.NotFoundError) as info:
        _NS["import_unknown_op"](tf, str(tmp_path))
    assert "weird" in str(info.value)


def test_errors_namespace_matches_tf() -> None:
    assert tf.errors.NotFoundError is errors.NotFoundError
    for name in (
        "OpError",
        "CancelledError",
        "UnknownError",
        "InvalidArgumentError",
        "DeadlineExceededError",
        "NotFoundError",
        "AlreadyExistsError",
        "PermissionDeniedError",
        "ResourceExhaustedError",
        "FailedPreconditionError",
        "AbortedError",
        "OutOfRangeError",
        "UnimplementedError",
        "InternalError",
        "UnavailableError",
        "DataLossError",
        "UnauthenticatedError",
    ):
        assert issubclass(getattr(errors, name), errors.OpError if name != "OpError" else Exception)


# ---------------------------------------------------------------- against TF itself

_TF_MAIN = r"""
import json, sys, tempfile
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
out = {}
for name in json.loads(sys.stdin.read()):
    out[name] = run_scenario(tf, name, tempfile.mkdtemp())
print("@@REPORT@@" + json.dumps(out))
"""

# Where stowflow says it differently on purpose (TF's text names its own binary, etc.).
_TF_ONLY_TEXT = re.compile(
    r"\n\nOriginal stack trace for .*|    File \"[^\n]*\n|"
    r" in binary running on .*|Originally defined at:.*",
    re.S,
)


@pytest.mark.interop
def test_same_as_tf(tmp_path: Any) -> None:
    python = require_tf_python()
    env = {**DEV_PYTHON_ENV, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [str(python), "-c", SCENARIOS_SRC + _TF_MAIN],
        input=json.dumps(sorted(EXPECTED)),
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=str(ROOT),
    )
    if proc.returncode != 0 and "No module named 'tensorflow'" in proc.stderr:
        pytest.skip(f"{python} cannot import tensorflow")
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@REPORT@@")][-1]
    theirs = json.loads(line[len("@@REPORT@@") :])
    problems = []
    for name in sorted(EXPECTED):
        ours = _NS["run_scenario"](tf, name, str(tmp_path / name))
        if theirs[name] is None or ours is None:
            problems.append(f"{name}: TF {theirs[name]} ours {ours}")
            continue
        if ours[0] != theirs[name][0]:
            problems.append(f"{name}: class TF {theirs[name][0]} ours {ours[0]}")
        for fragment in EXPECTED[name][1]:
            if fragment not in theirs[name][1]:
                problems.append(
                    f"{name}: expectation {fragment!r} is not TF's: {theirs[name][1]!r}"
                )
        # the first line of TF's message (after its "Graph execution error" preamble)
        tf_text = _TF_ONLY_TEXT.sub("", theirs[name][1])
        tf_key = [ln.strip() for ln in tf_text.splitlines() if ln.strip()][-1]
        if "_retval_" in tf_key:  # TF's internal fetch node; stowflow has none
            continue
        if "tmp" not in tf_key and tf_key not in ours[1] and name != "import_unknown_op":
            problems.append(f"{name}: TF's {tf_key!r} not in ours {ours[1]!r}")
    assert not problems, "\n".join(problems)
