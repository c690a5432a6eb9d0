# Needs TensorFlow 2.21; run with the TF venv python (e.g. "$(scripts/tf_venv)" tests/golden/savedmodels/make_savedmodels.py); regenerates tests/golden/savedmodels/.
"""Generate golden SavedModel fixtures with the REAL TensorFlow.

stowflow never imports TensorFlow; this script is the only place that does for
SavedModels. It (re)creates, under ``tests/golden/savedmodels/``:

* ``<model>/`` -- a SavedModel exactly as TensorFlow wrote it, plus
  ``expected.json`` (signatures, graph facts, variables, and the outputs TF
  computes for fixed inputs),
* ``cli/`` -- stdout/stderr/exit codes of ``saved_model_cli show|run|scan``
  (``show_flags.json``, ``run_flags.json``, ``scan_flags.json`` and one
  ``.txt`` per label), the ``.npy``/``.npz`` inputs used by ``run``
  (``cli/inputs/``) and the files ``run --outdir`` wrote (``cli/out/``).

Each model is built in a fresh subprocess whose cwd is the (empty) model
directory, and is then loaded back in a second fresh subprocess. TF only ever
sees relative paths, so no absolute path of the build machine can end up in a
fixture; the script checks this at the end.

Usage:
    python make_savedmodels.py            # regenerate everything (wipes generated dirs)
    python make_savedmodels.py tf1_predict tf2_module   # only these models (+ all CLI goldens)
"""

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ["tf1_predict", "tf1_classify_regress", "tf1_assets", "tf1_simple_save", "tf2_module"]
CLI = os.path.join(HERE, "cli")

# ----------------------------------------------------------------------------- fixed values
W_PREDICT = [[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]]          # float32 [3,2]
B_PREDICT = [0.1, -0.2]                                        # float32 [2]
X_PREDICT = [[1.0, 2.0, 3.0], [-1.0, 0.0, 0.5], [0.0, 0.0, 0.0], [10.0, -4.0, 2.5]]

# classify/regress: feature vector f = [x0, x1, age*0.1, ntags]  (float32 [B,4])
W_CLS = [[0.5, -0.25, 0.1], [-0.5, 0.75, 0.2], [0.3, 0.1, -0.4], [1.0, -1.0, 0.5]]   # [4,3]
B_CLS = [0.0, 0.1, -0.1]
W_REG = [[2.0], [-1.0], [0.5], [0.25]]                                               # [4,1]
B_REG = [1.5]
CLASS_LABELS = [b"cat", b"dog", b"bird"]
# (x, age or None (missing -> default 0), tags)
EXAMPLES = [
    ([1.0, 2.0], 22, [b"a"]),
    ([-0.5, 0.25], None, []),
    ([3.0, -1.0], 70, [b"b", "\u00e9t\u00e9".encode("utf-8")]),
]

VOCAB = ["apple", "banana", "cherry", "durian"]
ASSET_WORDS = [b"banana", b"kiwi", b"apple", b"durian", b""]

X1 = [[1.0], [2.0], [3.0]]
X2 = [[10.0], [20.0], [30.0]]

W_TF2 = [[0.5, -1.0], [2.0, 0.0], [-0.25, 1.5]]   # [3,2]
B_TF2 = [1.0, -1.0]                              # [2]


# ============================================================================= helpers
def _b64(b):
    return base64.b64encode(bytes(b)).decode("ascii")


def _tensor_record(arr, dtype_name=None):
    import numpy as np
    a = np.asarray(arr)
    if dtype_name is None:
        dtype_name = "string" if a.dtype.kind in "OSU" else a.dtype.name
    if dtype_name == "string":
        flat = np.asarray(arr, dtype=object).reshape(-1)
        return {"dtype": "string", "shape": list(np.shape(arr)),
                "strings_b64": [_b64(x if isinstance(x, bytes) else str(x).encode()) for x in flat]}
    le = a.astype(a.dtype.newbyteorder("<"), copy=False) if a.dtype.byteorder == ">" else a
    return {"dtype": dtype_name, "shape": list(a.shape),
            "data_b64": _b64(np.ascontiguousarray(le).tobytes(order="C"))}


def _file_table(root, skip=("expected.json",)):
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        for fn in sorted(filenames):
            rel = os.path.normpath(os.path.join(rel_dir, fn)).replace(os.sep, "/")
            if rel in skip:
                continue
            with open(os.path.join(dirpath, fn), "rb") as f:
                data = f.read()
            files[rel] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return files


