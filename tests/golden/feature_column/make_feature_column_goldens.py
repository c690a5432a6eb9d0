# NEEDS TENSORFLOW 2.21 (its tf.compat.v1.feature_column works in TF1 graph mode). Run:
#   "$(scripts/tf_venv)" tests/golden/feature_column/make_feature_column_goldens.py
"""Writes ``feature_column_goldens.json``: TF's results for ``feature_column_cases``.

For every case: the output tensor's name and static shape, each variable's name, shape and
collections, the variables' seeded initial values, the output with those values and again
after assigning ``assign_value`` to every variable, and ``cols_to_vars``. Also the reprs of
``make_parse_example_spec`` and of the columns, the serialized tf.Examples the parsed cases
read (base64), and the class and message of each error case.
"""

from __future__ import annotations

import base64
import json
import sys
import tempfile
from pathlib import Path

import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
tf.get_logger().setLevel("ERROR")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import feature_column_cases as cases  # noqa: E402

fc = tf.feature_column


def serialize(example: dict) -> bytes:
    feature = {}
    for key, (kind, values) in example.items():
        if kind == "bytes":
            feature[key] = tf.train.Feature(bytes_list=tf.train.BytesList(value=values))
        elif kind == "int64":
            feature[key] = tf.train.Feature(int64_list=tf.train.Int64List(value=values))
        else:
            feature[key] = tf.train.Feature(float_list=tf.train.FloatList(value=values))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def main() -> None:
    serialized = [serialize(e) for e in cases.EXAMPLES]
    out: dict = {"serialized": [base64.b64encode(s).decode() for s in serialized]}
    with tempfile.TemporaryDirectory() as tmp:
        vocab = Path(tmp) / "vocab.txt"
        vocab.write_text("\n".join(cases.VOCAB_LINES) + "\n")
        ctx = {"vocab_file": str(vocab), "serialized": serialized}
        out["cases"] = [cases.run_case(tf, fc, ctx, case) for case in cases.CASES]
        columns = cases.spec_columns(fc, dict(ctx, tf=tf))
    out["spec_repr"] = repr(sorted(fc.make_parse_example_spec(columns).items()))
    out["column_reprs"] = [repr(c) for c in columns if "initializer" not in repr(c)]
    out["column_names"] = [c.name for c in columns]
    errors = {}
    for name, fn in cases.ERRORS:
        with tf.Graph().as_default():
            try:
                fn(fc, tf)
            except Exception as e:  # noqa: BLE001 - the class is the golden
                errors[name] = [type(e).__name__, str(e)]
            else:
                errors[name] = None
    out["errors"] = errors
    (HERE / "feature_column_goldens.json").write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", len(out["cases"]), "cases")


if __name__ == "__main__":
    main()
