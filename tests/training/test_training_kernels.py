"""The training kernels against TensorFlow's: outputs, error classes and messages.

Goldens: the ``kernels`` and ``updates`` sections written by
``tests/golden/training/make_training_goldens.py`` (needs TensorFlow).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow import errors
from stowflow.graph import op_defs
from stowflow.graph.builder import apply_op
from stowflow.graph.kernels import training_kernels  # noqa: F401 - registration
from stowflow.graph.kernels.registry import KERNELS, SHAPE_FNS
from stowflow.graph.kernels.state import STATEFUL_KERNELS

from .nsutil import GOLDEN_DIR, load_cases

GOLDEN = json.loads((GOLDEN_DIR / "training_goldens.json").read_text(encoding="utf-8"))
CASES = load_cases()
KERNEL_CASES = {cid: (op, ins, attrs) for cid, op, ins, attrs in CASES.kernel_cases()}
UPDATE_CASES = {cid: (base, sl, rest, at) for cid, base, sl, rest, at in CASES.update_cases()}


def decode(spec: dict[str, Any]) -> np.ndarray:
    return np.array(spec["data"], dtype=spec["dtype"]).reshape(spec["shape"])


@pytest.mark.parametrize("cid", sorted(KERNEL_CASES))
def test_kernel_matches_tensorflow(cid: str) -> None:
    op_type, inputs, attrs = KERNEL_CASES[cid]
    want = GOLDEN["kernels"][cid]
    kernel = KERNELS[op_type]
    if "error" in want:
        with pytest.raises(errors.OpError) as info:
            kernel(inputs, attrs)
        assert type(info.value).__name__ == want["error"]
        assert info.value.message == want["message"]
        return
    got = kernel(inputs, attrs)
    assert len(got) == len(want["outputs"])
    for value, spec in zip(got, want["outputs"], strict=True):
        expected = decode(spec)
        assert value.dtype == expected.dtype and value.shape == expected.shape
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)


def _resource_variable(value: np.ndarray, name: str) -> tuple[Any, Any]:
    handle = apply_op(
        "VarHandleOp",
        {},
        {"dtype": tf.float32, "shape": list(value.shape), "shared_name": name, "container": ""},
        name=name,
    )[0]
    init = apply_op("AssignVariableOp", {"resource": handle, "value": value}, {"dtype": tf.float32})
    read = apply_op("ReadVariableOp", {"resource": handle}, {"dtype": tf.float32})[0]
    return handle, (init, read)


@pytest.mark.parametrize("cid", sorted(GOLDEN["updates"]))
def test_update_kernel_matches_tensorflow(cid: str) -> None:
    case, storage = cid.rsplit("_", 1)
    base, slots, rest, attrs = UPDATE_CASES[case]
    resource = storage == "resource"
    op_type = ("ResourceApply" if resource else "Apply") + base
    graph = tf.Graph()
    with graph.as_default():
        if resource:
            made = [_resource_variable(x, f"v{i}") for i, x in enumerate(slots)]
            targets, inits = [h for h, _ in made], [m[0] for _, m in made]
            reads = [m[1] for _, m in made]
        else:
            variables = [tf.Variable(x, name=f"v{i}") for i, x in enumerate(slots)]
            targets = [v._as_tensor(as_ref=True) for v in variables]
            inits, reads = [v.initializer for v in variables], list(variables)
        names = [a.name for a in op_defs.get(op_type).input_arg]
        inputs = dict(zip(names, targets + [np.asarray(x) for x in rest], strict=True))
        update = apply_op(op_type, inputs, dict(attrs))
        with tf.Session() as sess:
            sess.run(inits)
            sess.run(update)
            got = sess.run(reads)
    for value, spec in zip(got, GOLDEN["updates"][cid]["values"], strict=True):
        np.testing.assert_allclose(value, decode(spec), rtol=1e-6, atol=1e-7)


def test_every_training_kernel_has_a_shape_function() -> None:
    ours = {
        "BroadcastGradientArgs",
        "ReluGrad",
        "SigmoidGrad",
        "TanhGrad",
        "SqrtGrad",
        "RsqrtGrad",
        "BiasAddGrad",
        "SoftmaxCrossEntropyWithLogits",
        "SparseSoftmaxCrossEntropyWithLogits",
    }
    updates = {
        p + b for p in ("Apply", "ResourceApply") for b in ("GradientDescent", "Momentum", "Adam")
    }
    assert ours <= set(KERNELS) and updates <= set(STATEFUL_KERNELS)
    assert sorted((ours | updates) - set(SHAPE_FNS)) == []
