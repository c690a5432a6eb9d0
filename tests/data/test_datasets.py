"""tf.data behaviour that has no TF golden: seeded shuffle determinism (our documented
deviation), the file policy on file datasets, end-of-sequence repetition, structures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stowflow
from stowflow import data, errors, tfrecord
from stowflow.data import structure
from stowflow.graph.file_policy import FilePolicy, confine


def _drain(nxt: object, sess: stowflow.Session) -> list[object]:
    out = []
    while True:
        try:
            out.append(sess.run(nxt))
        except errors.OutOfRangeError:
            return out


def _shuffled(seed: int | None, graph_seed: int | None = None, epochs: int = 1) -> list[int]:
    with stowflow.Graph().as_default() as graph:
        graph.seed = graph_seed
        ds = data.Dataset.range(20).shuffle(5, seed=seed).repeat(epochs)
        nxt = data.make_one_shot_iterator(ds).get_next()
        with stowflow.Session() as sess:
            return [int(v) for v in _drain(nxt, sess)]


def test_seeded_shuffle_is_deterministic_and_a_permutation() -> None:
    first = _shuffled(7)
    assert first == _shuffled(7)
    assert first != list(range(20))
    assert sorted(first) == list(range(20))
    assert _shuffled(8) != first
    assert _shuffled(None, graph_seed=3) == _shuffled(None, graph_seed=3)


def test_reshuffle_each_iteration_changes_the_order_per_epoch() -> None:
    both = _shuffled(7, epochs=2)
    assert sorted(both[:20]) == sorted(both[20:]) == list(range(20))
    assert both[:20] != both[20:]
    assert both[:20] == _shuffled(7)


def test_shuffle_buffer_bounds_how_far_an_element_moves_forward() -> None:
    order = _shuffled(11)
    # An element can only be emitted once it has entered the buffer of 5.
    assert all(value <= position + 4 for position, value in enumerate(order))


def test_end_of_sequence_repeats() -> None:
    with stowflow.Graph().as_default():
        nxt = data.make_one_shot_iterator(data.Dataset.range(1)).get_next()
        with stowflow.Session() as sess:
            assert sess.run(nxt) == 0
            for _ in range(2):
                with pytest.raises(errors.OutOfRangeError, match="End of sequence"):
                    sess.run(nxt)


def test_each_session_has_its_own_iterator_state() -> None:
    with stowflow.Graph().as_default():
        nxt = data.make_one_shot_iterator(data.Dataset.range(3)).get_next()
        with stowflow.Session() as a, stowflow.Session() as b:
            assert [a.run(nxt), a.run(nxt), b.run(nxt)] == [0, 1, 0]


def test_file_datasets_obey_the_session_file_policy(tmp_path: Path) -> None:
    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir()
    outside.mkdir()
    tfrecord.write_records(outside / "r.tfrecord", [b"secret"])
    with stowflow.Graph().as_default():
        nxt = data.make_one_shot_iterator(
            data.TFRecordDataset(str(outside / "r.tfrecord"))
        ).get_next()
        with stowflow.Session() as sess:
            confine(sess, FilePolicy([inside]))
            with pytest.raises(errors.PermissionDeniedError, match="may not access"):
                sess.run(nxt)
        with stowflow.Session() as sess:
            assert sess.run(nxt) == b"secret"


def test_corrupt_tfrecord_fails_the_iterator_with_data_loss(tmp_path: Path) -> None:
    path = tmp_path / "r.tfrecord"
    tfrecord.write_records(path, [b"abc"])
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    with stowflow.Graph().as_default():
        nxt = data.make_one_shot_iterator(data.TFRecordDataset(str(path))).get_next()
        with (
            stowflow.Session() as sess,
            pytest.raises(errors.DataLossError, match="corrupted record at 0"),
        ):
            sess.run(nxt)


def test_structure_flatten_and_pack() -> None:
    nested = {"b": (1, [2, 3]), "a": 4}
    assert structure.flatten(nested) == [4, 1, [2, 3]]
    assert structure.pack(nested, ["x", "y", "z"]) == {"b": ("y", "z"), "a": "x"}
    with pytest.raises(ValueError, match="Structure had 3 elements"):
        structure.pack(nested, [1])


def test_output_types_and_shapes() -> None:
    with stowflow.Graph().as_default():
        ds = data.Dataset.from_tensor_slices({"x": np.zeros((4, 3), np.float32), "y": np.arange(4)})
        batched = ds.batch(2, drop_remainder=True)
        assert batched.output_types == {"x": stowflow.float32, "y": stowflow.int64}
        assert batched.output_shapes["x"].as_list() == [2, 3]
        assert ds.batch(2).output_shapes["y"].as_list() == [None]


def test_from_generator_checks_what_the_generator_yields() -> None:
    def bad() -> Any:
        yield [1, 2]

    with stowflow.Graph().as_default():
        ds = data.Dataset.from_generator(bad, stowflow.int64, stowflow.TensorShape([]))
        nxt = data.make_one_shot_iterator(ds).get_next()
        with (
            stowflow.Session() as sess,
            pytest.raises(
                errors.InvalidArgumentError,
                match=r"yielded an element of shape \(2,\) where an element of shape \(\) was expected",
            ),
        ):
            sess.run(nxt)
    with pytest.raises(TypeError, match="`output_types` argument can not be None"):
        data.Dataset.from_generator(bad)


def test_from_generator_restarts_with_the_initializer() -> None:
    with stowflow.Graph().as_default():
        ds = data.Dataset.from_generator(lambda: iter(range(2)), stowflow.int64)
        it = data.make_initializable_iterator(ds)
        nxt = it.get_next()
        with stowflow.Session() as sess:
            sess.run(it.initializer)
            first = _drain(nxt, sess)
            sess.run(it.initializer)
            assert first == _drain(nxt, sess) == [0, 1]
