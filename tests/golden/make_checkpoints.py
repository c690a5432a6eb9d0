# Needs TensorFlow 2.21: run with the TF venv python (e.g. "$(scripts/tf_venv)" tests/golden/make_checkpoints.py); regenerates tests/golden/checkpoints/.
"""Generate golden checkpoint fixtures with the REAL TensorFlow.

stowflow itself never imports TensorFlow; this script is the only place that
does. It (re)creates ``tests/golden/checkpoints/<fixture>/`` containing:

* the checkpoint files exactly as TensorFlow wrote them,
* ``expected.json`` -- every tensor as read back by ``tf.train.load_checkpoint``
  (dtype name, shape, raw little-endian bytes / per-element string bytes, all
  base64), ``tf.train.list_variables`` output and size/sha256 of every file,
* for some fixtures ``inspect/<label>.txt`` + ``inspect/flags.json`` -- stdout,
  filtered stderr and exit code of
  ``python -m tensorflow.python.tools.inspect_checkpoint`` for several flag sets.

Every fixture is built in its own fresh subprocess with cwd = the fixture dir
(so TF-generated names/uids do not depend on build order and only relative
paths are ever given to TF).

Usage:
    python make_checkpoints.py                 # regenerate everything
    python make_checkpoints.py tf1_single ...  # regenerate only these fixtures
"""

import base64
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "checkpoints")

# Values shared by several fixtures -------------------------------------------

LONG300 = bytes((i * 7 + 3) % 256 for i in range(300))          # 300-byte binary string
LONG200 = ("0123456789abcdefghij" * 10).encode("ascii")          # 200-byte ASCII string
STRINGS_TF1 = [b"", b"\x00\xff", "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c".encode("utf-8"), LONG300, b"plain"]

RAW_ORDER = ["zeta", "alpha", "mid/x", "s", "scalar", "empty", "bf", "c64", "flags"]
MULTIBLOCK_FMT = "t/%05d"
MULTIBLOCK_START = 6000
MULTIBLOCK_STEP = 2000


# =============================================================================
# Helpers used inside the TF subprocesses
# =============================================================================

def _b64(b):
    return base64.b64encode(bytes(b)).decode("ascii")


def _tensor_record(arr, dtype_name):
    import numpy as np
    if dtype_name == "string":
        flat = np.asarray(arr, dtype=object).reshape(-1)
        return {"dtype": "string", "shape": list(np.shape(arr)),
                "strings_b64": [_b64(x) for x in flat]}
    a = np.asarray(arr)
    le = a.astype(a.dtype.newbyteorder("<"), copy=False) if a.dtype.byteorder == ">" else a
    return {"dtype": dtype_name, "shape": list(a.shape),
            "data_b64": _b64(np.ascontiguousarray(le).tobytes(order="C"))}


def _file_table(root, skip=("expected.json", "inspect")):
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir.split(os.sep)[0] in skip:
            continue
        for fn in sorted(filenames):
            rel = os.path.normpath(os.path.join(rel_dir, fn)).replace(os.sep, "/")
            if rel in skip:
                continue
            with open(os.path.join(dirpath, fn), "rb") as f:
                data = f.read()
            files[rel] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return files


