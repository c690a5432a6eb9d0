"""Recording, dumping, watches, filters and the analyzer's scale (tfdbg on stowflow)."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow import errors
from stowflow.debug import (
    DebugAnalyzer,
    DumpingDebugWrapperSession,
    LocalCLIDebugWrapperSession,
    WatchOptions,
    add_debug_tensor_watch,
    read_dump,
    record_run,
    watch_graph,
)
from stowflow.debug.parsing import parse_ranges, parse_slice
from stowflow.debug.ui import CommandReader


def _chain(n_adds: int) -> tuple[tf.Graph, Any, Any]:
    """x -> (+c_1) -> (+c_2) ... : 2 * n_adds + 1 nodes."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [4], name="x")
        y = x
        for i in range(n_adds):
            y = tf.add(y, tf.constant(float(i), name=f"c{i}"), name=f"add{i}")
    return graph, x, y


def test_every_output_is_recorded_in_order_with_metadata() -> None:
    graph, x, y = _chain(3)
    with tf.Session(graph=graph) as sess:
        run = record_run(sess, y, {x: np.ones(4, np.float32)})
    assert [r.tensor_name for r in run.records] == [
        "c0:0", "add0:0", "c1:0", "add1:0", "c2:0", "add2:0",
    ]  # fmt: skip
    last = run.records[-1]
    assert (last.op_type, last.dtype, last.shape, last.nbytes) == ("AddV2", "float32", (4,), 16)
    assert last.elapsed >= 0 and last.start >= run.records[0].start
    np.testing.assert_array_equal(last.array(), np.full(4, 4.0, np.float32))
    assert sess._op_observer is None  # recording is per run: removed afterwards


def test_memory_cap_spills_to_disk_and_values_stay_readable(tmp_path: Path) -> None:
    graph, x, y = _chain(4)
    with tf.Session(graph=graph) as sess:
        run = record_run(sess, y, {x: np.ones(4, np.float32)}, max_bytes=40)
    in_memory = [r for r in run.records if r.value is not None]
    spilled = [r for r in run.records if r.value is None]
    assert sum(r.nbytes for r in in_memory) <= 40 and run.recorder.memory_bytes <= 40
    assert spilled and all(r.path is not None and os.path.isfile(r.path) for r in spilled)
    np.testing.assert_array_equal(spilled[-1].array(), np.full(4, 7.0, np.float32))
    analyzer = DebugAnalyzer(graph, run.records)
    assert "array([7., 7., 7., 7.], dtype=float32)" in analyzer.run_command("pt add3:0")
    spill_dir = os.path.dirname(spilled[0].path)
    run.recorder.cleanup()
    assert not os.path.exists(spill_dir)


def test_strings_uninitialized_variables_and_errors_are_recorded(tmp_path: Path) -> None:
    graph = tf.Graph()
    with graph.as_default():
        words = tf.constant([b"ab", b"c"], name="words")
        v = tf.Variable([1.0], name="v")
        # The target shape is fed, so the mismatch shows at run time, not at graph building.
        two = tf.placeholder(tf.int32, [1], name="two")
        bad = tf.reshape(tf.constant([1.0, 2.0, 3.0], name="three"), two, name="bad")
    with tf.Session(graph=graph) as sess:
        run = record_run(sess, [words, v.initial_value], dump_dir=str(tmp_path / "d"))
        assert run.error is None
        failed = record_run(sess, bad, feed_dict={two: [2]})
    assert isinstance(failed.error, errors.InvalidArgumentError)
    assert [r.tensor_name for r in failed.records] == ["three:0"]
    by_name = {r.tensor_name: r for r in read_dump(str(tmp_path / "d"))}
    np.testing.assert_array_equal(by_name["words:0"].array(), np.array([b"ab", b"c"]))
    with tf.Session(graph=graph) as sess:
        uninit = record_run(sess, v)
    assert isinstance(uninit.error, errors.FailedPreconditionError)
    (record,) = uninit.records
    assert (record.tensor_name, record.has_value) == ("v:0", False)
    assert record.note == "Attempting to use uninitialized value v"


