"""The canned-estimator cases, shared by the TF 2.15 golden generator and stowflow's tests.

Every function takes ``tf``: an object with TF1's names (``tf.constant``, ``tf.estimator``,
``tf.feature_column``, ``tf.train.SessionRunHook``...), so the same code drives
``tensorflow.compat.v1`` in the generator and stowflow in the tests.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

SEED = 42
STEPS = 5
X = np.array(
    [
        [1.0, 2.0],
        [0.5, -3.0],
        [4.0, 4.0],
        [-1.0, 0.5],
        [2.0, -1.0],
        [0.0, 0.0],
        [3.0, 1.0],
        [-2.0, -2.0],
    ],
    dtype=np.float32,
)
W = np.array([[1.0], [2.0], [0.5], [1.0], [1.5], [1.0], [0.25], [3.0]], dtype=np.float32)
LABELS = {
    "binary": np.array([[1], [0], [1], [0], [1], [0], [1], [0]], dtype=np.int64),
    "multi": np.array([[0], [1], [2], [0], [1], [2], [2], [0]], dtype=np.int64),
    "binary_vocab": np.array([[b"no", b"yes"][i] for i in [1, 0, 1, 0, 1, 0, 1, 0]], dtype=object),
    "multi_vocab": np.array(
        [[b"lo", b"mid", b"hi"][i] for i in [0, 1, 2, 0, 1, 2, 2, 0]], dtype=object
    ),
    "regression": np.array(
        [[1.5], [-0.5], [3.0], [0.0], [2.0], [0.25], [2.5], [-1.0]], dtype=np.float32
    ),
}
C = np.array([[b"a"], [b"b"], [b"c"], [b"a"], [b"b"], [b"z"], [b"c"], [b"a"]], dtype=object)
EXPORT_INPUTS = [([1.0, 2.0], b"a"), ([0.5, -3.0], b"c"), ([4.0, 4.0], b"z")]

# name -> (estimator class name, label kind, constructor arguments besides the columns)
CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "dnn_binary": ("DNNClassifier", "binary", {"hidden_units": [4, 3]}),
    "dnn_multi": ("DNNClassifier", "multi", {"hidden_units": [4], "n_classes": 3}),
    "dnn_regressor": ("DNNRegressor", "regression", {"hidden_units": [3], "weight_column": "w"}),
    "linear_binary": ("LinearClassifier", "binary", {}),
    "linear_multi": ("LinearClassifier", "multi", {"n_classes": 3}),
    "linear_regressor": ("LinearRegressor", "regression", {}),
    "combined_binary": ("DNNLinearCombinedClassifier", "binary", {"dnn_hidden_units": [3]}),
    "combined_regressor": ("DNNLinearCombinedRegressor", "regression", {"dnn_hidden_units": [3]}),
    "linear_categorical": ("LinearClassifier", "binary", {}),
    "dnn_categorical": ("DNNClassifier", "multi", {"hidden_units": [3], "n_classes": 3}),
    "dnn_dropout": ("DNNRegressor", "regression", {"hidden_units": [6, 4], "dropout": 0.25}),
    "linear_vocab": ("LinearClassifier", "binary_vocab", {"label_vocabulary": ["no", "yes"]}),
    "dnn_vocab": (
        "DNNClassifier",
        "multi_vocab",
        {"hidden_units": [3], "n_classes": 3, "label_vocabulary": ["lo", "mid", "hi"]},
    ),
}
CATEGORICAL = {"linear_categorical", "dnn_categorical"}


def columns(tf: Any, case: str, deep: bool) -> list[Any]:
    """``x`` (numeric, shape 2); categorical cases add ``c`` (vocabulary a, b, c), embedded
    in 2 dimensions for a DNN."""
    fc = tf.feature_column
    result = [fc.numeric_column("x", shape=(2,))]
    if case in CATEGORICAL:
        c = fc.categorical_column_with_vocabulary_list("c", ["a", "b", "c"])
        result.append(fc.embedding_column(c, dimension=2) if deep else c)
    return result


def build(tf: Any, case: str, model_dir: str) -> Any:
    """The case's estimator over ``model_dir`` with ``tf_random_seed=SEED``."""
    class_name, _, kwargs = CASES[case]
    if class_name.startswith("DNNLinearCombined"):
        kwargs = {
            **kwargs,
            "linear_feature_columns": columns(tf, case, deep=False),
            "dnn_feature_columns": columns(tf, case, deep=True),
        }
    else:
        kwargs = {**kwargs, "feature_columns": columns(tf, case, class_name.startswith("DNN"))}
    config = tf.estimator.RunConfig(tf_random_seed=SEED)
    return getattr(tf.estimator, class_name)(model_dir=model_dir, config=config, **kwargs)


def input_fn(tf: Any, case: str, with_labels: bool = True) -> Any:
    """An input_fn of constant tensors (the same batch every step)."""
    kind = CASES[case][1]

    def fn() -> Any:
        features = {"x": tf.constant(X), "w": tf.constant(W), "c": tf.constant(C)}
        if not with_labels:
            return features
        return features, tf.constant(LABELS[kind])

    return fn


def predictions(tf: Any, estimator: Any, case: str) -> list[dict[str, Any]]:
    """The predictions for the 8 examples, as JSON-able lists (bytes decoded)."""
    out = []
    for row in itertools.islice(estimator.predict(input_fn(tf, case, False)), len(X)):
        out.append({k: _plain(v) for k, v in sorted(row.items())})
    return out


def _plain(value: Any) -> Any:
    value = np.asarray(value)
    if value.dtype.kind in "OS":
        return [v.decode() if isinstance(v, bytes) else v for v in value.reshape(-1).tolist()]
    return value.tolist()


def serving_input_receiver_fn(tf: Any, case: str) -> Any:
    """Parses serialized Examples: float ``x`` of shape [2] (and string ``c`` if used)."""
    spec = {"x": tf.io.FixedLenFeature([2], tf.float32)}
    if case in CATEGORICAL:
        spec["c"] = tf.io.FixedLenFeature([1], tf.string)
    return tf.estimator.export.build_parsing_serving_input_receiver_fn(spec)


def serialized_examples(example_cls: Any) -> list[bytes]:
    """``EXPORT_INPUTS`` as serialized ``tf.train.Example``s."""
    out = []
    for x, c in EXPORT_INPUTS:
        example = example_cls()
        example.features.feature["x"].float_list.value.extend(x)
        example.features.feature["c"].bytes_list.value.append(c)
        out.append(example.SerializeToString())
    return out


def loss_hook(tf: Any, tensor_name: str | None) -> Any:
    """A hook that records the value of ``tensor_name`` at every training step.

    With ``tensor_name=None`` it fetches the last tensor in the LOSSES collection (the head's training loss) and keeps its
    name in ``hook.name``.
    """

    class LossHook(tf.train.SessionRunHook):
        def __init__(self) -> None:
            self.losses: list[float] = []

        def begin(self) -> None:
            graph = tf.get_default_graph()
            if tensor_name is None:
                self._loss = graph.get_collection(tf.GraphKeys.LOSSES)[-1]
            else:
                self._loss = graph.get_tensor_by_name(tensor_name)
            self.name = self._loss.name

        def before_run(self, run_context: Any) -> Any:
            return tf.train.SessionRunArgs(self._loss)

        def after_run(self, run_context: Any, run_values: Any) -> None:
            self.losses.append(float(run_values.results))

    return LossHook()
