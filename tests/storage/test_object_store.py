"""Object-store semantics: the order in which a save makes objects appear (data shards, then
``.index``, then ``checkpoint``; ``saved_model.pb`` last), and reads of one tensor being
ranged reads rather than downloads of the whole shard (bytes transferred, measured)."""

from __future__ import annotations

import numpy as np
from storage_helpers import (
    S3_BUCKET,
    CountingMemoryFS,
    MotoS3,
    RecordingMemoryFS,
    build_affine_model,
)

import stowflow as tf
from stowflow import checkpoint

BIG = 50 << 20  # a 50 MiB tensor next to the small one


def _position(log: list[str], suffix: str) -> int:
    hits = [i for i, path in enumerate(log) if path.endswith(suffix)]
    assert len(hits) == 1, (suffix, log)
    return hits[0]


def test_checkpoint_save_uploads_data_then_index_then_state(
    recording_fs: type[RecordingMemoryFS],
) -> None:
    checkpoint.save("ordermem://b/run/model-1", {"a": np.ones(3), "b": np.zeros(2)}, shards=2)
    log = recording_fs.completed
    data = [_position(log, f"model-1.data-0000{i}-of-00002") for i in range(2)]
    index = _position(log, "model-1.index")
    state = _position(log, "run/checkpoint")
    assert max(data) < index < state == len(log) - 1


def test_saver_uploads_data_then_index_then_state(recording_fs: type[RecordingMemoryFS]) -> None:
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        v = tf.Variable(np.arange(4.0), name="v")
        sess.run(v.initializer)
        tf.train.Saver().save(sess, "ordermem://b/train/model.ckpt", global_step=1)
    log = recording_fs.completed
    data = _position(log, "/train/model.ckpt-1.data-00000-of-00001")
    index = _position(log, "/train/model.ckpt-1.index")
    state = _position(log, "/train/checkpoint")
    assert data < index < state


def test_builder_uploads_saved_model_pb_last(recording_fs: type[RecordingMemoryFS]) -> None:
    build_affine_model("ordermem://b/models/m/1")
    log = recording_fs.completed
    data = _position(log, "/variables/variables.data-00000-of-00001")
    index = _position(log, "/variables/variables.index")
    assert data < index < _position(log, "/saved_model.pb") == len(log) - 1


def _big_checkpoint(prefix: str, size: int = BIG) -> np.ndarray:
    small = np.arange(16, dtype=np.float32)
    big = np.ones(size // 4, dtype=np.float32)
    checkpoint.save(prefix, {"big": big, "small": small})
    return small


def test_reading_one_tensor_is_a_ranged_read(counting_fs: type[CountingMemoryFS]) -> None:
    small = _big_checkpoint("countmem://b/ckpt/model")
    counting_fs.bytes_read = 0
    np.testing.assert_array_equal(
        checkpoint.load("countmem://b/ckpt/model", ["small"])["small"], small
    )
    with checkpoint.Reader("countmem://b/ckpt/model") as reader:
        np.testing.assert_array_equal(reader.get_tensor("small"), small)
    assert counting_fs.bytes_read < 64 << 10  # the index twice, the state file, 64 bytes
    counting_fs.bytes_read = 0
    checkpoint.load("countmem://b/ckpt/model", ["big"])
    assert counting_fs.bytes_read >= BIG  # the counter does see a whole-tensor read


def test_reading_one_tensor_from_s3_transfers_little(moto_s3: MotoS3) -> None:
    # 8 MiB, not 50: moto takes seconds per 10 MB uploaded; the ratio is what matters here.
    prefix = f"s3://{S3_BUCKET}/ranged/model"
    small = _big_checkpoint(prefix, 8 << 20)
    before = moto_s3.traffic.get_bytes
    np.testing.assert_array_equal(checkpoint.load(prefix, ["small"])["small"], small)
    transferred = moto_s3.traffic.get_bytes - before
    index_size = tf.gfile.GFile(f"{prefix}.index").size()
    # At least the index and the tensor's 64 bytes went over the wire; nowhere near 50 MiB.
    assert index_size + small.nbytes <= transferred < 64 << 10, transferred
