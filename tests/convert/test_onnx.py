"""ONNX export: checked by onnx.checker, run by onnxruntime, compared with stowflow's own
run of the same graph (rtol 1e-4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from convert_testlib import ROOT

import stowflow as tf
from stowflow.convert import UnmappedOpsError
from stowflow.errors import InvalidArgumentError
from stowflow.graph.builder import apply_op
from stowflow.tools import cli

onnx = pytest.importorskip("onnx", reason="onnx is the optional [convert] extra")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is a test-only dependency")

from stowflow.convert.onnx import export_graph_def, export_saved_model  # noqa: E402
from stowflow.convert.onnx.optimize import cancel_transposes  # noqa: E402

RNG = np.random.default_rng(0)


def _c(value: Any, dtype: Any = np.float32) -> Any:
    return tf.constant(np.asarray(value, dtype))


def _op(op_type: str, inputs: dict[str, Any], attrs: dict[str, Any] | None = None) -> Any:
    return apply_op(op_type, inputs, attrs, name=op_type.lower())[0]


def _cnn() -> tuple[Any, Any, Any]:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 12, 12, 3], name="x")
        same = {"strides": [1, 1, 1, 1], "padding": "SAME"}
        h = _op("Conv2D", {"input": x, "filter": _c(RNG.standard_normal((3, 3, 3, 8)) * 0.3)}, same)
        h = _op("BiasAdd", {"value": h, "bias": _c(RNG.standard_normal(8))})
        h = _op("FusedBatchNormV3", {
            "x": h, "scale": _c(RNG.uniform(0.5, 1.5, 8)), "offset": _c(RNG.standard_normal(8)),
            "mean": _c(RNG.standard_normal(8) * 0.1), "variance": _c(RNG.uniform(0.5, 2, 8)),
        }, {"is_training": False, "epsilon": 0.001})  # fmt: skip
        h = _op("Relu", {"features": h})
        h = _op("MaxPool", {"input": h},
                {"ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "padding": "VALID"})  # fmt: skip
        dw = _c(RNG.standard_normal((3, 3, 8, 2)) * 0.3)
        h = _op("DepthwiseConv2dNative", {"input": h, "filter": dw}, same)
        h = _op("Relu6", {"features": h})
        h = _op("Conv2D", {"input": h, "filter": _c(RNG.standard_normal((1, 1, 16, 4)) * 0.3)},
                {"strides": [1, 2, 2, 1], "padding": "SAME"})  # fmt: skip
        h = _op("AvgPool", {"value": h},
                {"ksize": [1, 3, 3, 1], "strides": [1, 1, 1, 1], "padding": "SAME"})  # fmt: skip
        h = _op("Mean", {"input": h, "reduction_indices": _c([1, 2], np.int32)},
                {"keep_dims": False})  # fmt: skip
        h = _op("MatMul", {"a": h, "b": _c(RNG.standard_normal((4, 5)))})
        h = _op("BiasAdd", {"value": h, "bias": _c(RNG.standard_normal(5))})
        y = apply_op("Softmax", {"logits": h}, name="probs")[0]
    return g, x, y


def _misc() -> tuple[Any, Any, Any]:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 6], name="x")
        h = _op("Reshape", {"tensor": x, "shape": _c([-1, 2, 3], np.int32)})
        h = _op("Transpose", {"x": h, "perm": _c([0, 2, 1], np.int32)})  # [B,3,2]
        h = _op("BatchMatMulV2", {"x": h, "y": _c(RNG.standard_normal((4, 2)))}, {"adj_y": True})
        h = _op("ConcatV2", {"values": [h, _op("Tanh", {"x": h})], "axis": _c(-1, np.int32)})
        h = _op(
            "StridedSlice",
            {
                "input": h,
                "begin": _c([0, 1, 0], np.int32),
                "end": _c([0, 3, 7], np.int32),
                "strides": _c([1, 1, 2], np.int32),
            },
            {"begin_mask": 1, "end_mask": 1},
        )  # fmt: skip  [B,2,4]
        h = _op("GatherV2", {"params": h, "indices": _c([3, 0, 1], np.int32),
                             "axis": _c(2, np.int32)})  # fmt: skip
        h = _op("Pad", {"input": h, "paddings": _c([[0, 0], [1, 0], [0, 2]], np.int32)})
        s = _op("Sum", {"input": h, "reduction_indices": _c([2], np.int32)}, {"keep_dims": True})
        m = _op("Max", {"input": h, "reduction_indices": _c([1], np.int32)}, {"keep_dims": True})
        h = _op(
            "RealDiv",
            {"x": _op("Sub", {"x": h, "y": s}), "y": _op("AddV2", {"x": m, "y": _c(10.0)})},
        )
        h = _op("Sigmoid", {"x": h})
        y = apply_op("Cast", {"x": _op("Mul", {"x": h, "y": _c(100.0)})}, {"DstT": tf.int32},
                     name="out")[0]  # fmt: skip
    return g, x, y


def _compare(g: Any, x: Any, y: Any, feed: np.ndarray, opset: int = 17) -> Any:
    export = export_graph_def(g.as_graph_def(), [x.name], [y.name], opset=opset)
    session = ort.InferenceSession(
        export.model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    got = session.run(None, {x.name: feed})[0]
    with tf.Session(graph=g) as sess:
        want = sess.run(y, {x: feed})
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    return export


def test_cnn_matches_stowflow_and_transposes_cancel() -> None:
    g, x, y = _cnn()
    export = _compare(g, x, y, RNG.standard_normal((2, 12, 12, 3)).astype(np.float32))
    types = [n.op_type for n in export.model.graph.node]
    # 10 transposes wrap the 5 NHWC ops; all but the entry one cancel (the last one is
    # pushed through the spatial mean, where it becomes the identity).
    assert export.transposes_left == types.count("Transpose") == 1
    assert types.count("Conv") == 3 and "BatchNormalization" not in types
    assert [a.i for a in export.model.graph.node[types.index("Conv", 2)].attribute
            if a.name == "group"] == [8]  # fmt: skip


@pytest.mark.parametrize("opset", [13, 17])
def test_array_ops_match_stowflow(opset: int) -> None:
    g, x, y = _misc()
    feed = RNG.standard_normal((3, 6)).astype(np.float32)
    export = _compare(g, x, y, feed, opset)
    assert export.model.opset_import[0].version == opset


def test_unfused_batch_norm_arithmetic_matches_stowflow() -> None:
    """Keras 3 writes inference batch norm as plain arithmetic on NHWC tensors."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 5, 5, 3], name="x")
        mean = _op("Mean", {"input": x, "reduction_indices": _c([0, 1, 2], np.int32)},
                   {"keep_dims": True})  # fmt: skip
        var = _op("Mean", {"input": _op("SquaredDifference", {"x": x, "y": mean}),
                           "reduction_indices": _c([0, 1, 2], np.int32)}, {"keep_dims": True})  # fmt: skip
        inv = _op("Rsqrt", {"x": _op("AddV2", {"x": var, "y": _c(1e-3)})})
        h = _op("Mul", {"x": _op("Sub", {"x": x, "y": mean}), "y": inv})
        h = _op("AddV2", {"x": _op("Mul", {"x": h, "y": _c(RNG.uniform(0.5, 2, 3))}),
                          "y": _c(RNG.standard_normal(3))})  # fmt: skip
        y = _op("Square", {"x": h})
    _compare(g, x, y, RNG.standard_normal((2, 5, 5, 3)).astype(np.float32))


