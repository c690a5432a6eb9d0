"""stowflow's nn kernels (conv, pool, batch norm, pad, resize) against TensorFlow.

The goldens (tests/golden/kernels/nn_goldens.json) come from
tests/golden/kernels/make_nn_goldens.py, run with TensorFlow 2.21. Each case checks
1. the kernel's outputs (or error class and exact message) on the recorded inputs, and
2. the static shapes stowflow's graph builder infers with the case's input shapes
   (or the ValueError TF raises at graph construction).

Tolerances (``_TOLERANCE``): float32 within 1e-5 (TF's Eigen/oneDNN and our BLAS sum in
different orders); float64 1e-10; half types are computed in float32 by both and rounded
once, but the rounding of a sum that lands near a half-way point may differ by one ulp
(float16: 1e-3 relative, bfloat16: 1e-2). Integer outputs are exact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_kernels import decode_array, decode_attrs, decode_input

from stowflow import errors
from stowflow.graph import array_ops, builder, nn_ops
from stowflow.graph.core import Graph
from stowflow.graph.kernels import nn_kernels  # noqa: F401 - registration
from stowflow.graph.kernels.registry import KERNELS, SHAPE_FNS
from stowflow.graph.session import Session

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "kernels" / "nn_goldens.json"
CASES: list[dict[str, Any]] = json.loads(GOLDEN.read_text())["cases"]
RUN_CASES = [c for c in CASES if "construction_error" not in c]

_TOLERANCE = {
    "float16": (1e-3, 2e-3),
    "bfloat16": (1e-2, 2e-2),
    "float32": (1e-5, 1e-5),
    "float64": (1e-10, 1e-10),
}
# TF's Conv3D and Conv2DBackpropInput CPU kernels sum half / bfloat16 products in half
# precision (an Eigen contraction over Eigen::half), in a blocked order we do not mimic;
# stowflow sums in float32. TF's own result then carries a rounding error of a few ulps
# of the output's magnitude, which is what these cases allow.
_HALF_SUMMING = {"Conv3D", "Conv2DBackpropInput"}
_HALF_EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7}
# FusedBatchNorm* in inference mode or on an empty x: TF leaves reserve_space_1/2
# uninitialised (their shape and dtype are still compared).
_UNDEFINED_OUTPUTS = {3, 4}
CONFIG_INPUTS = {"paddings", "size", "input_sizes", "ksize", "strides", "constant_values"}


def _run(case: dict[str, Any]) -> list[Any]:
    inputs = [decode_input(s) for s in case["inputs"]]
    return KERNELS[case["op"]](inputs, decode_attrs(case["attrs"]))


def _assert_close(got: Any, want: np.ndarray, where: str, op: str) -> None:
    got = np.asarray(got)
    assert got.dtype == want.dtype, f"{where}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{where}: shape {got.shape} != {want.shape}"
    if want.dtype.name in _TOLERANCE:
        rtol, atol = _TOLERANCE[want.dtype.name]
        if op in _HALF_SUMMING and want.dtype.name in _HALF_EPS:
            atol = 4 * _HALF_EPS[want.dtype.name] * float(np.abs(want.astype(np.float64)).max())
        np.testing.assert_allclose(
            got.astype(np.float64),
            want.astype(np.float64),
            rtol=rtol,
            atol=atol,
            equal_nan=True,
            err_msg=where,
        )
    else:
        assert got.tolist() == want.tolist(), f"{where}: {got!r} != {want!r}"


def _skipped_outputs(case: dict[str, Any]) -> set[int]:
    if case["op"].startswith("FusedBatchNorm"):
        empty = 0 in case["inputs"][0]["shape"]
        if empty or not decode_attrs(case["attrs"])["is_training"]:
            return _UNDEFINED_OUTPUTS
    return set()


@pytest.mark.parametrize("case", RUN_CASES, ids=[c["id"] for c in RUN_CASES])
def test_kernel_matches_tensorflow(case: dict[str, Any]) -> None:
    if "error" in case:
        expected = getattr(errors, case["error"])
        with pytest.raises(errors.OpError) as info:
            _run(case)
        assert type(info.value) is expected, info.value
        assert info.value.message == case["message"]
        return
    got = _run(case)
    want = case["outputs"][0]
    assert len(got) == len(want), f"{len(got)} outputs, TF has {len(want)}"
    skipped = _skipped_outputs(case)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        expected = decode_array(w)
        if i in skipped:
            assert np.asarray(g).shape == expected.shape and np.asarray(g).dtype == expected.dtype
            continue
        _assert_close(g, expected, f"{case['id']} output {i}", case["op"])


CONSTRUCTION = [c for c in CASES if "construction_error" in c]


@pytest.mark.parametrize("case", CONSTRUCTION, ids=[c["id"] for c in CONSTRUCTION])
def test_attrs_tf_refuses_at_construction_are_refused_by_the_kernel(case: dict[str, Any]) -> None:
    """TF rejects these attrs while building the graph; a kernel given them still refuses."""
    with pytest.raises(errors.InvalidArgumentError) as info:
        _run(case)
    assert info.value.message


def _build(case: dict[str, Any]) -> Any:
    """Builds the case's op in a stowflow graph with static input shapes; returns the op."""
    graph = Graph()
    with graph.as_default():
        from stowflow.graph import op_defs

        op_def = op_defs.get(case["op"])
        inputs: dict[str, Any] = {}
        for arg, spec in zip(op_def.input_arg, case["inputs"], strict=True):
            value = decode_input(spec)
            if arg.name in CONFIG_INPUTS:
                inputs[arg.name] = builder.constant(value)
            else:
                inputs[arg.name] = array_ops.placeholder(
                    builder.constant(value).dtype if value.dtype.kind == "O" else value.dtype,
                    shape=value.shape,
                )
        attrs = decode_attrs(case["attrs"])
        result = builder.apply_op(case["op"], inputs, attrs)
        return result[0].op


