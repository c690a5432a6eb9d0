"""The checkpoint API on TF-made fixtures, the state file, crash safety, and independence from TF."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from stowflow_testlib import (
    DEV_PYTHON_ENV,
    GOLDEN,
    ROOT,
    assert_bitwise_equal,
    expected_tensors,
    fixture_dirs,
    load_expected,
    tf_python,
)

from stowflow import checkpoint, dtypes
from stowflow.errors import InvalidArgumentError, NotFoundError
from stowflow.proto import checkpoint_state_pb2

FIXTURES = [p.name for p in fixture_dirs()]


def test_fixtures_present() -> None:
    assert {"tf1_single", "tf1_partitioned", "tf1_sharded", "tf2_checkpoint"} <= set(FIXTURES)


# -- TF writes -> stowflow reads ---------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_values_and_dtypes(name: str) -> None:
    fixture = GOLDEN / name
    exp = load_expected(fixture)
    expected = expected_tensors(fixture)
    prefix = str(fixture / exp["prefix"])
    loaded = checkpoint.load(prefix)
    assert sorted(loaded) == sorted(expected)
    for key, value in expected.items():
        assert_bitwise_equal(loaded[key], value, key)
    if "tensors" in exp:
        with checkpoint.Reader(prefix) as reader:
            got = {k: d.name for k, d in reader.get_variable_to_dtype_map().items()}
        assert got == {k: t["dtype"] for k, t in exp["tensors"].items()}


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_list_variables(name: str) -> None:
    fixture = GOLDEN / name
    exp = load_expected(fixture)
    got = checkpoint.list_variables(str(fixture / exp["prefix"]))
    if "list_variables" in exp:
        assert [list(x) for x in got] == exp["list_variables"]
    else:
        keys = sorted(expected_tensors(fixture))
        assert got == [(k, [1]) for k in keys]


def test_partitioned_variables_reassembled() -> None:
    fixture = GOLDEN / "tf1_partitioned"
    loaded = checkpoint.load(str(fixture / "model.ckpt"))
    np.testing.assert_array_equal(loaded["part/pv"], np.arange(10, dtype=np.float32).reshape(5, 2))
    assert loaded["part/pw"].shape == (7, 3)
    # slice keys (they start with 0x00) never show up as names
    assert sorted(loaded) == ["normal", "note", "part/pv", "part/pw"]
    sliced = checkpoint.load(str(GOLDEN / "raw_savev2_sliced" / "sliced"))
    assert sliced["m"].tolist() == [[-2.0, -0.5], [1.0, 2.5], [4.0, 5.5], [7.0, 8.5]]


def test_tf2_object_keys_as_stored() -> None:
    prefix = str(GOLDEN / "tf2_checkpoint" / "ckpt-2")
    keys = checkpoint.Reader(prefix).keys()
    assert "model/w/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert "model/w/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert "save_counter/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert checkpoint.load(prefix)["save_counter/.ATTRIBUTES/VARIABLE_VALUE"] == 2


@pytest.mark.parametrize(
    "prefix",
    ["tf2_checkpoint/ckpt-2", "keras_checkpoint/ckpt", "savedmodel_vars/model/variables/variables"],
)
def test_object_graph_parses(prefix: str) -> None:
    graph = checkpoint.object_graph(str(GOLDEN / prefix))
    assert len(graph.nodes) > 1
    keys = {a.checkpoint_key for node in graph.nodes for a in node.attributes}
    stored = set(checkpoint.Reader(str(GOLDEN / prefix)).keys()) - {checkpoint.OBJECT_GRAPH_KEY}
    assert keys == stored
    root_children = {c.local_name for c in graph.nodes[0].children}
    assert root_children
    if prefix.startswith("tf2"):
        assert root_children == {"model", "optimizer", "save_counter"}
        w = [a for n in graph.nodes for a in n.attributes if a.full_name == "w"]
        assert w[0].name == "VARIABLE_VALUE"
        assert w[0].checkpoint_key == "model/w/.ATTRIBUTES/VARIABLE_VALUE"


def test_object_graph_of_tf1_checkpoint_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="_CHECKPOINTABLE_OBJECT_GRAPH"):
        checkpoint.object_graph(str(GOLDEN / "tf1_single" / "model.ckpt-7"))


# -- the state file -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "latest", "all_paths"),
    [
        ("tf1_single", "model.ckpt-7", ["model.ckpt-7"]),
        ("tf1_global_step", "model.ckpt-4", ["model.ckpt-3", "model.ckpt-4"]),
        ("tf1_partitioned", "model.ckpt", ["model.ckpt"]),
        ("tf1_sharded", "model.ckpt", ["model.ckpt"]),
        ("tf2_checkpoint", "ckpt-2", ["ckpt-1", "ckpt-2"]),
    ],
)
def test_latest_checkpoint_and_state(name: str, latest: str, all_paths: list[str]) -> None:
    directory = str(GOLDEN / name)
    assert checkpoint.latest_checkpoint(directory) == os.path.join(directory, latest)
    state = checkpoint.get_checkpoint_state(directory)
    assert state.model_checkpoint_path == os.path.join(directory, latest)
    assert list(state.all_model_checkpoint_paths) == [os.path.join(directory, p) for p in all_paths]
    if name == "tf2_checkpoint":
        assert len(state.all_model_checkpoint_timestamps) == 2
        assert state.last_preserved_timestamp > 1e9
    # a directory resolves to its latest checkpoint
    assert checkpoint.Reader(directory).prefix == os.path.join(directory, latest)


def test_latest_checkpoint_without_state_file() -> None:
    assert checkpoint.latest_checkpoint(str(GOLDEN / "raw_savev2_golden")) is None
    assert checkpoint.get_checkpoint_state(str(GOLDEN / "raw_savev2_golden")) is None
    with pytest.raises(NotFoundError, match="Failed to find any matching files"):
        checkpoint.Reader(str(GOLDEN / "raw_savev2_golden"))


def test_latest_checkpoint_edge_cases(tmp_path: Path) -> None:
    state = tmp_path / "checkpoint"
    state.write_text('model_checkpoint_path: "gone"\n')
    assert checkpoint.latest_checkpoint(str(tmp_path)) is None  # no gone.index
    state.write_text("this is not { a text proto")
    assert checkpoint.get_checkpoint_state(str(tmp_path)) is None
    assert checkpoint.latest_checkpoint(str(tmp_path)) is None
    state.write_text('all_model_checkpoint_paths: "x"\n')
    with pytest.raises(ValueError, match="Invalid checkpoint state"):
        checkpoint.get_checkpoint_state(str(tmp_path))
    # absolute paths are used as they are
    checkpoint.save(str(tmp_path / "sub" / "m"), {"v": np.ones(2)}, update_state=False)
    state.write_text(f'model_checkpoint_path: "{tmp_path / "sub" / "m"}"\n')
    assert checkpoint.latest_checkpoint(str(tmp_path)) == str(tmp_path / "sub" / "m")
    # another state-file name
    (tmp_path / "other").write_text('model_checkpoint_path: "sub/m"\n')
    assert checkpoint.latest_checkpoint(str(tmp_path), "other") == str(tmp_path / "sub" / "m")


def test_update_checkpoint_state_matches_tf1_saver_text(tmp_path: Path) -> None:
    directory = str(tmp_path)
    paths = [os.path.join(directory, p) for p in ("model.ckpt-3", "model.ckpt-4")]
    checkpoint.update_checkpoint_state(directory, paths[-1], paths, save_relative_paths=True)
    theirs = (GOLDEN / "tf1_global_step" / "checkpoint").read_text()
    assert (tmp_path / "checkpoint").read_text() == theirs
    # absolute save dir without save_relative_paths: absolute paths, as TF1's Saver writes them
    checkpoint.update_checkpoint_state(directory, paths[-1], paths[:1])
    state = checkpoint_state_pb2.CheckpointState()
    from google.protobuf import text_format

    text_format.Parse((tmp_path / "checkpoint").read_text(), state)
    assert state.model_checkpoint_path == paths[-1]
    assert list(state.all_model_checkpoint_paths) == paths


def test_update_checkpoint_state_relative_save_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    checkpoint.update_checkpoint_state("tf1", "tf1/model.ckpt-300", ["tf1/model.ckpt-300"])
    assert (tmp_path / "tf1" / "checkpoint").read_text() == (
        'model_checkpoint_path: "model.ckpt-300"\nall_model_checkpoint_paths: "model.ckpt-300"\n'
    )
    state = checkpoint.get_checkpoint_state("tf1")
    assert state.model_checkpoint_path == os.path.join("tf1", "model.ckpt-300")


def test_update_checkpoint_state_timestamps_and_conflict(tmp_path: Path) -> None:
    directory = str(tmp_path)
    checkpoint.update_checkpoint_state(
        directory,
        "ckpt-3",
        ["ckpt-2", "ckpt-3"],
        all_model_checkpoint_timestamps=[1.5, 2.5],
        last_preserved_timestamp=0.5,
    )
    state = checkpoint.get_checkpoint_state(directory)
    assert list(state.all_model_checkpoint_timestamps) == [1.5, 2.5]
    assert state.last_preserved_timestamp == 0.5
    with pytest.raises(InvalidArgumentError, match="conflicts with path used for checkpoint state"):
        checkpoint.update_checkpoint_state(directory, os.path.join(directory, "checkpoint"))
    assert not list(tmp_path.glob("*tempstate*"))


def test_save_updates_state_file(tmp_path: Path) -> None:
    for step in (1, 2, 3):
        checkpoint.save(str(tmp_path / f"model-{step}"), {"step": np.int64(step)})
    text = (tmp_path / "checkpoint").read_text()
    assert text == (
        'model_checkpoint_path: "model-3"\n'
        'all_model_checkpoint_paths: "model-1"\n'
        'all_model_checkpoint_paths: "model-2"\n'
        'all_model_checkpoint_paths: "model-3"\n'
    )
    assert checkpoint.load(str(tmp_path))["step"] == 3
    checkpoint.save(str(tmp_path / "model-2"), {"step": np.int64(22)})  # re-save moves it last
    state = checkpoint.get_checkpoint_state(str(tmp_path))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
        "model-1",
        "model-3",
        "model-2",
    ]
    assert not list(tmp_path.glob("*tempstate*"))


def test_load_names_and_missing_key(tmp_path: Path) -> None:
    checkpoint.save(str(tmp_path / "m"), {"a": np.ones(2), "b": np.zeros(3)})
    assert list(checkpoint.load(str(tmp_path / "m"), ["b"])) == ["b"]
    with pytest.raises(NotFoundError, match="Key c not found in checkpoint"):
        checkpoint.load(str(tmp_path / "m"), ["c"])
    # the .index path itself is accepted too
    assert sorted(checkpoint.load(str(tmp_path / "m.index"))) == ["a", "b"]


def test_save_argument_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="at least one tensor"):
        checkpoint.save(str(tmp_path / "m"), {})
    with pytest.raises(InvalidArgumentError, match="unknown tensors"):
        checkpoint.save(str(tmp_path / "m"), {"a": np.ones(2)}, partitions={"b": 2})
    with pytest.raises(InvalidArgumentError, match="partitions"):
        checkpoint.save(str(tmp_path / "m"), {"a": np.ones(2)}, partitions={"a": 3})
    with pytest.raises(InvalidArgumentError, match="num_shards"):
        checkpoint.save(str(tmp_path / "m"), {"a": np.ones(2)}, shards=0)


def test_reader_dtype_map_uses_dtype_objects() -> None:
    with checkpoint.Reader(str(GOLDEN / "tf1_single" / "model.ckpt-7")) as reader:
        dmap = reader.get_variable_to_dtype_map()
        assert dmap["bf"] == dtypes.bfloat16
        assert dmap["s"] == dtypes.string
        assert reader.has_tensor("a") and not reader.has_tensor("nope")


# -- crash safety --------------------------------------------------------------------------------

_SAVER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from stowflow import checkpoint
    tensors = {f"t{i:02d}": np.full(262144, i, np.float32) for i in range(50)}  # 50 x 1 MB
    print("ready", flush=True)
    checkpoint.save(sys.argv[1], tensors)
    print("done", flush=True)
    """
)


