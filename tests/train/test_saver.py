"""tf.train.Saver: checkpoint naming, retention, the state file, renaming, partitioned variables.

``SCENARIOS_SRC`` runs each scenario from a ``tf`` module in a fresh directory and reports the
files written, the ``checkpoint`` state file (directory replaced by ``<DIR>``), the
checkpoint's keys/shapes and restored values. The unit tests check stowflow's report against
TF 2.21's facts (written out here); ``test_same_as_tf`` recomputes every report with the real
TensorFlow in one subprocess and compares (skipped without TF).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from stowflow_testlib import DEV_PYTHON_ENV, ROOT, require_tf_python

import stowflow as tf

SCENARIOS_SRC = r"""
import os
import numpy as np


def _files(d):
    return sorted(
        os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs
    )


def _state(d, name="checkpoint"):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return f.read().replace(d, "<DIR>")


def _ckpt_vars(tf, prefix):
    return sorted([n, list(s)] for n, s in tf.train.list_variables(prefix))


def max_to_keep(tf, d):
    v = tf.Variable(0, name="v")
    inc = v.assign_add(1)
    saver = tf.train.Saver(max_to_keep=2)
    paths = []
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        for step in range(5):
            s.run(inc)
            paths.append(saver.save(s, os.path.join(d, "model"), global_step=step))
        last = [p.replace(d, "<DIR>") for p in saver.last_checkpoints]
    return {"paths": [p.replace(d, "<DIR>") for p in paths], "files": _files(d),
            "state": _state(d), "last": last,
            "latest": tf.train.latest_checkpoint(d).replace(d, "<DIR>")}


def keep_all(tf, d):
    tf.Variable(0, name="v")
    saver = tf.train.Saver(max_to_keep=None)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        for step in range(3):
            saver.save(s, os.path.join(d, "m"), global_step=step, write_meta_graph=False)
    return {"files": _files(d), "state": _state(d)}


def global_step_naming(tf, d):
    gs = tf.Variable(42, name="global_step", trainable=False)
    tf.Variable([1.0], name="w")
    saver = tf.train.Saver()
    padded = tf.train.Saver(pad_step_number=True)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        out = {
            "int": saver.save(s, os.path.join(d, "a", "model.ckpt"), global_step=3),
            "tensor": saver.save(s, os.path.join(d, "b", "model.ckpt"), global_step=gs),
            "numpy": saver.save(s, os.path.join(d, "c", "m"), global_step=np.int64(9)),
            "padded": padded.save(s, os.path.join(d, "d", "m"), global_step=12),
            "none": saver.save(s, os.path.join(d, "e", "m")),
        }
    out = {k: v.replace(d, "<DIR>") for k, v in out.items()}
    out["files"] = _files(d)
    return out


def no_meta_graph(tf, d):
    tf.Variable([1.0, 2.0], name="w")
    saver = tf.train.Saver()
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        saver.save(s, os.path.join(d, "m"), write_meta_graph=False)
        saver.save(s, os.path.join(d, "n"), write_state=False)
    return {"files": _files(d), "state": _state(d)}


def latest_filename(tf, d):
    tf.Variable([1.0, 2.0], name="w")
    saver = tf.train.Saver()
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        saver.save(s, os.path.join(d, "m"), global_step=1, latest_filename="mystate")
        saver.save(s, os.path.join(d, "m"), global_step=2, latest_filename="mystate")
    return {
        "files": _files(d),
        "state": _state(d, "mystate"),
        "latest_default": tf.train.latest_checkpoint(d),
        "latest_named": tf.train.latest_checkpoint(d, "mystate").replace(d, "<DIR>"),
    }


def var_list_dict(tf, d):
    a = tf.Variable([1.0, 2.0], name="a")
    b = tf.get_variable("scope_b", initializer=tf.constant([[3, 4]]))
    saver = tf.train.Saver({"renamed/a": a, "bee": b})
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        path = saver.save(s, os.path.join(d, "m"))
    keys = _ckpt_vars(tf, path)
    with tf.Graph().as_default():
        x = tf.Variable([0.0, 0.0], name="x")
        y = tf.Variable([[0, 0]], name="y")
        loader = tf.train.Saver({"renamed/a": x, "bee": y})
        with tf.Session() as s:
            loader.restore(s, path)
            vals = [s.run(x).tolist(), s.run(y).tolist()]
    return {"keys": keys, "restored": vals}


def var_list_list(tf, d):
    a = tf.Variable([1.0, 2.0], name="a")
    tf.Variable([5.0], name="not_saved")
    saver = tf.train.Saver([a])
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        path = saver.save(s, os.path.join(d, "m"))
    return {"keys": _ckpt_vars(tf, path)}