def _tf(v1=False):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    if v1:
        tf.compat.v1.disable_v2_behavior()
    return tf


def _example_bytes(x, age, tags):
    from tensorflow.core.example import example_pb2
    ex = example_pb2.Example()
    f = ex.features.feature
    # insertion order x, age, tags; deterministic=True gives sorted map keys
    f["x"].float_list.value.extend(x)
    if age is not None:
        f["age"].int64_list.value.append(age)
    if tags:
        f["tags"].bytes_list.value.extend(tags)
    return ex.SerializeToString(deterministic=True)


# ============================================================================= builders
# Each runs in a fresh process, cwd = the empty model directory, export dir ".".

def build_tf1_predict():
    tf = _tf(v1=True)
    import numpy as np
    sdu = tf.compat.v1.saved_model.signature_def_utils
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        W = tf.compat.v1.Variable(np.array(W_PREDICT, np.float32), name="W")
        b = tf.compat.v1.Variable(np.array(B_PREDICT, np.float32), name="b")
        y = tf.add(tf.matmul(x, W), b, name="y")
        z = tf.multiply(x, 2.0, name="z")
        sess.run(tf.compat.v1.global_variables_initializer())
        serving = sdu.predict_signature_def({"x": x}, {"y": y})
        builder = tf.compat.v1.saved_model.Builder(".")
        builder.add_meta_graph_and_variables(
            sess, ["serve"],
            signature_def_map={"serving_default": serving,
                               "double": sdu.predict_signature_def({"x": x}, {"z": z})})
        builder.add_meta_graph(["serve", "gpu"], signature_def_map={"serving_default": serving})
        builder.save()


def build_tf1_classify_regress():
    tf = _tf(v1=True)
    import numpy as np
    sdu = tf.compat.v1.saved_model.signature_def_utils
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        ex = tf.compat.v1.placeholder(tf.string, [None], name="input_example_tensor")
        feats = tf.io.parse_example(ex, {
            "x": tf.io.FixedLenFeature([2], tf.float32),
            "age": tf.io.FixedLenFeature([1], tf.int64, default_value=[0]),
            "tags": tf.io.VarLenFeature(tf.string),
        })
        x = tf.identity(feats["x"], name="x")
        age = tf.identity(feats["age"], name="age")
        dense_tags = tf.sparse.to_dense(feats["tags"], default_value="")
        ntags = tf.reduce_sum(tf.cast(tf.not_equal(dense_tags, ""), tf.float32), axis=1,
                              keepdims=True, name="ntags")
        fvec = tf.concat([x, tf.cast(age, tf.float32) * 0.1, ntags], axis=1, name="features")
        wc = tf.compat.v1.Variable(np.array(W_CLS, np.float32), name="cls/W")
        bc = tf.compat.v1.Variable(np.array(B_CLS, np.float32), name="cls/b")
        wr = tf.compat.v1.Variable(np.array(W_REG, np.float32), name="reg/W")
        br = tf.compat.v1.Variable(np.array(B_REG, np.float32), name="reg/b")
        scores = tf.nn.softmax(tf.matmul(fvec, wc) + bc, name="scores")
        batch = tf.shape(ex)[0]
        classes = tf.tile(tf.constant([CLASS_LABELS]), tf.stack([batch, 1]), name="classes")
        predictions = tf.add(tf.matmul(fvec, wr), br, name="predictions")
        sess.run(tf.compat.v1.global_variables_initializer())
        cls_sig = sdu.classification_signature_def(ex, classes, scores)
        builder = tf.compat.v1.saved_model.Builder(".")
        builder.add_meta_graph_and_variables(
            sess, ["serve"],
            signature_def_map={
                "serving_default": cls_sig,
                "classify": cls_sig,
                "regress": sdu.regression_signature_def(ex, predictions),
                "predict_raw": sdu.predict_signature_def(
                    {"examples": ex},
                    {"scores": scores, "predictions": predictions, "x": x, "age": age,
                     "ntags": ntags}),
            })
        builder.save()


