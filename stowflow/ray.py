"""Batch scoring of SavedModels on Ray Data, without TensorFlow on the workers.

:func:`predict` runs one signature over a Ray Dataset; it is ``map_batches`` with
:class:`SavedModelPredictor`, a callable class that loads the SavedModel once per actor::

    import ray, stowflow.ray

    ds = ray.data.read_parquet("s3://bucket/features/")          # or read_csv, ...
    scored = stowflow.ray.predict(ds, "/models/half/2", batch_size=1024)

    # the same, by hand (the callable class, any Ray Data options):
    scored = ds.map_batches(
        stowflow.ray.SavedModelPredictor,
        fn_constructor_kwargs={"model_path": "/models/half/2"},
        batch_size=1024, batch_format="numpy", concurrency=2,
    )

Inputs are columns named as the signature's inputs; ``input_columns`` maps an input to
another column, or to a list of scalar columns stacked into its last dimension (a CSV's
``x0, x1, x2`` -> ``x`` of shape [batch, 3]). A signature with one input reads a dataset of
one column whatever its name. TFRecord files of ``tf.train.Example`` go through
:func:`read_tfrecords` (Ray's own reader needs TensorFlow): one ``serialized`` column of
records, fed as they are to a parsing signature (``tf.io.parse_example`` in the graph),
as TF Serving's Classify/Regress do. The output columns are the signature's outputs, plus
``keep_columns`` (ids) carried through.

Nothing here is imported by ``import stowflow``; ray is imported when this module is.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from stowflow._extras import MissingExtraError

try:
    import ray
except ModuleNotFoundError as _e:  # pragma: no cover - depends on the install
    raise MissingExtraError("ray", "ray") from _e

SERIALIZED_COLUMN = "serialized"
"""The column of :func:`read_tfrecords`: one serialized record per row."""

InputColumns = dict[str, "str | Sequence[str]"]


class SavedModelPredictor:
    """A ``map_batches`` callable class: one SavedModel signature over numpy batches.

    The model is loaded once, when Ray Data creates the actor; every call runs one batch.

    Args:
        model_path: the SavedModel directory (one version, not the base path).
        signature: the signature key.
        input_columns: signature input -> column, or list of columns stacked on the last
            axis. Default: each input reads the column of its name (the only column, for a
            one-input signature and a one-column dataset).
        keep_columns: columns copied to the output unchanged (ids, labels).
        tags: the MetaGraph's tag-set (None: the only one, or ``serve``).

    Raises:
        KeyError: no such signature.
    """

    def __init__(
        self,
        model_path: str,
        signature: str = "serving_default",
        input_columns: InputColumns | None = None,
        keep_columns: Sequence[str] = (),
        tags: Sequence[str] | None = None,
    ) -> None:
        from stowflow import saved_model

        self._model = saved_model.load(model_path, tags=list(tags) if tags else None)
        if signature not in self._model.signatures:
            known = sorted(self._model.signatures)
            raise KeyError(f"no signature {signature!r} in {model_path}; it has {known}")
        self._fn = self._model.signatures[signature]
        self._inputs = dict(input_columns or {})
        self._keep = tuple(keep_columns)

    def _feed(self, key: str, batch: dict[str, np.ndarray]) -> np.ndarray:
        source = self._inputs.get(key)
        if source is None:
            if key not in batch and len(self._fn.inputs) == 1 and len(batch) == 1:
                source = next(iter(batch))
            else:
                source = key
        if isinstance(source, str):
            if source not in batch:
                raise KeyError(
                    f"signature input {key!r} needs column {source!r}; the batch has "
                    f"{sorted(batch)} (map it with input_columns)"
                )
            return _dense(batch[source])
        return np.stack([_dense(batch[c]) for c in source], axis=-1)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Runs the signature on one batch; returns its outputs (and the kept columns)."""
        feeds = {key: self._feed(key, batch) for key in self._fn.inputs}
        out = self._fn(**feeds)
        return {**{c: batch[c] for c in self._keep}, **out}


def _dense(column: np.ndarray) -> np.ndarray:
    """A column as one array: lists per row (object arrays of arrays) stacked on axis 0."""
    if column.dtype == object and len(column) and isinstance(column[0], np.ndarray):
        return np.stack(list(column))
    return column


def predict(
    dataset: Any,
    model_path: str,
    signature: str = "serving_default",
    batch_size: int = 1024,
    *,
    input_columns: InputColumns | None = None,
    keep_columns: Sequence[str] = (),
    tags: Sequence[str] | None = None,
    concurrency: int | tuple[int, int] = 1,
    num_cpus: float = 1,
) -> Any:
    """``dataset`` scored by a SavedModel signature (lazy, as every Ray Dataset transform).

    Args:
        dataset: a ``ray.data.Dataset``.
        model_path: the SavedModel directory; every actor loads it once.
        signature: the signature key.
        batch_size: rows per signature run.
        input_columns, keep_columns, tags: as :class:`SavedModelPredictor`.
        concurrency: actors (or a (min, max) autoscaling range). Each holds ``num_cpus``
            for the whole run: leave CPUs for the tasks that read the dataset, or the
            pipeline waits for them forever.
        num_cpus: CPUs reserved per actor.

    Returns:
        A Dataset with the signature's output columns (plus ``keep_columns``).
    """
    return dataset.map_batches(
        SavedModelPredictor,
        fn_constructor_kwargs={
            "model_path": os.fspath(model_path),
            "signature": signature,
            "input_columns": input_columns,
            "keep_columns": tuple(keep_columns),
            "tags": tuple(tags) if tags else None,
        },
        batch_size=batch_size,
        batch_format="numpy",
        concurrency=concurrency,
        num_cpus=num_cpus,
    )


def _records(row: dict[str, Any], compression_type: str | None) -> Iterator[dict[str, bytes]]:
    from stowflow import tfrecord

    for record in tfrecord.read_records(row["path"], compression_type):
        yield {SERIALIZED_COLUMN: record}


def _files(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str]:
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    out: list[str] = []
    for item in map(os.fspath, items):
        if os.path.isdir(item):
            out.extend(sorted(os.path.join(item, n) for n in os.listdir(item)))
        else:
            out.append(item)
    return out


def read_tfrecords(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    compression_type: str | None = None,
) -> Any:
    """A Dataset of the records of TFRecord files: one ``serialized`` (bytes) column.

    Unlike ``ray.data.read_tfrecords`` it needs no TensorFlow: records stay serialized, for a
    signature that parses them. CRCs are checked (a corrupt file fails the read).

    Args:
        paths: files or directories (their files) on a file system every worker sees.
        compression_type: None/"", "ZLIB" or "GZIP", as ``tf.io.TFRecordOptions``.
    """
    files = _files(paths)
    return ray.data.from_items([{"path": f} for f in files]).flat_map(
        _records, fn_kwargs={"compression_type": compression_type}
    )
