"""Malformed model files are typed errors, and nothing is allocated before it is needed.

A seeded mutation fuzz over the TF-made graph files of ``tests/golden`` (``stowflow_fuzz``:
bit flips, byte overwrites, truncations, insertions, duplicated ranges, varint and length
corruption, and field-level changes of the parsed protos) through ``import_graph_def``,
``tf.train.import_meta_graph``, ``saved_model.load``, the TF1 ``loader.load`` and the CLI.
Every outcome must be a success or a typed error (``OpError``, ``ValueError``, ``TypeError``
with a message). ``STOWFLOW_FUZZ_N`` sets the mutants per file (default 10); long local
campaigns: ``python tests/fidelity/fuzz_campaign.py N``.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import stowflow_fuzz as fuzz
from stowflow_testlib import DEV_PYTHON_ENV

import stowflow as tf
from stowflow import errors, saved_model, tensors
from stowflow.graph.importer import import_graph_def
from stowflow.proto import graph_pb2, meta_graph_pb2, parsing, saved_model_pb2
from stowflow.tools import freeze_graph


@pytest.fixture(autouse=True)
def _quiet_tensorflow_logger():  # type: ignore[no-untyped-def]
    import logging

    old = fuzz.silence_logs()
    yield
    logging.getLogger("tensorflow").setLevel(old)

MUTANTS_PER_FILE = int(os.environ.get("STOWFLOW_FUZZ_N", "10"))
SEEDS = fuzz.corpus()


# ------------------------------------------------------------------------------ the fuzz


def test_corpus_holds_every_kind_of_tf_made_file() -> None:
    kinds = {s.kind for s in SEEDS}
    assert kinds == {"graph_def", "meta", "saved_model", "saved_model_text"}
    assert len(SEEDS) >= 15


def test_mutations_are_reproducible_and_varied() -> None:
    seed = next(s for s in SEEDS if s.kind == "saved_model")
    assert fuzz.mutate(seed.data, 7, seed.kind) == fuzz.mutate(seed.data, 7, seed.kind)
    labels = {fuzz.mutate(seed.data, n, seed.kind)[1].split("+")[0] for n in range(200)}
    for kind in ("bitflip", "overwrite", "truncate", "insert", "duplicate", "length", "varint"):
        assert kind in labels
    assert any(label.startswith(("set:", "rep", "clear:", "del-map:")) for label in labels)


@pytest.mark.parametrize("seed", SEEDS, ids=[s.name for s in SEEDS])
def test_mutants_give_only_typed_errors(seed: fuzz.Seed) -> None:
    escapes: list[fuzz.Escape] = []
    with fuzz.workdir() as work, fuzz.memory_cap():
        for number in range(MUTANTS_PER_FILE):
            escapes.extend(fuzz.run_one(seed, number, work))
    report = "\n".join(
        f"{e.file} seed={e.seed} ({e.mutation}) via {e.entry}: {e.error}" for e in escapes
    )
    assert not escapes, f"untyped outcomes (reproduce with fuzz.mutate(data, seed)):\n{report}"


def test_the_classifier_rejects_untyped_errors() -> None:
    assert fuzz.is_typed(errors.DataLossError(None, None, "bad file"))
    assert fuzz.is_typed(ValueError("bad node"))
    for bad in (
        KeyError("x"),
        IndexError("x"),
        RecursionError("x"),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"),
        ZeroDivisionError("x"),
        ValueError(""),
        MemoryError(),
    ):
        assert not fuzz.is_typed(bad), bad


# ------------------------------------------------------------------------------ the CLI


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stowflow", *args],
        capture_output=True,
        text=True,
        env={**DEV_PYTHON_ENV, "STOWFLOW_TRACEBACK": "0"},
        timeout=120,
    )


def _assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.startswith("stowflow")]
        assert len(lines) == 1 and "error" in lines[0], result.stderr


def test_cli_reports_mutants_in_one_line(tmp_path: Path) -> None:
    seed = next(s for s in SEEDS if s.name.endswith("tf1_simple_save/saved_model.pb"))
    for number in (0, 1, 2, 5):
        mutant, _ = fuzz.mutate(seed.data, number, seed.kind)
        model = fuzz._fresh_dir(seed, mutant, tmp_path)
        _assert_one_line_error(_cli("show", "--dir", str(model), "--all"))
        _assert_one_line_error(
            _cli(
                "run",
                "--dir",
                str(model),
                "--tag_set",
                "serve",
                "--signature_def",
                "serving_default",
                "--input_exprs",
                "x=[[1.0]]",
            )
        )
    (tmp_path / "model" / "saved_model.pb").write_bytes(seed.data[: len(seed.data) // 2])
    truncated = _cli("show", "--dir", str(tmp_path / "model"), "--all")
    assert truncated.returncode == 1
    _assert_one_line_error(truncated)


# ------------------------------------------------------------------------------ deep nesting


def _nested_func_attr_text(depth: int) -> str:
    opening = 'attr { key: "a" value { func { name: "f" ' * depth
    return 'graph_def { node { name: "x" op: "NoOp" ' + opening + "} } }" * depth + " } }"


def test_deeply_nested_text_meta_graph_is_data_loss(tmp_path: Path) -> None:
    path = tmp_path / "deep.meta"
    path.write_text(_nested_func_attr_text(100_000))
    with tf.Graph().as_default(), pytest.raises(errors.DataLossError) as info:
        tf.train.import_meta_graph(str(path))
    assert str(path) in info.value.message
    assert "nest" in info.value.message


def test_text_depth_skips_strings_and_comments() -> None:
    assert parsing.text_depth(b'a { b { s: "{{{{" } } # {{{{\n') == 2
    assert parsing.text_depth(b"a < b { } >") == 2
    shallow = meta_graph_pb2.MetaGraphDef()
    parsing.parse_text(shallow, _nested_func_attr_text(20).encode(), "ok.pbtxt")
    assert shallow.graph_def.node[0].name == "x"


def _nested_attr_binary(depth: int) -> bytes:
    """A GraphDef whose node's attr nests ``depth`` AttrValue.func levels (built as bytes)."""

    def field(number: int, payload: bytes) -> bytes:
        return fuzz._encode_varint(number << 3 | 2) + fuzz._encode_varint(len(payload)) + payload

    value = b""
    for _ in range(depth):
        entry = field(1, b"a") + field(2, value)  # map entry: key, AttrValue
        value = field(10, field(1, b"f") + field(2, entry))  # AttrValue.func = NameAttrList
    node = field(1, b"x") + field(2, b"NoOp") + field(5, field(1, b"a") + field(2, value))
    return field(1, node)