def _count_index_data_blocks(index_path):
    """Minimal SSTable footer/index-block parse: number of data blocks."""
    with open(index_path, "rb") as f:
        data = f.read()
    footer = data[-48:]
    assert footer[40:] == bytes.fromhex("57fb808b247547db"), "bad magic"

    def varint(buf, pos):
        shift = result = 0
        while True:
            b = buf[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result, pos
            shift += 7

    pos = 0
    _, pos = varint(footer, pos)
    _, pos = varint(footer, pos)
    idx_off, pos = varint(footer, pos)
    idx_size, pos = varint(footer, pos)
    block = data[idx_off:idx_off + idx_size]
    num_restarts = struct.unpack("<I", block[-4:])[0]
    # index blocks use restart interval 1 -> one restart per entry
    return num_restarts


def _write_expected(prefix, extra=None, tensors=True):
    """Read the checkpoint back with real TF and write expected.json."""
    import tensorflow as tf
    reader = tf.train.load_checkpoint(prefix)
    shape_map = reader.get_variable_to_shape_map()
    dtype_map = reader.get_variable_to_dtype_map()
    doc = {"prefix": prefix}
    if tensors:
        doc["tensors"] = {}
        for key in sorted(shape_map):
            rec = _tensor_record(reader.get_tensor(key), dtype_map[key].name)
            assert rec["shape"] == list(shape_map[key]), (key, rec["shape"], shape_map[key])
            doc["tensors"][key] = rec
        doc["list_variables"] = [[n, list(s)] for n, s in tf.train.list_variables(prefix)]
    if extra:
        doc.update(extra)
    doc["files"] = _file_table(".")
    with open("expected.json", "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    return tf


# =============================================================================
# Fixture builders (each runs in a fresh process, cwd = fixture dir)
# =============================================================================

def build_tf1_single():
    tf = _tf()
    import numpy as np
    tf1 = tf.compat.v1
    rng = np.random.RandomState(1234)
    notes = {}
    g = tf.Graph()
    with g.as_default():
        V = tf1.Variable
        V(rng.standard_normal((2, 3)).astype(np.float32), name="a")
        V(rng.standard_normal((3,)).astype(np.float64), name="f64")
        V(np.array([[1, -2], [2**31 - 1, -2**31]], np.int32), name="i32")
        V(np.int64(-1234567890123), name="i64_scalar")
        V(np.array([True, False, True]), name="bo")
        V(np.array([-128, -1, 0, 127], np.int8), name="i8")
        V(np.array([0, 1, 128, 255], np.uint8), name="u8")
        V(np.array([-32768, -1, 0, 32767], np.int16), name="i16")
        V(np.array([0, 1, 40000, 65535], np.uint16), name="u16")
        V(np.array([[0.5, -1.25], [65504.0, 1e-3]], np.float16), name="h")
        V(tf.cast(tf.constant([1.0, -2.5, 3.140625, 1e30], tf.float32), tf.bfloat16), name="bf")
        V(np.array([1 + 2j, -3.5 - 0.25j], np.complex64), name="c64")
        V(np.array([[1e300 - 1j], [-0.0 + 2e-300j]], np.complex128), name="c128")
        V(np.array(STRINGS_TF1, dtype=object), name="s")
        V(np.zeros((0, 3), np.float32), name="empty")
        V(np.array(b"a string scalar", dtype=object), name="scalar_s")
        # 12 elements: makes --printoptions=threshold=5 visibly summarize ("...").
        V(np.arange(12, dtype=np.int32) * 3 - 5, name="r")
        # uint32 / uint64: TF 2.21 Saver handles them (probed) -> included.
        V(np.array([0, 1, 2**32 - 1], np.uint32), name="u32")
        V(np.array([0, 1, 2**64 - 1], np.uint64), name="u64")
        saver = tf1.train.Saver()
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            prefix = saver.save(sess, "model.ckpt", global_step=7)
    assert prefix == "model.ckpt-7", prefix
    notes["uint32_uint64"] = "included: Saver/SaveV2 accepted uint32 and uint64 resource variables"
    _write_expected(prefix, {"notes": notes})


def build_tf1_sharded():
    tf = _tf()
    import numpy as np
    tf1 = tf.compat.v1
    rng = np.random.RandomState(42)
    g = tf.Graph()
    with g.as_default():
        with tf.device("/cpu:0"):
            tf1.Variable(rng.standard_normal((2, 2)).astype(np.float32), name="dev0/w")
            tf1.Variable(np.array([b"on cpu0", b""], dtype=object), name="dev0/s")
        with tf.device("/cpu:1"):
            tf1.Variable(rng.standard_normal((3,)).astype(np.float32), name="dev1/w")
            tf1.Variable(np.int64(11), name="dev1/n")
        saver = tf1.train.Saver(sharded=True)
        cfg = tf1.ConfigProto(device_count={"CPU": 2})
        with tf1.Session(graph=g, config=cfg) as sess:
            sess.run(tf1.global_variables_initializer())
            prefix = saver.save(sess, "model.ckpt")
    assert prefix == "model.ckpt", prefix
    datas = sorted(f for f in os.listdir(".") if ".data-" in f)
    assert len(datas) == 2, datas
    _write_expected(prefix, {"data_files": datas})


def build_tf1_partitioned():
    tf = _tf()
    import numpy as np
    tf1 = tf.compat.v1

    def _part_init(full):
        # Initializer that hands each partition its own block of `full`.
        def init(shape, dtype=None, partition_info=None):
            off = partition_info.var_offset if partition_info is not None else [0] * full.ndim
            idx = tuple(slice(o, o + n) for o, n in zip(off, shape))
            return tf.constant(full[idx], dtype=dtype)
        return init

    g = tf.Graph()
    with g.as_default():
        tf1.get_variable(
            "part/pv", shape=[5, 2], dtype=tf.float32,
            initializer=_part_init(np.arange(10, dtype=np.float32).reshape(5, 2)),
            partitioner=tf1.fixed_size_partitioner(2))
        tf1.get_variable(
            "part/pw", shape=[7, 3], dtype=tf.float32,
            initializer=_part_init((np.arange(21, dtype=np.float32) * 0.5 - 3).reshape(7, 3)),
            partitioner=tf1.fixed_size_partitioner(3, axis=0))
        tf1.Variable(np.array([1.5, -2.0, 4.25], np.float32), name="normal")
        tf1.Variable(np.array([b"alpha", b"", b"\xce\xb2eta"], dtype=object), name="note")
        saver = tf1.train.Saver()
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            prefix = saver.save(sess, "model.ckpt")
    _write_expected(prefix)


def build_tf1_global_step():
    tf = _tf()
    import numpy as np
    tf1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        gs = tf1.train.get_or_create_global_step()
        v = tf1.Variable(np.array([1.0, 2.0], np.float32), name="v")
        inc = tf1.assign_add(gs, 1)
        upd = tf1.assign_add(v, [0.5, 0.5])
        saver = tf1.train.Saver(max_to_keep=2)
        saved = []
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(4):
                sess.run([inc, upd])
                saved.append(saver.save(sess, "model.ckpt", global_step=gs))
    assert saved == ["model.ckpt-1", "model.ckpt-2", "model.ckpt-3", "model.ckpt-4"], saved
    assert not os.path.exists("model.ckpt-1.index") and not os.path.exists("model.ckpt-2.index")
    _write_expected(saved[-1], {"saved_prefixes_in_order": saved,
                                "kept_prefixes": saved[-2:],
                                "deleted_prefixes": saved[:-2]})


def build_tf2_checkpoint():
    tf = _tf()
    import numpy as np
    rng = np.random.RandomState(7)

    class M(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(rng.standard_normal((3, 2)).astype(np.float32), name="w")
            self.b = tf.Variable(np.array([0.1, -0.2], np.float32), name="b")

    model = M()
    # Keras 3 optimizers do not create `.OPTIMIZER_SLOT` entries; the TF1-style
    # optimizer (a Trackable with slot variables) does, also in eager mode.
    opt = tf.compat.v1.train.AdamOptimizer(learning_rate=0.1)
    x = tf.constant(rng.standard_normal((4, 3)).astype(np.float32))

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(tf.matmul(x, model.w) + model.b))
        grads = tape.gradient(loss, [model.w, model.b])
        opt.apply_gradients(zip(grads, [model.w, model.b]))

    ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
    mgr = tf.train.CheckpointManager(ckpt, directory=".", max_to_keep=2)
    step()
    p1 = mgr.save()
    step()
    p2 = mgr.save()
    rel = [os.path.relpath(p) for p in (p1, p2)]
    assert rel == ["ckpt-1", "ckpt-2"], rel
    _write_expected(rel[-1], {"saved_prefixes_in_order": rel,
                              "notes": "state file `checkpoint` contains wall-clock timestamps (CheckpointManager always writes them)"})


def build_keras_checkpoint():
    tf = _tf()
    import keras
    import numpy as np
    rng = np.random.RandomState(3)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, name="dense")], name="seq")
    model.set_weights([rng.standard_normal((4, 3)).astype(np.float32),
                       np.array([0.25, -0.5, 1.0], np.float32)])
    note = {"keras_version": keras.__version__}
    try:
        model.save_weights("weights_tf")
        note["save_weights_tf_format"] = "accepted (unexpected)"
    except Exception as e:  # keras 3 only accepts *.weights.h5
        note["save_weights_tf_format"] = "refused: %s: %s" % (type(e).__name__, str(e).splitlines()[0][:200])
    for f in os.listdir("."):
        if f.startswith("weights_tf"):
            os.remove(f)
    prefix = tf.train.Checkpoint(model=model).write("ckpt")
    prefix = os.path.relpath(prefix)
    assert prefix == "ckpt", prefix
    _write_expected(prefix, {"notes": note})