def build_tf1_assets():
    tf = _tf(v1=True)
    sdu = tf.compat.v1.saved_model.signature_def_utils
    # The builder refuses a non-empty export dir, so create it before the asset source file.
    builder = tf.compat.v1.saved_model.Builder(".")
    # Asset source file (relative path "vocab.txt"); builder copies it to assets/vocab.txt.
    with open("vocab.txt", "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        asset_path = tf.constant("vocab.txt", name="asset_path")
        tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.ASSET_FILEPATHS, asset_path)
        table = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(asset_path, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                                          tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER),
            default_value=-1, name="vocab_table")
        word = tf.compat.v1.placeholder(tf.string, [None], name="word")
        ids = tf.identity(table.lookup(word), name="ids")
        # A global (saved) variable: initial value 1.0, assigned 3.0 before saving.
        scale = tf.compat.v1.Variable(1.0, name="scale")
        # A local variable (not saved): only ever set by the main op.
        offset = tf.compat.v1.Variable(0.5, name="offset", trainable=False,
                                       collections=[tf.compat.v1.GraphKeys.LOCAL_VARIABLES])
        scaled = tf.add(tf.cast(ids, tf.float32) * scale, offset, name="scaled")
        sess.run([tf.compat.v1.global_variables_initializer(),
                  tf.compat.v1.local_variables_initializer(), tf.compat.v1.tables_initializer()])
        sess.run(scale.assign(3.0))
        main_op = tf.compat.v1.saved_model.main_op.main_op()
        builder.add_meta_graph_and_variables(
            sess, ["serve"],
            signature_def_map={"serving_default": sdu.predict_signature_def(
                {"word": word}, {"ids": ids, "scaled": scaled})},
            assets_collection=tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.ASSET_FILEPATHS),
            main_op=main_op)
        builder.save(as_text=True)
    os.remove("vocab.txt")


def build_tf1_simple_save():
    tf = _tf(v1=True)
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        x1 = tf.compat.v1.placeholder(tf.float32, [None, 1], name="x1")
        x2 = tf.compat.v1.placeholder(tf.float32, [None, 1], name="x2")
        y = tf.add(x1, x2, name="y")
        tf.compat.v1.saved_model.simple_save(sess, ".", inputs={"x1": x1, "x2": x2},
                                             outputs={"y": y})


def build_tf2_module():
    tf = _tf()
    import numpy as np

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(np.array(W_TF2, np.float32), name="w")
            self.b = tf.Variable(np.array(B_TF2, np.float32), name="b")

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def serve(self, x):
            return {"y": tf.matmul(x, self.w) + self.b}

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="a"),
                                      tf.TensorSpec([None], tf.int32, name="n")])
        def other(self, a, n):
            return {"shifted": a + self.b, "n_times_2": n * 2}

    m = Model()
    tf.saved_model.save(m, ".", signatures={"serving_default": m.serve, "other": m.other})


BUILDERS = {
    "tf1_predict": build_tf1_predict,
    "tf1_classify_regress": build_tf1_classify_regress,
    "tf1_assets": build_tf1_assets,
    "tf1_simple_save": build_tf1_simple_save,
    "tf2_module": build_tf2_module,
}


# ============================================================================= fixed inputs
def _inputs(model):
    """{tag_set (comma string): {signature_key: {input_key: ndarray}}}"""
    import numpy as np
    f32 = np.float32
    if model == "tf1_predict":
        x = {"x": np.array(X_PREDICT, f32)}
        return {"serve": {"serving_default": x, "double": x}, "serve,gpu": {"serving_default": x}}
    if model == "tf1_classify_regress":
        exs = np.array([_example_bytes(*e) for e in EXAMPLES], dtype=object)
        return {"serve": {k: {("examples" if k == "predict_raw" else "inputs"): exs}
                          for k in ["serving_default", "classify", "regress", "predict_raw"]}}
    if model == "tf1_assets":
        return {"serve": {"serving_default": {"word": np.array(ASSET_WORDS, dtype=object)}}}
    if model == "tf1_simple_save":
        return {"serve": {"serving_default": {"x1": np.array(X1, f32), "x2": np.array(X2, f32)}}}
    if model == "tf2_module":
        return {"serve": {
            "serving_default": {"x": np.array(X_PREDICT, f32)},
            "other": {"a": np.array([[1.0, 2.0], [-3.0, 0.5]], f32),
                      "n": np.array([1, -2, 40000], np.int32)}}}
    raise KeyError(model)


