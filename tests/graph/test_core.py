"""Graph construction and Session semantics: names, scopes, devices, collections, reprs, fetches.

``FACTS_SRC`` computes a JSON of facts from a ``tf`` module. The unit tests check each fact
against TF 2.21's value (written out here); ``test_facts_same_as_tf`` recomputes them with
the real TensorFlow in one subprocess and compares the whole JSON (skipped without TF).
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import numpy as np
import pytest
from stowflow_testlib import DEV_PYTHON_ENV, ROOT, require_tf_python

import stowflow as tf

FACTS_SRC = r'''
import collections
import numpy as np


def describe(value):
    """A JSON-able structural description of a fetched value."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return ["ndarray", str(value.dtype), list(value.shape), value.tolist()]
    if isinstance(value, np.generic):
        return [type(value).__name__, value.item()]
    if isinstance(value, dict):
        return [type(value).__name__, {k: describe(v) for k, v in value.items()}]
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return [type(value).__name__, list(value._fields), [describe(v) for v in value]]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [describe(v) for v in value]]
    return [type(value).__name__, repr(value)]


def naming(tf):
    out = {}
    with tf.Graph().as_default() as g:
        cs = [tf.constant(1.0, name="c") for _ in range(3)]
        out["unique"] = [c.name for c in cs]
        out["unique_ops"] = [c.op.name for c in cs]
        out["default_names"] = [tf.constant(1).name, tf.constant(2).name,
                                tf.add(cs[0], cs[1]).name, tf.add(cs[0], cs[1]).name]
        with tf.name_scope("a"):
            with tf.name_scope("b"):
                k1 = tf.constant(1, name="k")
            with tf.name_scope("b"):
                k2 = tf.constant(1, name="k")
        with tf.name_scope("a"):
            k3 = tf.constant(1, name="k")
        with tf.name_scope("a/b/"):  # a trailing "/" re-enters the scope exactly
            k4 = tf.constant(1, name="k")
        with tf.name_scope("a") as sc:
            out["scope_str"] = sc
            with tf.name_scope(sc):
                k5 = tf.constant(1, name="k")
        out["scopes"] = [k1.name, k2.name, k3.name, k4.name, k5.name]
        out["name_scope_none"] = None
        with tf.name_scope("z"):
            with tf.name_scope(None):
                out["name_scope_none"] = tf.constant(1, name="top").name
        c_after = tf.constant(1.0, name="c_1")
        out["explicit_suffix_clash"] = c_after.name
        with tf.variable_scope("vs"):
            w = tf.get_variable("w", [2], initializer=tf.zeros_initializer())
            t1 = tf.add(w, 1.0)
        with tf.variable_scope("vs", reuse=True):
            w2 = tf.get_variable("w")
            t2 = tf.add(w2, 1.0)
        with tf.variable_scope("vs"):
            t3 = tf.identity(w)
        out["varscope"] = [w.name, w2.name, w is w2, t1.name, t2.name, t3.name, w.op.name]
        with tf.variable_scope("outer"):
            with tf.variable_scope("inner") as inner:
                z = tf.get_variable("z", shape=[], dtype=tf.int32,
                                    initializer=tf.zeros_initializer())
                out["inner_scope"] = [inner.name, inner.original_name_scope]
        with tf.variable_scope("ar", reuse=tf.AUTO_REUSE):
            a1 = tf.get_variable("x", [1])
        with tf.variable_scope("ar", reuse=tf.AUTO_REUSE):
            a2 = tf.get_variable("x", [1])
        with tf.variable_scope("rv") as scope:
            r1 = tf.get_variable("r", [1])
            scope.reuse_variables()
            r2 = tf.get_variable("r", [1])
        out["nested_var"] = [z.name, a1 is a2, a2.name, r1 is r2, r2.name]
        v = tf.Variable(1.0, name="plain")
        v2 = tf.Variable(1.0, name="plain")
        with tf.name_scope("ns"):
            v3 = tf.Variable(1.0)
        out["variable_names"] = [v.name, v2.name, v3.name, v.initializer.name,
                                 v.value().name, v3.initial_value.name]
        out["ops_in_order"] = [op.name for op in g.get_operations()][:12]
    return out