def _good_checkpoint(directory: Path) -> dict[str, np.ndarray]:
    values = {
        "w": np.arange(12, dtype=np.float32).reshape(3, 4),
        "s": np.array([b"ok", b""], object),
    }
    checkpoint.save(str(directory / "model-1"), values)
    return values


def _check_after_kill(directory: Path, good: dict[str, np.ndarray]) -> str:
    loaded = checkpoint.load(str(directory / "model-1"))
    for key, value in good.items():
        assert_bitwise_equal(loaded[key], value, key)
    state = checkpoint.get_checkpoint_state(str(directory))
    assert state is not None, (directory / "checkpoint").read_bytes()
    latest = os.path.basename(state.model_checkpoint_path)
    assert latest in ("model-1", "model-2")
    if latest == "model-2":
        new = checkpoint.load(str(directory))
        assert sorted(new) == [f"t{i:02d}" for i in range(50)]
        for i in range(50):
            assert (new[f"t{i:02d}"] == i).all()
    return latest


def test_sigkill_during_save_keeps_previous_checkpoint(tmp_path: Path) -> None:
    # Time one complete save to spread the kill delays over its duration.
    base = tmp_path / "timing"
    base.mkdir()
    base_good = _good_checkpoint(base)
    proc = subprocess.Popen(
        [sys.executable, "-c", _SAVER, str(base / "model-2")],
        stdout=subprocess.PIPE,
        text=True,
        env=DEV_PYTHON_ENV,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    start = time.monotonic()
    assert proc.stdout.readline() == "done\n"
    duration = time.monotonic() - start
    proc.wait(timeout=60)
    assert _check_after_kill(base, base_good) == "model-2"

    rng = random.Random(1234)
    outcomes = []
    for run in range(10):
        directory = tmp_path / f"run{run}"
        directory.mkdir()
        good = _good_checkpoint(directory)
        proc = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(directory / "model-2")],
            stdout=subprocess.PIPE,
            text=True,
            env=DEV_PYTHON_ENV,
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        # mostly inside the write; the last runs may let it finish
        time.sleep(rng.uniform(0.0, duration * (1.0 if run < 8 else 1.5)))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        outcomes.append(_check_after_kill(directory, good))
    assert "model-1" in outcomes  # at least one kill landed before the save completed


