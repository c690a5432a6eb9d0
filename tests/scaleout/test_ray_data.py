"""Batch scoring on Ray Data (stowflow.ray) against ``saved_model.load`` run directly: the
outputs are equal exactly, from Parquet, CSV and TFRecord files of tf.train.Example.

A float32 matmul's last bits depend on how many rows BLAS gets at once, so the direct runs
use the same batches as Ray Data: every file holds a multiple of BATCH rows, so Ray's
batches are the consecutive BATCH-row slices."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scaleout_testlib import SAVEDMODELS

from stowflow import saved_model, tfrecord
from stowflow.proto import example_pb2

BATCH = 16
ROWS = 6 * BATCH


@pytest.fixture(scope="module")
def ray_data(ray_local: Any) -> Iterator[Any]:
    import ray

    context = ray.data.DataContext.get_current()
    before = context.execution_options.preserve_order
    context.execution_options.preserve_order = True  # compare row by row
    yield ray.data
    context.execution_options.preserve_order = before


def _direct(model: str, signature: str, **feeds: np.ndarray) -> dict[str, np.ndarray]:
    """The signature run directly on consecutive BATCH-row slices of ``feeds``."""
    loaded = saved_model.load(str(SAVEDMODELS / model))
    rows = len(next(iter(feeds.values())))
    try:
        runs = [
            loaded.signatures[signature](**{k: v[i : i + BATCH] for k, v in feeds.items()})
            for i in range(0, rows, BATCH)
        ]
    finally:
        loaded.close()
    return {k: np.concatenate([r[k] for r in runs]) for k in runs[0]}


def _x(rows: int = ROWS) -> np.ndarray:
    return np.random.default_rng(7).standard_normal((rows, 3)).astype(np.float32)


def _column(rows: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.stack([np.asarray(r[key]) for r in rows])


def test_parquet(ray_data: Any, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import stowflow.ray

    x = _x()
    table = pa.table({"id": np.arange(ROWS), "x": pa.array(list(x), type=pa.list_(pa.float32()))})
    pq.write_table(table, tmp_path / "features.parquet", row_group_size=2 * BATCH)
    ds = ray_data.read_parquet(str(tmp_path / "features.parquet"))
    rows = stowflow.ray.predict(
        ds, str(SAVEDMODELS / "tf1_predict"), batch_size=BATCH, keep_columns=["id"]
    ).take_all()
    assert _column(rows, "id").tolist() == list(range(ROWS))
    np.testing.assert_array_equal(
        _column(rows, "y"), _direct("tf1_predict", "serving_default", x=x)["y"]
    )


def test_csv_columns_stacked_into_one_input(ray_data: Any, tmp_path: Path) -> None:
    import stowflow.ray

    x = _x()
    lines = ["id,x0,x1,x2"] + [
        f"{i}," + ",".join(repr(float(v)) for v in row) for i, row in enumerate(x)
    ]
    (tmp_path / "features.csv").write_text("\n".join(lines) + "\n")
    ds = ray_data.read_csv(str(tmp_path / "features.csv"))
    rows = stowflow.ray.predict(
        ds,
        str(SAVEDMODELS / "tf1_predict"),
        signature="double",
        batch_size=BATCH,
        input_columns={"x": ["x0", "x1", "x2"]},
        keep_columns=["id"],
    ).take_all()
    assert _column(rows, "id").tolist() == list(range(ROWS))
    np.testing.assert_array_equal(_column(rows, "z"), _direct("tf1_predict", "double", x=x)["z"])


def _examples(rows: int = ROWS) -> list[bytes]:
    rng = np.random.default_rng(3)
    out = []
    for i in range(rows):
        ex = example_pb2.Example()
        ex.features.feature["x"].float_list.value.extend(rng.standard_normal(2).tolist())
        if i % 3:
            ex.features.feature["age"].int64_list.value.append(i)
        ex.features.feature["tags"].bytes_list.value.extend([b"t"] * (i % 4))
        out.append(ex.SerializeToString())
    return out


def test_tfrecord_examples_into_a_parsing_signature(ray_data: Any, tmp_path: Path) -> None:
    import stowflow.ray

    records = _examples()
    tfrecord.write_records(tmp_path / "a.tfrecord", records[: 4 * BATCH])
    tfrecord.write_records(tmp_path / "b.tfrecord.gz", records[4 * BATCH :], "GZIP")
    ds = stowflow.ray.read_tfrecords(tmp_path / "a.tfrecord").union(
        stowflow.ray.read_tfrecords([tmp_path / "b.tfrecord.gz"], "GZIP")
    )
    rows = stowflow.ray.predict(
        ds,
        str(SAVEDMODELS / "tf1_classify_regress"),
        signature="predict_raw",
        batch_size=BATCH,
        keep_columns=["serialized"],
    ).take_all()
    assert [r["serialized"] for r in rows] == records
    want = _direct("tf1_classify_regress", "predict_raw", examples=np.array(records, dtype=object))
    assert {k for k in rows[0] if k != "serialized"} == set(want)
    for key, value in want.items():
        np.testing.assert_array_equal(_column(rows, key), value, err_msg=key)


def test_map_batches_callable_class_with_string_outputs(ray_data: Any, tmp_path: Path) -> None:
    import stowflow.ray

    records = _examples(3 * BATCH)
    tfrecord.write_records(tmp_path / "ex.tfrecord", records)
    rows = (
        stowflow.ray.read_tfrecords(tmp_path)
        .map_batches(
            stowflow.ray.SavedModelPredictor,
            fn_constructor_kwargs={
                "model_path": str(SAVEDMODELS / "tf1_classify_regress"),
                "signature": "classify",
            },
            batch_size=BATCH,
            batch_format="numpy",
            concurrency=1,
        )
        .take_all()
    )
    want = _direct("tf1_classify_regress", "classify", inputs=np.array(records, dtype=object))
    np.testing.assert_array_equal(_column(rows, "scores"), want["scores"])
    assert _column(rows, "classes").tolist() == want["classes"].tolist()


def test_missing_input_column_names_it(tmp_path: Path) -> None:
    import stowflow.ray

    predictor = stowflow.ray.SavedModelPredictor(str(SAVEDMODELS / "tf1_predict"))
    with pytest.raises(KeyError, match="needs column 'x'"):
        predictor({"a": np.zeros(2), "b": np.zeros(2)})
    with pytest.raises(KeyError, match="no signature 'nope'"):
        stowflow.ray.SavedModelPredictor(str(SAVEDMODELS / "tf1_predict"), signature="nope")
