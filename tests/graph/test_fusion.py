"""Conv -> Mul(per-channel scale) in a function body runs as one conv with a scaled filter."""

from __future__ import annotations

import numpy as np
import pytest

import stowflow as tf
from stowflow.graph import fusion
from stowflow.graph.functions import compiled_function
from stowflow.graph.kernels.registry import KERNELS
from stowflow.proto import graph_pb2

F32 = 1


def _graph_def(conv_type: str, scale_first: bool) -> graph_pb2.GraphDef:
    graph_def = graph_pb2.GraphDef()
    fn = graph_def.library.function.add()
    fn.signature.name = "body"
    for name in ("x", "w", "s"):
        fn.signature.input_arg.add(name=name, type=F32)
    fn.signature.output_arg.add(name="y", type=F32)
    conv = fn.node_def.add(name="conv", op=conv_type, input=["x", "w"])
    conv.attr["T"].type = F32
    conv.attr["strides"].list.i.extend([1, 1, 1, 1])
    conv.attr["padding"].s = b"SAME"
    mul = fn.node_def.add(
        name="mul", op="Mul", input=["s", "conv:output:0"] if scale_first else ["conv:output:0", "s"]
    )
    mul.attr["T"].type = F32
    fn.ret["y"] = "mul:z:0"
    for name in ("x", "w", "s"):
        node = graph_def.node.add(name=name, op="Placeholder")
        node.attr["dtype"].type = F32
    call = graph_def.node.add(name="call", op="PartitionedCall", input=["x", "w", "s"])
    call.attr["f"].func.name = "body"
    call.attr["Tin"].list.type.extend([F32] * 3)
    call.attr["Tout"].list.type.append(F32)
    return graph_def


def _run(graph_def: graph_pb2.GraphDef, x: np.ndarray, w: np.ndarray, s: np.ndarray) -> np.ndarray:
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session(graph=graph) as sess:
            return sess.run("call:0", {"x:0": x, "w:0": w, "s:0": s})


@pytest.mark.parametrize("conv_type", ["Conv2D", "DepthwiseConv2dNative"])
@pytest.mark.parametrize("scale_first", [False, True])
@pytest.mark.parametrize("scale_shape", ["per_channel", "scalar", "full"])
def test_fused_body_computes_conv_then_mul(conv_type: str, scale_first: bool, scale_shape: str) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 5, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
    out_channels = 2 if conv_type == "Conv2D" else 6
    s = {
        "per_channel": rng.standard_normal(out_channels),
        "scalar": np.array(1.5),
        "full": rng.standard_normal((2, 5, 5, out_channels)),
    }[scale_shape].astype(np.float32)
    graph_def = _graph_def(conv_type, scale_first)
    assert compiled_function(graph_def.library, "body").fused == 1
    got = _run(graph_def, x, w, s)
    conv = KERNELS[conv_type]([x, w], {"strides": [1, 1, 1, 1], "padding": b"SAME",
                                       "data_format": b"NHWC", "dilations": [1, 1, 1, 1],
                                       "explicit_paddings": [], "use_cudnn_on_gpu": True})[0]
    np.testing.assert_allclose(got, conv * s, rtol=1e-5, atol=1e-5)


def test_scaled_filter_declines_what_it_cannot_fold() -> None:
    w = np.ones((3, 3, 4, 2), np.float32)
    assert fusion._scaled_filter("Conv2D", w, np.ones(3, np.float32)) is None
    assert fusion._scaled_filter("Conv2D", w, np.ones(2, np.float64)) is None
    assert fusion._scaled_filter("Conv2D", w.astype(np.float16), np.ones(2, np.float16)) is None
    folded = fusion._scaled_filter("DepthwiseConv2dNative", w, np.arange(8, dtype=np.float32))
    assert folded is not None and folded[0, 0, 3, 1] == 7.0
