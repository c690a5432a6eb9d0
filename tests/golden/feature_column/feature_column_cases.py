"""Feature column cases shared by the golden generator (TF) and the test (stowflow).

Imports neither TensorFlow nor stowflow: each builder gets the TF1 namespace ``tf`` and the
feature column module ``fc`` (``tf.compat.v1.feature_column`` or ``stowflow.feature_column``)
and ``ctx`` (``vocab_file``: path of a file holding ``VOCAB_LINES``; ``serialized``: the
serialized tf.Examples of ``EXAMPLES``).

A case is ``(name, api, features(tf, ctx), columns(fc, ctx), kwargs)`` with ``api`` one of
``input_layer`` / ``linear_model`` (``kwargs["partitions"]``: build it in a variable scope
with ``fixed_size_partitioner(partitions)``); ``features`` returns the features dict (it may parse
``ctx["serialized"]`` with ``make_parse_example_spec``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

VOCAB_LINES = ["apple", "banana", "cherry", "durian"]
SEED = 42

# tf.train.Example contents: {feature: ("bytes"|"int64"|"float", [values])}
EXAMPLES: list[dict[str, tuple[str, list[Any]]]] = [
    {
        "age": ("float", [23.0]),
        "fruit": ("bytes", [b"apple", b"kiwi"]),
        "city": ("bytes", [b"paris"]),
        "ids": ("int64", [1, 3]),
        "w": ("float", [0.5, 2.0]),
    },
    {
        "age": ("float", [61.0]),
        "fruit": ("bytes", [b"cherry"]),
        "city": ("bytes", [b"rome", b"oslo"]),
        "ids": ("int64", [0]),
        "w": ("float", [1.5]),
    },
    {
        "age": ("float", [5.0]),
        "fruit": ("bytes", []),
        "city": ("bytes", []),
        "ids": ("int64", []),
        "w": ("float", []),
    },
]


def _s(*items: str) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = [i.encode() for i in items]
    return out


def f_dense(tf: Any, ctx: Any) -> dict[str, Any]:
    """Dense features: rank-1 and rank-2 numbers, strings with '' holes, ints with -1."""
    return {
        "age": tf.constant([1.0, 25.0, 70.0, 40.0]),
        "price": tf.constant(np.array([[1, 2], [3, 4], [5, 6], [7, 8]], np.int64)),
        "height": tf.constant(
            np.array([[1.5, 0.2], [1.8, 0.9], [0.0, 3.0], [2.5, 2.5]], np.float32)
        ),
        "fruit": tf.constant(_s("apple", "kiwi", "", "cherry").reshape(4, 1)),
        "city": tf.constant(_s("paris", "", "rome", "oslo", "rome", "paris", "", "").reshape(4, 2)),
        "ids": tf.constant(np.array([[1, -1], [3, 2], [-1, -1], [7, 0]], np.int64)),
        "nums": tf.constant(np.array([[10], [20], [99], [30]], np.int64)),
        "codes": tf.constant(np.array([[5, 7], [123456789, -1], [0, 3], [-1, -1]], np.int32)),
        "w": tf.constant(np.array([[0.5, 0.0], [2.0, 1.0], [0.0, 0.0], [3.0, 1.5]], np.float32)),
    }


def f_sparse(tf: Any, ctx: Any) -> dict[str, Any]:
    """SparseTensor features (rank 2, one rank 1), with an empty row."""
    return {
        "age": tf.constant([[3.0], [30.0], [60.0]]),
        "height": tf.constant([[0.5, 1.5], [2.5, 0.1], [1.0, 1.0]]),
        "fruit": tf.SparseTensor(
            indices=[[0, 0], [0, 1], [2, 0], [2, 2]],
            values=_s("banana", "apple", "zzz", "durian"),
            dense_shape=[3, 3],
        ),
        "city": tf.SparseTensor(
            indices=[[0, 0], [1, 0], [1, 1]],
            values=_s("oslo", "rome", "paris"),
            dense_shape=[3, 2],
        ),
        "ids": tf.SparseTensor(
            indices=[[0, 0], [0, 1], [1, 0], [2, 0]],
            values=np.array([2, 2, 5, 1], np.int64),
            dense_shape=[3, 2],
        ),
        "w": tf.SparseTensor(
            indices=[[0, 0], [0, 1], [1, 0], [2, 0]],
            values=np.array([1.0, 0.5, 3.0, 0.0], np.float32),
            dense_shape=[3, 2],
        ),
        "tags": tf.SparseTensor(
            indices=[[0], [2]],
            values=_s("x", "y"),
            dense_shape=[3],
        ),
    }


def f_placeholders(tf: Any, ctx: Any) -> dict[str, Any]:
    """Placeholders of unknown batch (fed by ``run_case`` from ``ctx["feeds"]``)."""
    age = tf.placeholder(tf.float32, [None], name="age")
    city = tf.placeholder(tf.string, [None, 2], name="city")
    ids = tf.placeholder(tf.int64, [None, None], name="ids")
    ctx["feeds"] = {
        age: np.array([4.0, 35.0, 80.0], np.float32),
        city: _s("rome", "", "", "", "oslo", "paris").reshape(3, 2),
        ids: np.array([[1, -1, -1], [-1, -1, -1], [0, 2, 7]], np.int64),
    }
    return {"age": age, "city": city, "ids": ids}


def c_placeholders(fc: Any, ctx: Any) -> list[Any]:
    return [
        fc.bucketized_column(fc.numeric_column("age"), [18.0, 65.0]),
        fc.indicator_column(fc.categorical_column_with_hash_bucket("city", 4)),
        fc.embedding_column(fc.categorical_column_with_identity("ids", 8), 2),
        fc.crossed_column(["city", fc.categorical_column_with_identity("ids", 8)], 5),
    ]


def _dense_only(columns: Any) -> Any:
    def build(fc: Any, ctx: Any) -> list[Any]:
        return [c for c in columns(fc, ctx) if not type(c).__name__.startswith("Crossed")]

    return build


def _parsed(columns: Any) -> Any:
    def build(tf: Any, ctx: Any) -> dict[str, Any]:
        spec = ctx["fc"].make_parse_example_spec(columns(ctx["fc"], ctx))
        return dict(tf.parse_example(tf.constant(ctx["serialized"]), spec))

    return build


def c_numeric(fc: Any, ctx: Any) -> list[Any]:
    return [
        fc.numeric_column("age"),
        fc.numeric_column("price", shape=2, dtype=ctx["tf"].int64, normalizer_fn=lambda x: x * 2),
        fc.numeric_column("height", shape=(2,)),
    ]


def c_bucketized(fc: Any, ctx: Any) -> list[Any]:
    return [
        fc.bucketized_column(fc.numeric_column("age"), [10.0, 30.0, 65.0]),
        fc.bucketized_column(fc.numeric_column("height", shape=2), [1.0, 2.0]),
    ]


def c_indicators(fc: Any, ctx: Any) -> list[Any]:
    return [
        fc.indicator_column(
            fc.categorical_column_with_vocabulary_list(
                "fruit", ["apple", "banana", "cherry"], num_oov_buckets=2
            )
        ),
        fc.indicator_column(fc.categorical_column_with_hash_bucket("city", 5)),
        fc.indicator_column(fc.categorical_column_with_identity("ids", 8)),
        fc.indicator_column(
            fc.categorical_column_with_vocabulary_list("nums", [30, 10, 20], default_value=1)
        ),
    ]


def c_integer_keys(fc: Any, ctx: Any) -> list[Any]:
    int64 = ctx["tf"].int64
    return [
        fc.indicator_column(fc.categorical_column_with_hash_bucket("codes", 4, dtype=int64)),
        fc.indicator_column(
            fc.categorical_column_with_vocabulary_list("nums", [30, 10], num_oov_buckets=3)
        ),
        fc.embedding_column(
            fc.categorical_column_with_vocabulary_list("codes", [7, 5, 3], dtype=int64), 2
        ),
    ]


def c_indicators_sparse(fc: Any, ctx: Any) -> list[Any]:
    return [
        fc.indicator_column(
            fc.categorical_column_with_vocabulary_list(
                "fruit", ["apple", "banana", "cherry", "durian"]
            )
        ),
        fc.indicator_column(fc.categorical_column_with_hash_bucket("city", 7)),
        fc.indicator_column(fc.categorical_column_with_identity("ids", 4, default_value=3)),
        fc.indicator_column(fc.categorical_column_with_hash_bucket("tags", 3)),
        fc.indicator_column(
            fc.weighted_categorical_column(fc.categorical_column_with_identity("ids", 6), "w")
        ),
    ]


def c_vocab_file(fc: Any, ctx: Any) -> list[Any]:
    return [
        fc.indicator_column(
            fc.categorical_column_with_vocabulary_file(
                "fruit", ctx["vocab_file"], num_oov_buckets=3
            )
        ),
        fc.embedding_column(
            fc.categorical_column_with_vocabulary_file(
                "city", ctx["vocab_file"], vocabulary_size=3, default_value=0
            ),
            2,
        ),
    ]


def c_crossed(fc: Any, ctx: Any) -> list[Any]:
    age_b = fc.bucketized_column(fc.numeric_column("age"), [20.0, 50.0])
    return [
        fc.indicator_column(fc.crossed_column([age_b, "city"], 11)),
        fc.indicator_column(fc.crossed_column(["fruit", "city"], 13, hash_key=7)),
        fc.indicator_column(
            fc.crossed_column(
                [
                    fc.crossed_column(["fruit", "city"], 5),
                    fc.categorical_column_with_identity("ids", 8),
                ],
                17,
            )
        ),
    ]


def c_embeddings(fc: Any, ctx: Any) -> list[Any]:
    return [
        fc.embedding_column(fc.categorical_column_with_hash_bucket("city", 6), 3),
        fc.embedding_column(
            fc.categorical_column_with_vocabulary_list(
                "fruit", ["apple", "banana", "cherry"], num_oov_buckets=1
            ),
            4,
            combiner="sqrtn",
        ),
        fc.embedding_column(fc.categorical_column_with_identity("ids", 8), 2, combiner="sum"),
    ]


def c_embeddings_weighted(fc: Any, ctx: Any) -> list[Any]:
    weighted = fc.weighted_categorical_column(fc.categorical_column_with_identity("ids", 8), "w")
    return [
        fc.embedding_column(weighted, 3),
        fc.embedding_column(fc.crossed_column(["fruit", "city"], 9), 2, combiner="sum"),
        fc.numeric_column("age"),
    ]


def c_shared(fc: Any, ctx: Any) -> list[Any]:
    fruit = fc.categorical_column_with_vocabulary_list("fruit", ["apple", "banana", "cherry"])
    city = fc.categorical_column_with_vocabulary_list("city", ["paris", "rome", "oslo"])
    return [*fc.shared_embedding_columns([fruit, city], 3), fc.numeric_column("age")]


def c_linear_all(fc: Any, ctx: Any) -> list[Any]:
    age = fc.numeric_column("age")
    return [
        age,
        fc.bucketized_column(age, [10.0, 30.0, 65.0]),
        fc.categorical_column_with_vocabulary_list("fruit", ["apple", "banana", "cherry"]),
        fc.categorical_column_with_hash_bucket("city", 5),
        fc.categorical_column_with_identity("ids", 8),
        fc.crossed_column(["fruit", "city"], 7),
        fc.embedding_column(fc.categorical_column_with_hash_bucket("city", 4), 2),
    ]


def c_linear_weighted(fc: Any, ctx: Any) -> list[Any]:
    return [
        fc.weighted_categorical_column(fc.categorical_column_with_identity("ids", 8), "w"),
        fc.numeric_column("height", shape=2),
        fc.indicator_column(fc.categorical_column_with_hash_bucket("fruit", 3)),
    ]


def c_parsed(fc: Any, ctx: Any) -> list[Any]:
    return [
        fc.numeric_column("age", default_value=0.0),
        fc.bucketized_column(fc.numeric_column("age", default_value=0.0), [18.0, 60.0]),
        fc.indicator_column(
            fc.categorical_column_with_vocabulary_list(
                "fruit", ["apple", "banana", "cherry"], num_oov_buckets=1
            )
        ),
        fc.embedding_column(fc.categorical_column_with_hash_bucket("city", 5), 2),
        fc.embedding_column(
            fc.weighted_categorical_column(fc.categorical_column_with_identity("ids", 4), "w"),
            2,
            combiner="sqrtn",
        ),
    ]


def c_parsed_linear(fc: Any, ctx: Any) -> list[Any]:
    return [
        fc.numeric_column("age", default_value=0.0),
        fc.categorical_column_with_vocabulary_list("fruit", ["apple", "banana", "cherry"]),
        fc.crossed_column(["fruit", "city"], 7),
        fc.weighted_categorical_column(fc.categorical_column_with_identity("ids", 4), "w"),
    ]


CASES: list[tuple[str, str, Any, Any, dict[str, Any]]] = [
    ("numeric", "input_layer", f_dense, c_numeric, {}),
    ("numeric_linear", "linear_model", f_dense, c_numeric, {"units": 2}),
    ("bucketized", "input_layer", f_dense, c_bucketized, {}),
    ("bucketized_linear", "linear_model", f_dense, c_bucketized, {}),
    ("indicators_dense", "input_layer", f_dense, c_indicators, {}),
    ("indicators_sparse", "input_layer", f_sparse, c_indicators_sparse, {}),
    ("integer_keys", "input_layer", f_dense, c_integer_keys, {}),
    ("integer_keys_linear", "linear_model", f_dense, c_integer_keys, {"units": 2}),
    ("vocab_file", "input_layer", f_dense, c_vocab_file, {}),
    ("crossed", "input_layer", f_dense, c_crossed, {}),
    ("crossed_sparse", "input_layer", f_sparse, c_crossed, {}),
    ("embeddings_dense", "input_layer", f_dense, c_embeddings, {}),
    ("embeddings_sparse", "input_layer", f_sparse, c_embeddings, {}),
    ("embeddings_weighted", "input_layer", f_sparse, c_embeddings_weighted, {}),
    ("shared_embeddings", "input_layer", f_dense, c_shared, {}),
    ("shared_embeddings_linear", "linear_model", f_sparse, c_shared, {"units": 2}),
    ("linear_sum", "linear_model", f_dense, c_linear_all, {}),
    (
        "linear_collections_frozen",
        "linear_model",
        f_dense,
        c_linear_all,
        {"weight_collections": ["my_weights"], "trainable": False},
    ),
    (
        "embeddings_collections_frozen",
        "input_layer",
        f_sparse,
        c_embeddings,
        {"weight_collections": ["my_weights"], "trainable": False},
    ),
    (
        "linear_mean_units3",
        "linear_model",
        f_sparse,
        c_linear_all,
        {"units": 3, "sparse_combiner": "mean"},
    ),
    ("linear_sqrtn", "linear_model", f_dense, c_linear_all, {"sparse_combiner": "sqrtn"}),
    ("linear_weighted", "linear_model", f_dense, c_linear_weighted, {}),
    (
        "linear_weighted_sparse",
        "linear_model",
        f_sparse,
        c_linear_weighted,
        {"sparse_combiner": "mean"},
    ),
    ("embeddings_partitioned", "input_layer", f_dense, c_embeddings, {"partitions": 2}),
    ("linear_partitioned", "linear_model", f_sparse, c_linear_all, {"partitions": 3}),
    ("placeholders", "input_layer", f_placeholders, _dense_only(c_placeholders), {}),
    ("placeholders_linear", "linear_model", f_placeholders, c_placeholders, {}),
    ("parsed", "input_layer", _parsed(c_parsed), c_parsed, {}),
    ("parsed_linear", "linear_model", _parsed(c_parsed_linear), c_parsed_linear, {}),
]


def spec_columns(fc: Any, ctx: Any) -> list[Any]:
    """Columns whose ``make_parse_example_spec`` is compared as repr."""
    return [
        fc.numeric_column("a", shape=(2, 3), default_value=1.5),
        fc.numeric_column("b", dtype=ctx["tf"].int64, default_value=[7]),
        fc.bucketized_column(fc.numeric_column("c", shape=2), [0.0, 1.0]),
        fc.categorical_column_with_hash_bucket("d", 10, dtype=ctx["tf"].int64),
        fc.categorical_column_with_identity("e", 3),
        fc.weighted_categorical_column(
            fc.categorical_column_with_vocabulary_list("f", [1, 2]), "f_w"
        ),
        fc.crossed_column(["g", fc.categorical_column_with_vocabulary_list("h", ["x"])], 4),
        fc.embedding_column(fc.categorical_column_with_hash_bucket("i", 5), 2),
    ]


def assign_value(shape: list[int], index: int) -> np.ndarray:
    """A deterministic non-trivial float32 value for a variable (before running the model)."""
    n = int(np.prod(shape)) if shape else 1
    flat = ((np.arange(n) * 7 + 3 * index) % 11 - 5) / 4.0
    return flat.reshape(shape).astype(np.float32)


def _dense_gradients(tf: Any, out: Any, variables: list[Any]) -> list[Any]:
    """d sum(out * pattern) / d variable for every variable, IndexedSlices made dense."""
    if not variables:
        return []
    width = out.shape.as_list()[1]
    loss = tf.reduce_sum(out * tf.constant(assign_value([width], 5) + 0.25))
    dense = []
    for grad in tf.gradients(loss, variables):
        if hasattr(grad, "indices"):
            grad = tf.math.unsorted_segment_sum(grad.values, grad.indices, grad.dense_shape[0])
        dense.append(grad)
    return dense


def run_case(tf: Any, fc: Any, ctx: Any, case: tuple[Any, ...]) -> dict[str, Any]:
    """Builds and runs one case; returns what the goldens compare (values as lists)."""
    name, api, features_fn, columns_fn, kwargs = case
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(SEED)
        ctx = dict(ctx, fc=fc, tf=tf)
        features = features_fn(tf, ctx)
        columns = columns_fn(fc, ctx)
        cols_to_vars: dict[Any, Any] = {}
        kwargs = dict(kwargs)
        shards = kwargs.pop("partitions", None)
        if shards is None:
            out = getattr(fc, api)(features, columns, cols_to_vars=cols_to_vars, **kwargs)
        else:
            partitioner = tf.fixed_size_partitioner(shards)
            with tf.variable_scope("partitioned", partitioner=partitioner):
                out = getattr(fc, api)(features, columns, cols_to_vars=cols_to_vars, **kwargs)
        variables = tf.global_variables()
        model_vars = {v.name for v in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)}
        trainable = {v.name for v in tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)}
        custom = {v.name for v in tf.get_collection("my_weights")}
        assigns = [
            tf.assign(v, assign_value(v.shape.as_list(), i)) for i, v in enumerate(variables)
        ]
        grads = _dense_gradients(tf, out, variables)
        feeds = ctx.get("feeds")
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            initial = sess.run(variables)
            first = sess.run(out, feeds)
            sess.run(assigns)
            assigned = sess.run(out, feeds)
            grad_values = sess.run(grads, feeds) if grads else []
    return {
        "name": name,
        "output_name": out.name,
        "output_shape": out.shape.as_list() if out.shape.ndims is not None else None,
        "variables": [
            {
                "name": v.name,
                "shape": v.shape.as_list(),
                "model": v.name in model_vars,
                "trainable": v.name in trainable,
                "custom": v.name in custom,
            }
            for v in variables
        ],
        "initial": [np.asarray(x).tolist() for x in initial],
        "output": np.asarray(first).tolist(),
        "output_assigned": np.asarray(assigned).tolist(),
        "gradients": [np.asarray(x).tolist() for x in grad_values],
        "cols_to_vars": sorted(
            [str(k) if isinstance(k, str) else k.name, [v.name for v in vs]]
            for k, vs in cols_to_vars.items()
        ),
    }


def _input_layer_of_categorical(fc: Any, tf: Any) -> Any:
    return fc.input_layer({"a": [["x"]]}, [fc.categorical_column_with_hash_bucket("a", 3)])


# (name, fn(fc, tf)) whose exception class and message are compared
ERRORS: list[tuple[str, Any]] = [
    ("numeric_bad_shape", lambda fc, tf: fc.numeric_column("a", shape=(2, 0))),
    ("numeric_float_shape", lambda fc, tf: fc.numeric_column("a", shape=1.5)),
    ("numeric_bad_default", lambda fc, tf: fc.numeric_column("a", shape=2, default_value=[1.0])),
    ("numeric_string_dtype", lambda fc, tf: fc.numeric_column("a", dtype=tf.string)),
    ("numeric_int_key", lambda fc, tf: fc.numeric_column(3)),
    ("bucketized_unsorted", lambda fc, tf: fc.bucketized_column(fc.numeric_column("a"), [2, 1])),
    ("bucketized_not_numeric", lambda fc, tf: fc.bucketized_column("a", [1])),
    ("hash_zero", lambda fc, tf: fc.categorical_column_with_hash_bucket("a", 0)),
    ("vocab_empty", lambda fc, tf: fc.categorical_column_with_vocabulary_list("a", [])),
    ("vocab_dup", lambda fc, tf: fc.categorical_column_with_vocabulary_list("a", ["x", "x"])),
    (
        "vocab_oov_and_default",
        lambda fc, tf: fc.categorical_column_with_vocabulary_list(
            "a", ["x"], default_value=0, num_oov_buckets=1
        ),
    ),
    ("identity_default_range", lambda fc, tf: fc.categorical_column_with_identity("a", 3, 3)),
    ("crossed_one_key", lambda fc, tf: fc.crossed_column(["a"], 3)),
    (
        "crossed_hashed",
        lambda fc, tf: fc.crossed_column(["a", fc.categorical_column_with_hash_bucket("b", 3)], 3),
    ),
    (
        "embedding_dim",
        lambda fc, tf: fc.embedding_column(fc.categorical_column_with_identity("a", 3), 0),
    ),
    ("indicator_of_numeric", lambda fc, tf: fc.indicator_column(fc.numeric_column("a"))),
    ("input_layer_categorical", _input_layer_of_categorical),
    ("input_layer_empty", lambda fc, tf: fc.input_layer({}, [])),
    (
        "input_layer_duplicate",
        lambda fc, tf: fc.input_layer(
            {"a": [[1.0]]}, [fc.numeric_column("a"), fc.numeric_column("a")]
        ),
    ),
    (
        "input_layer_missing",
        lambda fc, tf: fc.input_layer({"a": [[1.0]]}, [fc.numeric_column("b")]),
    ),
    (
        "spec_conflict",
        lambda fc, tf: fc.make_parse_example_spec(
            [fc.numeric_column("a"), fc.categorical_column_with_hash_bucket("a", 2)]
        ),
    ),
]