# ============================================================================= verification
def _tensor_info(ti, tf):
    from google.protobuf import json_format
    rec = {"dtype": tf.dtypes.as_dtype(ti.dtype).name if ti.dtype else None,
           "dtype_enum": ti.dtype}
    if ti.tensor_shape.unknown_rank:
        rec["shape"] = None
    else:
        rec["shape"] = [d.size for d in ti.tensor_shape.dim]
    enc = ti.WhichOneof("encoding")
    if enc == "name":
        rec["name"] = ti.name
    else:
        rec[enc] = json_format.MessageToDict(getattr(ti, enc))
    return rec


def _meta_graph_record(mg, tf):
    from google.protobuf import json_format
    ops = sorted({n.op for n in mg.graph_def.node})
    fn_ops = sorted({n.op for f in mg.graph_def.library.function for n in f.node_def})
    rec = {
        "tags": list(mg.meta_info_def.tags),
        "tensorflow_version": mg.meta_info_def.tensorflow_version,
        "stripped_default_attrs": mg.meta_info_def.stripped_default_attrs,
        "graph_versions": json_format.MessageToDict(mg.graph_def.versions),
        "num_nodes": len(mg.graph_def.node),
        "graph_ops": ops,
        "library_functions": sorted(f.signature.name for f in mg.graph_def.library.function),
        "library_ops": fn_ops,
        "stripped_op_list": sorted(o.name for o in mg.meta_info_def.stripped_op_list.op),
        "collections": {k: mg.collection_def[k].WhichOneof("kind")
                        for k in sorted(mg.collection_def)},
        "saver_def": json_format.MessageToDict(mg.saver_def, preserving_proto_field_name=True),
        "asset_file_def": [{"tensor_name": a.tensor_info.name, "filename": a.filename}
                           for a in mg.asset_file_def],
        "has_object_graph_def": mg.HasField("object_graph_def"),
        "signatures": {},
    }
    for k in ("saved_model_main_op", "legacy_init_op", "asset_filepaths"):
        if k in mg.collection_def:
            rec["collection_" + k] = list(mg.collection_def[k].node_list.value)
    if "saved_model_assets" in mg.collection_def:
        from tensorflow.core.protobuf import meta_graph_pb2
        out = []
        for anyv in mg.collection_def["saved_model_assets"].any_list.value:
            afd = meta_graph_pb2.AssetFileDef()
            anyv.Unpack(afd)
            out.append({"type_url": anyv.type_url, "tensor_name": afd.tensor_info.name,
                        "filename": afd.filename})
        rec["collection_saved_model_assets"] = out
    for key in sorted(mg.signature_def):
        sd = mg.signature_def[key]
        rec["signatures"][key] = {
            "method_name": sd.method_name,
            "inputs": {k: _tensor_info(sd.inputs[k], tf) for k in sorted(sd.inputs)},
            "outputs": {k: _tensor_info(sd.outputs[k], tf) for k in sorted(sd.outputs)},
        }
    return rec


def _variables_record(tf):
    prefix = "variables/variables"
    if not os.path.exists(prefix + ".index"):
        return {"prefix": prefix, "exists": False,
                "variables_dir_listing": sorted(os.listdir("variables")) if os.path.isdir("variables") else None}
    reader = tf.train.load_checkpoint(prefix)
    dmap = reader.get_variable_to_dtype_map()
    lv = tf.train.list_variables(prefix)
    return {"prefix": prefix, "exists": True,
            "list_variables": [[n, list(s)] for n, s in lv],
            "values": {n: _tensor_record(reader.get_tensor(n), dmap[n].name) for n, _ in lv}}