def build_savedmodel_vars():
    tf = _tf()
    import numpy as np

    class Lin(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), name="w")
            self.b = tf.Variable(np.array([0.5, -0.5], np.float32), name="b")

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x")])
        def __call__(self, x):
            return {"y": tf.matmul(x, self.w) + self.b}

    m = Lin()
    tf.saved_model.save(m, "model", signatures={"serving_default": m.__call__})
    _write_expected("model/variables/variables",
                    {"saved_model_dir": "model",
                     "signature": {"name": "serving_default", "input": "x float32 [-1,2]", "output": "y"}})


def _raw_inputs_record(names, specs, tensors):
    out = []
    for n, s, t in zip(names, specs, tensors):
        rec = _tensor_record(t.numpy(), t.dtype.name)
        rec = {"name": n, "shape_and_slice": s, **rec}
        out.append(rec)
    return out


def build_raw_savev2_golden():
    tf = _tf()
    import numpy as np
    rng = np.random.RandomState(99)
    vals = {
        "zeta": tf.constant(rng.standard_normal((2, 3)).astype(np.float32)),
        "alpha": tf.constant(np.array([1.0, -1.0, 0.0, 3.5], np.float32)),
        "mid/x": tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2)),
        "s": tf.constant(np.array([b"hello", b"", LONG200, "\u00fcml\u00e4ut".encode("utf-8")], dtype=object)),
        "scalar": tf.constant(np.int64(-9876543210)),
        "empty": tf.constant(np.zeros((0, 2), np.float32)),
        "bf": tf.cast(tf.constant([1.0, -0.5, 256.0, 3.0e-3], tf.float32), tf.bfloat16),
        "c64": tf.constant(np.array([1 + 1j, 0.5 - 2j, -3j], np.complex64)),
        "flags": tf.constant(np.array([[True, False], [False, True]])),
    }
    names = list(RAW_ORDER)
    specs = [""] * len(names)
    tensors = [vals[n] for n in names]
    tf.raw_ops.SaveV2(prefix="golden", tensor_names=names, shape_and_slices=specs, tensors=tensors)
    _write_expected("golden", {"savev2_call": {
        "tensor_names": names, "shape_and_slices": specs,
        "dtypes": [t.dtype.name for t in tensors],
        "inputs": _raw_inputs_record(names, specs, tensors),
        "note": "single eager tf.raw_ops.SaveV2 call; inputs listed in call order (= .data order)"}})