def test_dumping_wrapper_writes_one_directory_per_run(tmp_path: Path) -> None:
    graph, x, y = _chain(2)
    root = tmp_path / "root"
    with tf.Session(graph=graph) as plain:
        sess = DumpingDebugWrapperSession(plain, str(root))
        for value in (1.0, 2.0):
            np.testing.assert_array_equal(
                sess.run(y, {x: np.full(4, value, np.float32)}), np.full(4, value + 1, np.float32)
            )
    runs = sorted(os.listdir(root), key=lambda d: int(d.rsplit("_", 1)[1]))
    assert len(runs) == 2 and all(d.startswith("run_") for d in runs)
    index = json.loads((root / runs[1] / "index.json").read_text())
    last = index["tensors"][-1]
    assert (last["tensor"], last["min"], last["max"], last["mean"]) == ("add1:0", 3.0, 3.0, 3.0)
    with pytest.raises(ValueError, match="session_root path points to a non-empty directory"):
        DumpingDebugWrapperSession(tf.Session(graph=graph), str(root))
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="session_root path points to a file"):
        DumpingDebugWrapperSession(tf.Session(graph=graph), str(tmp_path / "file"))


def test_watches_restrict_what_is_recorded(tmp_path: Path) -> None:
    graph, x, y = _chain(3)
    feed = {x: np.ones(4, np.float32)}
    options = tf.RunOptions()
    add_debug_tensor_watch(options, "add1", debug_urls=f"file://{tmp_path / 'watched'}")
    with tf.Session(graph=graph) as sess:
        run = record_run(sess, y, feed, options)
        assert [r.tensor_name for r in run.records] == ["add1:0"]
        assert [e.tensor_name for e in read_dump(str(tmp_path / "watched"))] == ["add1:0"]
        everything = tf.RunOptions()
        watch_graph(everything, graph, op_type_regex_allowlist="Const")
        assert {r.op_type for r in record_run(sess, y, feed, everything).records} == {"Const"}
        dumping = DumpingDebugWrapperSession(
            sess,
            str(tmp_path / "fn"),
            watch_fn=lambda f, d: WatchOptions(node_name_regex_allowlist="add"),
        )
        dumping.run(y, feed)
    (run_dir,) = os.listdir(tmp_path / "fn")
    assert [r.node_name for r in read_dump(str(tmp_path / "fn" / run_dir))] == [
        "add0",
        "add1",
        "add2",
    ]


def test_wrapper_refuses_non_sessions_and_duplicate_filters() -> None:
    with pytest.raises(TypeError, match="Expected a stowflow Session to wrap"):
        LocalCLIDebugWrapperSession(object(), stdin=io.StringIO())
    graph, _, _ = _chain(1)
    sess = LocalCLIDebugWrapperSession(tf.Session(graph=graph), stdin=io.StringIO())
    with pytest.raises(ValueError, match="already registered"):
        sess.add_tensor_filter("has_inf_or_nan", lambda d, t: True)
    assert sess.graph is graph


def test_run_command_errors_keep_the_prompt_open() -> None:
    graph, x, y = _chain(1)
    out = io.StringIO()
    sess = LocalCLIDebugWrapperSession(
        tf.Session(graph=graph), stdin=io.StringIO("run -f nope\nrun -t 0\nrun -n\n"), stdout=out
    )
    np.testing.assert_array_equal(sess.run(y, {x: np.zeros(4, np.float32)}), np.zeros(4))
    text = out.getvalue()
    assert 'ERROR: There is no tensor filter named "nope".' in text
    assert "ERROR: run -t needs a positive number of runs" in text
    assert "run-end" not in text