def verify(model):
    """Fresh process, cwd = model dir: load with real TF and write expected.json."""
    import numpy as np
    tf = _tf(v1=(model != "tf2_module"))
    from tensorflow.python.saved_model import loader_impl
    sm = loader_impl.parse_saved_model(".")
    doc = {"model": model,
           "saved_model_schema_version": sm.saved_model_schema_version,
           "meta_graphs": [_meta_graph_record(mg, tf) for mg in sm.meta_graphs],
           "variables": _variables_record(tf),
           "runs": {}}
    inputs = _inputs(model)
    # Session path (tf.compat.v1.saved_model.loader.load + sess.run) -- what saved_model_cli uses.
    sess_results = {}
    for tag_set, sigs in inputs.items():
        tags = tag_set.split(",")
        with tf.Graph().as_default() as g, tf.compat.v1.Session(graph=g) as sess:
            mg = tf.compat.v1.saved_model.loader.load(sess, tags, ".")
            for key, feeds in sigs.items():
                sd = mg.signature_def[key]
                feed = {sd.inputs[k].name: v for k, v in feeds.items()}
                out_keys = sorted(sd.outputs)
                vals = sess.run([sd.outputs[k].name for k in out_keys], feed_dict=feed)
                sess_results[(tag_set, key)] = dict(zip(out_keys, vals))
    if model == "tf2_module":
        loaded = tf.saved_model.load(".")
        for key, feeds in inputs["serve"].items():
            res = loaded.signatures[key](**{k: tf.constant(v) for k, v in feeds.items()})
            res = {k: v.numpy() for k, v in res.items()}
            other = sess_results[("serve", key)]
            assert sorted(res) == sorted(other), (res, other)
            for k in res:
                assert np.array_equal(res[k], other[k]), (key, k)
            sess_results[("serve", key)] = res
        doc["runs_note"] = ("outputs from loaded.signatures[key](**inputs); identical to the "
                            "tf.compat.v1 loader.load + sess.run results (checked)")
    else:
        doc["runs_note"] = "outputs from tf.compat.v1.saved_model.loader.load + sess.run"
    for (tag_set, key), outs in sess_results.items():
        doc["runs"].setdefault(tag_set, {})[key] = {
            "inputs": {k: _tensor_record(v) for k, v in inputs[tag_set][key].items()},
            "outputs": {k: _tensor_record(v) for k, v in sorted(outs.items())},
        }
    if model == "tf1_classify_regress":
        doc["examples"] = [
            {"features": {"x": e[0], "age": e[1], "tags_b64": [_b64(t) for t in e[2]]},
             "serialized_b64": _b64(_example_bytes(*e))} for e in EXAMPLES]
        doc["examples_note"] = ("serialized with deterministic=True (map keys sorted); 'age': null "
                                "means the feature is absent (default [0] used)")
        # Each example alone, through every signature (batch of 1).
        single = {}
        with tf.Graph().as_default() as g, tf.compat.v1.Session(graph=g) as sess:
            mg = tf.compat.v1.saved_model.loader.load(sess, ["serve"], ".")
            for i, e in enumerate(EXAMPLES):
                ser = np.array([_example_bytes(*e)], dtype=object)
                for key in ["classify", "regress", "predict_raw"]:
                    sd = mg.signature_def[key]
                    (ikey,) = list(sd.inputs)
                    out_keys = sorted(sd.outputs)
                    vals = sess.run([sd.outputs[k].name for k in out_keys],
                                    feed_dict={sd.inputs[ikey].name: ser})
                    single.setdefault(str(i), {})[key] = {
                        k: _tensor_record(v) for k, v in zip(out_keys, vals)}
        doc["single_example_runs"] = single
    if model == "tf1_assets":
        doc["notes"] = [
            "scale is saved as 3.0 (see variables.values) but main_op() = group(global vars init, "
            "local vars init, tables init) runs AFTER the restore, so the loaded model computes "
            "with scale = 1.0 (its initial value); offset is a LOCAL variable (not in variables/), "
            "set to 0.5 by the main op.",
            "ids: vocab line number (0-based) or -1; scaled = ids * scale + offset.",
            "The asset Const 'asset_path' holds the build-time relative path 'vocab.txt'; the "
            "loader feeds <export_dir>/assets/vocab.txt instead.",
        ]
    doc["files"] = _file_table(".")
    with open("expected.json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


# ============================================================================= CLI goldens
_NOISE = [
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called"),
    re.compile(r"oneDNN custom operations are on"),
    re.compile(r"cpu_feature_guard|This TensorFlow binary is optimized|To enable the following instructions"),
    re.compile(r"rebuild TensorFlow with the appropriate compiler flags"),
]
_GLOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ (\S+:\d+)\] ?(.*)$")


_ABS_PY = re.compile(r'/[^\s"\':]*?/((?:site|dist)-packages|python3\.\d+)/')


