"""Untrusted SavedModels stay in their directory (``stowflow.graph.file_policy``).

Each malicious model is built with stowflow's own builder: a main_op that initializes a
table from a file outside the model, a signature that runs SaveV2 outside it, a symlink out
of the model directory, a ``..`` path. ``saved_model.load`` and ``stowflow run`` refuse
them with PermissionDeniedError naming the op and the path; the models' legitimate parts
(their own assets, their own variables) still work; ``allowed_paths`` opens exactly the
hole asked for; TF1 programs keep TF's full access; ``stowflow scan`` lists the paths.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stowflow as tf
from stowflow import saved_model as sm
from stowflow.errors import PermissionDeniedError
from stowflow.graph import file_policy
from stowflow.graph.builder import apply_op

SECRET = "outside-secret-line\nsecond\n"


def _table_init(path: Any, name: str = "vocab") -> tuple[Any, Any]:
    """A string -> line-number HashTableV2 and its init op reading the file at ``path``."""
    table = apply_op(
        "HashTableV2",
        {},
        {"key_dtype": tf.string, "value_dtype": tf.int64, "shared_name": ""},
        name=f"{name}_table",
    )[0]
    init = apply_op(
        "InitializeTableFromTextFileV2",
        {"table_handle": table, "filename": path},
        {"key_index": -2, "value_index": -1},
        name=f"{name}_init",
    )
    return table, init


def _export(
    export_dir: Path,
    *,
    vocab: str | None = None,
    asset_source: Path | None = None,
    save_to: str | None = None,
) -> None:
    """A model with a variable (y = x * 3), a table initialized by the main_op from
    ``vocab`` (a Const path) or from an asset copied from ``asset_source``, and optionally
    a "steal" signature that runs SaveV2 to ``save_to``."""
    builder = sm.builder.SavedModelBuilder(str(export_dir))
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        x = tf.placeholder(tf.float32, [None], name="x")
        v = tf.Variable(3.0, name="v")
        y = tf.identity(x * v, name="y")
        sigs = {"serving_default": sm.predict_signature_def({"x": x}, {"y": y})}
        assets = None
        main_op = None
        if vocab is not None or asset_source is not None:
            path = tf.constant(str(asset_source if vocab is None else vocab), name="vocab_path")
            assets = [path] if vocab is None else None
            table, main_op = _table_init(path)
            words = tf.placeholder(tf.string, [None], name="words")
            ids = apply_op(
                "LookupTableFindV2",
                {"table_handle": table, "keys": words, "default_value": np.int64(-1)},
                name="ids",
            )[0]
            sigs["lookup"] = sm.predict_signature_def({"words": words}, {"ids": ids})
        if save_to is not None:
            save = apply_op(
                "SaveV2",
                {
                    "prefix": tf.constant(save_to),
                    "tensor_names": tf.constant(["v"]),
                    "shape_and_slices": tf.constant([""]),
                    "tensors": [v],
                },
                name="steal_save",
            )
            with tf.control_dependencies([save]):
                stolen = tf.identity(x, name="stolen")
            sigs["steal"] = sm.predict_signature_def({"x": x}, {"y": stolen})
        sess.run(tf.global_variables_initializer())
        builder.add_meta_graph_and_variables(
            sess, ["serve"], signature_def_map=sigs, assets_collection=assets, main_op=main_op
        )
    builder.save()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.fixture
def vocab_model(tmp_path: Path) -> Path:
    """A legitimate model whose table comes from its own assets/vocab.txt."""
    source = tmp_path / "src" / "vocab.txt"
    source.parent.mkdir()
    source.write_text("apple\nbanana\n")
    export_dir = tmp_path / "good"
    _export(export_dir, asset_source=source)
    source.unlink()  # only the copy inside the model remains
    return export_dir


def _denied(path: str | Path, op: str = "InitializeTableFromTextFileV2") -> str:
    return f"{op} op '.*' may not access '{path}'"


# -------------------------------------------------------------------------- saved_model.load


@pytest.mark.parametrize("outside", ["/etc/hostname", "secret"])  # not-a-machine-path: test data
def test_main_op_reading_outside_file_is_refused(
    tmp_path: Path, secret: Path, outside: str
) -> None:
    path = str(secret) if outside == "secret" else outside
    _export(tmp_path / "m", vocab=path)
    with pytest.raises(PermissionDeniedError, match=_denied(path)) as info:
        sm.load(str(tmp_path / "m"))
    assert "vocab_init" in info.value.message  # the node is named too


def test_own_assets_and_variables_still_work(vocab_model: Path) -> None:
    model = sm.load(str(vocab_model))
    out = model.signatures["lookup"](words=["banana", "apple", "cherry"])
    assert out["ids"].tolist() == [1, 0, -1]
    assert model.signatures["serving_default"](x=[2.0])["y"].tolist() == [6.0]


def test_signature_saving_outside_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "loot" / "ckpt"
    _export(tmp_path / "m", save_to=str(target))
    model = sm.load(str(tmp_path / "m"))
    assert model.signatures["serving_default"](x=[1.0])["y"].tolist() == [3.0]
    with pytest.raises(PermissionDeniedError, match=_denied(target, "SaveV2")):
        model.signatures["steal"](x=[1.0])
    assert not (tmp_path / "loot").exists()


def test_signature_saving_inside_the_model_is_allowed(tmp_path: Path) -> None:
    export_dir = tmp_path / "m"
    _export(export_dir, save_to=str(export_dir / "scratch" / "ckpt"))
    sm.load(str(export_dir)).signatures["steal"](x=[1.0])
    assert (export_dir / "scratch" / "ckpt.index").is_file()


def test_symlink_out_of_the_model_is_outside(vocab_model: Path, secret: Path) -> None:
    asset = vocab_model / "assets" / "vocab.txt"
    asset.unlink()
    asset.symlink_to(secret)
    with pytest.raises(PermissionDeniedError, match=f"resolves to '{secret}'"):
        sm.load(str(vocab_model))


def test_dotdot_path_is_resolved_before_deciding(tmp_path: Path, secret: Path) -> None:
    escaping = tmp_path / "m" / "assets" / ".." / ".." / "secret.txt"
    _export(tmp_path / "m", vocab=str(escaping))
    with pytest.raises(PermissionDeniedError, match=f"resolves to '{secret}'"):
        sm.load(str(tmp_path / "m"))
    # ``..`` that stays inside the model is fine.
    inside = tmp_path / "m2" / "variables" / ".." / "assets" / "vocab.txt"
    _export(tmp_path / "m2", vocab=str(inside))
    (tmp_path / "m2" / "assets").mkdir()
    (tmp_path / "m2" / "assets" / "vocab.txt").write_text("z\n")
    assert sm.load(str(tmp_path / "m2")).signatures["lookup"](words=["z"])["ids"].tolist() == [0]


def test_allowed_paths_opens_exactly_the_hole_asked_for(tmp_path: Path, secret: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("x\n")
    _export(tmp_path / "m", vocab=str(secret))
    model = sm.load(str(tmp_path / "m"), allowed_paths=[secret])
    assert model.signatures["lookup"](words=["second"])["ids"].tolist() == [1]
    _export(tmp_path / "m2", vocab=str(other))
    with pytest.raises(PermissionDeniedError, match=_denied(other)):
        sm.load(str(tmp_path / "m2"), allowed_paths=[secret])
    allowed_dir = tmp_path / "shared"
    allowed_dir.mkdir()
    (allowed_dir / "v.txt").write_text("q\n")
    _export(tmp_path / "m3", vocab=str(allowed_dir / "v.txt"))
    assert sm.load(str(tmp_path / "m3"), allowed_paths=[str(allowed_dir)]).session is not None


def test_variables_restore_through_a_symlink_is_granted_to_restore_only(tmp_path: Path) -> None:
    export_dir = tmp_path / "m"
    _export(export_dir)
    shared = tmp_path / "shared_variables"
    (export_dir / "variables").rename(shared)
    (export_dir / "variables").symlink_to(shared)
    assert sm.load(str(export_dir)).signatures["serving_default"](x=[1.0])["y"].tolist() == [3.0]
    # The same files are still outside for every other op.
    index = export_dir / "variables" / "variables.index"
    _export(tmp_path / "m2", vocab=str(index))
    with pytest.raises(PermissionDeniedError, match=_denied(index)):
        sm.load(str(tmp_path / "m2"))


# ------------------------------------------------------------------------------ full access


def test_plain_session_and_tf1_loader_keep_full_access(tmp_path: Path, secret: Path) -> None:
    _export(tmp_path / "m", vocab=str(secret), save_to=str(tmp_path / "loot" / "ckpt"))
    with tf.Session(graph=tf.Graph()) as sess:
        assert not file_policy.policy_of(sess).restricted
        sm.loader.load(sess, ["serve"], str(tmp_path / "m"))
        ids = sess.run("ids:0", {"words:0": [b"second"]})
        assert ids.tolist() == [1]
        sess.run("stolen:0", {"x:0": [1.0]})
    assert (tmp_path / "loot" / "ckpt.index").is_file()


def test_tf1_program_keeps_full_access(tmp_path: Path, secret: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import tensorflow as tf
            v = tf.Variable(1.0, name="v")
            saver = tf.train.Saver()
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                print(saver.save(sess, {str(tmp_path / "anywhere" / "ckpt")!r}))
                saver.restore(sess, {str(tmp_path / "anywhere" / "ckpt")!r})
            """
        )
    )
    (tmp_path / "anywhere").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "stowflow.tf1", str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "anywhere" / "ckpt.index").is_file()