def test_analyzer_sorting_and_errors() -> None:
    graph, x, y = _chain(2)
    with tf.Session(graph=graph) as sess:
        run = record_run(sess, y, {x: np.ones(4, np.float32)})
    analyzer = DebugAnalyzer(graph, run.records)

    def names(command: str) -> list[str]:
        lines = analyzer.run_command(command).splitlines()
        return [line.split()[-1] for line in lines if line.startswith("[")]

    assert names("lt") == ["c0:0", "add0:0", "c1:0", "add1:0"]
    assert names("lt -r") == ["add1:0", "c1:0", "add0:0", "c0:0"]
    assert names("lt -s dump_size")[:2] == ["c0:0", "c1:0"]
    assert names("lt -s op_type") == ["add0:0", "add1:0", "c0:0", "c1:0"]
    assert names("lt -s tensor_name -r") == ["c1:0", "c0:0", "add1:0", "add0:0"]
    assert "invalid choice: 'size'" in analyzer.run_command("lt -s size")
    assert analyzer.run_command("pt add0:0[9]").startswith("ERROR: Invalid slice [9]")
    assert (
        analyzer.run_command("pt nosuch") == 'ERROR: There is no node named "nosuch" in the graph'
    )
    assert analyzer.run_command("li add1 -r -d 0") == "ERROR: --depth must be >= 1"
    assert "Invalid regular expression" in analyzer.run_command("lt -n (")
    assert analyzer.run_command("zz") == 'ERROR: Invalid command prefix "zz"'
    assert "Depth limit = 2" in analyzer.run_command("li -r -d 2 add1")
    full = analyzer.run_command("li -r -d 2 add1").splitlines()
    assert full[1:] == ["|- (1) [AddV2] add0", "|  |- (2) [Placeholder] x", "|  |- (2) [Const] c0",
                        "|- (1) [Const] c1"]  # fmt: skip


def test_pt_all_prints_without_elision() -> None:
    graph = tf.Graph()
    with graph.as_default():
        big = tf.range(0, 2000, name="big")
    with tf.Session(graph=graph) as sess:
        analyzer = DebugAnalyzer(graph, record_run(sess, big).records)
    assert "..." in analyzer.run_command("pt big")
    full = analyzer.run_command("pt big -a")
    assert "..." not in full and "1999" in full


def test_parsing_rejects_code_and_bad_ranges() -> None:
    assert parse_slice("[1:3, ..., -1, ::2]") == (
        slice(1, 3, None),
        Ellipsis,
        -1,
        slice(None, None, 2),
    )
    for bad in ("[__import__('os')]", "[1;2]", "[a]", "[]"):
        with pytest.raises(ValueError, match="Invalid tensor-slicing string"):
            parse_slice(bad)
    assert parse_ranges("[[-inf, -1], [1, inf]]") == [(-np.inf, -1.0), (1.0, np.inf)]
    with pytest.raises(ValueError, match="low end exceeds high end"):
        parse_ranges("[3, 1]")


def test_tab_completion_on_tensor_and_node_names() -> None:
    reader = CommandReader(io.StringIO(), io.StringIO(), interactive=False)
    reader.set_completions(lambda: ["add0:0", "add1:0", "add0", "c0:0", "lt"])
    found = []
    state = 0
    while (word := reader.complete("add0", state)) is not None:
        found.append(word)
        state += 1
    assert found == ["add0", "add0:0"]


def _profiled_calls(fn: Any) -> int:
    """How many Python and C function calls ``fn()`` makes (a count, not a time)."""
    calls = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls


@pytest.fixture(scope="module")
def recorded_chains() -> dict[int, tuple[Any, Any]]:
    chains = {}
    for n_adds in (500, 2500):  # 1,001 and 5,001 nodes
        graph, x, y = _chain(n_adds)
        with tf.Session(graph=graph) as sess:
            chains[n_adds] = (graph, record_run(sess, y, {x: np.ones(4, np.float32)}).records)
    return chains


def test_lt_on_a_5000_node_graph_is_linear(recorded_chains: dict[int, tuple[Any, Any]]) -> None:
    graph, records = recorded_chains[2500]
    assert len(graph.get_operations()) == 5001 and len(records) == 5000

    def cost(n_adds: int, command: str) -> int:
        graph, records = recorded_chains[n_adds]
        return _profiled_calls(lambda: DebugAnalyzer(graph, records).run_command(command))

    for command in ("lt", "lt -s op_type -r", "lt -n add -t AddV2", "lt -f has_inf_or_nan",
                    "ni add2499", "lo -r x"):  # fmt: skip
        small, large = cost(500, command), cost(2500, command)
        # 5x the nodes: linear work grows ~5x, quadratic work would grow ~25x.
        assert large < 6 * small, (command, small, large)
    text = DebugAnalyzer(graph, records).run_command("lt")
    assert text.startswith("5000 dumped tensor(s):") and len(text.splitlines()) == 3 + 5000
