"""TF1 programs for the extra ``tf.*`` names (``tests/graph/test_tf1_api_extra.py``).

Each case builds a small graph from an API namespace ``tf`` (TF's ``tf.compat.v1`` or
stowflow's) and returns the tensors to fetch; ``run_case`` records every op (name, type,
inputs), the fetched values, the gradients TF's ``tf.gradients`` gives and the errors
raised. The same code runs under TF 2.21
(``tests/golden/tf1_api_extra/make_tf1_api_extra_goldens.py``) and under stowflow.

Keys a case may return besides its fetches: ``_grad`` (ys, xs) for ``tf.gradients``,
``_runs`` (run the fetches that many times: random streams), ``_init`` (run the variable
initializer first), ``_errors`` ({key: op}, feed) run-time failures and ``_static_errors``
({key: builder}) graph-construction failures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

X = np.array([[0.5, -1.25, 2.0], [-0.3, 0.0, 1.5]], np.float32)
SP_INDICES = np.array([[0, 1], [1, 0], [1, 2], [3, 1]], np.int64)
SP_VALUES = np.array([1.5, -2.0, 3.0, 4.0], np.float32)
SP_SHAPE = np.array([4, 3], np.int64)
LOGITS = np.array([[0.0, 1.0, -1.0, 2.0], [0.2, -np.inf, 0.5, 0.1]], np.float32)

Case = Callable[[Any], dict[str, Any]]
CASES: dict[str, Case] = {}


def case(fn: Case) -> Case:
    CASES[fn.__name__] = fn
    return fn


def _x(tf: Any) -> Any:
    return tf.constant(X, name="x")


def _sp(tf: Any) -> Any:
    return tf.SparseTensor(SP_INDICES, SP_VALUES, SP_SHAPE)


def _unary(fn: Callable[[Any, Any], Any]) -> Case:
    def build(tf: Any) -> dict[str, Any]:
        x = _x(tf)
        y = fn(tf, x)
        return {"y": y, "_grad": (y, [x])}

    return build


for _name, _fn in {
    "log1p": lambda tf, x: tf.log1p(x),
    "math_log1p": lambda tf, x: tf.math.log1p(x, name="lp"),
    "erf": lambda tf, x: tf.erf(x),
    "erfc": lambda tf, x: tf.math.erfc(x),
    "expm1": lambda tf, x: tf.expm1(x),
    "log_sigmoid": lambda tf, x: tf.log_sigmoid(x),
    "softsign": lambda tf, x: tf.nn.softsign(x),
    "crelu": lambda tf, x: tf.nn.crelu(x),
    "reduce_logsumexp": lambda tf, x: tf.reduce_logsumexp(x, axis=1),
    "reduce_logsumexp_all": lambda tf, x: tf.reduce_logsumexp(x, keepdims=True),
    "norm": lambda tf, x: tf.norm(x),
    "norm_axis": lambda tf, x: tf.norm(x, axis=1),
    "matrix_transpose": lambda tf, x: tf.matrix_transpose(x),
    "linalg_transpose": lambda tf, x: tf.linalg.transpose(x),
    "broadcast_to": lambda tf, x: tf.broadcast_to(x, [3, 2, 3]),
    "linalg_matmul": lambda tf, x: tf.linalg.matmul(x, x, transpose_b=True),
}.items():
    CASES[_name] = _unary(_fn)


@case
def count_nonzero(tf: Any) -> dict[str, Any]:
    x = _x(tf)
    return {"all": tf.count_nonzero(x), "axis": tf.count_nonzero(x, axis=1, keepdims=True)}


@case
def sequence_mask(tf: Any) -> dict[str, Any]:
    lengths = tf.constant([1, 3, 0], name="lengths")
    return {
        "fixed": tf.sequence_mask(lengths, 4),
        "dynamic": tf.sequence_mask(lengths, dtype=tf.float32),
    }


@case
def boolean_mask(tf: Any) -> dict[str, Any]:
    x = _x(tf)
    mask = tf.constant([[True, False, True], [False, False, True]], name="mask")
    rows = tf.boolean_mask(x, tf.constant([False, True]), name="rows")
    y = tf.boolean_mask(x, mask)
    return {"y": y, "rows": rows, "_grad": (y, [x])}


@case
def meshgrid(tf: Any) -> dict[str, Any]:
    a = tf.constant([1.0, 2.0, 3.0], name="a")
    b = tf.constant([4.0, 5.0], name="b")
    xx, yy = tf.meshgrid(a, b)
    ii, jj = tf.meshgrid(a, b, indexing="ij")
    return {"xx": xx, "yy": yy, "ii": ii, "jj": jj}


@case
def fill_int64(tf: Any) -> dict[str, Any]:
    dims = tf.constant([2, 3], dtype=tf.int64, name="dims")
    return {"y": tf.fill(dims, 1.5)}


@case
def sparse_to_dense(tf: Any) -> dict[str, Any]:
    sp = _sp(tf)
    return {
        "dense": tf.sparse_tensor_to_dense(sp),
        "dense2": tf.sparse.to_dense(sp, default_value=-1.0, validate_indices=False),
    }


@case
def sparse_reshape(tf: Any) -> dict[str, Any]:
    return {"y": tf.sparse.reshape(_sp(tf), [2, -1])}


@case
def sparse_fill_empty_rows(tf: Any) -> dict[str, Any]:
    filled, empty = tf.sparse.fill_empty_rows(_sp(tf), 9.0)
    return {"filled": filled, "empty": empty}


@case
def sparse_retain(tf: Any) -> dict[str, Any]:
    keep = tf.constant([True, False, True, True], name="keep")
    return {"y": tf.sparse.retain(_sp(tf), keep)}


@case
def sparse_reduce_sum(tf: Any) -> dict[str, Any]:
    sp = _sp(tf)
    return {
        "all": tf.sparse.reduce_sum(sp),
        "axis": tf.sparse.reduce_sum(sp, axis=1),
        "keep": tf.sparse_reduce_sum(sp, axis=0, keepdims=True),
    }


@case
def linalg_diag(tf: Any) -> dict[str, Any]:
    v = tf.constant([[1.0, 2.0], [3.0, 4.0]], name="v")
    y = tf.linalg.diag(v)
    return {"y": y, "part": tf.linalg.diag_part(y), "_grad": (y, [v])}


@case
def linalg_inv(tf: Any) -> dict[str, Any]:
    a = tf.constant([[4.0, 1.0], [2.0, 3.0]], name="a")
    y = tf.linalg.inv(a)
    return {"y": y, "_grad": (y, [a])}


def _is_indexed_slices(value: Any) -> bool:
    return type(value).__name__ == "IndexedSlices"


def _record(value: Any) -> dict[str, Any]:
    if hasattr(value, "dense_shape"):
        return {
            "indices": np.asarray(value.indices).tolist(),
            "values": np.asarray(value.values).tolist(),
            "dense_shape": np.asarray(value.dense_shape).tolist(),
        }
    array = np.asarray(value)
    return {"shape": list(array.shape), "dtype": str(array.dtype), "values": array.tolist()}


def _fetch_name(value: Any) -> Any:
    if hasattr(value, "dense_shape"):
        return [value.indices.name, value.values.name, value.dense_shape.name]
    return value.name


def run_case(tf: Any, name: str) -> dict[str, Any]:
    """Builds case ``name`` in a fresh graph with ``tf``; returns ops, names and values."""
    graph = tf.Graph()
    with graph.as_default():
        fetches = CASES[name](tf)
        grad = fetches.pop("_grad", None)
        repeats = fetches.pop("_runs", 1)
        init = tf.global_variables_initializer() if fetches.pop("_init", False) else None
        run_errors, static_errors = fetches.pop("_errors", None), fetches.pop("_static_errors", {})
        errors = {}
        for key, build in static_errors.items():
            try:
                build()
                errors[key] = ["no error", ""]
            except Exception as e:  # noqa: BLE001 - recording what each library raises
                errors[key] = _error_text(e)
        if grad is not None:
            grads = tf.gradients(grad[0], grad[1])
            for i, g in enumerate(grads):
                if _is_indexed_slices(g):  # fetched part by part (IndexedSlicesValue)
                    parts = ("values", "indices", "dense_shape")
                    fetches.update({f"grad_{i}.{p}": getattr(g, p) for p in parts})
                else:
                    fetches[f"grad_{i}"] = g
        ops = [[op.name, op.type, [t.name for t in op.inputs]] for op in graph.get_operations()]
        with tf.Session(graph=graph) as sess:
            if init is not None:
                sess.run(init)
            values = sess.run(fetches)
            for key, op in (run_errors[0] if run_errors else {}).items():
                try:
                    sess.run(op, run_errors[1])
                    errors[key] = ["no error", ""]
                except Exception as e:  # noqa: BLE001 - recording what each library raises
                    errors[key] = _error_text(e)
            # Later runs of a random op continue its stream (recorded as "<key>@<run>").
            for run in range(1, repeats):
                values.update({f"{k}@{run}": v for k, v in sess.run(fetches).items()})
    return {
        "ops": ops,
        "names": {key: _fetch_name(value) for key, value in sorted(fetches.items())},
        "outputs": {key: _record(value) for key, value in sorted(values.items())},
        "errors": errors,
    }


@case
def random_shuffle(tf: Any) -> dict[str, Any]:
    tf.set_random_seed(7)
    rows = tf.constant(np.arange(12, dtype=np.float32).reshape(6, 2), name="rows")
    vec = tf.constant(np.arange(9, dtype=np.int32), name="vec")
    return {
        "rows": tf.random_shuffle(rows),
        "vec": tf.random.shuffle(vec, seed=3),
        "_runs": 2,
    }


@case
def multinomial(tf: Any) -> dict[str, Any]:
    tf.set_random_seed(11)
    logits = tf.constant(LOGITS, name="logits")
    return {
        "m": tf.multinomial(logits, 7),
        "c": tf.random.categorical(logits, 3, dtype=tf.int32, seed=4),
        "_runs": 2,
    }


@case
def gather_resource_variable(tf: Any) -> dict[str, Any]:
    w = tf.get_variable("w", initializer=X, use_resource=True)
    ids = tf.constant([1, 0, 1], name="ids")
    rows = tf.gather(w, ids)
    cols = tf.gather(w, [2, 0], axis=1, name="cols")
    loss = tf.reduce_sum(rows * rows)
    return {"rows": rows, "cols": cols, "_grad": (loss, [w]), "_init": True}


@case
def gather_ref_variable(tf: Any) -> dict[str, Any]:
    w = tf.get_variable("w", initializer=X, use_resource=False)
    rows = tf.gather(w, [1, 1])
    return {"rows": rows, "_grad": (tf.reduce_sum(rows), [w]), "_init": True}


for _name, _fn in {
    "l2_normalize": lambda tf, x: tf.nn.l2_normalize(x, axis=1),
    "math_l2_normalize": lambda tf, x: tf.math.l2_normalize(x, dim=0, epsilon=1e-3),
    "xw_plus_b": lambda tf, x: tf.nn.xw_plus_b(x, tf.transpose(x), tf.constant([1.0, 2.0])),
    "reduce_variance": lambda tf, x: tf.math.reduce_variance(x, axis=1),
    "reduce_std": lambda tf, x: tf.math.reduce_std(x),
    "tan": lambda tf, x: tf.tan(x),
    "sinh": lambda tf, x: tf.sinh(x),
    "cosh": lambda tf, x: tf.math.cosh(x),
    "atan": lambda tf, x: tf.atan(x),
    "asin": lambda tf, x: tf.asin(x * 0.4),
    "acos": lambda tf, x: tf.acos(x * 0.4),
    "atan2": lambda tf, x: tf.atan2(x, x + 0.5),
}.items():
    CASES[_name] = _unary(_fn)


@case
def logical_xor_is_inf(tf: Any) -> dict[str, Any]:
    a = tf.constant([True, False, True], name="a")
    b = tf.constant([True, True, False], name="b")
    v = tf.constant([1.0, np.inf, -np.inf], name="v")
    return {"xor": tf.math.logical_xor(a, b), "inf": tf.is_inf(v)}


@case
def asserts(tf: Any) -> dict[str, Any]:
    x = _x(tf)
    ids = tf.constant([1, 2, 3], name="ids")
    checks = [
        tf.Assert(tf.reduce_all(ids > 0), ["ids must be positive", ids], name="ints"),
        tf.Assert(tf.reduce_all(x < 3.0), [x]),
        tf.assert_equal(ids, tf.constant([1, 2, 3])),
        tf.debugging.assert_less(x, 5.0),
        tf.assert_positive(ids, message="positive ids"),
        tf.debugging.assert_non_negative(tf.abs(x)),
        tf.assert_rank(x, 2),
    ]
    with tf.control_dependencies([c for c in checks if c is not None]):
        y = tf.identity(x, name="checked")
    return {"y": y}


@case
def assert_failures(tf: Any) -> dict[str, Any]:
    v = tf.placeholder(tf.float32, [2, 3], name="v")
    ids = tf.placeholder(tf.int32, [4], name="ids")
    checks = {
        "less": tf.debugging.assert_less(v, 1.0, message="too big", summarize=4),
        "ints": tf.Assert(tf.reduce_all(ids > 0), ["bad ids", ids], summarize=3),
        "nested": tf.Assert(tf.reduce_all(v < 0.0), [v, tf.constant(1 / 3, tf.float64)]),
    }
    feed = {v: X, ids: [1, -2, 3, 4]}
    return {"_errors": (checks, feed), "_static_errors": _static_errors(tf)}


def _static_errors(tf: Any) -> dict[str, Callable[[], Any]]:
    return {
        "assert_equal": lambda: tf.assert_equal(tf.constant([1, 2]), tf.constant([1, 3])),
        "assert_rank": lambda: tf.assert_rank(tf.constant([1, 2]), 2, message="rank"),
        "boolean_mask": lambda: tf.boolean_mask(tf.constant([1.0]), tf.constant(True)),
    }


def _error_text(error: Exception) -> list[str]:
    """The error class and its message, without the Session's node context lines."""
    text = getattr(error, "message", None) or str(error)
    kept = [
        line
        for line in text.split("\n")
        if not line.startswith(
            ("Graph execution", "Detected at", "Node:", "\t [[", "    File", "  ")
        )
    ]
    return [type(error).__name__, "\n".join(line for line in kept if line)]


@case
def sparse_placeholders(tf: Any) -> dict[str, Any]:
    free = tf.sparse_placeholder(tf.float32)
    shaped = tf.sparse_placeholder(tf.float32, shape=[4, None], name="sp")
    feed_shape = tf.constant(SP_SHAPE, name="feed_shape")
    tf.sparse.to_dense(shaped)  # built, not run: its graph is compared
    return {
        "free_rank": tf.constant(free.shape.ndims is None),
        "static": tf.constant([-1 if d is None else d for d in shaped.shape.as_list()]),
        "shape": shaped.dense_shape,
        "feed_shape": feed_shape,
    }


@case
def sparse_from_dense(tf: Any) -> dict[str, Any]:
    d = tf.constant([[0.0, 1.0], [2.0, 0.0]], name="d")
    return {
        "sp": tf.sparse.from_dense(d),
        "old": tf.sparse_to_dense([[0, 1], [1, 0]], [2, 2], [5.0, 6.0]),
    }