def test_deeply_nested_binary_protos_are_typed(tmp_path: Path) -> None:
    data = _nested_attr_binary(5000)
    graph_file = tmp_path / "deep.pb"
    graph_file.write_bytes(data)
    with pytest.raises(ValueError, match="deep.pb"):
        freeze_graph.read_graph_def(str(graph_file))
    meta = meta_graph_pb2.MetaGraphDef()
    meta_file = tmp_path / "deep.meta"
    meta_file.write_bytes(fuzz._encode_varint(2 << 3 | 2) + fuzz._encode_varint(len(data)) + data)
    with tf.Graph().as_default(), pytest.raises(errors.DataLossError, match="deep.meta"):
        tf.train.import_meta_graph(str(meta_file))
    del meta


def test_deeply_nested_saved_model_pbtxt_is_typed(tmp_path: Path) -> None:
    text = _nested_func_attr_text(100_000).replace("graph_def {", "meta_graphs { graph_def {")
    (tmp_path / "saved_model.pbtxt").write_text(text + " }")
    with pytest.raises((errors.OpError, ValueError)):
        saved_model.load(str(tmp_path))


# ------------------------------------------------------------------------------ allocation


def _huge_const_graph(size: int = 2**31, dtype: int = 1) -> bytes:
    """A GraphDef of one Const ``big`` of shape ``[size]`` filled from one value."""
    graph = graph_pb2.GraphDef()
    node = graph.node.add(name="big", op="Const")
    node.attr["dtype"].type = dtype
    value = node.attr["value"].tensor
    value.dtype = dtype
    value.tensor_shape.dim.add(size=size)
    if dtype == 1:  # DT_FLOAT
        value.float_val.append(1.5)
    else:  # DT_INT32
        value.int_val.append(2)
    return graph.SerializeToString()