_PATH_ARGS = {"filename", "filenames", "prefix", "file_pattern", "path", "logdir"}
_PATH_ARGS |= {"checkpoint_prefixes"}  # ("pattern" is also a regex: MatchingFiles is listed)


def test_file_touching_ops_are_never_pure_kernels() -> None:
    """Pure kernels cannot see the Session's policy: every op that can touch a file must be
    a stateful kernel (or have no kernel at all)."""
    from stowflow.graph import op_defs
    from stowflow.graph.kernels import KERNELS

    def args(op_type: str) -> set[str]:
        return {a.name for a in op_defs.get(op_type).input_arg}

    named_paths = {t for t in op_defs.all_op_types() if _PATH_ARGS & args(t)}
    assert len(named_paths) > 30 and named_paths <= file_policy.FILE_OPS
    assert all(op_defs.known(t) for t in file_policy.FILE_OPS)
    assert sorted(file_policy.FILE_OPS & set(KERNELS)) == []


def test_bundle_prefix_equal_to_a_root_is_refused(tmp_path: Path) -> None:
    class Op:
        type, name = "SaveV2", "save"

    policy = file_policy.FilePolicy(roots=[tmp_path / "m"])
    policy.check_bundle(Op(), str(tmp_path / "m" / "ckpt"))
    with pytest.raises(PermissionDeniedError, match=f"'{tmp_path / 'm'}.index'"):
        policy.check_bundle(Op(), str(tmp_path / "m"))


