"""TF1 control flow builders (tf.cond, tf.while_loop, tf.case) and their gradients against
TensorFlow 2.21 in TF1 mode (v1 control flow).

Goldens: ``tests/golden/control_flow_v1/make_control_flow_v1.py`` (needs TensorFlow) runs
the cases of ``tests/golden/control_flow_v1/cases.py``; this test builds the same cases with
stowflow and compares the graph (node names and op types, every edge, the attrs of the
control flow and stack nodes) and every fetched value.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from google.protobuf import text_format

import stowflow as tf
from stowflow.graph import control_flow_ops
from stowflow.graph.core import Graph

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "control_flow_v1"
GOLDEN = json.loads((GOLDEN_DIR / "control_flow_v1_goldens.json").read_text(encoding="utf-8"))


def _load_cases() -> Any:
    if "control_flow_v1_cases" in sys.modules:
        return sys.modules["control_flow_v1_cases"]
    spec = importlib.util.spec_from_file_location("control_flow_v1_cases", GOLDEN_DIR / "cases.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {GOLDEN_DIR / 'cases.py'}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["control_flow_v1_cases"] = module
    spec.loader.exec_module(module)
    return module


CASES = _load_cases()


class _Namespace:
    """``import stowflow as tf`` plus the builders (until ``_v1`` exports them)."""

    def __init__(self, base: Any, **extra: Any) -> None:
        self._base = base
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


TF = _Namespace(
    tf,
    cond=control_flow_ops.cond,
    while_loop=control_flow_ops.while_loop,
    case=control_flow_ops.case,
)

_RTOL = {"float32": 1e-6, "float64": 1e-12}


def build_and_run(name: str, grads: bool) -> dict[str, Any]:
    """The case's sorted (name, type) node pairs and fetched values, as the golden has them."""
    graph = Graph()
    with graph.as_default():
        fetches, feeds = CASES.CASES[name](TF, grads)
        graph_def = graph.as_graph_def()
        nodes = sorted([n.name, n.op] for n in graph_def.node)
        inputs = {n.name: list(n.input) for n in graph_def.node}
        attrs = {
            n.name: {k: text_format.MessageToString(v, as_one_line=True) for k, v in n.attr.items()}
            for n in graph_def.node
        }
        init = fetches.pop("__init__", None)
        names = sorted(fetches)
        runs = []
        for feed in feeds:
            with tf.Session(graph=graph) as sess:
                if init is not None:
                    sess.run(init)
                feed_dict = {graph.get_tensor_by_name(k): v for k, v in feed.items()}
                values = sess.run([fetches[k] for k in names], feed_dict)
            runs.append(dict(zip(names, values, strict=True)))
    return {"nodes": nodes, "inputs": inputs, "attrs": attrs, "runs": runs}


def _edges(inputs: list[str]) -> tuple[list[str], list[str]]:
    """Data inputs in order; control inputs as a sorted set (GraphDef order is not API)."""
    return [i for i in inputs if not i.startswith("^")], sorted(
        i for i in inputs if i.startswith("^")
    )


def assert_matches(got: dict[str, Any], want: dict[str, Any], graph: bool = True) -> None:
    if graph:
        assert got["nodes"] == want["nodes"]
        for node, inputs in want["inputs"].items():
            assert _edges(got["inputs"][node]) == _edges(inputs), node
        for node, attrs in want["attrs"].items():
            assert got["attrs"][node] == attrs, node
    assert len(got["runs"]) == len(want["runs"])
    for got_run, want_run in zip(got["runs"], want["runs"], strict=True):
        assert sorted(got_run) == sorted(want_run)
        for key, spec in want_run.items():
            value = np.asarray(got_run[key])
            assert value.dtype.name == spec["dtype"], key
            expected = np.asarray(spec["value"], dtype=spec["dtype"])
            assert value.shape == expected.shape, key
            rtol = _RTOL.get(spec["dtype"])
            if rtol is None:
                np.testing.assert_array_equal(value, expected, err_msg=key)
            else:
                np.testing.assert_allclose(value, expected, rtol=rtol, atol=1e-7, err_msg=key)


@pytest.mark.parametrize("name", sorted(CASES.CASES))
def test_forward_graph_and_values(name: str) -> None:
    assert_matches(build_and_run(name, False), GOLDEN["cases"][name]["forward"])