def _sanitize(text):
    """Absolute paths of this machine in tracebacks / TF deprecation warnings:
    '/abs/.../site-packages/x.py' -> '<...>/site-packages/x.py', the venv -> '<venv>'."""
    text = _ABS_PY.sub(r"<...>/\1/", text)
    text = text.replace(sys.prefix + os.sep, "<venv>/")
    return text.replace(HERE + os.sep, "").replace(HERE, ".")


def _split_stderr(text):
    """-> (filtered stderr, [absl/glog messages without timestamp/pid])."""
    keep, logs = [], []
    for ln in _sanitize(text).splitlines():
        if any(p.search(ln) for p in _NOISE):
            continue
        m = _GLOG.match(ln)
        if m:
            logs.append(ln[0] + " " + m.group(1) + "] " + m.group(2))
            continue
        keep.append(ln)
    return "\n".join(keep) + ("\n" if keep else ""), logs


def _cli_env():
    # oneDNN off: TF's Eigen kernels, whose float32 results stowflow reproduces bit for bit
    # (with oneDNN, Softmax differs from Eigen's in the last digit).
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0", COLUMNS="80",
                TF_ENABLE_ONEDNN_OPTS="0")


def _cli_cmd():
    return [os.path.join(os.path.dirname(sys.executable), "saved_model_cli")]


def _run_cli(label, args, prefix, manifest):
    args = [manifest["command"][1]] + args
    r = subprocess.run(_cli_cmd() + args, cwd=HERE, env=_cli_env(), capture_output=True)
    out = prefix + label + ".txt"
    stdout = r.stdout
    if _sanitize(stdout.decode("utf-8", "replace")) != stdout.decode("utf-8", "replace"):
        manifest.setdefault("stdout_sanitized", []).append(label)
        stdout = _sanitize(stdout.decode("utf-8", "replace")).encode("utf-8")
    with open(os.path.join(CLI, out), "wb") as f:
        f.write(stdout)
    stderr, logs = _split_stderr(r.stderr.decode("utf-8", "replace"))
    manifest["runs"][label] = {"argv": args, "stdout_file": out, "exit_code": r.returncode,
                               "stderr": stderr, "log_lines": logs}
    return r


def _manifest(kind):
    return {"command": ["saved_model_cli", kind],
            "argv_note": "argv = the arguments after 'saved_model_cli' (starts with the subcommand)",
            "cwd": "tests/golden/savedmodels (the models' parent dir); paths in argv are relative to it",
            "env": {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0"},
            "stderr_filter": ("oneDNN / CPU-feature / 'All log messages before absl' notices removed; "
                              "absl/glog-formatted lines moved to log_lines as "
                              "'<severity letter> <file:line>] <message>' (timestamp/pid dropped)"),
            "runs": {}}


def run_show():
    man = _manifest("show")
    man["label_format"] = "<model>__<label>; stdout in <model>__<label>.txt"
    jobs = []
    for model in MODELS:
        meta = json.load(open(os.path.join(HERE, model, "expected.json")))
        sets = {"dir": ["--dir", model], "all": ["--dir", model, "--all"],
                "tag_serve": ["--dir", model, "--tag_set", "serve"]}
        serve = [mg for mg in meta["meta_graphs"] if mg["tags"] == ["serve"]][0]
        for key in serve["signatures"]:
            sets["sig_" + key] = ["--dir", model, "--tag_set", "serve", "--signature_def", key]
        if model == "tf1_predict":
            sets["tag_serve_gpu"] = ["--dir", model, "--tag_set", "serve,gpu"]
            sets["tag_gpu_serve"] = ["--dir", model, "--tag_set", "gpu,serve"]
            sets["tag_serve_gpu_sig_serving_default"] = [
                "--dir", model, "--tag_set", "serve,gpu", "--signature_def", "serving_default"]
            sets["err_tag_bogus"] = ["--dir", model, "--tag_set", "bogus"]
            sets["err_sig_bogus"] = ["--dir", model, "--tag_set", "serve", "--signature_def", "bogus"]
            sets["err_sig_without_tag"] = ["--dir", model, "--signature_def", "serving_default"]
            sets["err_missing_dir"] = ["--dir", "does_not_exist"]
        for label, args in sets.items():
            jobs.append((model + "__" + label, args))
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda j: _run_cli(j[0], j[1], "", man), jobs))
    man["runs"] = {k: man["runs"][k] for k in sorted(man["runs"])}
    with open(os.path.join(CLI, "show_flags.json"), "w") as f:
        json.dump(man, f, indent=1)
        f.write("\n")


