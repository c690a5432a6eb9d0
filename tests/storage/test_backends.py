"""Every path-taking API on ``memory://``, on ``s3://`` (moto's server) and on ``gs://`` (a
GCS emulator): checkpoints, bundles, gfile, the Saver in a Session, the SavedModel builder
and loaders, and the CLI tools. Each test runs once per backend."""

from __future__ import annotations

import numpy as np
import pytest
from storage_helpers import AFFINE_INPUT, AFFINE_OUTPUT, build_affine_model

import stowflow as tf
from stowflow import checkpoint, errors, gfile
from stowflow import saved_model as sm
from stowflow.bundle import BundleReader, BundleWriter, merge_bundles
from stowflow.bundle.slices import parse_shape_and_slice
from stowflow.tools.cli import main as cli_main

BACKENDS = ["memory_root", "s3_root", "gs_root"]


@pytest.fixture(params=BACKENDS, ids=["memory", "s3", "gs"])
def root(request: pytest.FixtureRequest) -> str:
    """A fresh directory URL on each backend in turn."""
    return str(request.getfixturevalue(request.param))


def test_checkpoint_round_trip(root: str) -> None:
    rng = np.random.default_rng(0)
    tensors = {
        "dense/kernel": rng.standard_normal((5, 3)).astype(np.float32),
        "step": np.array(7, np.int64),
        "vocab": np.array([b"a", b"bc", b""], dtype=object),
        "emb": rng.standard_normal((6, 2)),
    }
    first = checkpoint.save(f"{root}/ckpt/model-1", tensors, shards=2, partitions={"emb": 3})
    second = checkpoint.save(f"{root}/ckpt/model-2", {"step": np.array(8, np.int64)})
    assert first == f"{root}/ckpt/model-1"
    assert checkpoint.latest_checkpoint(f"{root}/ckpt") == second
    state = checkpoint.get_checkpoint_state(f"{root}/ckpt")
    assert list(state.all_model_checkpoint_paths) == [first, second]
    loaded = checkpoint.load(first)
    assert sorted(loaded) == sorted(tensors)
    for name, value in tensors.items():
        np.testing.assert_array_equal(loaded[name], value)
    assert checkpoint.list_variables(first) == [
        ("dense/kernel", [5, 3]),
        ("emb", [6, 2]),
        ("step", []),
        ("vocab", [3]),
    ]
    reader = checkpoint.new_checkpoint_reader(first)
    assert reader.get_tensor("step") == 7
    assert reader.get_variable_to_dtype_map()["vocab"].name == "string"
    with checkpoint.Reader(f"{root}/ckpt") as latest:
        assert latest.prefix == second
        assert latest.get_tensor("step") == 8
    with pytest.raises(errors.NotFoundError, match="Failed to find any matching files"):
        checkpoint.load(f"{root}/ckpt/model-3")


def test_bundle_writer_reader_and_merge(root: str) -> None:
    for part, value in enumerate([np.arange(4.0), np.arange(6.0).reshape(2, 3)]):
        with BundleWriter(f"{root}/tmp/part-{part}") as writer:
            writer.add(f"t{part}", value)
            writer.add_slice("p", [4, 2], [(2 * part, 2), (0, -1)], np.full((2, 2), part))
    merge_bundles([f"{root}/tmp/part-0", f"{root}/tmp/part-1"], f"{root}/merged/all")
    assert not gfile.Exists(f"{root}/tmp/part-0.index")
    with BundleReader(f"{root}/merged/all") as reader:
        assert reader.keys() == ["p", "t0", "t1"]
        got = reader.read_many(["t0", "t1"])
        np.testing.assert_array_equal(got["t1"], np.arange(6.0).reshape(2, 3))
        np.testing.assert_array_equal(reader.read("p"), [[0, 0], [0, 0], [1, 1], [1, 1]])
        np.testing.assert_array_equal(
            reader.read_slice("t1", parse_shape_and_slice("2 3 1,1:0,2")), [[3.0, 4.0]]
        )


def test_missing_data_shard_is_data_loss(root: str) -> None:
    checkpoint.save(f"{root}/c/m", {"w": np.ones(3, np.float32)})
    gfile.Remove(f"{root}/c/m.data-00000-of-00001")
    with pytest.raises(errors.DataLossError, match="is missing"):
        checkpoint.load(f"{root}/c/m")