# Gradient graphs that differ from TF's for a reason outside control flow: stowflow's
# GatherV2 gradient does not infer the static shape [1, 2] of its IndexedSlices values (TF
# gets it from constant-folded shape tensors), so the loop accumulator takes TF's dynamic
# path (Shape/concat/zeros) instead of a Const. Values are still compared.
GRAPH_GAPS = {"while_gather_training"}


@pytest.mark.parametrize("name", sorted(CASES.CASES))
def test_gradient_graph_and_values(name: str) -> None:
    got = build_and_run(name, True)
    assert_matches(got, GOLDEN["cases"][name]["full"], graph=name not in GRAPH_GAPS)


# --------------------------------------------------------------------------- build errors
# (messages as TF 2.21's cond.py / while_loop.py / control_flow_ops.py raise them)


def _graph_with_x() -> tuple[Graph, Any]:
    graph = Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [], name="x")
    return graph, x


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((True, lambda: 1.0, lambda: 2.0), TypeError, "'pred' must not be a Python bool."),
        ((None, 1.0, lambda: 2.0), TypeError, "'true_fn' must be callable."),
        ((None, lambda: 1.0, None), TypeError, "cond(): 'false_fn' argument required"),
        ((None, lambda: None, lambda: 2.0), ValueError, "'true_fn' must have a return value."),
    ],
)
def test_cond_argument_errors(args: tuple[Any, ...], error: type, message: str) -> None:
    graph, x = _graph_with_x()
    with graph.as_default():
        pred = x > 0.0 if args[0] is None else args[0]
        with pytest.raises(error) as info:
            control_flow_ops.cond(pred, args[1], args[2])
    assert str(info.value) == message


def test_cond_branches_of_different_types() -> None:
    graph, x = _graph_with_x()
    with graph.as_default():
        with pytest.raises(ValueError) as info:
            control_flow_ops.cond(x > 0.0, lambda: x, lambda: tf.constant(1))
    assert str(info.value) == (
        "Outputs of 'true_fn' and 'false_fn' must have the same type(s). Received float32 "
        "from 'true_fn' and int32 from 'false_fn'."
    )


def test_while_loop_variable_that_changes_shape() -> None:
    graph = Graph()
    with graph.as_default():
        v = tf.constant([1.0, 2.0], name="v")
        with pytest.raises(ValueError) as info:
            control_flow_ops.while_loop(
                lambda v: tf.size(v) < 9, lambda v: tf.concat([v, v], 0), [v]
            )
    assert str(info.value) == (
        "Input tensor 'v:0' enters the loop with shape (2,), but has shape (4,) after one "
        "iteration. To allow the shape to vary across iterations, use the `shape_invariants` "
        "argument of tf.while_loop to specify a less-specific shape."
    )


def test_while_loop_shape_invariant_narrower_than_the_input() -> None:
    graph = Graph()
    with graph.as_default():
        v = tf.placeholder(tf.float32, [None], name="v")
        with pytest.raises(ValueError) as info:
            control_flow_ops.while_loop(
                lambda v: True, lambda v: v, [v], shape_invariants=[tf.TensorShape([3])]
            )
    assert str(info.value) == (
        "The shape invariant specified for v:0 is not compatible with the initial shape of "
        "the loop variable. It enters the loop with shape (?,), but the specified shape "
        "invariant is (3,)."
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"cond": 1}, TypeError, "'cond' must be callable."),
        (
            {"parallel_iterations": 0},
            TypeError,
            "'parallel_iterations' must be a positive integer.",
        ),
        ({"loop_vars": []}, ValueError, "'loop_vars' must be provided."),
    ],
)
def test_while_loop_argument_errors(kwargs: dict[str, Any], error: type, message: str) -> None:
    graph = Graph()
    with graph.as_default():
        args: dict[str, Any] = {
            "cond": lambda i: i < 3,
            "body": lambda i: i + 1,
            "loop_vars": [tf.constant(0)],
            **kwargs,
        }
        with pytest.raises(error) as info:
            control_flow_ops.while_loop(**args)
    assert str(info.value) == message


def test_case_without_default_is_refused_plainly() -> None:
    graph, x = _graph_with_x()
    with graph.as_default():
        with pytest.raises(NotImplementedError, match="needs a `default`"):
            control_flow_ops.case([(x > 0.0, lambda: x)])


def test_while_loop_gradient_of_a_loop_without_back_prop_is_none() -> None:
    graph, x = _graph_with_x()
    with graph.as_default():
        y = control_flow_ops.while_loop(lambda v: v < 10.0, lambda v: v * x, [x], back_prop=False)
        assert tf.gradients(y, x) == [None]