def test_policy_unit() -> None:
    policy = file_policy.FilePolicy(roots=["/srv/model"])  # not-a-machine-path: test data
    assert policy.allows("ReadFile", "/srv/model/assets/a.txt")  # not-a-machine-path: test data
    assert not policy.allows("ReadFile", "/srv/model2/a.txt")  # not-a-machine-path: test data
    assert not policy.allows("ReadFile", "/srv/model/../x")  # not-a-machine-path: test data
    assert not policy.allows("ReadFile", "bad\0path")
    assert file_policy.UNRESTRICTED.allows("ReadFile", "/etc/shadow")  # not-a-machine-path: test data


# ---------------------------------------------------------------------------------- the CLI


def _cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stowflow", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )


def test_stowflow_run_refuses_and_allow_path_permits(tmp_path: Path, secret: Path) -> None:
    _export(tmp_path / "m", vocab=str(secret))
    argv = ["run", "--dir", str(tmp_path / "m"), "--tag_set", "serve", "--signature_def"]
    refused = _cli(*argv, "lookup", "--input_exprs", "words=['second']", cwd=tmp_path)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stowflow run: error: "), refused.stderr
    assert f"InitializeTableFromTextFileV2 op 'vocab_init' may not access '{secret}'" in lines[0]
    assert "outside-secret-line" not in refused.stdout + refused.stderr
    allowed = _cli(
        *argv,
        "lookup",
        "--input_exprs",
        "words=['second']",
        "--allow_path",
        str(secret),
        cwd=tmp_path,
    )
    assert allowed.returncode == 0, allowed.stderr
    assert "Result for output key ids:\n[1]" in allowed.stdout


def test_stowflow_run_refuses_save_outside(tmp_path: Path) -> None:
    target = tmp_path / "loot" / "ckpt"
    _export(tmp_path / "m", save_to=str(target))
    done = _cli(
        "run",
        "--dir",
        str(tmp_path / "m"),
        "--tag_set",
        "serve",
        "--signature_def",
        "steal",
        "--input_exprs",
        "x=[1.0]",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert f"SaveV2 op 'steal_save' may not access '{target}'" in done.stderr
    assert not (tmp_path / "loot").exists()


def test_scan_reports_outside_paths(tmp_path: Path, secret: Path, vocab_model: Path) -> None:
    _export(tmp_path / "m", vocab="/etc/hostname", save_to="../loot/ckpt")  # not-a-machine-path: test data
    done = _cli("scan", "--dir", str(tmp_path / "m"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == [
        "MetaGraph with tag set ['serve'] contains string constants that look like paths "
        "outside the SavedModel (stowflow run refuses to touch them):",
        "  '../loot/ckpt' in node 'Const'",
        "  '/etc/hostname' in node 'vocab_path'",  # not-a-machine-path: test data
    ]
    assert done.stdout.startswith("MetaGraph with tag set ['serve'] does not contain the default")
    clean = _cli("scan", "--dir", str(vocab_model), cwd=tmp_path)  # asset paths are fed
    assert clean.stdout.count("\n") == 1, clean.stdout
