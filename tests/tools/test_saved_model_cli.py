"""``stowflow show|run|scan`` against the outputs TF 2.21's ``saved_model_cli`` captured.

The goldens (``tests/golden/savedmodels/cli/*_flags.json``) list TF's runs: argv, the stdout
file, the exit code and the filtered stderr. Each run is replayed with ``python -m stowflow``
in a scratch directory laid out like the golden one (models and inputs symlinked, so a run's
``--outdir`` never writes into the fixtures), with ``PYTHONHASHSEED=0`` like TF's runs: the
``--all``/``--list_ops``/``scan`` lines print Python sets, whose order follows string hashes.

* stdout must match TF's byte for byte; exit codes must agree on success/failure.
* On failure TF prints a traceback; stowflow prints one line, ``stowflow <cmd>: error: <TF's
  exception message>``.
* Error messages that list protobuf map keys (``Please choose from ...``) are compared as
  sets of keys: TF prints them in map iteration order, which varies between identical runs;
  stowflow prints them sorted.
* ``--input_exprs`` is a deliberate superset of TF's: TF 2.21 only ``literal_eval``s it and
  refuses ``np.ones(...)``; stowflow evaluates allowlisted NumPy calls. Those runs must print
  what TF printed for the same values written as literals.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from stowflow_testlib import DEV_PYTHON_ENV, ROOT, require_tf_python

from stowflow.tools import saved_model_cli

GOLDEN = ROOT / "tests" / "golden" / "savedmodels"
CLI = GOLDEN / "cli"
ENV = {**DEV_PYTHON_ENV, "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
MODELS = ["tf1_predict", "tf1_classify_regress", "tf1_assets", "tf1_simple_save", "tf2_module"]


def _manifest(kind: str) -> dict[str, Any]:
    path = CLI / f"{kind}_flags.json"
    if not path.exists():
        return {"runs": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def _runs(kind: str) -> list[tuple[str, dict[str, Any]]]:
    return list(_manifest(kind)["runs"].items())


def _tf_stdout(run: dict[str, Any]) -> bytes:
    return (CLI / run["stdout_file"]).read_bytes()


def _tf_error(run: dict[str, Any]) -> str:
    """The message of TF's final traceback line (``RuntimeError: <message>``)."""
    lines = [ln for ln in run["stderr"].splitlines() if ln.strip()]
    for line in reversed(lines):
        head, sep, message = line.partition(": ")
        if sep and head.isidentifier() and head[0].isupper():
            return message
    return lines[-1] if lines else ""


def _stowflow(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "stowflow", *argv],
        cwd=str(cwd),
        capture_output=True,
        timeout=300,
        env=ENV,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shaped like tests/golden/savedmodels whose cli/out is ours to write."""
    if not (CLI / "show_flags.json").exists():
        pytest.skip("SavedModel CLI goldens not generated (tests/golden/savedmodels/cli)")
    root = tmp_path_factory.mktemp("smcli")
    for model in MODELS:
        (root / model).symlink_to(GOLDEN / model)
    (root / "cli").mkdir()
    shutil.copytree(CLI / "inputs", root / "cli" / "inputs")
    return root


@pytest.fixture(scope="module")
def run_results(workdir: Path) -> dict[str, subprocess.CompletedProcess[bytes]]:
    """Every ``run`` golden replayed in manifest order (the outdir runs depend on it)."""
    return {label: _stowflow(run["argv"], workdir) for label, run in _runs("run")}


def _assert_same_outcome(
    ours: subprocess.CompletedProcess[bytes], run: dict[str, Any], command: str
) -> None:
    assert ours.stdout == _tf_stdout(run), ours.stderr.decode()[-2000:]
    assert (ours.returncode == 0) == (run["exit_code"] == 0), ours.stderr.decode()[-2000:]
    if run["exit_code"] != 0:
        error_lines = [
            ln for ln in ours.stderr.decode().splitlines() if ln.startswith(f"stowflow {command}:")
        ]
        assert len(error_lines) == 1, ours.stderr.decode()
        assert _keys_as_sets(error_lines[0]) == _keys_as_sets(
            f"stowflow {command}: error: {_tf_error(run)}"
        )


_KEY_LIST = re.compile(r"(Please choose from:? )(.*?)(, or use --show option\.|$)")


def _keys_as_sets(message: str) -> tuple[str, frozenset[str]]:
    """The message with its ``Please choose from`` key list (map order in TF) made a set."""
    match = _KEY_LIST.search(message)
    if match is None:
        return message, frozenset()
    keys = frozenset(k.strip().strip('"') for k in match.group(2).split(","))
    return message[: match.start(2)] + message[match.end(2) :], keys


# --------------------------------------------------------------------------------- show/scan
@pytest.mark.parametrize(("label", "run"), _runs("show"), ids=[r for r, _ in _runs("show")])
def test_show_matches_tf(workdir: Path, label: str, run: dict[str, Any]) -> None:
    _assert_same_outcome(_stowflow(run["argv"], workdir), run, "show")


@pytest.mark.parametrize(("label", "run"), _runs("scan"), ids=[r for r, _ in _runs("scan")])
def test_scan_matches_tf(workdir: Path, label: str, run: dict[str, Any]) -> None:
    _assert_same_outcome(_stowflow(run["argv"], workdir), run, "scan")


def test_ops_set_is_tf_set_whatever_the_hash_seed() -> None:
    """Under any seed, the printed ops are the same *set* as TF's (the order may differ)."""
    meta = saved_model_cli.read_saved_model(str(GOLDEN / "tf1_predict")).meta_graphs[0]
    expected = json.loads((GOLDEN / "tf1_predict" / "expected.json").read_text())
    assert set(saved_model_cli.ops_used_by_graph_def(meta.graph_def)) == set(
        expected["meta_graphs"][0]["graph_ops"]
    )