def test_gfile_operations(root: str, tmp_path) -> None:
    with gfile.GFile(f"{root}/g/a.txt", "w") as f:
        f.write("hello\nworld\n")
    with gfile.GFile(f"{root}/g/a.txt") as f:
        assert f.readlines() == ["hello\n", "world\n"]
    with gfile.GFile(f"{root}/g/sub/b.bin", "wb") as f:
        f.write(b"\x00\x01\x02")
    assert gfile.GFile(f"{root}/g/sub/b.bin", "rb").size() == 3
    assert gfile.Exists(f"{root}/g/a.txt")
    assert gfile.IsDirectory(f"{root}/g/sub")
    assert not gfile.IsDirectory(f"{root}/g/a.txt")
    assert sorted(gfile.ListDirectory(f"{root}/g")) == ["a.txt", "sub"]
    assert gfile.Glob(f"{root}/g/*.txt") == [f"{root}/g/a.txt"]
    gfile.Copy(f"{root}/g/a.txt", f"{root}/g/c.txt")
    local = tmp_path / "local.txt"
    gfile.Copy(f"{root}/g/c.txt", str(local))  # remote -> local
    assert local.read_text() == "hello\nworld\n"
    gfile.Copy(str(local), f"{root}/g/d.txt")  # local -> remote
    with pytest.raises(errors.AlreadyExistsError):
        gfile.Rename(f"{root}/g/c.txt", f"{root}/g/d.txt")
    gfile.Rename(f"{root}/g/c.txt", f"{root}/g/e.txt")
    assert not gfile.Exists(f"{root}/g/c.txt")
    assert gfile.GFile(f"{root}/g/e.txt").read() == "hello\nworld\n"
    walked = {top: sorted(files) for top, _dirs, files in gfile.Walk(f"{root}/g")}
    assert walked == {
        f"{root}/g": ["a.txt", "d.txt", "e.txt"],
        f"{root}/g/sub": ["b.bin"],
    }
    gfile.Remove(f"{root}/g/e.txt")
    with pytest.raises(errors.NotFoundError):
        gfile.Remove(f"{root}/g/e.txt")
    with pytest.raises(errors.NotFoundError):
        gfile.GFile(f"{root}/g/nope.txt").read()
    gfile.DeleteRecursively(f"{root}/g")
    assert not gfile.Exists(f"{root}/g/a.txt")
    with pytest.raises(errors.NotFoundError, match="Could not find directory"):
        gfile.ListDirectory(f"{root}/g")


def test_saver_save_and_restore_in_a_session(root: str) -> None:
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="v")
        step = tf.Variable(5, name="step", dtype=tf.int64)
        sess.run(tf.global_variables_initializer())
        saver = tf.train.Saver()
        path = saver.save(sess, f"{root}/train/model.ckpt", global_step=3)
        assert path == f"{root}/train/model.ckpt-3"
        sess.run(tf.assign(v, [[0.0, 0.0], [0.0, 0.0]]))
        saver.restore(sess, tf.train.latest_checkpoint(f"{root}/train"))
        np.testing.assert_array_equal(sess.run(v), [[1.0, 2.0], [3.0, 4.0]])
        assert sess.run(step) == 5
    assert gfile.Exists(f"{root}/train/model.ckpt-3.meta")
    fresh = tf.Graph()
    with fresh.as_default(), tf.Session(graph=fresh) as sess:
        restorer = tf.train.import_meta_graph(f"{root}/train/model.ckpt-3.meta")
        restorer.restore(sess, f"{root}/train/model.ckpt-3")
        np.testing.assert_array_equal(sess.run("v:0"), [[1.0, 2.0], [3.0, 4.0]])


def test_builder_and_loaders(root: str) -> None:
    export_dir = f"{root}/models/affine/1"
    build_affine_model(export_dir)
    assert gfile.Exists(f"{export_dir}/saved_model.pb")
    assert gfile.Exists(f"{export_dir}/variables/variables.index")
    with pytest.raises(AssertionError, match="already exists"):
        sm.builder.SavedModelBuilder(export_dir)
    model = sm.load(export_dir)
    try:
        out = model.signatures["serving_default"](x=np.array(AFFINE_INPUT, np.float32))
        np.testing.assert_array_equal(out["y"], AFFINE_OUTPUT)
    finally:
        model.close()
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        sm.loader.load(sess, ["serve"], export_dir)
        y = sess.run("y:0", {"x:0": AFFINE_INPUT})
        np.testing.assert_array_equal(y, AFFINE_OUTPUT)


def test_cli_inspect_and_show(root: str, capsys: pytest.CaptureFixture[str]) -> None:
    checkpoint.save(f"{root}/cli/model", {"w": np.array([1.5, 2.5], np.float32)})
    assert cli_main(["inspect", f"--file_name={root}/cli/model", "--tensor_name=w"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tensor: w (float32) [2]\n[1.5 2.5]\n")
    build_affine_model(f"{root}/cli/sm")
    assert cli_main(["show", f"--dir={root}/cli/sm", "--all"]) == 0
    out = capsys.readouterr().out
    assert "signature_def['serving_default']:" in out
    assert "outputs['y'] tensor_info:" in out