def build_raw_savev2_sliced():
    tf = _tf()
    import numpy as np
    full = np.arange(8, dtype=np.float32).reshape(4, 2) * 1.5 - 2
    names = ["m", "m"]
    specs = ["4 2 0,2:-", "4 2 2,2:-"]
    tensors = [tf.constant(full[0:2]), tf.constant(full[2:4])]
    tf.raw_ops.SaveV2(prefix="sliced", tensor_names=names, shape_and_slices=specs, tensors=tensors)
    _write_expected("sliced", {"savev2_call": {
        "tensor_names": names, "shape_and_slices": specs,
        "dtypes": [t.dtype.name for t in tensors],
        "inputs": _raw_inputs_record(names, specs, tensors),
        "note": "ONE eager tf.raw_ops.SaveV2 call saving two slices of `m` (same name twice); TF accepted it"}})


def build_raw_savev2_multiblock():
    tf = _tf()
    import numpy as np
    n = MULTIBLOCK_START
    while True:
        for f in os.listdir("."):
            os.remove(f)
        names = [MULTIBLOCK_FMT % i for i in range(n)]
        tensors = [tf.constant(np.array([i], np.float32)) for i in range(n)]
        tf.raw_ops.SaveV2(prefix="multi", tensor_names=names, shape_and_slices=[""] * n, tensors=tensors)
        blocks = _count_index_data_blocks("multi.index")
        if blocks > 1:
            break
        n += MULTIBLOCK_STEP
    # Verify every value with TF, but store the expectation compactly.
    reader = tf.train.load_checkpoint("multi")
    shape_map = reader.get_variable_to_shape_map()
    dtype_map = reader.get_variable_to_dtype_map()
    assert sorted(shape_map) == names
    for i, name in enumerate(names):
        assert dtype_map[name] == tf.float32 and shape_map[name] == [1]
        v = reader.get_tensor(name)
        assert v.dtype == np.float32 and v.shape == (1,) and v[0] == i, (name, v)
    lv = tf.train.list_variables("multi")
    assert [x[0] for x in lv] == names and all(list(x[1]) == [1] for x in lv)
    _write_expected("multi", {
        "compact": {
            "num_tensors": n, "key_format": MULTIBLOCK_FMT, "keys": "key_format % i for i in range(num_tensors)",
            "dtype": "float32", "shape": [1], "value": "[i] as float32 (little-endian)",
            "savev2_order": "i ascending (= sorted key order)",
            "list_variables": "[[key, [1]] for each key in sorted order]",
        },
        "index_data_blocks": blocks,
        "index_size": os.path.getsize("multi.index"),
    }, tensors=False)


BUILDERS = {
    "tf1_single": build_tf1_single,
    "tf1_sharded": build_tf1_sharded,
    "tf1_partitioned": build_tf1_partitioned,
    "tf1_global_step": build_tf1_global_step,
    "tf2_checkpoint": build_tf2_checkpoint,
    "keras_checkpoint": build_keras_checkpoint,
    "savedmodel_vars": build_savedmodel_vars,
    "raw_savev2_golden": build_raw_savev2_golden,
    "raw_savev2_sliced": build_raw_savev2_sliced,
    "raw_savev2_multiblock": build_raw_savev2_multiblock,
}