# ------------------------------------------------------------------------------------- run
# TF 2.21 only literal_evals --input_exprs; stowflow also takes allowlisted NumPy calls. Each
# literal golden run is replayed with NumPy expressions of the same values: stowflow must
# print exactly what TF printed for the literals.
NUMPY_EQUIVALENTS: dict[str, str] = {
    # golden label: the NumPy spelling of the golden's literal --input_exprs
    "simple_input_exprs": "x1=np.ones((3,1));x2=[[1],[2],[3]]",
    "simple_inputs_and_exprs": "x2=np.full((3,1),0.25)",
    "tf1_predict_double_exprs": "x=np.arange(6).reshape(2,3)",
    "tf2_serving_default_exprs": "x=np.array([[1.0,1.0,1.0],[0.5,-1.0,2.0]])",
    "tf2_other_exprs": "a=np.array([[1.0,2.0]],dtype=np.float32);n=np.array([3,4],dtype=np.int32)",
    "tf1_assets_exprs": "word=np.array([b'cherry',b'zzz',b'apple'])",
}
# Runs whose output goes through Softmax: TF's float32 numerics, printed, must match exactly
# (stowflow.graph.kernels.eigen_math reproduces TF's Eigen kernels). test_run_matches_tf
# compares them with the goldens like every run; test_softmax_runs_match_tf_run_here with TF
# itself, run now on this machine.
SOFTMAX_RUNS = ["classify_input_examples", "predict_raw_input_examples"]
# The run TF refuses (np.ones) prints in stowflow what TF printed for its literal twin.
REJECTED_BY_TF = {"simple_input_exprs_np_rejected": "simple_input_exprs"}


@pytest.mark.parametrize(("label", "run"), _runs("run"), ids=[r for r, _ in _runs("run")])
def test_run_matches_tf(
    run_results: dict[str, subprocess.CompletedProcess[bytes]], label: str, run: dict[str, Any]
) -> None:
    ours = run_results[label]
    if label in REJECTED_BY_TF:
        assert "is not a valid python literal" in run["stderr"] and run["exit_code"] == 1
        twin = _manifest("run")["runs"][REJECTED_BY_TF[label]]
        assert ours.returncode == 0, ours.stderr.decode()[-2000:]
        assert ours.stdout == _tf_stdout(twin)
        return
    if label == "simple_err_missing_input":  # TF's graph error spans many lines
        assert ours.stdout == _tf_stdout(run) and ours.returncode != 0
        message = "You must feed a value for placeholder tensor 'x2' with dtype float"
        assert message in run["stderr"] and message in ours.stderr.decode()
        return
    _assert_same_outcome(ours, run, "run")


