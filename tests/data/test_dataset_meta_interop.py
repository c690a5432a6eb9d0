"""Dataset graphs cross with TensorFlow through .meta files: TF runs a stowflow export and
stowflow runs a TF export (one-shot iterator with its dataset_factory, initializable
iterator with MakeIterator), each yielding what the other side yields."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from stowflow_testlib import require_tf_python

import stowflow
from stowflow import data, errors

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from meta_pipeline import FETCHES, INIT_FETCH, INIT_OP, build  # noqa: E402
from test_dataset_goldens import tf_namespace  # noqa: E402

SCRIPT = HERE / "tf_dataset_meta_oracle.py"


def _drain(sess: stowflow.Session, fetches: list[str]) -> list[list[object]]:
    out = []
    while True:
        try:
            out.append([np.asarray(v).tolist() for v in sess.run(fetches)])
        except errors.OutOfRangeError:
            return out


def _run_ours(meta: Path) -> dict[str, object]:
    with stowflow.Graph().as_default():
        stowflow.train.import_meta_graph(str(meta))
        with stowflow.Session() as sess:
            one_shot = _drain(sess, FETCHES)
            sess.run(INIT_OP)
            return {"one_shot": one_shot, "init": _drain(sess, [INIT_FETCH])}


def _tf(python: Path, *args: str) -> str:
    done = subprocess.run(
        [str(python), str(SCRIPT), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_meta_graphs_cross_both_ways(tmp_path: Path) -> None:
    python = require_tf_python()
    ours_meta, tf_meta = tmp_path / "ours.meta", tmp_path / "tf.meta"
    with stowflow.Graph().as_default():
        build(tf_namespace(), np)
        stowflow.train.export_meta_graph(filename=str(ours_meta))
    tf_ran_ours = json.loads(_tf(python, str(ours_meta), str(tf_meta)).strip().splitlines()[-1])
    we_ran_tf = _run_ours(tf_meta)
    we_ran_ours = _run_ours(ours_meta)
    assert len(we_ran_ours["one_shot"]) == 6  # 3 batches x 2 epochs: the pipeline really ran
    assert tf_ran_ours == we_ran_tf == we_ran_ours
    assert data.Dataset is data.DatasetV1