def partitioned(tf, d):
    init = np.arange(12, dtype=np.float32).reshape(4, 3)
    with tf.variable_scope("layer"):
        p = tf.get_variable("p", [4, 3], initializer=tf.constant_initializer(1.5),
                            partitioner=tf.fixed_size_partitioner(2))
    parts = [v.name for v in tf.global_variables()]
    shapes = [v.shape.as_list() for v in tf.global_variables()]
    fill = [v.assign(init[2 * i:2 * i + 2]) for i, v in enumerate(tf.global_variables())]
    saver = tf.train.Saver()
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        initial = s.run(tf.identity(p.as_tensor() if hasattr(p, "as_tensor") else p)).tolist()
        s.run(fill)
        full = s.run(tf.identity(p.as_tensor() if hasattr(p, "as_tensor") else p)).tolist()
        path = saver.save(s, os.path.join(d, "m"))
    keys = _ckpt_vars(tf, path)
    loaded = tf.train.load_variable(path, "layer/p").tolist()
    with tf.Graph().as_default():
        with tf.variable_scope("layer"):
            q = tf.get_variable("p", [4, 3], initializer=tf.zeros_initializer(),
                                partitioner=tf.fixed_size_partitioner(2))
        loader = tf.train.Saver()
        with tf.Session() as s:
            loader.restore(s, path)
            restored = [s.run(v).tolist() for v in tf.global_variables()]
    with tf.Graph().as_default():
        whole = tf.get_variable("whole", [4, 3], initializer=tf.zeros_initializer())
        loader = tf.train.Saver({"layer/p": whole})
        with tf.Session() as s:
            loader.restore(s, path)
            unpartitioned = s.run(whole).tolist()
    return {"parts": parts, "shapes": shapes, "initial": initial, "full": full, "keys": keys, "loaded": loaded,
            "restored": restored, "unpartitioned": unpartitioned}


SCENARIOS = ["max_to_keep", "keep_all", "global_step_naming", "no_meta_graph",
             "latest_filename", "var_list_dict", "var_list_list", "partitioned"]


def run_scenario(tf, name, d):
    with tf.Graph().as_default():
        try:
            return globals()[name](tf, d)
        except Exception as e:  # noqa: BLE001 - reported
            return {"error": [type(e).__name__, str(e)[:500]]}
"""

_NS: dict[str, Any] = {}
exec(SCENARIOS_SRC, _NS)  # noqa: S102 - our own constant source text


def _run(name: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        d = os.path.realpath(d)
        with tf.Graph().as_default():
            return json.loads(json.dumps(_NS[name](tf, d)))


def _state_text(model_path: str, all_paths: list[str]) -> str:
    return f'model_checkpoint_path: "{model_path}"\n' + "".join(
        f'all_model_checkpoint_paths: "{p}"\n' for p in all_paths
    )


def test_max_to_keep_deletes_old_checkpoints() -> None:
    r = _run("max_to_keep")
    assert r["paths"] == [f"<DIR>/model-{i}" for i in range(5)]
    assert r["files"] == [
        "checkpoint",
        "model-3.data-00000-of-00001",
        "model-3.index",
        "model-3.meta",
        "model-4.data-00000-of-00001",
        "model-4.index",
        "model-4.meta",
    ]
    assert r["state"] == _state_text("<DIR>/model-4", ["<DIR>/model-3", "<DIR>/model-4"])
    assert r["last"] == ["<DIR>/model-3", "<DIR>/model-4"]
    assert r["latest"] == "<DIR>/model-4"


def test_max_to_keep_none_keeps_everything() -> None:
    r = _run("keep_all")
    assert r["files"] == ["checkpoint"] + [
        f"m-{i}.{ext}" for i in range(3) for ext in ("data-00000-of-00001", "index")
    ]
    # TF keeps no list of recent checkpoints when max_to_keep is None (saver.py
    # _RecordLastCheckpoint returns early), so the state file names only the newest.
    assert r["state"] == _state_text("<DIR>/m-2", ["<DIR>/m-2"])


def test_global_step_naming() -> None:
    r = _run("global_step_naming")
    assert r["int"] == "<DIR>/a/model.ckpt-3"
    assert r["tensor"] == "<DIR>/b/model.ckpt-42"
    assert r["numpy"] == "<DIR>/c/m-9"
    assert r["padded"] == "<DIR>/d/m-00000012"
    assert r["none"] == "<DIR>/e/m"
    assert "b/model.ckpt-42.meta" in r["files"]
    assert "d/m-00000012.index" in r["files"]


def test_write_meta_graph_false_and_write_state_false() -> None:
    r = _run("no_meta_graph")
    assert r["files"] == [
        "checkpoint",
        "m.data-00000-of-00001",
        "m.index",
        "n.data-00000-of-00001",
        "n.index",
        "n.meta",
    ]
    assert r["state"] == _state_text("<DIR>/m", ["<DIR>/m"])


def test_latest_filename() -> None:
    r = _run("latest_filename")
    assert "checkpoint" not in r["files"]
    assert "mystate" in r["files"]
    assert r["state"] == _state_text("<DIR>/m-2", ["<DIR>/m-1", "<DIR>/m-2"])
    assert r["latest_default"] is None
    assert r["latest_named"] == "<DIR>/m-2"


def test_latest_filename_with_a_directory_is_rejected(tmp_path: Any) -> None:
    with tf.Graph().as_default():
        tf.Variable(1.0, name="w")
        saver = tf.train.Saver()
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            with pytest.raises(ValueError, match="'latest_filename' must not contain path"):
                saver.save(s, str(tmp_path / "m"), latest_filename="sub/state")


def test_var_list_dict_renames_keys() -> None:
    r = _run("var_list_dict")
    assert r["keys"] == [["bee", [1, 2]], ["renamed/a", [2]]]
    assert r["restored"] == [[1.0, 2.0], [[3, 4]]]


def test_var_list_list_saves_only_those() -> None:
    assert _run("var_list_list")["keys"] == [["a", [2]]]


def test_partitioned_variables() -> None:
    r = _run("partitioned")
    assert "error" not in r, r.get("error")
    full = np.arange(12, dtype=np.float32).reshape(4, 3).tolist()
    assert r["parts"] == ["layer/p/part_0:0", "layer/p/part_1:0"]
    assert r["shapes"] == [[2, 3], [2, 3]]
    assert r["initial"] == [[1.5] * 3] * 4
    assert r["full"] == full
    assert r["keys"] == [["layer/p", [4, 3]]]
    assert r["loaded"] == full
    assert r["restored"] == [full[:2], full[2:]]
    assert r["unpartitioned"] == full


def test_saver_def_fields() -> None:
    with tf.Graph().as_default():
        tf.Variable(1.0, name="w")
        sd = tf.train.Saver(max_to_keep=3).as_saver_def()
        assert sd.filename_tensor_name == "save/Const:0"
        assert sd.save_tensor_name == "save/control_dependency:0"
        assert sd.restore_op_name == "save/restore_all"
        assert sd.max_to_keep == 3
        assert not sd.sharded
        assert sd.version == tf.SaverDef.V2
        sd2 = tf.train.Saver(sharded=True).as_saver_def()
        assert sd2.filename_tensor_name == "save_1/Const:0"
        assert sd2.save_tensor_name == "save_1/Identity:0"
        assert sd2.restore_op_name == "save_1/restore_all"
        assert sd2.sharded


def test_no_variables_to_save() -> None:
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="No variables to save"):
            tf.train.Saver()
        assert tf.train.Saver(allow_empty=True).save(tf.Session(), "/nonexistent/x") is None


@pytest.mark.interop
def test_same_as_tf() -> None:
    python = require_tf_python()
    main = r"""