@pytest.mark.parametrize("label", SOFTMAX_RUNS)
def test_softmax_runs_match_tf_run_here(workdir: Path, label: str) -> None:
    """TF's saved_model_cli, run now on this machine with TF's own kernels (oneDNN off, as
    on CPUs without AVX512-VNNI/AMX), prints exactly what stowflow prints."""
    tf_python = require_tf_python()
    run = _manifest("run")["runs"].get(label)
    assert run is not None, f"golden run {label} is missing from run_flags.json"
    tf_cli = tf_python.parent / "saved_model_cli"
    theirs = subprocess.run(
        [str(tf_cli), *run["argv"]], cwd=str(workdir), capture_output=True, timeout=600,
        env={**ENV, "TF_ENABLE_ONEDNN_OPTS": "0"},
    )  # fmt: skip
    assert theirs.returncode == 0, theirs.stderr.decode()[-2000:]
    ours = _stowflow(run["argv"], workdir)
    assert ours.returncode == 0, ours.stderr.decode()[-2000:]
    assert re.search(rb"\d\.\d{7}", theirs.stdout), theirs.stdout  # float32 digits to compare
    assert ours.stdout == theirs.stdout


@pytest.mark.parametrize("label", sorted(NUMPY_EQUIVALENTS))
def test_run_numpy_exprs_print_what_tf_printed_for_literals(workdir: Path, label: str) -> None:
    run = _manifest("run")["runs"].get(label)
    if run is None:
        pytest.skip(f"no golden run {label}")
    argv = list(run["argv"])
    argv[argv.index("--input_exprs") + 1] = NUMPY_EQUIVALENTS[label]
    ours = _stowflow(argv, workdir)
    assert ours.returncode == 0, ours.stderr.decode()[-2000:]
    assert ours.stdout == _tf_stdout(run)


def test_run_outdir_writes_what_tf_wrote(
    workdir: Path, run_results: dict[str, subprocess.CompletedProcess[bytes]]
) -> None:
    run = _manifest("run")["runs"].get("simple_outdir_overwrite")
    if run is None:
        pytest.skip("no outdir golden")
    for name, record in run["outdir_files"].items():
        assert (workdir / "cli" / "out" / name).read_bytes() == base64.b64decode(record["file_b64"])


# ------------------------------------------------------------------- safety and behaviour
SIMPLE = ["--dir", "tf1_simple_save", "--tag_set", "serve", "--signature_def", "serving_default"]


@pytest.mark.parametrize(
    "expr",
    [
        "x1=__import__('os').system('touch pwned')",
        "x1=np.ones(3).tofile('pwned')",
        "x1=np.save('pwned', np.ones(1))",
        "x1=open('pwned', 'w').write('x')",
        "x1=[np.ones(1) for _ in ().__class__.__base__.__subclasses__()]",
        "x1=(lambda: __import__('os').system('touch pwned'))()",
        "x1=np.ones.__globals__['os'].system('touch pwned')",
    ],
)
def test_run_refuses_code_in_input_exprs(workdir: Path, tmp_path: Path, expr: str) -> None:
    shutil.copytree(workdir, tmp_path / "w", symlinks=True)
    ours = _stowflow(["run", *SIMPLE, "--input_exprs", expr + ";x2=[[1.0]]"], tmp_path / "w")
    assert ours.returncode == 1
    assert ours.stdout == b""
    lines = ours.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stowflow run: error: --input_exprs x1: ")
    assert "not allowed" in lines[0]
    assert not list((tmp_path / "w").glob("pwned*"))


def test_run_refuses_pickled_inputs_without_allow_pickle(workdir: Path, tmp_path: Path) -> None:
    shutil.copytree(workdir, tmp_path / "w", symlinks=True)
    np.save(tmp_path / "w" / "obj.npy", np.array([[1.0], [2.0]], dtype=object), allow_pickle=True)
    argv = ["run", *SIMPLE, "--inputs", "x1=obj.npy", "--input_exprs", "x2=[[1.0],[1.0]]"]
    refused = _stowflow(argv, tmp_path / "w")
    assert refused.returncode == 1 and refused.stdout == b""
    assert "Pass --allow_pickle if you trust this file" in refused.stderr.decode()
    allowed = _stowflow([*argv, "--allow_pickle"], tmp_path / "w")
    assert allowed.returncode == 0, allowed.stderr.decode()
    assert allowed.stdout.decode() == "Result for output key y:\n[[2.]\n [3.]]\n"
    assert "arbitrary code" in allowed.stderr.decode()