def test_pushed_transposes_keep_operand_order() -> None:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4, 4, 2], name="x")
        h = _op("Conv2D", {"input": x, "filter": _c(RNG.standard_normal((1, 1, 2, 3)))},
                {"strides": [1, 1, 1, 1], "padding": "VALID"})  # fmt: skip
        h = _op("Sub", {"x": _c([1.0, 2.0, 3.0]), "y": h})
        h = _op("RealDiv", {"x": _c([0.5, -1.0, 4.0]), "y": _op("Sigmoid", {"x": h})})
        y = _op("MaxPool", {"input": h},
                {"ksize": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "padding": "VALID"})  # fmt: skip
    export = _compare(g, x, y, RNG.standard_normal((2, 4, 4, 2)).astype(np.float32))
    assert export.transposes_left == 2


def test_unmapped_ops_are_all_listed() -> None:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        h = apply_op("Cumprod", {"x": x, "axis": _c(1, np.int32)}, name="cp")[0]
        h = apply_op("Relu", {"features": h}, name="r")[0]
        y = apply_op("Digamma", {"x": h}, name="f")[0]
    with pytest.raises(UnmappedOpsError, match="No ONNX mapping for op types: Cumprod, Digamma"):
        export_graph_def(g.as_graph_def(), ["x"], [y.name])