def _npy_record(path):
    import numpy as np
    data = open(path, "rb").read()
    arr = np.load(path)
    return {"file_b64": _b64(data), "array": _tensor_record(arr)}


def run_run():
    import numpy as np
    idir = os.path.join(CLI, "inputs")
    os.makedirs(idir, exist_ok=True)
    np.save(os.path.join(idir, "x1.npy"), np.array(X1, np.float32))
    np.save(os.path.join(idir, "x2.npy"), np.array(X2, np.float32))
    np.savez(os.path.join(idir, "in.npz"), a=np.array([[0.5], [1.5], [2.5]], np.float32),
             b=np.array([[100.0]], np.float32))
    np.savez(os.path.join(idir, "one.npz"), np.array([[7.0], [8.0], [9.0]], np.float32))
    outdir_rel = "cli/out"
    outdir = os.path.join(HERE, outdir_rel)
    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    man = _manifest("run")
    man["inputs_files"] = {fn: {"file_b64": _b64(open(os.path.join(idir, fn), "rb").read())}
                           for fn in sorted(os.listdir(idir))}
    S = ["--dir", "tf1_simple_save", "--tag_set", "serve", "--signature_def", "serving_default"]
    npy = "x1=cli/inputs/x1.npy;x2=cli/inputs/x2.npy"
    C = ["--dir", "tf1_classify_regress", "--tag_set", "serve"]
    ex = 'inputs=[{"x":[1.0,2.0],"age":[22],"tags":["a"]}]'
    sets = [
        ("simple_inputs_npy", S + ["--inputs", npy]),
        ("simple_inputs_npz_key", S + ["--inputs", "x1=cli/inputs/in.npz[a];x2=cli/inputs/x2.npy"]),
        ("simple_inputs_npz_single", S + ["--inputs", "x1=cli/inputs/one.npz;x2=cli/inputs/x2.npy"]),
        ("simple_inputs_npy_with_key", S + ["--inputs", "x1=cli/inputs/x1.npy[zzz];x2=cli/inputs/x2.npy"]),
        # TF 2.21 evaluates --input_exprs (and --input_examples) with ast.literal_eval:
        # numpy expressions such as np.ones(...) are rejected despite the --help text.
        ("simple_input_exprs_np_rejected", S + ["--input_exprs", "x1=np.ones((3,1));x2=[[1],[2],[3]]"]),
        ("simple_input_exprs", S + ["--input_exprs", "x1=[[1.0],[1.0],[1.0]];x2=[[1],[2],[3]]"]),
        ("simple_inputs_and_exprs", S + ["--inputs", "x1=cli/inputs/x1.npy",
                                         "--input_exprs", "x2=[[0.25],[0.25],[0.25]]"]),
        ("simple_inputs_exprs_overlap", S + ["--inputs", npy, "--input_exprs", "x2=[[0.0],[0.0],[0.0]]"]),
        ("simple_err_npz_needs_key", S + ["--inputs", "x1=cli/inputs/in.npz;x2=cli/inputs/x2.npy"]),
        ("simple_err_npz_bad_key", S + ["--inputs", "x1=cli/inputs/in.npz[c];x2=cli/inputs/x2.npy"]),
        ("simple_err_shape_mismatch", S + ["--input_exprs", "x1=[1.0,2.0];x2=[[1.0],[2.0]]"]),
        ("simple_outdir_overwrite", S + ["--inputs", npy, "--outdir", outdir_rel, "--overwrite"]),
        ("simple_outdir_exists_no_overwrite", S + ["--inputs", npy, "--outdir", outdir_rel]),
        ("simple_outdir_is_file", S + ["--inputs", npy, "--outdir", "cli/inputs/x1.npy"]),
        ("simple_err_bad_input_key", S + ["--input_exprs", "x1=[[1.0]];nope=[[2.0]]"]),
        ("simple_err_missing_input", S + ["--input_exprs", "x1=[[1.0]]"]),
        ("simple_err_no_inputs", S),
        ("classify_input_examples", C + ["--signature_def", "classify", "--input_examples", ex]),
        ("regress_input_examples", C + ["--signature_def", "regress", "--input_examples", ex]),
        ("predict_raw_input_examples", C + ["--signature_def", "predict_raw", "--input_examples",
                                            'examples=[{"x":[1.0,2.0],"age":[22],"tags":["a"]},'
                                            '{"x":[3.0,-1.0],"tags":["b","c"]}]']),
        ("tf1_predict_double_exprs", ["--dir", "tf1_predict", "--tag_set", "serve", "--signature_def",
                                      "double", "--input_exprs", "x=[[0,1,2],[3,4,5]]"]),
        ("tf2_serving_default_exprs", ["--dir", "tf2_module", "--tag_set", "serve", "--signature_def",
                                       "serving_default", "--input_exprs", "x=[[1.0,1.0,1.0],[0.5,-1.0,2.0]]"]),
        ("tf2_other_exprs", ["--dir", "tf2_module", "--tag_set", "serve", "--signature_def", "other",
                             "--input_exprs", "a=[[1.0,2.0]];n=[3,4]"]),
        ("tf1_assets_exprs", ["--dir", "tf1_assets", "--tag_set", "serve", "--signature_def",
                              "serving_default", "--input_exprs", "word=[b'cherry',b'zzz','apple']"]),
    ]
    for label, args in sets:
        _run_cli(label, args, "run__", man)
        if label == "simple_outdir_overwrite":
            man["runs"][label]["outdir_files"] = {
                fn: _npy_record(os.path.join(outdir, fn)) for fn in sorted(os.listdir(outdir))}
    with open(os.path.join(CLI, "run_flags.json"), "w") as f:
        json.dump(man, f, indent=1)
        f.write("\n")