def test_run_outdir_and_overwrite(workdir: Path, tmp_path: Path) -> None:
    shutil.copytree(workdir, tmp_path / "w", symlinks=True)

    def run(x1: float, *extra: str) -> subprocess.CompletedProcess[bytes]:
        exprs = f"x1=[[{x1}]];x2=[[2.0]]"
        return _stowflow(
            ["run", *SIMPLE, "--input_exprs", exprs, "--outdir", "o", *extra], tmp_path / "w"
        )

    first = run(1.0)
    assert first.returncode == 0, first.stderr.decode()
    assert (
        first.stdout.decode() == "Result for output key y:\n[[3.]]\nOutput y is saved to o/y.npy\n"
    )
    assert np.load(tmp_path / "w" / "o" / "y.npy").tolist() == [[3.0]]
    again = run(5.0)
    assert again.returncode == 1
    assert again.stdout.decode() == "Result for output key y:\n[[7.]]\n"  # printed, not saved
    assert (
        again.stderr.decode()
        .strip()
        .endswith(
            'Output file o/y.npy already exists. Add "--overwrite" to overwrite the existing output '
            "files."
        )
    )
    assert np.load(tmp_path / "w" / "o" / "y.npy").tolist() == [[3.0]]
    forced = run(5.0, "--overwrite")
    assert forced.returncode == 0
    assert np.load(tmp_path / "w" / "o" / "y.npy").tolist() == [[7.0]]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "--dir", "nowhere"], "SavedModel file does not exist at: nowhere"),
        (["show", "--dir", "tf1_predict", "--tag_set", " , "], "tag_set must contain at least"),
        (["run", *SIMPLE, "--inputs", "x1"], '--inputs "x1" format is incorrect.'),
        (["run", *SIMPLE, "--inputs", "x1=cli/inputs/in.npz[zz]"], 'variable with name "zz"'),
        (["run", *SIMPLE, "--inputs", "x1=cli/inputs/in.npz"], "contains more than one ndarrays"),
        (["run", *SIMPLE, "--inputs", "x1=missing.npy"], "Input file missing.npy does not exist"),
        (["run", *SIMPLE, "--input_exprs", "x1"], '--input_exprs "x1" format is incorrect.'),
        (["run", *SIMPLE, "--input_exprs", "x1=np.ones((9000,9000))"], "the limit is 67108864"),
        (["run", *SIMPLE[:4], "--signature_def", "nope", "--input_exprs", "x=[1]"], '"nope"'),
        (["run", *SIMPLE, "--input_examples", "x1=[{'a': []}]"], "empty value list"),
        (["scan", "--dir", "tf1_predict", "--tag_set", "gpu"], "tag-set gpu could not be found"),
    ],
)
def test_bad_input_is_one_line_on_stderr(workdir: Path, argv: list[str], message: str) -> None:
    ours = _stowflow(argv, workdir)
    assert ours.returncode == 1
    lines = ours.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"stowflow {argv[0]}: error: "), lines
    assert message in lines[0]


@pytest.mark.parametrize("command", ["show", "run", "scan", "freeze"])
def test_help(command: str) -> None:
    out = _stowflow([command, "--help"], ROOT)
    assert out.returncode == 0
    assert b"--dir" in out.stdout or b"--input_graph" in out.stdout


def test_missing_required_flag_is_a_usage_error() -> None:
    out = _stowflow(["run", "--dir", "x"], ROOT)
    assert out.returncode == 2 and b"--tag_set" in out.stderr


def test_show_all_on_a_stowflow_saved_model(tmp_path: Path) -> None:
    """A SavedModel written by stowflow shows like TF's (no object graph: no functions)."""
    import stowflow as tf

    export = tmp_path / "m"
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        y = tf.identity(x * 2.0, name="y")
        builder = tf.saved_model.Builder(str(export))
        sig = tf.saved_model.signature_def_utils.predict_signature_def({"x": x}, {"y": y})
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"s": sig})
        builder.save()
    out = _stowflow(
        ["show", "--dir", str(export), "--tag_set", "serve", "--signature_def", "s"], ROOT
    )
    assert out.stdout.decode() == (
        "The given SavedModel SignatureDef contains the following input(s):\n"
        "  inputs['x'] tensor_info:\n      dtype: DT_FLOAT\n      shape: (-1, 2)\n      name: x:0\n"
        "The given SavedModel SignatureDef contains the following output(s):\n"
        "  outputs['y'] tensor_info:\n      dtype: DT_FLOAT\n      shape: (-1, 2)\n      name: y:0\n"
        "Method name is: tensorflow/serving/predict\n"
    )
    run = _stowflow(
        ["run", "--dir", str(export), "--tag_set", "serve", "--signature_def", "s",
         "--input_exprs", "x=np.random.RandomState(0).rand(1, 2)"],
        ROOT,
    )  # fmt: skip
    expected = np.random.RandomState(0).rand(1, 2).astype(np.float32) * 2
    assert run.stdout.decode() == f"Result for output key y:\n{expected}\n"


