"""What an Estimator's ``input_fn`` may return, and ``tf.estimator.inputs.numpy_input_fn``.

An ``input_fn`` returns ``(features, labels)``, ``features`` alone, or a ``tf.data.Dataset``
of either. As tensorflow-estimator does, a Dataset is read through an initializable iterator
(``IteratorV2`` + ``MakeIterator``) whose initializer a hook runs once the session exists;
its ``IteratorGetNext`` raises ``OutOfRangeError`` at the end, which ends ``train``,
``evaluate`` and ``predict``.

``numpy_input_fn`` keeps TF's batching (rows in order, batches that span epochs, a final
partial batch when ``num_epochs`` is set, only full batches when it is None) but is built on
``tf.data`` instead of TF's queues and queue-runner threads, so ``shuffle=True`` yields
another (seeded, reproducible) order than TF's ``RandomShuffleQueue``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from stowflow.data import Dataset, DatasetV1, make_initializable_iterator
from stowflow.monitored.session_run_hook import SessionRunHook

_TARGET_KEY = "__target_key__"


class DatasetInitializerHook(SessionRunHook):
    """Runs an iterator's initializer right after the session is created."""

    def __init__(self, iterator: Any) -> None:
        self._iterator = iterator

    def begin(self) -> None:
        """Looks the initializer up before the graph is finalized."""
        self._initializer = self._iterator.initializer

    def after_create_session(self, session: Any, coord: Any) -> None:
        """Starts the iterator."""
        session.run(self._initializer)


def parse_input_fn_result(result: Any) -> tuple[Any, Any, list[SessionRunHook]]:
    """``(features, labels, input_hooks)`` from what an ``input_fn`` returned.

    Raises:
        ValueError: for a list or tuple that is not ``(features, labels)`` (TF's message).
    """
    hooks: list[SessionRunHook] = []
    if isinstance(result, DatasetV1):
        iterator = make_initializable_iterator(result)
        hooks.append(DatasetInitializerHook(iterator))
        result = iterator.get_next()
    features, labels = parse_iterator_result(result)
    return features, labels, hooks


def parse_iterator_result(result: Any) -> tuple[Any, Any]:
    """``(features, labels)`` from a pair, or ``(result, None)``.

    Raises:
        ValueError: for a list or tuple of another length (TF's message).
    """
    if isinstance(result, list | tuple):
        if len(result) != 2:
            raise ValueError("input_fn should return (features, labels) as a len 2 tuple.")
        return result[0], result[1]
    return result, None


def _features_dict(x: Any) -> dict[str, np.ndarray]:
    if isinstance(x, dict):
        if not x:
            raise ValueError("x cannot be an empty dict")
        return {key: np.asarray(x[key]) for key in sorted(x)}
    if isinstance(x, np.ndarray):
        if x.size == 0:
            raise ValueError("x cannot be an empty array")
        return {"__direct_np_input__": x}
    raise TypeError(f"x must be a dict or array; got {type(x).__name__}")


def _unique_target_key(features: dict[str, Any]) -> str:
    key = _TARGET_KEY
    while key in features:
        key += "_n"
    return key


def _columns(x: Any, y: Any) -> tuple[dict[str, np.ndarray], list[str], Any]:
    """All columns (features first, sorted), the feature keys and the target key(s)."""
    data = _features_dict(x)
    feature_keys = list(data)
    target_keys: Any = None
    if isinstance(y, dict):
        if not y:
            raise ValueError("y cannot be empty dict, use None instead.")
        target_keys = sorted(y)
        duplicates = set(feature_keys) & set(target_keys)
        if duplicates:
            raise ValueError(
                f"{len(duplicates)} duplicate keys are found in both x and y: {duplicates}"
            )
        data.update({key: np.asarray(y[key]) for key in target_keys})
    elif y is not None:
        target_keys = _unique_target_key(data)
        data[target_keys] = np.asarray(y)
    if len({len(v) for v in data.values()}) != 1:
        shapes_x = {k: data[k].shape for k in feature_keys}
        if target_keys is None:
            shapes_y: Any = None
        elif isinstance(target_keys, str):
            shapes_y = data[target_keys].shape
        else:
            shapes_y = {k: data[k].shape for k in target_keys}
        raise ValueError(
            "Length of tensors in x and y is mismatched. All elements in x and y must have "
            f"the same length.\nShapes in x: {shapes_x}\nShapes in y: {shapes_y}\n"
        )
    return data, feature_keys, target_keys


def numpy_input_fn(
    x: Any,
    y: Any = None,
    batch_size: int = 128,
    num_epochs: int | None = 1,
    shuffle: Any = None,
    queue_capacity: int = 1000,
    num_threads: int = 1,
) -> Callable[[], DatasetV1]:
    """An ``input_fn`` feeding numpy arrays (a dict of them, or one array) in batches.

    Args:
        x: a dict of feature arrays, or one array (then ``features`` is a tensor).
        y: labels: an array, a dict of arrays, or None (then only ``features``).
        batch_size: rows per batch.
        num_epochs: passes over the data; None repeats forever (full batches only).
        shuffle: must be given as a bool; True shuffles with a ``queue_capacity`` buffer.
        queue_capacity: the shuffle buffer size.
        num_threads: accepted for TF's signature (tf.data reads in order).

    Raises:
        ValueError: when ``shuffle`` is not a bool (TF's message); the ``input_fn`` raises
            TF's errors for empty or mismatched arrays.
    """
    if not isinstance(shuffle, bool):
        raise ValueError(
            "shuffle must be provided and explicitly set as boolean (it is recommended to "
            f"set it as True for training); got {shuffle}"
        )
    del num_threads

    def input_fn() -> DatasetV1:
        data, feature_keys, target_keys = _columns(x, y)

        def split(*columns: Any) -> Any:
            named = dict(zip(data, columns, strict=True))
            features: Any = (
                named[feature_keys[0]]
                if isinstance(x, np.ndarray)
                else {k: named[k] for k in feature_keys}
            )
            if target_keys is None:
                return features
            if isinstance(target_keys, str):
                return features, named[target_keys]
            return features, {k: named[k] for k in target_keys}

        dataset = Dataset.from_tensor_slices(tuple(data.values()))
        if shuffle:
            dataset = dataset.shuffle(queue_capacity)
        dataset = dataset.repeat(num_epochs)
        dataset = dataset.batch(batch_size, drop_remainder=num_epochs is None)
        return dataset.map(split)

    return input_fn