def run_scan():
    man = _manifest("scan")
    sets = {"tf1_predict": ["--dir", "tf1_predict"],
            "tf2_module": ["--dir", "tf2_module"],
            "tf1_assets_tag_serve": ["--dir", "tf1_assets", "--tag_set", "serve"],
            "tf1_classify_regress_denylist": ["--dir", "tf1_classify_regress", "--op_denylist",
                                              "ParseExampleV2,MatMul,Softmax"]}
    for label, args in sets.items():
        _run_cli(label, args, "scan__", man)
    with open(os.path.join(CLI, "scan_flags.json"), "w") as f:
        json.dump(man, f, indent=1)
        f.write("\n")


# ============================================================================= driver
def _child(mode, name):
    os.chdir(os.path.join(HERE, name))
    if mode == "--build":
        BUILDERS[name]()
    else:
        verify(name)


def main(argv):
    if len(argv) == 2 and argv[0] in ("--build", "--verify"):
        _child(*argv)
        return
    cli_only = argv == ["--cli-only"]
    names = [] if cli_only else (argv or MODELS)
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        sys.exit("unknown model(s): %s" % unknown)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    for name in names:
        mdir = os.path.join(HERE, name)
        if os.path.isdir(mdir):
            shutil.rmtree(mdir)
        os.makedirs(mdir)
        print("building", name, flush=True)
        subprocess.run([sys.executable, os.path.abspath(__file__), "--build", name], env=env, check=True)
        subprocess.run([sys.executable, os.path.abspath(__file__), "--verify", name], env=env, check=True)
    if os.path.isdir(CLI):
        shutil.rmtree(CLI)
    os.makedirs(CLI)
    print("saved_model_cli show/run/scan", flush=True)
    run_show()
    run_run()
    run_scan()
    # Guard: no absolute path of this machine may leak into any fixture.
    needles = {os.path.abspath(HERE).encode(), os.path.expanduser("~").encode() + b"/",
               os.getcwd().encode() + b"/", os.path.dirname(sys.executable).encode(),
               b"/work/", b"/tmp/"}
    for d in MODELS + ["cli"]:
        for dirpath, _, filenames in os.walk(os.path.join(HERE, d)):
            for fn in filenames:
                p = os.path.join(dirpath, fn)
                data = open(p, "rb").read()
                for nd in needles:
                    if len(nd) > 2 and nd in data:
                        sys.exit("absolute path %r leaked into %s" % (nd, p))
    total = sum(os.path.getsize(os.path.join(dp, f))
                for d in MODELS + ["cli"] for dp, _, fs in os.walk(os.path.join(HERE, d)) for f in fs)
    print("done: %d bytes" % total)
    if total > 2 * 1024 * 1024:
        sys.exit("fixtures exceed 2 MB")


if __name__ == "__main__":
    main(sys.argv[1:])