# --------------------------------------------------------------- run: outdir, state, reading
def _export(export: Path, output_key: str = "y") -> None:
    import stowflow as tf

    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        y = tf.identity(x * 2.0, name="y")
        builder = tf.saved_model.Builder(str(export))
        sig = tf.saved_model.signature_def_utils.predict_signature_def({"x": x}, {output_key: y})
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"s": sig})
        builder.save()


def _run_in_process(export: Path, outdir: Path, overwrite: bool = False) -> list[str]:
    emitted: list[str] = []
    saved_model_cli.run_saved_model(
        str(export), "serve", "s", {"x": np.ones((1, 2), np.float32)}, str(outdir), overwrite,
        emit=emitted.append,
    )  # fmt: skip
    return emitted


@pytest.mark.parametrize(
    "key", ["../escaped", "sub/escaped", "..", ".", "", "back\\slash", "{abs}/escaped"]
)
def test_run_refuses_output_keys_that_leave_outdir(tmp_path: Path, key: str) -> None:
    key = key.format(abs=tmp_path)
    _export(tmp_path / "m", key)
    outdir = tmp_path / "out"
    with pytest.raises(saved_model_cli.CliError) as raised:
        _run_in_process(tmp_path / "m", outdir)
    message = str(raised.value)
    assert "\n" not in message and repr(key) in message and "--outdir" in message
    assert not list(tmp_path.rglob("*.npy")), "nothing may be written for a bad key"


def test_run_writes_outputs_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _export(tmp_path / "m")
    outdir = tmp_path / "out"
    _run_in_process(tmp_path / "m", outdir)
    before = (outdir / "y.npy").read_bytes()

    def failing_save(file: Any, arr: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(file, str | Path):
            Path(file).write_bytes(b"partial")
        else:
            file.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(saved_model_cli.np, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        _run_in_process(tmp_path / "m", outdir, overwrite=True)
    assert (outdir / "y.npy").read_bytes() == before
    assert sorted(p.name for p in outdir.iterdir()) == ["y.npy"]  # no temp file left


@pytest.mark.parametrize("previous", [False, True])
def test_run_restores_the_shape_string_mode(tmp_path: Path, previous: bool) -> None:
    import argparse

    from stowflow.graph import shape as shape_lib

    _export(tmp_path / "m")
    parser = saved_model_cli.add_run_arguments(argparse.ArgumentParser())
    original = shape_lib._v2_strings[0]
    try:
        for extra in (["--input_exprs", "x=[[1.0, 2.0]]"], []):  # a success, then an error
            shape_lib.use_v2_shape_strings(previous)
            args = parser.parse_args(
                ["--dir", str(tmp_path / "m"), "--tag_set", "serve", "--signature_def", "s",
                 *extra]
            )  # fmt: skip
            assert saved_model_cli.run_run(args) == (0 if extra else 1)
            assert shape_lib._v2_strings[0] is previous
    finally:
        shape_lib.use_v2_shape_strings(original)


def test_read_saved_model_is_the_loaders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _export(tmp_path / "m")
    calls: list[str] = []
    real = saved_model_cli.loader.parse_saved_model

    def spy(export_dir: str) -> Any:
        calls.append(export_dir)
        return real(export_dir)

    monkeypatch.setattr(saved_model_cli.loader, "parse_saved_model", spy)
    proto = saved_model_cli.read_saved_model(str(tmp_path / "m"))
    assert calls == [str(tmp_path / "m")] and len(proto.meta_graphs) == 1


def test_read_saved_model_errors_are_cli_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(saved_model_cli.CliError, match=r"^SavedModel file does not exist at: "):
        saved_model_cli.read_saved_model(str(tmp_path))
    (tmp_path / "saved_model.pb").write_bytes(b"\xff\xff\xff")
    with pytest.raises(saved_model_cli.CliError, match="Cannot parse"):
        saved_model_cli.read_saved_model(str(tmp_path))
    monkeypatch.setattr(saved_model_cli, "MAX_SAVED_MODEL_BYTES", 2)
    with pytest.raises(saved_model_cli.CliError, match="2 GiB limit"):
        saved_model_cli.read_saved_model(str(tmp_path))
