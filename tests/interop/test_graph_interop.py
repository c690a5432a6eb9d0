"""TF1 graphs, MetaGraphs, checkpoints and frozen GraphDefs between stowflow and TensorFlow.

Both directions, with ONE TensorFlow subprocess (its import costs seconds):

1. stowflow builds and saves (``.meta`` + checkpoint with a global step, a frozen ``.pb``, a
   sharded checkpoint over two devices, a GraphDef of many op types) and computes every
   output itself;
2. TensorFlow (``tf.compat.v1``) restores / imports each of those and runs the same fetches
   with the same feeds; it also builds, saves and freezes the same kind of models itself and
   reports its outputs;
3. stowflow restores / imports TensorFlow's files and runs them.

The pytest side compares dtypes, shapes and bytes.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from stowflow_testlib import assert_bitwise_equal

import stowflow as tf

pytestmark = pytest.mark.interop

X = np.array([[1.0, -2.0, 3.0], [0.5, 0.25, -4.0], [0.0, 0.0, 0.0]], dtype=np.float32)
W0 = np.arange(6, dtype=np.float32).reshape(3, 2) / 4.0 - 0.5
B0 = np.array([0.1, -0.2], dtype=np.float32)
W_DELTA = 0.75  # added after initialization, so a restore that re-runs initializers is wrong
GLOBAL_STEP = 7


def enc(value: Any) -> dict[str, Any]:
    arr = np.asarray(value)
    return {
        "dtype": str(arr.dtype),
        "shape": list(arr.shape),
        "b64": base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii"),
    }


def dec(spec: dict[str, Any]) -> np.ndarray:
    raw = base64.b64decode(spec["b64"])
    return np.frombuffer(raw, dtype=np.dtype(spec["dtype"])).reshape(spec["shape"]).copy()


# The model source is shared verbatim by both sides (``tf`` is stowflow or TF's compat.v1).
MODEL_SRC = """
def build_model(tf, W0, B0):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    W = tf.get_variable("W", [3, 2], initializer=tf.constant_initializer(W0))
    b = tf.Variable(B0, name="b")
    y = tf.nn.relu(tf.matmul(x, W) + b, name="y")
    xi = tf.placeholder(tf.int32, name="xi")
    yi = tf.placeholder(tf.int32, name="yi")
    bi = tf.Variable(1, name="bi")
    op = tf.add(tf.multiply(xi, yi), bi, name="op_to_store")
    step = tf.Variable(0, name="global_step", trainable=False)
    bump = tf.group(W.assign_add(tf.fill([3, 2], W_DELTA)), bi.assign(5), step.assign(GS))
    return x, y, xi, yi, op, bump


def build_sharded(tf):
    with tf.device("/cpu:0"):
        s0 = tf.Variable([1.5, 2.5, 3.5], name="s0")
    with tf.device("/cpu:1"):
        s1 = tf.Variable([[1, 2], [3, 4]], name="s1")
    out = tf.add(tf.reduce_sum(s0), tf.cast(tf.reduce_sum(s1), tf.float32), name="total")
    bump = tf.group(s0.assign([9.0, 8.0, 7.0]), s1.assign([[5, 6], [7, 8]]))
    return out, bump