def structure(tf):
    out = {}
    with tf.Graph().as_default() as g:
        c = tf.constant(1.0, name="c")
        c1 = tf.constant(2.0, name="c")
        with tf.control_dependencies([c.op]):
            d = tf.identity(c1, name="d")
            with tf.control_dependencies([d]):
                e = tf.identity(c1, name="e")
            with tf.control_dependencies(None):
                f = tf.identity(c1, name="f")
        out["ctrl"] = [[o.name for o in t.op.control_inputs] for t in (d, e, f)]
        out["ctrl_nodedef"] = [list(t.op.node_def.input) for t in (d, e, f)]
        with tf.device("/cpu:0"):
            dv = tf.constant(1.0, name="dev")
            with tf.device(None):
                dn = tf.constant(1.0, name="nodev")
        with tf.device("/device:CPU:0"):
            dv2 = tf.constant(1.0, name="dev2")
        with tf.device("/job:worker/task:1/cpu:0"):
            dv3 = tf.constant(1.0, name="dev3")
        with tf.device("/gpu:1"):
            dv4 = tf.constant(1.0, name="dev4")
        with tf.device("/job:ps"):
            with tf.device("/cpu:0"):
                dv5 = tf.constant(1.0, name="dev5")
        out["devices"] = [t.device for t in (dv, dn, dv2, dv3, dv4, dv5)]
        out["device_nodedef"] = [dv.op.node_def.device, dv4.op.node_def.device]
        out["device_graphdef"] = {n.name: n.device for n in g.as_graph_def().node if n.device}
        with tf.device("/cpu:0"):
            dvar = tf.Variable([1.0], name="dvar")
        out["var_device"] = [dvar.device, dvar.op.device, dvar.initializer.device]
        tf.add_to_collection("mine", c)
        tf.add_to_collection("mine", c1)
        tf.add_to_collections(["m1", "m2"], d)
        ref = tf.get_collection_ref("mine")
        copy = tf.get_collection("mine")
        ref.append(e)
        out["coll"] = [t.name for t in tf.get_collection("mine")]
        out["coll_copy_len"] = len(copy)
        out["coll_missing"] = tf.get_collection("nothing")
        with tf.variable_scope("s1"):
            tf.get_variable("p", [1])
        with tf.variable_scope("s2"):
            tf.get_variable("q", [1], trainable=False)
        out["coll_scoped"] = [v.name for v in tf.get_collection("variables", scope="s1")]
        out["coll_keys"] = sorted(g.get_all_collection_keys())
        out["gv"] = [v.name for v in tf.global_variables()]
        out["tv"] = [v.name for v in tf.trainable_variables()]
    return out


def reprs(tf):
    out = {}
    with tf.Graph().as_default():
        c = tf.constant(1.0, name="c")
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        u = tf.placeholder(tf.int64, name="u")
        s = tf.placeholder(tf.string, [2], name="s")
        with tf.device("/cpu:0"):
            dc = tf.constant([1, 2], name="dc")
        v = tf.Variable([1.0, 2.0, 3.0], name="v")
        vi = tf.Variable(3, name="vi")
        gv = tf.get_variable("gv", [2, 2], dtype=tf.float64)
        out["tensor"] = [repr(t) for t in (c, x, u, s, dc)]
        out["tensor_str"] = [str(t) for t in (c, x, u, s, dc)]
        out["shape"] = [str(x.shape), str(u.shape), str(c.shape), str(s.shape),
                        x.shape.as_list(), x.get_shape().ndims]
        out["op_types"] = [c.op.type, x.op.type, v.op.type]
        out["variable"] = [repr(v), repr(vi), repr(gv), str(v.value()), v.dtype.name,
                           str(v.initial_value), v.shape.as_list(), v.name, v.op.name]
        out["dtype"] = [repr(tf.float32), str(tf.int64), repr(v.dtype), v.dtype.base_dtype.name]
    return out


