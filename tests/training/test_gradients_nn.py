"""tf.gradients of the nn/array/math ops against TensorFlow 2.21: gradient graphs node for
node, gradient values (IndexedSlices included), the backprop kernels, tf.gradients options
(gate_gradients, aggregation_method, grad_ys) and the clip_by_norm / clip_by_global_norm graphs.

Goldens: ``tests/golden/training/make_grad_goldens.py`` (needs TensorFlow) runs the cases
of ``tests/golden/training/grad_cases.py``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow import errors
from stowflow.graph.gradients import gradients
from stowflow.graph.indexed_slices import IndexedSlices
from stowflow.graph.kernels import nn_grad_kernels
from stowflow.graph.kernels.registry import KERNELS, SHAPE_FNS

from .nsutil import GOLDEN_DIR, namespace
from .test_gradients import node_list

GOLDEN = json.loads((GOLDEN_DIR / "grad_goldens.json").read_text(encoding="utf-8"))


def _load_cases() -> Any:
    if "grad_cases" in sys.modules:
        return sys.modules["grad_cases"]
    spec = importlib.util.spec_from_file_location("grad_cases", GOLDEN_DIR / "grad_cases.py")
    if spec is None or spec.loader is None:
        raise ImportError("grad_cases.py not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules["grad_cases"] = module
    spec.loader.exec_module(module)
    return module


CASES = _load_cases()
KERNEL_CASES = {cid: (op, ins, attrs) for cid, op, ins, attrs in CASES.kernel_cases()}


def decode(spec: dict[str, Any]) -> np.ndarray:
    return np.array(spec["data"], dtype=spec["dtype"]).reshape(spec["shape"])


@pytest.mark.parametrize("cid", sorted(KERNEL_CASES))
def test_backprop_kernel_matches_tensorflow(cid: str) -> None:
    op_type, inputs, attrs = KERNEL_CASES[cid]
    want = GOLDEN["kernels"][cid]
    assert op_type in SHAPE_FNS
    if "error" in want:
        with pytest.raises(errors.OpError) as info:
            KERNELS[op_type](inputs, attrs)
        assert type(info.value).__name__ == want["error"]
        assert info.value.message == want["message"]
        return
    got = KERNELS[op_type](inputs, attrs)
    assert len(got) == len(want["outputs"])
    for value, spec in zip(got, want["outputs"], strict=True):
        expected = decode(spec)
        assert value.dtype == expected.dtype and value.shape == expected.shape
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-5)


def _namespace() -> Any:
    from stowflow.graph import clip_ops, nn_ops

    ns = namespace()
    ns.nn.embedding_lookup = nn_ops.embedding_lookup
    ns.clip_by_norm = clip_ops.clip_by_norm
    ns.clip_by_global_norm = clip_ops.clip_by_global_norm
    ns.global_norm = clip_ops.global_norm
    # Unary ops stowflow's TF1 namespace does not export yet: TF's gen_math_ops nodes.
    for op_type, attr in (("Log1p", "log1p"), ("Erf", "erf")):
        setattr(ns, attr, _unary_builder(op_type))
    return ns


def _unary_builder(op_type: str) -> Any:
    from stowflow.graph.builder import apply_op

    def build(x: Any, name: str | None = None) -> Any:
        return apply_op(op_type, {"x": x}, None, name=name or op_type)[0]

    return build


def build(
    name: str, section: str = "gradients"
) -> tuple[Any, dict[str, Any], list[Any], list[Any]]:
    table = CASES.GRADIENT_CASES if section == "gradients" else CASES.OPTION_CASES
    graph = tf.Graph()
    with graph.as_default():
        case = table[name](_namespace())
        first = len(graph.get_operations())
        grads = gradients(case["ys"], case["xs"], **case.get("kwargs", {}))
        return graph, case, grads, graph.get_operations()[first:]


GRAPH_CASES = [("gradients", n) for n in sorted(GOLDEN["gradients"])] + [
    ("options", n) for n in sorted(GOLDEN["options"])
]


@pytest.mark.parametrize("section,name", GRAPH_CASES)
def test_gradient_graph_is_tensorflows(section: str, name: str) -> None:
    _, _, grads, added = build(name, section)
    want = GOLDEN[section][name]
    got = node_list(added)
    assert [n[:2] for n in got] == [n[:2] for n in want["nodes"]]
    assert got == want["nodes"]
    assert [None if g is None else g.name for g in grads] == want["grads"]


def _check_value(value: Any, spec: dict[str, Any]) -> None:
    want = decode(spec)
    assert value.dtype == want.dtype and value.shape == want.shape
    np.testing.assert_allclose(value, want, rtol=1e-5, atol=1e-5)


VALUE_CASES = [("gradients", n) for n in sorted(GOLDEN["gradients"])] + [
    ("options", n) for n in sorted(GOLDEN["options"])
]


@pytest.mark.parametrize("section,name", VALUE_CASES)
def test_gradient_values_match_tensorflow(section: str, name: str) -> None:
    graph, case, grads, _ = build(name, section)
    wanted = [v for v in GOLDEN[section][name]["values"] if v is not None]
    present = [g for g in grads if g is not None]
    assert len(present) == len(wanted)
    fetches = [
        [g.values, g.indices, g.dense_shape] if isinstance(g, IndexedSlices) else g for g in present
    ]
    with graph.as_default(), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(fetches, dict(case["feeds"]))
    for value, spec in zip(got, wanted, strict=True):
        if "indexed_slices" in spec:
            assert isinstance(value, list), "TF's gradient is IndexedSlices"
            for part, part_spec in zip(value, spec["indexed_slices"], strict=True):
                _check_value(np.asarray(part), part_spec)
        else:
            _check_value(value, spec)


def test_clipping_graph_and_values_are_tensorflows() -> None:
    want = GOLDEN["forward"]["clipping"]
    graph = tf.Graph()
    with graph.as_default():
        case = CASES.clipping(_namespace())
        got = node_list(graph.get_operations())
        assert [n[:2] for n in got] == [n[:2] for n in want["nodes"]]
        assert got == want["nodes"]
        with tf.Session() as sess:
            values = sess.run(case["outputs"], dict(case["feeds"]))
    for value, spec in zip(values, want["values"], strict=True):
        _check_value(np.asarray(value), spec)


def test_v1_control_flow_gradient_through_raw_switch_merge() -> None:
    from stowflow.graph.builder import apply_op

    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        pred = tf.placeholder(tf.bool, [], name="pred")
        false_out, true_out = apply_op("Switch", {"data": x, "pred": pred}, None, name="sw")
        merged = apply_op("Merge", {"inputs": [false_out * 2.0, true_out]}, None, name="m")[0]
        (gx,) = gradients(tf.reduce_sum(merged), [x])
        with tf.Session() as sess:
            assert sess.run(gx, {x: [1.0, 2.0], pred: True}).tolist() == [1.0, 1.0]
            assert sess.run(gx, {x: [1.0, 2.0], pred: False}).tolist() == [2.0, 2.0]


def test_prevent_gradient_raises_tfs_message() -> None:
    from stowflow.graph.builder import apply_op

    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        y = apply_op("PreventGradient", {"input": x}, {"message": "no way"}, name="pg")[0]
        with pytest.raises(LookupError, match="Gradient explicitly disabled. Reason: no way"):
            gradients(tf.reduce_sum(y * y), [x])


def test_invalid_aggregation_method_is_a_value_error() -> None:
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        with pytest.raises(ValueError, match="Invalid `aggregation_method` specified 7"):
            gradients(tf.reduce_sum(x), [x], aggregation_method=7)


def test_indexed_slices_convert_to_their_dense_sum() -> None:
    graph = tf.Graph()
    with graph.as_default():
        values = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2))
        indices = tf.constant(np.array([2, 0, 2], np.int32))
        slices = IndexedSlices(values, indices, tf.constant(np.array([4, 2], np.int32)))
        assert slices.dtype == tf.float32 and slices.name == values.name
        assert slices.shape.as_list() == [4, 2]
        dense = tf.identity(slices)
        assert dense.op.inputs[0].op.type == "UnsortedSegmentSum"
        with tf.Session() as sess:
            got = sess.run(dense)
    np.testing.assert_array_equal(got, [[2, 3], [0, 0], [4, 6], [0, 0]])


def test_indexed_slices_without_dense_shape_refuse_conversion() -> None:
    from stowflow.graph.indexed_slices import to_tensor

    graph = tf.Graph()
    with graph.as_default():
        slices = IndexedSlices(tf.constant([[1.0]]), tf.constant([0]))
        with pytest.raises(ValueError, match="without dense_shape"):
            to_tensor(slices)


def test_every_backprop_kernel_has_a_shape_function() -> None:
    ours = {n for n, fn in KERNELS.items() if fn.__module__ == nn_grad_kernels.__name__}
    assert len(ours) >= 20
    assert sorted(ours - set(SHAPE_FNS)) == []
