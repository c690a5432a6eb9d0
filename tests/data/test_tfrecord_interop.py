"""TFRecord files both ways with TensorFlow: TF writes -> stowflow reads, stowflow writes ->
TF reads (tf_record_iterator and TFRecordDataset), uncompressed, ZLIB and GZIP."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from stowflow_testlib import require_tf_python

from stowflow import tfrecord

SCRIPT = Path(__file__).with_name("tf_tfrecord_oracle.py")
RECORDS = [b"", b"a", b"hello tfrecord", bytes(range(256)) * 40]  # as the oracle script
KINDS = {"none": "", "zlib": "ZLIB", "gzip": "GZIP"}


def test_tfrecord_files_cross_both_ways(tmp_path: Path) -> None:
    python = require_tf_python()
    for kind, compression in KINDS.items():
        tfrecord.write_records(tmp_path / f"ours-{kind}.tfrecord", RECORDS, compression)
    done = subprocess.run(
        [str(python), str(SCRIPT), str(tmp_path)], capture_output=True, text=True, check=True
    )
    read_by_tf = json.loads(done.stdout.strip().splitlines()[-1])
    for kind, compression in KINDS.items():
        assert read_by_tf[kind]["iterator"] == [r.hex() for r in RECORDS], kind
        assert read_by_tf[kind]["dataset"] == [r.hex() for r in RECORDS], kind
        theirs = tmp_path / f"tf-{kind}.tfrecord"
        assert list(tfrecord.tf_record_iterator(theirs, compression)) == RECORDS, kind
    # Uncompressed framing is byte-identical to TF's.
    ours = (tmp_path / "ours-none.tfrecord").read_bytes()
    assert ours == (tmp_path / "tf-none.tfrecord").read_bytes()