def fetching(tf):
    out = {}
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0, 3.0], name="v")
        vi = tf.Variable(3, name="vi")
        x = tf.placeholder(tf.float32, [None], name="x")
        y = tf.multiply(x, 2.0, name="y")
        unfed = tf.placeholder(tf.float32, [], name="unfed")
        z = unfed + 1.0
        init = tf.global_variables_initializer()
        out["names"] = [init.name, z.name, y.name, y.op.name]
        P = collections.namedtuple("P", ["a", "b"])
        with tf.Session() as sess:
            out["run_op"] = describe(sess.run(init))
            out["run_list_op"] = describe(sess.run([init]))
            r = sess.run(
                [y, (v, init), {"k": vi, "o": [y]}, P(a=y, b=init)], feed_dict={x: [1.0, 2.0]}
            )
            out["struct"] = describe(r)
            out["tuple"] = describe(sess.run((y, vi), {x: [1.0]}))
            out["dict_order"] = list(sess.run({"z": vi, "a": v, "m": y}, {x: [0.0]}))
            out["by_name"] = describe(sess.run("y:0", feed_dict={"x:0": [3.0]}))
            out["by_op_name"] = describe(sess.run("init"))
            out["by_name_dict"] = describe(sess.run({"a": "y:0"}, {"x:0": np.array([1.0])}))
            out["by_variable"] = describe(sess.run(v))
            out["feed_variable"] = describe(sess.run(y, {x: np.array([1, 2], np.int64)}))
            out["feed_intermediate"] = describe(sess.run(y, {y: [9.0]}))
            out["scalar_python"] = describe(sess.run(vi))
            out["eval"] = describe(y.eval(feed_dict={x: [5.0]}))
            out["var_eval"] = describe(v.eval())
            out["op_run"] = describe(v.assign([4.0, 5.0, 6.0]).op.run())
            out["is_default"] = tf.get_default_session() is sess
            other = tf.Session()
            try:
                other.run(v)
                out["per_session"] = "no error"
            except Exception as e:  # noqa: BLE001
                out["per_session"] = type(e).__name__
            other.run(init)
            out["per_session_vals"] = [sess.run(v).tolist(), other.run(v).tolist()]
            with other.as_default():
                out["other_default"] = v.eval().tolist()
            out["back_to_default"] = v.eval().tolist()
            other.close()
            try:
                other.run(v)
            except Exception as e:  # noqa: BLE001
                out["closed"] = [type(e).__name__, str(e)]
        out["default_after"] = tf.get_default_session() is None
    return out


def importing(tf):
    out = {}
    with tf.Graph().as_default() as g3:
        a = tf.placeholder(tf.float32, [2], name="a")
        b = tf.multiply(a, 3.0, name="b")
        tf.add(b, 1.0, name="c")
    gd = g3.as_graph_def()
    with tf.Graph().as_default() as g4:
        newin = tf.constant([1.0, 2.0], name="newin")
        rets = tf.import_graph_def(gd, input_map={"a:0": newin}, return_elements=["c:0", "b"])
        out["rets"] = [rets[0].name, rets[1].name, type(rets[1]).__name__]
        out["again"] = tf.import_graph_def(gd, return_elements=["c:0"])[0].name
        out["no_prefix"] = tf.import_graph_def(gd, return_elements=["c:0"], name="")[0].name
        out["named"] = tf.import_graph_def(gd, return_elements=["c:0"], name="pre")[0].name
        out["none"] = repr(tf.import_graph_def(gd, name="q"))
        with tf.name_scope("outer"):
            out["in_scope"] = tf.import_graph_def(gd, return_elements=["c:0"])[0].name
        out["input_map_consumer"] = [t.name for t in g4.get_operation_by_name("import/b").inputs]
        with tf.Session() as s:
            out["val"] = s.run(rets[0]).tolist()
            out["val_fed"] = s.run("pre/c:0", {"pre/a:0": [0.0, 1.0]}).tolist()
        out["ops"] = [o.name for o in g4.get_operations()]
    return out


def all_facts(tf):
    return {f.__name__: f(tf) for f in (naming, structure, reprs, fetching, importing)}