import json, os, tempfile
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
out = {}
for name in SCENARIOS:
    d = os.path.realpath(tempfile.mkdtemp())
    out[name] = run_scenario(tf, name, d)
sd = {}
with tf.Graph().as_default():
    tf.Variable(1.0, name="w")
    a = tf.train.Saver(max_to_keep=3).as_saver_def()
    b = tf.train.Saver(sharded=True).as_saver_def()
    sd = [a.filename_tensor_name, a.save_tensor_name, a.restore_op_name,
          b.filename_tensor_name, b.save_tensor_name, b.restore_op_name]
out["saver_def"] = sd
print("@@REPORT@@" + json.dumps(out))
"""
    env = {**DEV_PYTHON_ENV, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [str(python), "-c", SCENARIOS_SRC + main],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=str(ROOT),
    )
    if proc.returncode != 0 and "No module named 'tensorflow'" in proc.stderr:
        pytest.skip(f"{python} cannot import tensorflow")
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@REPORT@@")][-1]
    theirs = json.loads(line[len("@@REPORT@@") :])
    assert theirs.pop("saver_def") == [
        "save/Const:0",
        "save/control_dependency:0",
        "save/restore_all",
        "save_1/Const:0",
        "save_1/Identity:0",
        "save_1/restore_all",
    ]
    problems = []
    for name in _NS["SCENARIOS"]:
        ours = _run(name)
        for key in sorted(set(theirs[name]) | set(ours)):
            if theirs[name].get(key) != ours.get(key):
                problems.append(
                    f"{name}.{key}:\n  TF   {theirs[name].get(key)!r}\n  ours {ours.get(key)!r}"
                )
    assert not problems, "\n".join(problems)


def test_old_checkpoints_are_deleted_only_after_the_state_file_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while writing the state file must leave every checkpoint it lists intact."""
    import stowflow as tf
    from stowflow import checkpoint as ckpt_lib

    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        v = tf.Variable(1.0, name="v")
        sess.run(v.initializer)
        saver = tf.train.Saver(max_to_keep=1)
        first = saver.save(sess, str(tmp_path / "model"), global_step=1)

        def broken_state_file(*args: object, **kwargs: object) -> None:
            raise OSError("disk full while writing the state file")

        monkeypatch.setattr(ckpt_lib, "update_checkpoint_state", broken_state_file)
        with pytest.raises(OSError, match="disk full"):
            saver.save(sess, str(tmp_path / "model"), global_step=2)
    assert (tmp_path / "model-1.index").exists(), "evicted before the state file changed"
    assert ckpt_lib.latest_checkpoint(str(tmp_path)) == first
