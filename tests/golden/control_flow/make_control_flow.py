"""Makes control_flow_goldens.json: TF1 graphs with control flow, their feeds and TF's outputs.

NEEDS TENSORFLOW 2.21. Run from the repository root with the oracle venv:

    $(scripts/tf_venv) tests/golden/control_flow/make_control_flow.py

Each case builds a graph in TF1 graph mode, either with v1 control flow (Switch, Merge,
Enter, Exit, NextIteration, TensorArrayV3: ``tf.compat.v1.disable_control_flow_v2()``) or
with v2 control flow (While/If/Case with bodies in the function library, TensorList ops),
runs the fetches in a ``tf.compat.v1.Session`` and records the GraphDef (base64), feeds and
outputs. Arrays are {"dtype", "shape", "data"} with base64 little-endian bytes.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.python.ops import control_flow_util

tf1 = tf.compat.v1
tf1.disable_eager_execution()
HERE = os.path.dirname(os.path.abspath(__file__))


def encode(value: Any) -> dict[str, Any]:
    array = np.asarray(value)
    if array.dtype == object:
        items = [base64.b64encode(v).decode() for v in array.reshape(-1)]
        return {"dtype": "string", "shape": list(array.shape), "strings": items}
    little = array.astype(array.dtype.newbyteorder("<"))
    return {
        "dtype": array.dtype.name,
        "shape": list(array.shape),
        "data": base64.b64encode(little.tobytes()).decode(),
    }


def v1_while_sum(x: Any) -> list[Any]:
    i0 = tf.constant(0)
    _, total = tf1.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + x * tf.cast(i, tf.float32)), [i0, tf.zeros_like(x)])
    return [total]


def v1_nested_while(x: Any) -> list[Any]:
    def outer_body(i: Any, acc: Any) -> Any:
        _, inner = tf1.while_loop(lambda j, a: j < i, lambda j, a: (j + 1, a + x), [tf.constant(0), acc])
        return i + 1, inner

    return [tf1.while_loop(lambda i, a: i < 4, outer_body, [tf.constant(0), tf.zeros_like(x)])[1]]


def v1_cond(x: Any) -> list[Any]:
    pred = tf.reduce_sum(x) > 0
    return [tf1.cond(pred, lambda: x * 2.0, lambda: x - 1.0), tf1.cond(tf.logical_not(pred), lambda: tf.exp(x), lambda: tf.square(x))]


def v1_while_in_untaken_cond(x: Any) -> list[Any]:
    def looped() -> Any:
        return tf1.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2.0), [tf.constant(0), x])[1]

    return [tf1.cond(tf.reduce_sum(x) > 1e9, looped, lambda: x + 100.0)]


def v1_cond_in_while(x: Any) -> list[Any]:
    def body(i: Any, a: Any) -> Any:
        return i + 1, tf1.cond(tf.equal(i % 2, 0), lambda: a + x, lambda: a * 2.0)

    return [tf1.while_loop(lambda i, a: i < 6, body, [tf.constant(0), tf.zeros_like(x)])[1]]


def v1_tensor_array(x: Any) -> list[Any]:
    n = tf.shape(x)[0]
    ta = tf1.TensorArray(tf.float32, size=n, clear_after_read=False)

    def body(i: Any, t: Any) -> Any:
        return i + 1, t.write(i, x[i] * tf.cast(i + 1, tf.float32))

    _, ta = tf1.while_loop(lambda i, t: i < n, body, [tf.constant(0), ta])
    return [ta.stack(), ta.read(1), ta.size()]


def v1_scan(x: Any) -> list[Any]:
    return [tf1.scan(lambda a, e: a + e, x), tf1.foldl(lambda a, e: a * e, x + 1.0)]


def v1_while_variable(x: Any) -> list[Any]:
    tf1.get_variable("acc", initializer=tf.zeros([3]), use_resource=False)
    loop = tf1.while_loop(lambda i: i < 3, lambda i: tf.identity(i + 1), [tf.constant(0)])
    with tf.control_dependencies([loop]):
        out = tf.identity(x)
    return [out, loop]


def v2_while(x: Any) -> list[Any]:
    _, total = tf1.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + x * tf.cast(i, tf.float32)), [tf.constant(0), tf.zeros_like(x)])
    return [total]


def v2_cond_case(x: Any) -> list[Any]:
    pred = tf.reduce_sum(x) > 0
    c = tf1.cond(pred, lambda: x * 2.0, lambda: x - 1.0)
    idx = tf.cast(tf.reduce_sum(tf.abs(x)), tf.int32) % 4
    k = tf.switch_case(idx, [lambda: x + 1.0, lambda: x + 2.0, lambda: x * 3.0])
    return [c, k]


def v2_nested(x: Any) -> list[Any]:
    def outer_body(i: Any, acc: Any) -> Any:
        inner = tf1.while_loop(lambda j, a: j < i, lambda j, a: (j + 1, tf1.cond(a[0] > 3.0, lambda: a - 1.0, lambda: a + x)), [tf.constant(0), acc])[1]
        return i + 1, inner

    return [tf1.while_loop(lambda i, a: i < 4, outer_body, [tf.constant(0), tf.zeros_like(x)])[1]]


def v2_tensor_list(x: Any) -> list[Any]:
    n = tf.shape(x)[0]
    ta = tf.TensorArray(tf.float32, size=n, element_shape=x.shape[1:])

    def body(i: Any, t: Any) -> Any:
        return i + 1, t.write(i, x[i] * tf.cast(i + 1, tf.float32))

    _, ta = tf1.while_loop(lambda i, t: i < n, body, [tf.constant(0), ta])
    unstacked = tf.TensorArray(tf.float32, size=n).unstack(x)
    dyn = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    dyn = dyn.write(0, x[0]).write(1, x[1] * 2.0)
    return [ta.stack(), unstacked.read(2), dyn.stack(), ta.size()]


def v2_captured_variable(x: Any) -> list[Any]:
    v = tf1.get_variable("w", initializer=tf.constant([1.0, 2.0, 3.0]), use_resource=True)
    _, out = tf1.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a + v.read_value() * x[0]), [tf.constant(0), tf.zeros([3])])
    return [out]


def v1_ref_switch(x: Any) -> list[Any]:
    v = tf1.get_variable("r", initializer=tf.constant([1.0, 2.0, 3.0]), use_resource=False)
    pred = tf.reduce_sum(x) > 0
    out = tf1.cond(pred, lambda: tf1.assign_add(v, x), lambda: tf.identity(v))
    return [out]


def v1_tensor_array_concat(x: Any) -> list[Any]:
    ta = tf1.TensorArray(tf.float32, size=2, infer_shape=False)
    ta = ta.write(0, x).write(1, x[:1] * 2.0)
    value = ta.concat()
    return [value]


def v2_stateful_if_case(x: Any) -> list[Any]:
    v = tf1.get_variable("s", initializer=tf.constant([10.0, 20.0]), use_resource=True)
    pred = tf.reduce_sum(x) > 0
    c = tf1.cond(pred, lambda: x + v.read_value(), lambda: x - v.read_value())
    idx = tf.cast(tf.reduce_sum(tf.abs(x)), tf.int32) % 3
    k = tf.switch_case(idx, [lambda: x * v.read_value(), lambda: x + 1.0, lambda: v.read_value()])
    return [c, k]


def v2_list_ops(x: Any) -> list[Any]:
    empty = tf.raw_ops.EmptyTensorList(
        element_shape=tf.constant([2], tf.int32), max_num_elements=-1, element_dtype=tf.float32
    )
    pushed = tf.raw_ops.TensorListPushBack(input_handle=empty, tensor=x)
    pushed = tf.raw_ops.TensorListPushBack(input_handle=pushed, tensor=x * 3.0)
    length = tf.raw_ops.TensorListLength(input_handle=pushed)
    shape = tf.raw_ops.TensorListElementShape(input_handle=pushed, shape_type=tf.int32)
    rest, last = tf.raw_ops.TensorListPopBack(
        input_handle=pushed, element_shape=tf.constant([2], tf.int32), element_dtype=tf.float32
    )
    rest_len = tf.raw_ops.TensorListLength(input_handle=rest)
    return [length, shape, last, rest_len]


CASES: list[tuple[str, bool, Callable[[Any], list[Any]], np.ndarray]] = [
    ("v1_ref_switch_true", False, v1_ref_switch, np.array([1.0, 1.0, 1.0], np.float32)),
    ("v1_ref_switch_false", False, v1_ref_switch, np.array([-1.0, -1.0, -1.0], np.float32)),
    ("v1_tensor_array_concat", False, v1_tensor_array_concat, np.arange(6, dtype=np.float32).reshape(3, 2)),
    ("v2_stateful_if_case_a", True, v2_stateful_if_case, np.array([1.0, 2.0], np.float32)),
    ("v2_stateful_if_case_b", True, v2_stateful_if_case, np.array([-1.0, -3.0], np.float32)),
    ("v2_list_ops", True, v2_list_ops, np.array([1.5, -2.0], np.float32)),
    ("v1_while_sum", False, v1_while_sum, np.array([1.0, -2.0, 0.5], np.float32)),
    ("v1_nested_while", False, v1_nested_while, np.array([1.0, 2.0, 3.0], np.float32)),
    ("v1_cond_true", False, v1_cond, np.array([1.0, 2.0, 3.0], np.float32)),
    ("v1_cond_false", False, v1_cond, np.array([-1.0, -2.0, 0.5], np.float32)),
    ("v1_while_in_untaken_cond", False, v1_while_in_untaken_cond, np.array([1.0, 2.0], np.float32)),
    ("v1_cond_in_while", False, v1_cond_in_while, np.array([1.0, 2.0], np.float32)),
    ("v1_tensor_array", False, v1_tensor_array, np.arange(12, dtype=np.float32).reshape(4, 3)),
    ("v1_scan", False, v1_scan, np.arange(1, 6, dtype=np.float32)),
    ("v1_while_variable", False, v1_while_variable, np.array([1.0, 2.0, 3.0], np.float32)),
    ("v2_while", True, v2_while, np.array([1.0, -2.0, 0.5], np.float32)),
    ("v2_cond_case_a", True, v2_cond_case, np.array([1.0, 2.0, 3.0], np.float32)),
    ("v2_cond_case_b", True, v2_cond_case, np.array([-1.0, -2.0, 0.5], np.float32)),
    ("v2_cond_case_default", True, v2_cond_case, np.array([1.0, 1.0, 1.0], np.float32)),
    ("v2_nested", True, v2_nested, np.array([1.0, 2.0], np.float32)),
    ("v2_tensor_list", True, v2_tensor_list, np.arange(12, dtype=np.float32).reshape(4, 3)),
    ("v2_captured_variable", True, v2_captured_variable, np.array([2.0, 0.0], np.float32)),
]


def main() -> None:
    out = []
    for name, v2, build, x_value in CASES:
        if v2:
            tf1.enable_control_flow_v2()
        else:
            tf1.disable_control_flow_v2()
        graph = tf.Graph()
        with graph.as_default():
            x = tf1.placeholder(tf.float32, [None] * x_value.ndim, name="x")
            fetches = build(x)
            init = tf1.global_variables_initializer()
            with tf1.Session() as sess:
                sess.run(init)
                values = sess.run(fetches, {x: x_value})
        names = [f.name for f in fetches]
        is_op = [isinstance(f, tf.Operation) for f in fetches]
        op_types = sorted({n.op for n in graph.as_graph_def().node})
        out.append(
            {
                "name": name,
                "v2": v2 and control_flow_util.ENABLE_CONTROL_FLOW_V2,
                "graph_def": base64.b64encode(graph.as_graph_def().SerializeToString()).decode(),
                "init": init.name,
                "feed": {"x:0": encode(x_value)},
                "fetches": names,
                "outputs": [None if op else encode(v) for v, op in zip(values, is_op)],
                "op_types": op_types,
            }
        )
    with open(os.path.join(HERE, "control_flow_goldens.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {len(out)} cases")


if __name__ == "__main__":
    main()