STATIC = CASES


@pytest.mark.parametrize("case", STATIC, ids=[c["id"] for c in STATIC])
def test_static_shapes_match_tensorflow(case: dict[str, Any]) -> None:
    if "static_error" in case:
        with pytest.raises(ValueError) as info:
            _build(case)
        tf_text = case["static_error"].split(" for '{{node")[0]
        assert str(info.value).startswith(tf_text), (str(info.value), tf_text)
        return
    op = _build(case)
    got = [t.shape.as_list() if t.shape.ndims is not None else None for t in op.outputs]
    assert got == case["static_shapes"]


def test_every_nn_kernel_has_a_shape_function() -> None:
    ours = {
        n
        for n, fn in KERNELS.items()
        if fn.__module__.startswith("stowflow.graph.kernels.nn_")
        and fn.__module__ != "stowflow.graph.kernels.nn_grad_kernels"  # its own test
    }
    assert len(ours) == 15
    assert sorted(ours - set(SHAPE_FNS)) == []


# --------------------------------------------------------------------------- TF1 API wrappers

WRAPPERS: list[dict[str, Any]] = json.loads(GOLDEN.read_text())["wrappers"]
_API = {
    "nn.conv2d": nn_ops.conv2d,
    "nn.depthwise_conv2d": nn_ops.depthwise_conv2d,
    "nn.conv2d_transpose": nn_ops.conv2d_transpose,
    "nn.conv3d": nn_ops.conv3d,
    "nn.max_pool": nn_ops.max_pool,
    "nn.avg_pool": nn_ops.avg_pool,
    "nn.fused_batch_norm": nn_ops.fused_batch_norm,
    "pad": nn_ops.pad,
    "image.resize_bilinear": nn_ops.resize_bilinear,
    "image.resize_nearest_neighbor": nn_ops.resize_nearest_neighbor,
}


@pytest.mark.parametrize("case", WRAPPERS, ids=[f"{i}-{w['api']}" for i, w in enumerate(WRAPPERS)])
def test_wrapper_builds_the_node_tensorflow_builds(case: dict[str, Any]) -> None:
    graph = Graph()
    with graph.as_default():
        feed, args = {}, {}
        for k, v in case["args"].items():
            if isinstance(v, dict):
                value = decode_array(v)
                args[k] = array_ops.placeholder(value.dtype, shape=value.shape, name=k)
                feed[args[k]] = value
            else:
                args[k] = v
        out = _API[case["api"]](**args)
        fetches = list(out) if isinstance(out, tuple) else [out]
        op = fetches[0].op
        assert (op.name, op.type) == (case["name"], case["type"])
        assert fetches[0].shape.as_list() == case["shape"]
        want_attrs = decode_attrs(case["attrs"])
        assert {k: op.get_attr(k) for k in want_attrs} == want_attrs
        with Session(graph=graph) as sess:
            got = sess.run(fetches, feed_dict=feed)
    for i, (g, w) in enumerate(zip(got, case["outputs"], strict=True)):
        _assert_close(g, decode_array(w), f"{case['api']} output {i}", case["type"])


def test_wrapper_argument_errors_match_tensorflow() -> None:
    with Graph().as_default():
        x = array_ops.placeholder(np.float32, shape=[1, 4, 4, 1])
        with pytest.raises(ValueError, match="strides should be of length 1, 2 or 4"):
            nn_ops.conv2d(x, np.ones((1, 1, 1, 1), np.float32), strides=[1, 1, 1], padding="SAME")
        with pytest.raises(ValueError, match="'EXPLICIT' is not a valid value for `padding`"):
            nn_ops.max_pool(x, 2, 2, "EXPLICIT")
        with pytest.raises(ValueError, match="Both `mean` and `variance` must be a 1D tensor"):
            nn_ops.fused_batch_norm(x, [1.0], [0.0], is_training=False)
        with pytest.raises(ValueError, match="Value of argument `mode` expected to be one of"):
            nn_ops.pad(x, [[0, 0]] * 4, mode="WRAP")


CHUNKED = [
    c
    for c in RUN_CASES
    if c["op"] in ("Conv2D", "Conv3D", "DepthwiseConv2dNative") and "outputs" in c
]


@pytest.mark.parametrize("case", CHUNKED, ids=[c["id"] for c in CHUNKED])
def test_smallest_chunks_give_the_same_result(
    case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One image per im2col chunk and one output row per depthwise block change nothing."""
    from stowflow.graph.kernels import nn_conv

    monkeypatch.setattr(nn_conv, "_COLS_BUDGET", 1)
    monkeypatch.setattr(nn_conv, "_DEPTHWISE_BLOCK", 1)
    got = _run(case)
    _assert_close(got[0], decode_array(case["outputs"][0][0]), case["id"], case["op"])