def test_tf1_saved_model_signature_matches_stowflow(tmp_path: Path) -> None:
    model = ROOT / "tests" / "golden" / "savedmodels" / "tf1_predict"
    export = export_saved_model(str(model))
    assert export.input_names == ["x"] and export.output_names == ["y"]
    feed = RNG.standard_normal((4, 3)).astype(np.float32)
    session = ort.InferenceSession(
        export.model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    got = session.run(None, {"x": feed})[0]
    from stowflow.saved_model import loader

    with tf.Session(graph=tf.Graph()) as sess:
        meta = loader.load(sess, ["serve"], str(model))
        sig = meta.signature_def["serving_default"]
        want = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: feed})
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_tf2_saved_model_signature_inlines_calls_and_matches_stowflow() -> None:
    model = ROOT / "tests" / "golden" / "savedmodels" / "tf2_module"
    export = export_saved_model(str(model))
    types = [n.op_type for n in export.model.graph.node]
    assert "ReadVariableOp" not in types and types[:2] == ["MatMul", "Add"]
    feed = RNG.standard_normal((3, 3)).astype(np.float32)
    session = ort.InferenceSession(
        export.model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    got = session.run(None, {"x": feed})[0]
    from stowflow.saved_model import native

    want = native.load(str(model)).signatures["serving_default"](x=feed)["y"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_unknown_signature_lists_the_known_ones() -> None:
    model = ROOT / "tests" / "golden" / "savedmodels" / "tf1_predict"
    with pytest.raises(InvalidArgumentError, match="no signature 'nope'; known: "):
        export_saved_model(str(model), "nope")


def test_cli_exports_a_graph_def(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    g, x, y = _cnn()
    pb = tmp_path / "frozen.pb"
    pb.write_bytes(g.as_graph_def().SerializeToString())
    out = tmp_path / "model.onnx"
    assert cli.main(["convert", str(pb), str(out), "--inputs", "x", "--outputs", "probs"]) == 0
    assert "1 transposes left" in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(str(out)))
    assert cli.main(["convert", str(pb), str(tmp_path / "m.onnx")]) == 1
    assert "needs --inputs and --outputs" in capsys.readouterr().err


def _transpose(name_in: str, name_out: str, perm: list[int]) -> Any:
    return onnx.helper.make_node("Transpose", [name_in], [name_out], perm=perm)


def test_cancellation_fuses_and_removes_pairs() -> None:
    nodes = [_transpose("a", "b", [0, 3, 1, 2]), _transpose("b", "c", [0, 2, 3, 1]),
             onnx.helper.make_node("Relu", ["c"], ["d"])]  # fmt: skip
    out, left = cancel_transposes(nodes, {}, {"d"})
    assert left == 0 and [(n.op_type, list(n.input)) for n in out] == [("Relu", ["a"])]
    nodes = [_transpose("a", "b", [1, 0, 2]), _transpose("b", "c", [0, 2, 1])]
    out, left = cancel_transposes(nodes, {}, {"c"})
    assert left == 1 and list(out[0].attribute[0].ints) == [1, 2, 0]
    # A transpose whose output is also a graph output must stay.
    nodes = [_transpose("a", "b", [1, 0]), _transpose("b", "c", [1, 0])]
    assert cancel_transposes(nodes, {}, {"b", "c"})[1] == 2


@pytest.mark.parametrize("opset", [12, 18])
def test_opsets_outside_13_to_17_are_refused(opset: int) -> None:
    g, x, y = _misc()
    with pytest.raises(InvalidArgumentError, match=f"opset {opset} is not supported; use 13 to 17"):
        export_graph_def(g.as_graph_def(), [x.name], [y.name], opset=opset)


def _run_nodes(nodes: list[Any], inits: dict[str, Any], feed: np.ndarray, out: str) -> Any:
    h = onnx.helper
    graph = h.make_graph(
        nodes, "g", [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, list(feed.shape))],
        [h.make_tensor_value_info(out, onnx.TensorProto.FLOAT, None)],
        initializer=list(inits.values()),
    )  # fmt: skip
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": feed})[0]


def test_cancellation_through_residual_concat_pad_and_reshape() -> None:
    """A transpose shared by a residual Add and the next conv is copied per reader; Add
    and Concat of equally transposed inputs, Pad (pads re-laid out) and a Reshape that
    only moves size-1 axes all let the NCHW<->NHWC pairs meet and cancel."""
    h, nh = onnx.helper, onnx.numpy_helper
    to_nhwc, to_nchw = [0, 2, 3, 1], [0, 3, 1, 2]
    inits = {
        "pads": nh.from_array(np.array([0, 1, 0, 0, 0, 2, 1, 0], np.int64), "pads"),
        "shape": nh.from_array(np.array([-1, 1, 1, 20], np.int64), "shape"),
    }
    nodes = [
        h.make_node("Relu", ["x"], ["r"]),  # x is NCHW [1, 2, 3, 4]
        h.make_node("Transpose", ["r"], ["t"], perm=to_nhwc),  # read by two nodes
        h.make_node("Transpose", ["t"], ["back"], perm=to_nchw),
        h.make_node("Neg", ["back"], ["conv"]),  # stands for an NCHW conv
        h.make_node("Transpose", ["conv"], ["conv_nhwc"], perm=to_nhwc),
        h.make_node("Add", ["t", "conv_nhwc"], ["sum"]),
        h.make_node("Concat", ["sum", "t"], ["cat"], axis=3),  # NHWC [1, 3, 4, 4]
        h.make_node("Pad", ["cat", "pads"], ["padded"], mode="constant"),  # [1, 6, 5, 4]
        h.make_node("ReduceMean", ["padded"], ["pooled"], axes=[1], keepdims=0),  # [1, 5, 4]
        h.make_node("Reshape", ["pooled", "shape"], ["flat"], allowzero=1),
        h.make_node("Transpose", ["flat"], ["y"], perm=to_nchw),  # [1, 20, 1, 1]
    ]  # fmt: skip
    feed = RNG.standard_normal((1, 2, 3, 4)).astype(np.float32)
    want = _run_nodes([onnx.NodeProto.FromString(n.SerializeToString()) for n in nodes],
                      dict(inits), feed, "y")  # fmt: skip
    out, left = cancel_transposes(nodes, inits, {"y"})
    assert _run_nodes(out, inits, feed, "y").tolist() == want.tolist()
    assert left == 1  # pushed through the mean, it stops at the flattening Reshape
    assert [n.op_type for n in out].count("Transpose") == 1