# --------------------------------------------------------------------------- stack kernels


def _stack_graph(max_size: int, pushes: int, pops: int) -> tuple[Graph, Any]:
    graph = Graph()
    with graph.as_default():
        from stowflow.graph import grad_ops

        handle = grad_ops.op(
            "StackV2", {"max_size": tf.constant(max_size)}, {"elem_type": tf.float32}, "s"
        )
        last: Any = handle
        for i in range(pushes):
            with tf.control_dependencies([last]):
                last = grad_ops.op("StackPushV2", {"handle": handle, "elem": tf.constant(float(i))})
        values = []
        for _ in range(pops):
            with tf.control_dependencies([last]):
                last = grad_ops.op("StackPopV2", {"handle": handle}, {"elem_type": tf.float32})
            values.append(last)
    return graph, values


def test_stack_pops_in_reverse_order_and_each_run_gets_a_new_stack() -> None:
    graph, values = _stack_graph(-1, 3, 3)
    with tf.Session(graph=graph) as sess:
        assert sess.run(values) == [2.0, 1.0, 0.0]
        assert sess.run(values) == [2.0, 1.0, 0.0]


def test_stack_errors() -> None:
    graph, values = _stack_graph(-1, 1, 2)
    with tf.Session(graph=graph) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"Stack\[_\d+\] is empty\."):
            sess.run(values)
    graph, values = _stack_graph(1, 2, 1)
    with tf.Session(graph=graph) as sess:
        with pytest.raises(
            tf.errors.InvalidArgumentError, match=r"Stack\[_\d+\] overflowed its max_size \(1\)"
        ):
            sess.run(values)


# ----------------------------------------------------------------------------------- interop

TF_TRAIN_FROM_META = r"""
import json, sys
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
tf1.disable_v2_behavior()
args = json.loads(sys.stdin.read())
with tf1.Graph().as_default() as graph:
    saver = tf1.train.import_meta_graph(args["meta"])
    train = graph.get_collection("train_op")[0]
    types = sorted({op.type for op in graph.get_operations()})
    with tf1.Session() as sess:
        saver.restore(sess, args["prefix"])
        for _ in range(args["steps"]):
            sess.run(train, {"x:0": np.asarray(args["x"], np.float32)})
        values = {name: sess.run(name + ":0").tolist() for name in ("w", "scale")}
print("@@REPORT@@" + json.dumps({"values": values, "types": types}))
"""


def test_while_loop_training_meta_graph_trains_in_tensorflow(tmp_path: Path) -> None:
    from stowflow_testlib import run_tf_report

    x_value = [[0.1, -0.3, 0.7]]
    graph = Graph()
    with graph.as_default():
        fetches, _ = CASES.CASES["while_optimizer_step"](TF, True)
        train = graph.get_operation_by_name("GradientDescent")
        graph.add_to_collection("train_op", train)
        with tf.Session(graph=graph) as sess:
            sess.run(fetches["__init__"])
            prefix = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
            for _ in range(3):
                sess.run(train, {"x:0": np.asarray(x_value, np.float32)})
            ours = {name: sess.run(name + ":0") for name in ("w", "scale")}
    payload = {"meta": prefix + ".meta", "prefix": prefix, "steps": 3, "x": x_value}
    report = run_tf_report(TF_TRAIN_FROM_META, json.dumps(payload))
    assert {"StackV2", "StackPushV2", "StackPopV2", "Enter", "Exit", "NextIteration"} <= set(
        report["types"]
    )
    for name, value in ours.items():
        np.testing.assert_allclose(np.asarray(report["values"][name]), value, rtol=1e-6)


def test_gradient_inside_a_loop_body_wrt_the_initial_value_is_refused() -> None:
    graph, x = _graph_with_x()
    with graph.as_default():

        def body(v: Any) -> Any:
            (grad,) = tf.gradients(v * v, x)
            return v + grad

        with pytest.raises(ValueError) as info:
            control_flow_ops.while_loop(lambda v: v < 10.0, body, [x])
    assert str(info.value) == (
        "Cannot compute gradient inside while loop with respect to op 'x'. We do not support "
        "taking the gradient wrt or through the initial value of a loop variable. Gradients "
        "can be computed through loop invariants or wrt the input parameters to the loop body."
    )