# =============================================================================
# inspect_checkpoint runs (driver side)
# =============================================================================

INSPECT_MODULE = "tensorflow.python.tools.inspect_checkpoint"
INSPECT = {
    # fixture: (float tensor for (d), string tensor for (e))
    "tf1_single": ("a", "s"),
    "tf1_partitioned": ("part/pv", "note"),
    "tf2_checkpoint": ("model/w/.ATTRIBUTES/VARIABLE_VALUE", "_CHECKPOINTABLE_OBJECT_GRAPH"),
}

_NOISE = [
    re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\] "),   # absl/glog lines
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called"),
    re.compile(r"oneDNN custom operations are on"),
    re.compile(r"cpu_feature_guard|This TensorFlow binary is optimized|To enable the following instructions"),
    re.compile(r"rebuild TensorFlow with the appropriate compiler flags"),
]


def _filter_stderr(text):
    keep = [ln for ln in text.splitlines() if not any(p.search(ln) for p in _NOISE)]
    return "\n".join(keep) + ("\n" if keep else "")


def run_inspect(name):
    fdir = os.path.join(OUT, name)
    prefix = json.load(open(os.path.join(fdir, "expected.json")))["prefix"]
    float_t, str_t = INSPECT[name]
    P = "--file_name=" + prefix
    sets = {
        "a_file_name": [P],
        "b_all_tensor_names": [P, "--all_tensor_names"],
        "c_all_tensors": [P, "--all_tensors"],
        "d_tensor_float": [P, "--tensor_name=" + float_t],
        "e_tensor_string": [P, "--tensor_name=" + str_t],
        "f_tensor_nonexistent": [P, "--tensor_name=nonexistent"],
        "g_all_tensors_printoptions": [P, "--all_tensors", "--printoptions=threshold=5"],
        "h_missing_file": ["--file_name=does_not_exist"],
    }
    idir = os.path.join(fdir, "inspect")
    os.makedirs(idir, exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    manifest = {
        "command": ["python", "-m", INSPECT_MODULE],
        "cwd": "the fixture directory (tests/golden/checkpoints/%s)" % name,
        "env": {"TF_CPP_MIN_LOG_LEVEL": "3"},
        "stderr_filter": "absl/glog-prefixed lines, oneDNN and CPU-feature notices removed",
        "runs": {},
    }
    for label, args in sets.items():
        r = subprocess.run([sys.executable, "-m", INSPECT_MODULE] + args, cwd=fdir, env=env,
                           capture_output=True)
        with open(os.path.join(idir, label + ".txt"), "wb") as f:
            f.write(r.stdout)
        manifest["runs"][label] = {
            "argv": args,
            "stdout_file": label + ".txt",
            "stderr": _filter_stderr(r.stderr.decode("utf-8", "replace")),
            "exit_code": r.returncode,
        }
    with open(os.path.join(idir, "flags.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


# =============================================================================
# Driver
# =============================================================================

def _child(name):
    fdir = os.path.join(OUT, name)
    os.chdir(fdir)
    BUILDERS[name]()


def main(argv):
    if len(argv) >= 2 and argv[0] == "--child":
        _child(argv[1])
        return
    names = argv or list(BUILDERS)
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        sys.exit("unknown fixture(s): %s" % unknown)
    if not argv and os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT, exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    for name in names:
        fdir = os.path.join(OUT, name)
        if os.path.isdir(fdir):
            shutil.rmtree(fdir)
        os.makedirs(fdir)
        print("building", name, flush=True)
        subprocess.run([sys.executable, os.path.abspath(__file__), "--child", name],
                       env=env, check=True)
        if name in INSPECT:
            run_inspect(name)
    # Guard: no absolute path of this machine may leak into any fixture.
    needles = {os.path.abspath(HERE).encode(), os.path.expanduser("~").encode() + b"/",
               os.getcwd().encode() + b"/"}
    for dirpath, _, filenames in os.walk(OUT):
        for fn in filenames:
            p = os.path.join(dirpath, fn)
            data = open(p, "rb").read()
            for nd in needles:
                if len(nd) > 2 and nd in data:
                    sys.exit("absolute path %r leaked into %s" % (nd, p))
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print("done: %d bytes in %s" % (total, os.path.relpath(OUT)))


if __name__ == "__main__":
    main(sys.argv[1:])