"""

# TF side: restores/imports stowflow's files; writes its own. Prints the report marker line.
TF_SCRIPT = r"""
import base64, json, os, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
from stowflow_model_src import *  # noqa (replaced below)
"""

TF_BODY = r"""
def enc(value):
    arr = np.asarray(value)
    return {"dtype": str(arr.dtype), "shape": list(arr.shape),
            "b64": base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")}

def dec(spec):
    raw = base64.b64decode(spec["b64"])
    return np.frombuffer(raw, dtype=np.dtype(spec["dtype"])).reshape(spec["shape"]).copy()

P = json.load(sys.stdin)
X = dec(P["X"]); W0 = dec(P["W0"]); B0 = dec(P["B0"])
R = {}
CPU2 = tf.ConfigProto(device_count={"CPU": 2})

# (a) stowflow's .meta + checkpoint -> TF
with tf.Graph().as_default() as g:
    ckpt = tf.train.latest_checkpoint(P["sf_ckpt_dir"])
    R["a_latest"] = ckpt
    saver = tf.train.import_meta_graph(ckpt + ".meta")
    with tf.Session() as s:
        saver.restore(s, ckpt)
        R["a_y"] = enc(s.run("y:0", {"x:0": X}))
        R["a_op"] = enc(s.run("op_to_store:0", {"xi:0": 2, "yi:0": 3}))
        R["a_step"] = enc(s.run("global_step:0"))
    R["a_trainable"] = [v.name for v in tf.trainable_variables()]
    R["a_global"] = [v.name for v in tf.global_variables()]

# (b) TF builds and saves the same model (different values)
with tf.Graph().as_default():
    x, y, xi, yi, op, bump = build_model(tf, W0 * 2, B0 * 3)
    saver = tf.train.Saver()
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        s.run(bump)
        R["b_y"] = enc(s.run(y, {x: X}))
        R["b_op"] = enc(s.run(op, {xi: 2, yi: 3}))
        R["b_path"] = saver.save(s, os.path.join(P["tf_ckpt_dir"], "model.ckpt"), global_step=GS)
        # (c) TF freezes it
        frozen = tf.graph_util.convert_variables_to_constants(
            s, s.graph.as_graph_def(), ["y", "op_to_store"])
        with open(P["tf_pb"], "wb") as f:
            f.write(frozen.SerializeToString())
    R["b_trainable"] = [v.name for v in tf.trainable_variables()]
    R["b_global"] = [v.name for v in tf.global_variables()]

# (c) stowflow's frozen .pb -> TF
with tf.Graph().as_default():
    gd = tf.GraphDef()
    with open(P["sf_pb"], "rb") as f:
        gd.ParseFromString(f.read())
    R["c_ops"] = sorted({n.op for n in gd.node})
    y, op = tf.import_graph_def(gd, return_elements=["y:0", "op_to_store:0"])
    with tf.Session() as s:
        R["c_y"] = enc(s.run(y, {"import/x:0": X}))
        R["c_op"] = enc(s.run(op, {"import/xi:0": 2, "import/yi:0": 3}))

# (d) stowflow's sharded checkpoint -> TF; then TF's own sharded save
with tf.Graph().as_default():
    saver = tf.train.import_meta_graph(P["sf_sharded"] + ".meta")
    with tf.Session(config=CPU2) as s:
        saver.restore(s, P["sf_sharded"])
        R["d_total"] = enc(s.run("total:0"))
        R["d_vals"] = [enc(s.run("s0:0")), enc(s.run("s1:0"))]
with tf.Graph().as_default():
    out, bump = build_sharded(tf)
    saver = tf.train.Saver(sharded=True)
    with tf.Session(config=CPU2) as s:
        s.run(tf.global_variables_initializer())
        s.run(bump)
        R["d_tf_total"] = enc(s.run(out))
        R["d_tf_path"] = saver.save(s, P["tf_sharded"])

# (e) stowflow's many-op GraphDef -> TF
with tf.Graph().as_default():
    gd = tf.GraphDef()
    with open(P["ops_pb"], "rb") as f:
        gd.ParseFromString(f.read())
    tf.import_graph_def(gd, name="")
    g = tf.get_default_graph()
    feeds = {k: dec(v) for k, v in P["ops_feeds"].items()}
    names = P["ops_fetches"]
    with tf.Session() as s:
        vals = s.run(names, feeds)
    R["e"] = {n: enc(v) for n, v in zip(names, vals)}
    R["e_types"] = sorted({op.type for op in g.get_operations()})

print("@@STOWFLOW-REPORT@@" + json.dumps(R))
"""


def _model_namespace() -> dict[str, Any]:
    ns: dict[str, Any] = {"W_DELTA": W_DELTA, "GS": GLOBAL_STEP}
    exec(MODEL_SRC, ns)  # noqa: S102 - our own constant source text
    return ns


def _tf_script() -> str:
    head = TF_SCRIPT.replace(
        "from stowflow_model_src import *  # noqa (replaced below)",
        f"W_DELTA = {W_DELTA!r}\nGS = {GLOBAL_STEP!r}\n" + MODEL_SRC,
    )
    return head + TF_BODY


# ---------------------------------------------------------------- the stowflow-side many-op graph


def _many_ops_graph() -> tuple[tf.Graph, dict[str, np.ndarray], list[str]]:
    """A graph of many op types; returns it, its feeds (by name) and the fetch names."""
    g = tf.Graph()
    rng = np.random.default_rng(7)
    fa = rng.standard_normal((4, 6)).astype(np.float32)
    fb = (rng.standard_normal((4, 6)) + 3.0).astype(np.float32)
    ia = rng.integers(-9, 10, (4, 6)).astype(np.int32)
    ib = rng.integers(1, 5, (4, 6)).astype(np.int32)
    feeds = {"fa:0": fa, "fb:0": fb, "ia:0": ia, "ib:0": ib, "d64:0": fa.astype(np.float64)}
    fetch: list[tf.Tensor] = []
    with g.as_default():
        a = tf.placeholder(tf.float32, [None, 6], name="fa")
        b = tf.placeholder(tf.float32, [4, 6], name="fb")
        i = tf.placeholder(tf.int32, [4, 6], name="ia")
        j = tf.placeholder(tf.int32, [4, 6], name="ib")
        d = tf.placeholder(tf.float64, [4, 6], name="d64")
        pos = tf.abs(a) + 0.5
        fetch += [
            a + b,
            a - b,
            a * b,
            a / b,
            tf.realdiv(a, b),
            tf.floordiv(a, b),
            tf.floormod(a, b),
            tf.pow(pos, 1.5),
            tf.maximum(a, b),
            tf.minimum(a, b),
            tf.negative(a),
            tf.abs(a),
            tf.square(a),
            tf.sqrt(pos),
            tf.rsqrt(pos),
            tf.exp(a),
            tf.log(pos),
            tf.floor(a),
            tf.sigmoid(a),
            tf.tanh(a),
            tf.nn.relu(a),
            tf.nn.relu6(a * 4.0),
            tf.nn.elu(a),
            tf.nn.softmax(a),
            tf.nn.log_softmax(a),
            tf.nn.bias_add(a, tf.range(6.0)),
            tf.add_n([a, b, a]),
            tf.matmul(a, b, transpose_b=True),
            tf.matmul(d, d, transpose_a=True),
            i + j,
            i - j,
            i * j,
            tf.floordiv(i, j),
            tf.floormod(i, j),
            tf.div(i, j),
            tf.maximum(i, j),
            tf.abs(i),
            tf.negative(i),
            tf.square(i),
            tf.reduce_sum(a),
            tf.reduce_sum(a, axis=1),
            tf.reduce_mean(a, axis=0, keepdims=True),
            tf.reduce_max(i, axis=[0, 1]),
            tf.reduce_min(a, axis=-1),
            tf.reduce_prod(j, axis=0),
            tf.reduce_sum(i, axis=1),
            tf.reduce_mean(i),
            tf.argmax(a, axis=1),
            tf.argmin(i, axis=0, output_type=tf.int32),
            tf.reshape(a, [-1, 3]),
            tf.reshape(i, [2, 2, 6]),
            tf.concat([a, b], axis=0),
            tf.concat([i, j], axis=-1),
            tf.stack([a, b], axis=1),
            tf.transpose(a),
            tf.transpose(tf.reshape(i, [2, 3, 4]), [2, 0, 1]),
            a[1:, ::2],
            i[::-1, 1:5:2],
            a[:, 2],
            i[1, ...],
            tf.expand_dims(i, 1),
            tf.squeeze(tf.expand_dims(a, 0)),
            tf.slice(i, [1, 1], [2, 3]),
            tf.gather(a, [3, 0, 0]),
            tf.gather(i, [5, 1], axis=1),
            tf.tile(j, [2, 1]),
            tf.range(2, 20, 3),
            tf.range(0.0, 1.0, 0.25),
            tf.cast(a, tf.int32),
            tf.cast(i, tf.float64),
            tf.cast(a > 0, tf.int64),
            tf.equal(i, j),
            tf.not_equal(i, j),
            tf.less(a, b),
            tf.less_equal(i, j),
            tf.greater(a, 0.0),
            tf.greater_equal(i, 0),
            tf.logical_and(a > 0, i > 0),
            tf.logical_or(a > 0, i > 0),
            tf.logical_not(a > 0),
            tf.where(a > 0, a, b),
            tf.where(i > 0, i, -j),
            tf.fill([2, 3], 9),
            tf.zeros_like(a),
            tf.ones_like(i),
            tf.zeros([2, 2], tf.int64),
            tf.ones([3], tf.float64),
            tf.shape(a),
            tf.size(i),
            tf.rank(a),
            tf.identity(d),
            tf.stop_gradient(d * 2.0),
            d / 3.0,
        ]
        fetch += list(tf.unstack(i, axis=1))[:2]
    names = [t.name for t in fetch]
    return g, feeds, names


# ---------------------------------------------------------------- the one TF run


@pytest.fixture(scope="module")
def interop(tmp_path_factory: pytest.TempPathFactory, tf_script_runner: Any) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("graph_interop")
    ns = _model_namespace()
    sf: dict[str, Any] = {}
    paths = {
        "sf_ckpt_dir": str(root / "sf_ckpt"),
        "tf_ckpt_dir": str(root / "tf_ckpt"),
        "sf_pb": str(root / "sf_frozen.pb"),
        "tf_pb": str(root / "tf_frozen.pb"),
        "sf_sharded": str(root / "sf_sharded" / "sharded.ckpt"),
        "tf_sharded": str(root / "tf_sharded" / "sharded.ckpt"),
        "ops_pb": str(root / "many_ops.pb"),
    }
    os.makedirs(paths["tf_ckpt_dir"])
    os.makedirs(os.path.dirname(paths["tf_sharded"]))

    # (a) + (c): the model, saved with a global step, then frozen.
    with tf.Graph().as_default():
        x, y, xi, yi, op, bump = ns["build_model"](tf, W0, B0)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(bump)
            sf["y"] = sess.run(y, {x: X})
            sf["op"] = sess.run(op, {xi: 2, yi: 3})
            sf["save_path"] = saver.save(
                sess, os.path.join(paths["sf_ckpt_dir"], "model.ckpt"), global_step=GLOBAL_STEP
            )
            frozen = tf.graph_util.convert_variables_to_constants(
                sess, sess.graph.as_graph_def(), ["y", "op_to_store"]
            )
            Path(paths["sf_pb"]).write_bytes(frozen.SerializeToString())
            sf["frozen_ops"] = sorted({n.op for n in frozen.node})

    # (d): sharded over two devices.
    with tf.Graph().as_default():
        out, bump = ns["build_sharded"](tf)
        saver = tf.train.Saver(sharded=True)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(bump)
            sf["sharded_total"] = sess.run(out)
            sf["sharded_path"] = saver.save(sess, paths["sf_sharded"])

    # (e): many op types.
    g, feeds, names = _many_ops_graph()
    with tf.Session(graph=g) as sess:
        values = sess.run(names, {g.get_tensor_by_name(k): v for k, v in feeds.items()})
    sf["ops"] = dict(zip(names, values, strict=True))
    sf["ops_types"] = sorted({op.type for op in g.get_operations()})
    Path(paths["ops_pb"]).write_bytes(g.as_graph_def().SerializeToString())

    payload = {
        **paths,
        "X": enc(X),
        "W0": enc(W0),
        "B0": enc(B0),
        "ops_feeds": {k: enc(v) for k, v in feeds.items()},
        "ops_fetches": names,
    }
    report = tf_script_runner(_tf_script(), payload)
    return {"sf": sf, "tf": report, "paths": paths, "ns": ns}


def _expected_y(w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum(X @ w + b, 0).astype(np.float32)


# ---------------------------------------------------------------- (a) stowflow -> TF


def test_stowflow_model_runs_as_expected(interop: dict[str, Any]) -> None:
    sf = interop["sf"]
    np.testing.assert_allclose(sf["y"], _expected_y(W0 + W_DELTA, B0), rtol=1e-6)
    assert sf["op"].dtype == np.int32 and int(sf["op"]) == 2 * 3 + 5
    assert sf["save_path"].endswith(f"model.ckpt-{GLOBAL_STEP}")


def test_tf_restores_stowflow_meta_and_checkpoint(interop: dict[str, Any]) -> None:
    sf, rep = interop["sf"], interop["tf"]
    assert rep["a_latest"] == sf["save_path"]
    assert_bitwise_equal(dec(rep["a_y"]), sf["y"], "y")
    assert_bitwise_equal(dec(rep["a_op"]), sf["op"], "op_to_store")
    assert_bitwise_equal(dec(rep["a_step"]), np.int32(GLOBAL_STEP), "global_step")
    assert rep["a_trainable"] == ["W:0", "b:0", "bi:0"]
    assert rep["a_global"] == ["W:0", "b:0", "bi:0", "global_step:0"]


# ---------------------------------------------------------------- (b) TF -> stowflow


def test_stowflow_restores_tf_meta_and_checkpoint(interop: dict[str, Any]) -> None:
    rep, paths = interop["tf"], interop["paths"]
    ckpt = tf.train.latest_checkpoint(paths["tf_ckpt_dir"])
    assert ckpt == rep["b_path"]
    assert ckpt.endswith(f"model.ckpt-{GLOBAL_STEP}")
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(ckpt + ".meta")
        assert [v.name for v in tf.trainable_variables()] == rep["b_trainable"]
        assert [v.name for v in tf.global_variables()] == rep["b_global"]
        with tf.Session() as sess:
            saver.restore(sess, ckpt)
            y = sess.run("y:0", {"x:0": X})
            op = sess.run("op_to_store:0", {"xi:0": 2, "yi:0": 3})
            step = sess.run("global_step:0")
    assert_bitwise_equal(y, dec(rep["b_y"]), "y")
    np.testing.assert_allclose(y, _expected_y(W0 * 2 + W_DELTA, B0 * 3), rtol=1e-6)
    assert_bitwise_equal(op, dec(rep["b_op"]), "op_to_store")
    assert_bitwise_equal(step, np.int32(GLOBAL_STEP), "global_step")


def test_stowflow_restores_tf_checkpoint_into_its_own_graph(interop: dict[str, Any]) -> None:
    """The same model built by stowflow (not imported) restores TF's checkpoint by name."""
    rep, paths = interop["tf"], interop["paths"]
    with tf.Graph().as_default():
        x, y, xi, yi, op, _ = interop["ns"]["build_model"](tf, W0, B0)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            saver.restore(sess, tf.train.latest_checkpoint(paths["tf_ckpt_dir"]))
            assert_bitwise_equal(sess.run(y, {x: X}), dec(rep["b_y"]), "y")
            assert_bitwise_equal(sess.run(op, {xi: 2, yi: 3}), dec(rep["b_op"]), "op")


# ---------------------------------------------------------------- (c) frozen graphs


def test_tf_runs_stowflow_frozen_graph(interop: dict[str, Any]) -> None:
    sf, rep = interop["sf"], interop["tf"]
    assert "VariableV2" not in rep["c_ops"] and "Assign" not in rep["c_ops"]
    assert rep["c_ops"] == sf["frozen_ops"]
    assert_bitwise_equal(dec(rep["c_y"]), sf["y"], "y")
    assert_bitwise_equal(dec(rep["c_op"]), sf["op"], "op_to_store")


def test_stowflow_runs_tf_frozen_graph(interop: dict[str, Any]) -> None:
    rep, paths = interop["tf"], interop["paths"]
    gd = tf.GraphDef()
    gd.ParseFromString(Path(paths["tf_pb"]).read_bytes())
    assert not {n.op for n in gd.node} & {"VariableV2", "Assign", "VarHandleOp"}
    with tf.Graph().as_default():
        y, op = tf.import_graph_def(gd, return_elements=["y:0", "op_to_store:0"])
        assert y.name == "import/y:0"
        with tf.Session() as sess:
            got_y = sess.run(y, {"import/x:0": X})
            got_op = sess.run(op, {"import/xi:0": 2, "import/yi:0": 3})
    assert_bitwise_equal(got_y, dec(rep["b_y"]), "y")
    assert_bitwise_equal(got_op, dec(rep["b_op"]), "op_to_store")


# ---------------------------------------------------------------- (d) sharded


def test_stowflow_sharded_files(interop: dict[str, Any]) -> None:
    prefix = interop["sf"]["sharded_path"]
    assert prefix == interop["paths"]["sf_sharded"]
    names = sorted(os.listdir(os.path.dirname(prefix)))
    assert "sharded.ckpt.data-00000-of-00002" in names
    assert "sharded.ckpt.data-00001-of-00002" in names
    assert "sharded.ckpt.index" in names
    assert not [n for n in names if "_temp" in n], names


def test_tf_restores_stowflow_sharded(interop: dict[str, Any]) -> None:
    sf, rep = interop["sf"], interop["tf"]
    assert_bitwise_equal(dec(rep["d_total"]), sf["sharded_total"], "total")
    assert_bitwise_equal(dec(rep["d_vals"][0]), np.array([9.0, 8.0, 7.0], np.float32), "s0")
    assert_bitwise_equal(dec(rep["d_vals"][1]), np.array([[5, 6], [7, 8]], np.int32), "s1")


def test_stowflow_restores_tf_sharded(interop: dict[str, Any]) -> None:
    rep = interop["tf"]
    prefix = rep["d_tf_path"]
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(prefix + ".meta")
        assert saver.saver_def.sharded
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            total = sess.run("total:0")
            s0, s1 = sess.run(["s0:0", "s1:0"])
    assert_bitwise_equal(total, dec(rep["d_tf_total"]), "total")
    assert_bitwise_equal(s0, np.array([9.0, 8.0, 7.0], np.float32), "s0")
    assert_bitwise_equal(s1, np.array([[5, 6], [7, 8]], np.int32), "s1")
    # and into a graph stowflow builds itself, with a sharded Saver of its own
    with tf.Graph().as_default():
        out, _ = interop["ns"]["build_sharded"](tf)
        saver = tf.train.Saver(sharded=True)
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            assert_bitwise_equal(sess.run(out), dec(rep["d_tf_total"]), "total")


# ---------------------------------------------------------------- (e) many op types


def test_many_op_types_covered(interop: dict[str, Any]) -> None:
    types = set(interop["sf"]["ops_types"])
    wanted = {
        "AddV2",
        "Sub",
        "Mul",
        "RealDiv",
        "FloorDiv",
        "FloorMod",
        "Pow",
        "Maximum",
        "Minimum",
        "Neg",
        "Abs",
        "Square",
        "Sqrt",
        "Rsqrt",
        "Exp",
        "Log",
        "Floor",
        "Sigmoid",
        "Tanh",
        "Relu",
        "Relu6",
        "Elu",
        "Softmax",
        "LogSoftmax",
        "BiasAdd",
        "AddN",
        "MatMul",
        "Sum",
        "Mean",
        "Max",
        "Min",
        "Prod",
        "ArgMax",
        "ArgMin",
        "Reshape",
        "ConcatV2",
        "Pack",
        "Unpack",
        "Transpose",
        "StridedSlice",
        "ExpandDims",
        "Squeeze",
        "Slice",
        "GatherV2",
        "Tile",
        "Range",
        "Cast",
        "Equal",
        "NotEqual",
        "Less",
        "LessEqual",
        "Greater",
        "GreaterEqual",
        "LogicalAnd",
        "LogicalOr",
        "LogicalNot",
        "Fill",
        "ZerosLike",
        "OnesLike",
        "Shape",
        "Size",
        "Rank",
        "Identity",
        "StopGradient",
        "Placeholder",
        "Const",
    }
    assert wanted <= types, sorted(wanted - types)
    assert {"Select", "SelectV2"} & types
    assert set(interop["tf"]["e_types"]) == types


def test_tf_runs_stowflow_graphdef_of_many_ops(interop: dict[str, Any]) -> None:
    """Every fetch: same dtype and shape; equal values (floats within an ulp or two)."""
    problems = []
    for name, ours in interop["sf"]["ops"].items():
        ours = np.asarray(ours)
        theirs = dec(interop["tf"]["e"][name])
        if (ours.dtype, ours.shape) != (theirs.dtype, theirs.shape):
            problems.append(
                f"{name}: ours {ours.dtype}{ours.shape} TF {theirs.dtype}{theirs.shape}"
            )
            continue
        if ours.dtype.kind == "f":
            # Eigen's transcendental functions differ from NumPy's by an ulp or two.
            tol = 1e-5 if ours.dtype == np.float32 else 1e-12
            if not np.allclose(ours, theirs, rtol=tol, atol=tol / 10, equal_nan=True):
                problems.append(f"{name}: ours {ours.tolist()} TF {theirs.tolist()}")
        elif not np.array_equal(ours, theirs):
            problems.append(f"{name}: ours {ours.tolist()} TF {theirs.tolist()}")
    assert not problems, "\n".join(problems)