'''

_NS: dict[str, Any] = {}
exec(FACTS_SRC, _NS)  # noqa: S102 - our own constant source text


@pytest.fixture(scope="module")
def facts() -> dict[str, Any]:
    return json.loads(json.dumps(_NS["all_facts"](tf)))


# ---------------------------------------------------------------- naming


def test_unique_names(facts: dict[str, Any]) -> None:
    n = facts["naming"]
    assert n["unique"] == ["c:0", "c_1:0", "c_2:0"]
    assert n["unique_ops"] == ["c", "c_1", "c_2"]
    assert n["default_names"] == ["Const:0", "Const_1:0", "Add:0", "Add_1:0"]
    assert n["explicit_suffix_clash"] == "c_1_1:0"


def test_name_scopes(facts: dict[str, Any]) -> None:
    n = facts["naming"]
    assert n["scopes"] == ["a/b/k:0", "a/b_1/k:0", "a_1/k:0", "a/b/k_1:0", "a_2/k:0"]
    assert n["scope_str"] == "a_2/"
    assert n["name_scope_none"] == "top:0"


def test_variable_scopes(facts: dict[str, Any]) -> None:
    n = facts["naming"]
    assert n["varscope"] == [
        "vs/w:0",
        "vs/w:0",
        True,
        "vs/Add:0",
        "vs_1/Add:0",
        "vs_2/Identity:0",
        "vs/w",
    ]
    assert n["inner_scope"] == ["outer/inner", "outer/inner/"]
    assert n["nested_var"] == ["outer/inner/z:0", True, "ar/x:0", True, "rv/r:0"]
    assert n["variable_names"] == [
        "plain:0",
        "plain_1:0",
        "ns/Variable:0",
        "plain/Assign",
        "plain/read:0",
        "ns/Variable/initial_value:0",
    ]


# ---------------------------------------------------------------- structure


def test_control_dependencies(facts: dict[str, Any]) -> None:
    s = facts["structure"]
    assert s["ctrl"] == [["c"], ["c", "d"], []]
    assert s["ctrl_nodedef"] == [["c_1", "^c"], ["c_1", "^c", "^d"], ["c_1"]]


def test_devices(facts: dict[str, Any]) -> None:
    s = facts["structure"]
    assert s["devices"] == [
        "/device:CPU:0",
        "",
        "/device:CPU:0",
        "/job:worker/task:1/device:CPU:0",
        "/device:GPU:1",
        "/job:ps/device:CPU:0",
    ]
    assert s["device_nodedef"] == ["/device:CPU:0", "/device:GPU:1"]
    assert s["device_graphdef"]["dev"] == "/device:CPU:0"
    assert "nodev" not in s["device_graphdef"]
    assert s["var_device"] == ["/device:CPU:0"] * 3


def test_collections(facts: dict[str, Any]) -> None:
    s = facts["structure"]
    assert s["coll"] == ["c:0", "c_1:0", "e:0"]
    assert s["coll_copy_len"] == 2
    assert s["coll_missing"] == []
    assert s["coll_scoped"] == ["s1/p:0"]
    assert s["coll_keys"] == ["m1", "m2", "mine", "trainable_variables", "variables"]
    assert s["gv"] == ["dvar:0", "s1/p:0", "s2/q:0"]
    assert s["tv"] == ["dvar:0", "s1/p:0"]


# ---------------------------------------------------------------- reprs


def test_tensor_reprs(facts: dict[str, Any]) -> None:
    r = facts["reprs"]
    assert r["tensor"] == [
        "<tf.Tensor 'c:0' shape=() dtype=float32>",
        "<tf.Tensor 'x:0' shape=(?, 3) dtype=float32>",
        "<tf.Tensor 'u:0' shape=<unknown> dtype=int64>",
        "<tf.Tensor 's:0' shape=(2,) dtype=string>",
        "<tf.Tensor 'dc:0' shape=(2,) dtype=int32>",
    ]
    assert r["tensor_str"] == [
        'Tensor("c:0", shape=(), dtype=float32)',
        'Tensor("x:0", shape=(?, 3), dtype=float32)',
        'Tensor("u:0", dtype=int64)',
        'Tensor("s:0", shape=(2,), dtype=string)',
        'Tensor("dc:0", shape=(2,), dtype=int32, device=/device:CPU:0)',
    ]
    assert r["shape"] == ["(?, 3)", "<unknown>", "()", "(2,)", [None, 3], 2]
    assert r["op_types"] == ["Const", "Placeholder", "VariableV2"]


def test_variable_reprs(facts: dict[str, Any]) -> None:
    r = facts["reprs"]
    assert r["variable"] == [
        "<tf.Variable 'v:0' shape=(3,) dtype=float32_ref>",
        "<tf.Variable 'vi:0' shape=() dtype=int32_ref>",
        "<tf.Variable 'gv:0' shape=(2, 2) dtype=float64_ref>",
        'Tensor("v/read:0", shape=(3,), dtype=float32)',
        "float32_ref",
        'Tensor("v/initial_value:0", shape=(3,), dtype=float32)',
        [3],
        "v:0",
        "v",
    ]
    assert r["dtype"] == ["tf.float32", "<dtype: 'int64'>", "tf.float32_ref", "float32"]


# ---------------------------------------------------------------- fetching


def test_fetch_structures(facts: dict[str, Any]) -> None:
    f = facts["fetching"]
    arr = ["ndarray", "float32", [2], [2.0, 4.0]]
    assert f["names"] == ["init", "add:0", "y:0", "y"]
    assert f["run_op"] is None
    assert f["run_list_op"] == ["list", [None]]
    assert f["struct"] == [
        "list",
        [
            arr,
            ["tuple", [["ndarray", "float32", [3], [1.0, 2.0, 3.0]], None]],
            ["dict", {"k": ["int32", 3], "o": ["list", [arr]]}],
            ["P", ["a", "b"], [arr, None]],
        ],
    ]
    assert f["tuple"] == ["tuple", [["ndarray", "float32", [1], [2.0]], ["int32", 3]]]
    assert f["dict_order"] == ["z", "a", "m"]
    assert f["scalar_python"] == ["int32", 3]


def test_fetch_and_feed_by_name(facts: dict[str, Any]) -> None:
    f = facts["fetching"]
    assert f["by_name"] == ["ndarray", "float32", [1], [6.0]]
    assert f["by_op_name"] is None
    assert f["by_name_dict"] == ["dict", {"a": ["ndarray", "float32", [1], [2.0]]}]
    assert f["feed_variable"] == ["ndarray", "float32", [2], [2.0, 4.0]]
    assert f["feed_intermediate"] == ["ndarray", "float32", [1], [9.0]]


def test_sessions_and_default_session(facts: dict[str, Any]) -> None:
    f = facts["fetching"]
    assert f["eval"] == ["ndarray", "float32", [1], [10.0]]
    assert f["var_eval"] == ["ndarray", "float32", [3], [1.0, 2.0, 3.0]]
    assert f["op_run"] is None
    assert f["is_default"] is True
    assert f["per_session"] == "FailedPreconditionError"
    assert f["per_session_vals"] == [[4.0, 5.0, 6.0], [1.0, 2.0, 3.0]]
    assert f["other_default"] == [1.0, 2.0, 3.0]
    assert f["back_to_default"] == [4.0, 5.0, 6.0]
    assert f["closed"] == ["RuntimeError", "Attempted to use a closed Session."]
    assert f["default_after"] is True


def test_only_the_needed_subgraph_runs() -> None:
    with tf.Graph().as_default():
        unfed = tf.placeholder(tf.float32, [], name="unfed")
        bad = tf.Variable(1.0, name="never_initialized")
        _ = unfed + bad
        ok = tf.constant(2.0) * 3.0
        with tf.Session() as sess:
            assert sess.run(ok) == np.float32(6.0)


def test_ops_run_once_per_step() -> None:
    """A stateful op feeding two fetches runs once in one Session.run."""
    with tf.Graph().as_default():
        v = tf.Variable(0, name="counter")
        inc = v.assign_add(1)
        with tf.Session() as sess:
            sess.run(v.initializer)
            a, b = sess.run([inc, inc])
            assert (int(a), int(b)) == (1, 1)
            assert int(sess.run(v)) == 1


def test_session_graph_and_context_managers() -> None:
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(5)
    assert tf.get_default_graph() is not g
    with tf.Session(graph=g) as sess:
        assert sess.graph is g
        assert int(sess.run(c)) == 5
        assert int(c.eval()) == 5
    sess = tf.InteractiveSession(graph=g)
    try:
        assert tf.get_default_session() is sess
        assert int(c.eval()) == 5
    finally:
        sess.close()
    assert tf.get_default_session() is None


# ---------------------------------------------------------------- import_graph_def


def test_import_graph_def(facts: dict[str, Any]) -> None:
    i = facts["importing"]
    assert i["rets"] == ["import/c:0", "import/b", "Operation"]
    assert i["again"] == "import_1/c:0"
    assert i["no_prefix"] == "c:0"
    assert i["named"] == "pre/c:0"
    assert i["none"] == "None"
    assert i["in_scope"] == "outer/import/c:0"
    assert i["input_map_consumer"] == ["newin:0", "import/b/y:0"]
    assert i["val"] == [4.0, 7.0]
    assert i["val_fed"] == [1.0, 4.0]


def test_import_graph_def_keeps_node_defs() -> None:
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        with tf.device("/cpu:0"):
            y = tf.identity(x * 2.0, name="y")
        with tf.control_dependencies([y]):
            tf.no_op(name="after")
    gd = g.as_graph_def()
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(gd, name="m")
        after = g2.get_operation_by_name("m/after")
        assert [o.name for o in after.control_inputs] == ["m/y"]
        assert g2.get_operation_by_name("m/y").device == "/device:CPU:0"
        assert g2.get_tensor_by_name("m/x:0").shape.as_list() == [None, 2]


# ---------------------------------------------------------------- against TF itself


@pytest.mark.interop
def test_facts_same_as_tf(facts: dict[str, Any]) -> None:
    python = require_tf_python()
    script = (
        "import json\nimport tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n"
        + FACTS_SRC
        + "\nprint('@@REPORT@@' + json.dumps(all_facts(tf)))\n"
    )
    env = {**DEV_PYTHON_ENV, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [str(python), "-c", script],
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
    problems = [
        f"{group}.{key}:\n  TF   {theirs[group].get(key)!r}\n  ours {facts[group].get(key)!r}"
        for group in theirs
        for key in sorted(set(theirs[group]) | set(facts[group]))
        if theirs[group].get(key) != facts[group].get(key)
    ]
    assert not problems, "\n".join(problems)