def _peak_during(fn: object) -> int:
    tracemalloc.start()
    try:
        fn()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_crafted_huge_const_is_not_allocated_by_import() -> None:
    data = _huge_const_graph()
    assert len(data) < 64
    graph_def = graph_pb2.GraphDef.FromString(data)
    with tf.Graph().as_default():  # warm up: op registry and lazy imports
        import_graph_def(graph_pb2.GraphDef.FromString(_huge_const_graph(3)), name="")
    graph = tf.Graph()

    def run() -> None:
        with graph.as_default():
            import_graph_def(graph_def, name="")

    peak = _peak_during(run)
    assert peak < 64 * 1024 + 16 * len(data), peak
    big = graph.get_tensor_by_name("big:0")
    assert big.shape.as_list() == [2**31]
    # shape inference that reads values (Reshape's shape input) does not materialise it
    with graph.as_default():
        import_graph_def(graph_pb2.GraphDef.FromString(_huge_const_graph(dtype=3)), name="i")
        dims = graph.get_tensor_by_name("i/big:0")
        x = tf.zeros([2, 3])
        peak = _peak_during(lambda: tf.reshape(x, dims))
    assert peak < 1 << 20, peak


def test_a_huge_const_runs_under_the_tensor_budget() -> None:
    graph = tf.Graph()
    with graph.as_default():
        import_graph_def(graph_pb2.GraphDef.FromString(_huge_const_graph()), name="")
        small = import_graph_def(
            graph_pb2.GraphDef.FromString(_huge_const_graph(1000)),
            name="s",
            return_elements=["big:0"],
        )[0]
    with tf.Session(graph=graph) as sess:
        with pytest.raises(
            errors.ResourceExhaustedError,
            match=r"OOM when allocating tensor "
            r"with shape\[2147483648\] and type float",
        ):
            sess.run("big:0")
        previous = tensors.set_max_tensor_bytes(3999)
        try:
            with pytest.raises(errors.ResourceExhaustedError, match="3999-byte tensor budget"):
                sess.run(small)
            tensors.set_max_tensor_bytes(4000)
            assert np.array_equal(sess.run(small), np.full(1000, 1.5, np.float32))
        finally:
            tensors.set_max_tensor_bytes(previous)


def _saved_model_with_huge_const(target: Path) -> Path:
    source = next(s for s in SEEDS if s.name.endswith("tf1_simple_save/saved_model.pb"))
    assert source.model_dir is not None
    shutil.copytree(source.model_dir, target)
    model = saved_model_pb2.SavedModel.FromString(source.data)
    model.meta_graphs[0].graph_def.node.extend(
        graph_pb2.GraphDef.FromString(_huge_const_graph()).node
    )
    (target / "saved_model.pb").write_bytes(model.SerializeToString())
    return target


def test_a_huge_const_is_not_allocated_by_loading_or_showing(tmp_path: Path) -> None:
    model_dir = _saved_model_with_huge_const(tmp_path / "model")
    peak = _peak_during(lambda: saved_model.load(str(model_dir)).close())
    assert peak < 64 << 20, peak  # the model's own bookkeeping; 8 GiB would be the Const
    limit = 3 << 30  # address space for the CLI: enough for Python and NumPy, not for 8 GiB

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-m", "stowflow", "show", "--dir", str(model_dir), "--all"],
        capture_output=True,
        text=True,
        env=DEV_PYTHON_ENV,
        timeout=120,
        preexec_fn=cap,
    )
    assert result.returncode == 0, result.stderr
    assert "serving_default" in result.stdout
