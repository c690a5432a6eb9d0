"""TF side of test_tfrecord_interop.py. NEEDS TENSORFLOW (run by the test with the oracle).

Usage: tf_tfrecord_oracle.py DIR. Reads every ``ours-<kind>.tfrecord`` in DIR with
``tf.compat.v1.io.tf_record_iterator`` and with ``tf.data.TFRecordDataset``, writes
``tf-<kind>.tfrecord`` with ``tf.io.TFRecordWriter``, and prints JSON
``{kind: {"iterator": [hex...], "dataset": [hex...]}}`` for what it read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import tensorflow as tf

RECORDS = [b"", b"a", b"hello tfrecord", bytes(range(256)) * 40]
KINDS = {"none": "", "zlib": "ZLIB", "gzip": "GZIP"}


def main(directory: Path) -> None:
    out = {}
    for kind, compression in KINDS.items():
        with tf.io.TFRecordWriter(str(directory / f"tf-{kind}.tfrecord"), compression) as w:
            for record in RECORDS:
                w.write(record)
        ours = str(directory / f"ours-{kind}.tfrecord")
        options = tf.io.TFRecordOptions(compression)
        it = [r.hex() for r in tf.compat.v1.io.tf_record_iterator(ours, options)]
        ds = [r.numpy().hex() for r in tf.data.TFRecordDataset(ours, compression)]
        out[kind] = {"iterator": it, "dataset": ds}
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
