"""Cases for tf.metrics / tf.losses / v1 cross-entropies, run the same way under TF and stowflow.

Each case is a function of a TF1-style namespace ``tf`` (TensorFlow's ``compat.v1`` in the
generator, stowflow in the tests) that builds a graph and returns a list of runs
``(fetches, feed_dict)``; :func:`run_case` initialises the variables, runs them in order and
records the values, the graph's nodes (name, op, inputs) and the named collections.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

CASES: dict[str, Callable[[Any], list[tuple[Any, dict[Any, Any]]]]] = {}
COLLECTIONS = [
    "local_variables",
    "metric_variables",
    "variables",
    "losses",
    "regularization_losses",
    "my_values",
    "my_updates",
]
RNG = np.random.default_rng(8)


def case(fn: Callable[[Any], list[tuple[Any, dict[Any, Any]]]]) -> Any:
    CASES[fn.__name__] = fn
    return fn


def _name(item: Any) -> str:
    return str(getattr(item, "name", item))


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    array = np.asarray(value)
    return {"dtype": str(array.dtype), "value": array.astype(np.float64).tolist()}


def _run(sess: Any, fetches: Any, feed: dict[Any, Any]) -> Any:
    """``sess.run`` whose fetch list may hold None (a gradient TF reports as None)."""
    if not isinstance(fetches, list):
        return _plain(sess.run(fetches, feed))
    present = [f for f in fetches if f is not None]
    got = iter(sess.run(present, feed))
    return [None if f is None else _plain(next(got)) for f in fetches]


def pack_nodes(nodes: list[list[Any]]) -> list[str]:
    """Compact node list for the golden file: ``"<shared prefix length> <name suffix> <op>
    <inputs>"`` per node, the name front-coded against the previous node's, each input as
    the index of its node (``^`` for a control input, ``:k`` for output k)."""
    index = {n[0]: i for i, n in enumerate(nodes)}
    out, previous = [], ""
    for name, op, inputs in nodes:
        shared = len(os.path.commonprefix([previous, name]))
        refs = []
        for item in inputs:
            control = item.startswith("^")
            base, _, port = item.lstrip("^").partition(":")
            refs.append(("^" if control else "") + str(index[base]) + (f":{port}" if port else ""))
        out.append(f"{shared} {name[shared:]} {op} {','.join(refs)}".rstrip())
        previous = name
    return out


def unpack_nodes(packed: list[str]) -> list[list[Any]]:
    """The node list :func:`pack_nodes` encoded."""
    names: list[str] = []
    rows: list[tuple[str, str]] = []
    for line in packed:
        shared, suffix, op, *rest = line.split(" ")
        names.append((names[-1][: int(shared)] if names else "") + suffix)
        rows.append((op, rest[0] if rest else ""))
    nodes = []
    for name, (op, refs) in zip(names, rows, strict=True):
        inputs = []
        for ref in refs.split(",") if refs else []:
            control = ref.startswith("^")
            idx, _, port = ref.lstrip("^").partition(":")
            inputs.append(("^" if control else "") + names[int(idx)] + (f":{port}" if port else ""))
        nodes.append([name, op, inputs])
    return nodes


def run_case(tf: Any, name: str) -> dict[str, Any]:
    """Builds case ``name`` in a fresh graph, runs it; returns nodes, collections, values."""
    global RNG
    RNG = np.random.default_rng(zlib.crc32(name.encode()))  # data independent of case order
    graph = tf.Graph()
    with graph.as_default():
        runs = CASES[name](tf)
        nodes = [[n.name, n.op, list(n.input)] for n in graph.as_graph_def().node]
        collections = {k: [_name(x) for x in graph.get_collection(k)] for k in COLLECTIONS}
        init = [tf.global_variables_initializer(), tf.local_variables_initializer()]
        values = []
        with tf.Session(graph=graph) as sess:
            sess.run(init)
            for fetches, feed in runs:
                values.append(_run(sess, fetches, feed))
    return {"nodes": nodes, "collections": collections, "values": values}


def f32(*shape: int, scale: float = 1.0) -> np.ndarray:
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def binary(*shape: int) -> np.ndarray:
    return (RNG.random(shape) > 0.5).astype(np.float32)


def probs(*shape: int) -> np.ndarray:
    return RNG.random(shape).astype(np.float32)


# -- metrics ---------------------------------------------------------------------------------


def _streaming(metric: Any, batches: list[dict[Any, Any]]) -> list[tuple[Any, dict[Any, Any]]]:
    """Runs: value before any update, each update with its batch, then the value."""
    value, update = metric
    runs: list[tuple[Any, dict[Any, Any]]] = [(value, {})]
    runs += [(update, b) for b in batches]
    runs.append((value, {}))
    return runs


@case
def mean_unweighted(tf: Any) -> Any:
    v = tf.placeholder(tf.float32, [None, 2])
    m = tf.metrics.mean(v, metrics_collections=["my_values"], updates_collections=["my_updates"])
    return _streaming(m, [{v: f32(3, 2)}, {v: f32(1, 2)}])


@case
def mean_weighted_static(tf: Any) -> Any:
    v = tf.placeholder(tf.float32, [3, 2])
    w = tf.placeholder(tf.float32, [3, 1])
    m = tf.metrics.mean(v, weights=w, name="wmean")
    return _streaming(m, [{v: f32(3, 2), w: probs(3, 1)}, {v: f32(3, 2), w: probs(3, 1)}])


@case
def mean_scalar_weight(tf: Any) -> Any:
    v = tf.constant([[1.0, 2.0], [3.0, 5.0]])
    m = tf.metrics.mean(v, weights=0.5)
    return _streaming(m, [{}, {}])


@case
def mean_weighted_squeeze(tf: Any) -> Any:
    v = tf.placeholder(tf.float32, [4])
    w = tf.placeholder(tf.float32, [4, 1])
    m = tf.metrics.mean(v, weights=w)
    return _streaming(m, [{v: f32(4), w: probs(4, 1)}])


@case
def accuracy_int(tf: Any) -> Any:
    labels = tf.placeholder(tf.int64, [None])
    preds = tf.placeholder(tf.int32, [None])
    m = tf.metrics.accuracy(labels, preds)
    return _streaming(
        m, [{labels: [1, 2, 3, 4], preds: [1, 2, 0, 4]}, {labels: [0, 1], preds: [0, 0]}]
    )


@case
def accuracy_weighted(tf: Any) -> Any:
    labels = tf.constant([[1], [0], [1], [1]])
    preds = tf.placeholder(tf.int32, [4])
    w = tf.constant([1.0, 2.0, 0.0, 3.0])
    m = tf.metrics.accuracy(labels, preds, weights=w)
    return _streaming(m, [{preds: [1, 1, 0, 1]}, {preds: [0, 0, 0, 0]}])


@case
def errors(tf: Any) -> Any:
    labels = tf.placeholder(tf.float32, [4, 3])
    preds = tf.placeholder(tf.float32, [4, 3])
    w = tf.placeholder(tf.float32, [4, 1])
    mets = [
        tf.metrics.mean_absolute_error(labels, preds),
        tf.metrics.mean_squared_error(labels, preds, weights=w),
        tf.metrics.root_mean_squared_error(labels, preds),
        tf.metrics.root_mean_squared_error(labels, preds, weights=w, name="rmse_w"),
    ]
    values = [m[0] for m in mets]
    updates = [m[1] for m in mets]
    batch = [{labels: f32(4, 3), preds: f32(4, 3), w: probs(4, 1)} for _ in range(2)]
    return [(values, {})] + [(updates, b) for b in batch] + [(values, {})]


@case
def counts(tf: Any) -> Any:
    labels = tf.placeholder(tf.float32, [6])
    preds = tf.placeholder(tf.float32, [6])
    w = tf.placeholder(tf.float32, [6])
    mets = [
        tf.metrics.true_positives(labels, preds),
        tf.metrics.false_positives(labels, preds, weights=w),
        tf.metrics.true_negatives(labels, preds),
        tf.metrics.false_negatives(labels, preds, weights=w),
        tf.metrics.precision(labels, preds),
        tf.metrics.recall(labels, preds, weights=w),
        tf.metrics.precision(labels, preds, weights=w, name="wp"),
    ]
    values = [m[0] for m in mets]
    updates = [m[1] for m in mets]
    batch = [{labels: binary(6), preds: binary(6), w: probs(6)} for _ in range(3)]
    return [(values, {})] + [(updates, b) for b in batch] + [(values, {})]


@case
def counts_bool_2d(tf: Any) -> Any:
    labels = tf.constant([[True, False], [True, True]])
    preds = tf.placeholder(tf.bool, [2, 2])
    mets = [tf.metrics.precision(labels, preds), tf.metrics.recall(labels, preds)]
    return _streaming(
        ([m[0] for m in mets], [m[1] for m in mets]), [{preds: [[True, True], [False, True]]}]
    )


def stowflow_namespace() -> Any:
    """``import stowflow as tf``: the TF1 namespace these cases run on under stowflow."""
    import stowflow

    return stowflow


# -- losses ----------------------------------------------------------------------------------

REDUCTIONS = ["NONE", "SUM", "MEAN", "SUM_OVER_BATCH_SIZE", "SUM_BY_NONZERO_WEIGHTS"]


def _loss_runs(
    tf: Any, fn: Any, labels: Any, preds: Any, feed: dict[Any, Any], w: Any, **kw: Any
) -> Any:
    """The loss by default, under every reduction with ``w``, and d(loss)/d(preds)."""
    losses = [fn(labels, preds, **kw)]
    for key in REDUCTIONS:
        losses.append(
            fn(labels, preds, weights=w, reduction=getattr(tf.losses.Reduction, key), **kw)
        )
    grads = tf.gradients(losses[0], [preds]) + tf.gradients(losses[3], [preds])
    return [(losses + grads, feed), (tf.losses.get_losses(), feed)]


def _weights(tf: Any, *shape: int) -> Any:
    w = probs(*shape)
    w.reshape(-1)[0] = 0.0  # a zero weight: SUM_BY_NONZERO_WEIGHTS counts it out
    return tf.constant(w)


def _regression(tf: Any, fn: Any, **kw: Any) -> Any:
    labels = tf.placeholder(tf.float32, [4, 3])
    preds = tf.placeholder(tf.float32, [4, 3])
    feed = {labels: f32(4, 3), preds: f32(4, 3)}
    return _loss_runs(tf, fn, labels, preds, feed, _weights(tf, 4, 1), **kw)


@case
def loss_absolute_difference(tf: Any) -> Any:
    return _regression(tf, tf.losses.absolute_difference)


@case
def loss_mean_squared_error(tf: Any) -> Any:
    return _regression(tf, tf.losses.mean_squared_error)


@case
def loss_huber(tf: Any) -> Any:
    return _regression(tf, tf.losses.huber_loss, delta=0.7)


@case
def loss_cosine_distance(tf: Any) -> Any:
    return _regression(tf, tf.losses.cosine_distance, axis=1)


@case
def loss_log_loss(tf: Any) -> Any:
    labels = tf.placeholder(tf.float32, [4, 3])
    preds = tf.placeholder(tf.float32, [4, 3])
    feed = {labels: binary(4, 3), preds: probs(4, 3)}
    return _loss_runs(tf, tf.losses.log_loss, labels, preds, feed, _weights(tf, 4, 3))


@case
def loss_hinge(tf: Any) -> Any:
    labels = tf.placeholder(tf.float32, [4, 3])
    logits = tf.placeholder(tf.float32, [4, 3])
    feed = {labels: binary(4, 3), logits: f32(4, 3)}
    return _loss_runs(tf, tf.losses.hinge_loss, labels, logits, feed, _weights(tf, 4, 1))


@case
def loss_sigmoid_cross_entropy(tf: Any) -> Any:
    labels = tf.placeholder(tf.float32, [4, 3])
    logits = tf.placeholder(tf.float32, [4, 3])
    feed = {labels: binary(4, 3), logits: f32(4, 3, scale=3.0)}
    runs = _loss_runs(tf, tf.losses.sigmoid_cross_entropy, labels, logits, feed, _weights(tf, 4, 3))
    smooth = tf.losses.sigmoid_cross_entropy(labels, logits, label_smoothing=0.2)
    return runs + [([smooth] + tf.gradients(smooth, [logits]), feed)]


@case
def loss_softmax_cross_entropy(tf: Any) -> Any:
    labels = tf.placeholder(tf.float32, [4, 3])
    logits = tf.placeholder(tf.float32, [4, 3])
    onehot = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
    feed = {labels: onehot, logits: f32(4, 3, scale=2.0)}
    runs = _loss_runs(tf, tf.losses.softmax_cross_entropy, labels, logits, feed, _weights(tf, 4))
    smooth = tf.losses.softmax_cross_entropy(labels, logits, label_smoothing=0.1)
    return runs + [([smooth] + tf.gradients(smooth, [logits, labels]), feed)]


@case
def loss_sparse_softmax_cross_entropy(tf: Any) -> Any:
    labels = tf.placeholder(tf.int32, [4])
    logits = tf.placeholder(tf.float32, [4, 3])
    feed = {labels: np.array([0, 2, 1, 2], np.int32), logits: f32(4, 3, scale=2.0)}
    runs = _loss_runs(
        tf, tf.losses.sparse_softmax_cross_entropy, labels, logits, feed, _weights(tf, 4)
    )
    labels_2d = tf.placeholder(tf.int64, [4, 1])
    squeezed = tf.losses.sparse_softmax_cross_entropy(labels_2d, logits, weights=_weights(tf, 4, 1))
    feed2 = {labels_2d: np.array([[1], [0], [2], [2]]), logits: feed[logits]}
    return runs + [(squeezed, feed2)]


@case
def loss_compute_weighted_and_collections(tf: Any) -> Any:
    per = tf.placeholder(tf.float32, [2, 3])
    w = tf.constant([[1.0], [0.0]])
    a = tf.losses.compute_weighted_loss(per)
    b = tf.losses.compute_weighted_loss(per, weights=w, scope="mine", loss_collection="my_values")
    c = tf.losses.compute_weighted_loss(per, weights=2, reduction=tf.losses.Reduction.SUM)
    d = tf.losses.compute_weighted_loss(per, loss_collection=None)
    tf.losses.add_loss(tf.constant(3.0, name="extra"))
    v = tf.get_variable("v", [2], initializer=tf.ones_initializer())
    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, tf.reduce_sum(v * v))
    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, tf.reduce_sum(v))
    reg = tf.losses.get_regularization_loss()
    total = tf.losses.get_total_loss()
    total_no_reg = tf.losses.get_total_loss(add_regularization_losses=False, name="plain")
    feed = {per: f32(2, 3)}
    fetch = [a, b, c, d, reg, total, total_no_reg, tf.losses.get_regularization_losses()]
    return [(fetch, feed)]


@case
def loss_zero_regularization(tf: Any) -> Any:
    return [([tf.losses.get_regularization_loss()], {})]


# -- tf.nn cross-entropies -------------------------------------------------------------------


@case
def xent_nn_v1(tf: Any) -> Any:
    labels = tf.placeholder(tf.float32, [4, 3])
    logits = tf.placeholder(tf.float32, [4, 3])
    feed = {labels: probs(4, 3), logits: f32(4, 3, scale=4.0)}
    sig = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    soft = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    wce = tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=3.0)
    pw = tf.constant(0.5)
    wce_t = tf.nn.weighted_cross_entropy_with_logits(
        labels=labels, logits=logits, pos_weight=pw, name="wt"
    )
    grads = tf.gradients([sig, soft, wce, wce_t], [logits, labels])
    return [([sig, soft, wce, wce_t] + grads, feed)]


# -- metrics at thresholds (TF's run-time [0, 1] asserts are not built by stowflow) -----------

RUNTIME_ASSERT_CASES = {"auc_curves", "auc_dynamic_weighted", "at_thresholds"}


def _scores(n: int) -> tuple[np.ndarray, np.ndarray]:
    return binary(n), probs(n)


@case
def auc_curves(tf: Any) -> Any:
    labels = tf.placeholder(tf.float32, [8])
    preds = tf.placeholder(tf.float32, [8])
    w = tf.placeholder(tf.float32, [8])
    mets = [
        tf.metrics.auc(labels, preds, num_thresholds=7),
        tf.metrics.auc(labels, preds, weights=w, num_thresholds=5, curve="PR", name="pr"),
        tf.metrics.auc(
            labels, preds, curve="PR", summation_method="careful_interpolation", name="pr_ci"
        ),
        tf.metrics.auc(labels, preds, summation_method="minoring", thresholds=[0.3, 0.5, 0.8]),
        tf.metrics.auc(labels, preds, summation_method="majoring", num_thresholds=4),
    ]
    values = [m[0] for m in mets]
    updates = [m[1] for m in mets]
    batches = []
    for _ in range(3):
        lab, pr = _scores(8)
        batches.append({labels: lab, preds: pr, w: probs(8)})
    return [(values, {})] + [(updates, b) for b in batches] + [(values, {})]


@case
def auc_dynamic_weighted(tf: Any) -> Any:
    labels = tf.placeholder(tf.int64, [None])
    preds = tf.placeholder(tf.float32, [None])
    w = tf.placeholder(tf.float32, [None])
    m = tf.metrics.auc(labels, preds, weights=w, num_thresholds=11)
    lab, pr = _scores(6)
    lab2, pr2 = _scores(3)
    return _streaming(
        m, [{labels: lab, preds: pr, w: probs(6)}, {labels: lab2, preds: pr2, w: probs(3)}]
    )


@case
def at_thresholds(tf: Any) -> Any:
    labels = tf.placeholder(tf.bool, [2, 3])
    preds = tf.placeholder(tf.float32, [2, 3])
    w = tf.placeholder(tf.float32, [2, 1])
    mets = [
        tf.metrics.precision_at_thresholds(labels, preds, [0.2, 0.5, 0.7]),
        tf.metrics.recall_at_thresholds(labels, preds, [0.1, 0.6], weights=w),
    ]
    values = [m[0] for m in mets]
    updates = [m[1] for m in mets]
    batches = [{labels: binary(2, 3) > 0, preds: probs(2, 3), w: probs(2, 1)} for _ in range(2)]
    return [(values, {})] + [(updates, b) for b in batches] + [(values, {})]


@case
def loss_dynamic_batch(tf: Any) -> Any:
    labels = tf.placeholder(tf.int32, [None])
    logits = tf.placeholder(tf.float32, [None, 3])
    w = tf.placeholder(tf.float32, [None])
    sparse = tf.losses.sparse_softmax_cross_entropy(labels, logits, weights=w)
    onehot = tf.one_hot(labels, 3)
    dense = tf.losses.softmax_cross_entropy(onehot, logits, label_smoothing=0.1)
    sig = tf.losses.sigmoid_cross_entropy(onehot, logits, weights=tf.expand_dims(w, 1))
    mse = tf.losses.mean_squared_error(onehot, logits, reduction=tf.losses.Reduction.MEAN)
    losses = [sparse, dense, sig, mse]
    grads = tf.gradients(tf.add_n(losses), [logits])
    feed = {labels: np.array([2, 0, 1, 1, 0], np.int32), logits: f32(5, 3), w: probs(5)}
    return [(losses + grads, feed)]


@case
def mean_dynamic_weights(tf: Any) -> Any:
    v = tf.placeholder(tf.float32, [None, 2])
    w = tf.placeholder(tf.float32, [None, 1])
    m = tf.metrics.mean(v, weights=w)
    return _streaming(m, [{v: f32(3, 2), w: probs(3, 1)}, {v: f32(1, 2), w: probs(1, 1)}])


RUNTIME_ASSERT_CASES |= {"loss_dynamic_batch", "mean_dynamic_weights"}


@case
def mean_per_class(tf: Any) -> Any:
    labels = tf.placeholder(tf.int32, [4])
    preds = tf.placeholder(tf.int32, [4])
    w = tf.placeholder(tf.float32, [4])
    mets = [
        tf.metrics.mean_per_class_accuracy(labels, preds, 3),
        tf.metrics.mean_per_class_accuracy(labels, preds, 3, weights=w, name="wpc"),
    ]
    batches = [
        {labels: [0, 1, 2, 2], preds: [0, 2, 2, 1], w: [1.0, 0.5, 2.0, 0.0]},
        {labels: [1, 1, 0, 2], preds: [1, 0, 0, 2], w: [0.3, 1.0, 1.0, 1.0]},
    ]
    return _streaming(([m[0] for m in mets], [m[1] for m in mets]), batches)


@case
def loss_mean_pairwise_squared_error(tf: Any) -> Any:
    labels = tf.placeholder(tf.float32, [3, 4])
    preds = tf.placeholder(tf.float32, [3, 4])
    w = tf.constant([[1.0], [0.0], [2.0]])
    a = tf.losses.mean_pairwise_squared_error(labels, preds)
    b = tf.losses.mean_pairwise_squared_error(labels, preds, weights=w, scope="wmpse")
    grads = tf.gradients(a, [preds]) + tf.gradients(b, [preds])
    return [([a, b] + grads, {labels: f32(3, 4), preds: f32(3, 4)})]


# -- errors: (class name, message) of what a bad call raises at graph construction -------------

ERROR_CASES: dict[str, Callable[[Any], Any]] = {}


def error_case(fn: Callable[[Any], Any]) -> Any:
    ERROR_CASES[fn.__name__] = fn
    return fn


@error_case
def err_metric_weights_rank(tf: Any) -> Any:
    tf.metrics.mean(tf.zeros([2, 3]), weights=tf.ones([2, 3, 4]))


@error_case
def err_metric_weights_dim(tf: Any) -> Any:
    tf.metrics.mean(tf.zeros([2, 3]), weights=tf.ones([2, 2]))


@error_case
def err_auc_curve(tf: Any) -> Any:
    tf.metrics.auc(tf.zeros([2]), tf.zeros([2]), curve="XY")


@error_case
def err_loss_reduction(tf: Any) -> Any:
    tf.losses.compute_weighted_loss(tf.zeros([2]), reduction="bogus")


@error_case
def err_loss_none_labels(tf: Any) -> Any:
    tf.losses.absolute_difference(None, tf.zeros([2]))


@error_case
def err_cosine_axis(tf: Any) -> Any:
    tf.losses.cosine_distance(tf.zeros([2, 2]), tf.zeros([2, 2]))


@error_case
def err_sigmoid_shapes(tf: Any) -> Any:
    tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros([2, 3]), logits=tf.zeros([2, 2]))


@error_case
def err_weighted_xent_shapes(tf: Any) -> Any:
    tf.nn.weighted_cross_entropy_with_logits(
        labels=tf.zeros([3]), logits=tf.zeros([2]), pos_weight=2.0
    )


@error_case
def err_softmax_v1_positional(tf: Any) -> Any:
    tf.nn.softmax_cross_entropy_with_logits(tf.zeros([2, 2]), tf.zeros([2, 2]))


@error_case
def err_sigmoid_positional(tf: Any) -> Any:
    tf.nn.sigmoid_cross_entropy_with_logits(tf.zeros([2, 2]), tf.zeros([2, 2]))


@error_case
def err_total_loss_without_losses(tf: Any) -> Any:
    tf.losses.get_total_loss()


def run_error_case(tf: Any, name: str) -> list[str]:
    """``[class name, message]`` of the exception case ``name`` raises (or ``["none", ""]``)."""
    with tf.Graph().as_default():
        try:
            ERROR_CASES[name](tf)
        except Exception as e:  # noqa: BLE001 - the class is what is recorded
            return [type(e).__name__, str(e)]
    return ["none", ""]


@case
def xent_sparse_rank3(tf: Any) -> Any:
    labels = tf.placeholder(tf.int32, [2, 3])
    logits = tf.placeholder(tf.float32, [2, 3, 4])
    dyn_labels = tf.placeholder(tf.int64, [None, 3])
    dyn_logits = tf.placeholder(tf.float32, [None, 3, 4])
    static = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    dynamic = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=dyn_labels, logits=dyn_logits, name="dyn"
    )
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    grads = tf.gradients([static, loss], [logits]) + tf.gradients(dynamic, [dyn_logits])
    lab = np.array([[0, 3, 1], [2, 2, 0]], np.int32)
    x = f32(2, 3, 4)
    feed = {labels: lab, logits: x, dyn_labels: lab.astype(np.int64), dyn_logits: x}
    return [([static, dynamic, loss] + grads, feed)]


@error_case
def err_sparse_xent_shapes(tf: Any) -> Any:
    tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.zeros([3], tf.int32), logits=tf.zeros([2, 4])
    )


@error_case
def err_sparse_xent_missing(tf: Any) -> Any:
    tf.nn.sparse_softmax_cross_entropy_with_logits(logits=tf.zeros([2, 4]))


RUNTIME_ASSERT_CASES.add("xent_sparse_rank3")


@case
def train_softmax_regression(tf: Any) -> Any:
    """Losses, regularization, an optimizer and streaming metrics in one TF1 training loop."""
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.int64, [None])
    w = tf.get_variable("w", initializer=tf.constant(f32(3, 4, scale=0.1)))
    b = tf.get_variable("b", [4], initializer=tf.zeros_initializer())
    logits = tf.matmul(x, w) + b
    tf.losses.sparse_softmax_cross_entropy(y, logits)
    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, 0.01 * tf.nn.l2_loss(w))
    total = tf.losses.get_total_loss()
    train = tf.train.GradientDescentOptimizer(0.5).minimize(total)
    acc, acc_update = tf.metrics.accuracy(y, tf.argmax(logits, 1))
    mean_loss, mean_update = tf.metrics.mean(total)
    xs = f32(16, 3)
    ys = np.argmax(xs @ f32(3, 4), axis=1)
    feed = {x: xs, y: ys}
    runs: list[tuple[Any, dict[Any, Any]]] = []
    for _ in range(5):
        runs.append(([total, train], feed))
        runs.append(([acc_update, mean_update], feed))
    runs.append(([acc, mean_loss, w, b], {}))
    return runs