# -- independence from TensorFlow -----------------------------------------------------------------

_FLOW = textwrap.dedent(
    """
    import contextlib, io, json, sys, tempfile, os
    import stowflow
    import numpy as np
    after_import = sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow")
    d = tempfile.mkdtemp()
    stowflow.checkpoint.save(os.path.join(d, "m-1"), {"w": np.ones((2, 2), np.float32),
                             "s": np.array([b"x"], object)}, shards=2, partitions={"w": 2})
    vals = stowflow.checkpoint.load(d)
    stowflow.checkpoint.list_variables(d)
    from stowflow.tools import cli, inspect_checkpoint
    with contextlib.redirect_stdout(io.StringIO()):
        cli.main(["inspect", "--file_name=" + os.path.join(d, "m-1"), "--all_tensors"])
        inspect_checkpoint.print_tensors_in_checkpoint_file(os.path.join(d, "m-1"), "w", False)
    from stowflow import tensors
    tensors.make_ndarray(tensors.make_tensor_proto([1.0, 2.0]))
    print(json.dumps({"after_import": after_import,
                      "at_end": sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow"),
                      "w": vals["w"].tolist()}))
    """
)


def _run_flow(python: str) -> dict:
    proc = subprocess.run(
        [python, "-c", _FLOW],
        capture_output=True,
        text=True,
        timeout=120,
        env={**DEV_PYTHON_ENV, "TF_CPP_MIN_LOG_LEVEL": "3"},
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_tensorflow_never_imported_dev_python() -> None:
    report = _run_flow(sys.executable)
    assert report == {"after_import": [], "at_end": [], "w": [[1.0, 1.0], [1.0, 1.0]]}


def test_tensorflow_never_imported_where_tensorflow_is_installed() -> None:
    """The same flow under the TF venv, where a stray ``import tensorflow`` would succeed."""
    python = tf_python()
    if not python.exists():
        pytest.skip(f"TensorFlow oracle venv not found at {python} (set STOWFLOW_TF_PYTHON)")
    report = _run_flow(str(python))
    assert report["after_import"] == [] and report["at_end"] == []


def test_import_time_lists_no_tensorflow() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import stowflow, stowflow.checkpoint, stowflow.tools.cli, stowflow.tensors",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=DEV_PYTHON_ENV,
    )
    assert proc.returncode == 0, proc.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()]
    assert "stowflow.checkpoint" in imported
    assert not [m for m in imported if m.split(".")[0] == "tensorflow"]


def test_directory_fixture_is_read_only_copyable(tmp_path: Path) -> None:
    """Copies of fixture dirs resolve too (state file paths are relative)."""
    shutil.copytree(GOLDEN / "tf2_checkpoint", tmp_path / "c")
    assert checkpoint.latest_checkpoint(str(tmp_path / "c")) == str(tmp_path / "c" / "ckpt-2")
