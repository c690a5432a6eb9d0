"""TF side of test_dataset_meta_interop.py. NEEDS TENSORFLOW (run by the test with the oracle).

Usage: tf_dataset_meta_oracle.py READ_PATH WRITE_PATH. Imports the MetaGraph at READ_PATH and
prints, as JSON, every value of the one-shot fetches until OutOfRangeError and of the
initializable one after its initializer; then builds meta_pipeline in a new graph and
exports it to WRITE_PATH.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from meta_pipeline import FETCHES, INIT_FETCH, INIT_OP, build  # noqa: E402

v1 = tf.compat.v1
v1.disable_eager_execution()


def drain(sess: v1.Session, fetches: list[str]) -> list[list[list[float]]]:
    out = []
    while True:
        try:
            out.append([np.asarray(v).tolist() for v in sess.run(fetches)])
        except tf.errors.OutOfRangeError:
            return out


def main(read_path: str, write_path: str) -> None:
    with tf.Graph().as_default():
        v1.train.import_meta_graph(read_path)
        with v1.Session() as sess:
            one_shot = drain(sess, FETCHES)
            sess.run(INIT_OP)
            init = drain(sess, [INIT_FETCH])
    with tf.Graph().as_default():
        build(v1, np)
        v1.train.export_meta_graph(filename=write_path)
    print(json.dumps({"one_shot": one_shot, "init": init}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
