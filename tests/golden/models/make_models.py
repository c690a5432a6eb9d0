"""Builds the real-model fixtures (issue 7): one model per family, made and run by TensorFlow.

NEEDS TENSORFLOW 2.21 (+ Keras 3). Run with the oracle venv from the repository root:

    ~/.cache/stowflow/tf-2.21.0/bin/python tests/golden/models/make_models.py            # all
    ~/.cache/stowflow/tf-2.21.0/bin/python tests/golden/models/make_models.py --family resnet50
    ~/.cache/stowflow/tf-2.21.0/bin/python tests/golden/models/make_models.py --list

The files are big, so they never go in git: they are written to
``~/.cache/stowflow/models/<first 16 hex of sha256(this file)>/<family>/`` (override the
root with ``--out`` or $STOWFLOW_MODEL_CACHE). Editing this file changes the key, so stale
fixtures are never reused. Each family is built in a fresh subprocess (TF1 graph mode and
control flow v1 are process-global switches) into a temporary directory that is renamed into
place when complete; ``manifest.json`` is the completion mark. Per family:

* ``saved_model/``: the SavedModel exactly as TensorFlow wrote it;
* ``frozen.pb``: a frozen GraphDef of the serving signature (TF2 families:
  ``convert_variables_to_constants_v2``, which lowers v2 control flow to Switch/Merge/...;
  TF1 families: ``graph_util.convert_variables_to_constants``);
* ``ckpt/`` (TF1 families): the Saver checkpoint and its ``.meta``;
* ``goldens.npz``: the fixed inputs and TF's outputs of every call (see ``encode_arrays``;
  no pickle: string tensors are stored as bytes + lengths);
* ``manifest.json``: signatures, the call sequence, frozen-graph tensor names, tolerances,
  the spread of each float output over the batch (outputs must vary with the input), and
  the generation time.

This module imports TensorFlow only inside the builders, so the tests import it for
``FAMILIES``, ``cache_key`` and ``decode_arrays``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent

# family -> comparison kind ("deep": max|diff| <= 2e-3 std(output); "tight": rtol 1e-4 atol 1e-5)
FAMILIES: dict[str, str] = {
    "mobilenet_v2": "deep",
    "resnet50": "deep",
    "inception_v3": "deep",
    "efficientnet_b0": "deep",
    "bert_encoder": "tight",
    "bilstm_gru": "tight",
    "text_vectorization": "tight",
    "tf_module_control_flow": "tight",
    "tf1_cnn": "tight",
    "tf1_control_flow": "tight",
    "wide_deep": "tight",
}
SLOW_FAMILIES = frozenset({"mobilenet_v2", "resnet50", "inception_v3", "efficientnet_b0"})
MIN_RELATIVE_BATCH_STD = 0.02  # a float output's std over the batch / its overall std


# ----------------------------------------------------------------------------- cache + codec


def cache_key() -> str:
    """First 16 hex digits of this file's sha256: the fixtures' cache directory name."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def cache_root() -> Path:
    """``$STOWFLOW_MODEL_CACHE`` or ``~/.cache/stowflow/models``, plus the cache key."""
    base = os.environ.get("STOWFLOW_MODEL_CACHE")
    root = Path(base) if base else Path.home() / ".cache" / "stowflow" / "models"
    return root / cache_key()


def encode_arrays(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """npz-ready arrays: a string tensor ``k`` becomes ``k#bytes`` (uint8) + ``k#lens``."""
    out: dict[str, np.ndarray] = {}
    for key, value in arrays.items():
        value = np.asarray(value)
        if value.dtype == object or value.dtype.kind in "SU":
            items = [v.encode() if isinstance(v, str) else bytes(v) for v in value.reshape(-1)]
            out[key + "#bytes"] = np.frombuffer(b"".join(items), np.uint8)
            out[key + "#lens"] = np.array([len(v) for v in items], np.int64).reshape(value.shape)
        else:
            out[key] = value
    return out


def decode_arrays(npz: Any) -> dict[str, np.ndarray]:
    """Inverse of ``encode_arrays`` (string tensors come back as object arrays of bytes)."""
    out: dict[str, np.ndarray] = {}
    for key in npz.files:
        if key.endswith("#lens"):
            continue
        if key.endswith("#bytes"):
            name = key[: -len("#bytes")]
            data = npz[key].tobytes()
            lens = npz[name + "#lens"]
            ends = np.cumsum(lens.reshape(-1))
            flat = np.empty(lens.size, dtype=object)
            flat[:] = [data[e - n : e] for e, n in zip(ends, lens.reshape(-1))]
            out[name] = flat.reshape(lens.shape)
        else:
            out[key] = npz[key]
    return out


# ----------------------------------------------------------------------------- shared helpers

RNG = np.random.default_rng(20261201)


def images(n: int, size: int, lo: float, hi: float) -> np.ndarray:
    """Distinct smooth random images: low-res noise upsampled, per-image contrast, fine noise."""
    coarse = RNG.uniform(0.0, 1.0, (n, 7, 7, 3))
    reps = -(-size // 7)
    smooth = np.repeat(np.repeat(coarse, reps, axis=1), reps, axis=2)[:, :size, :size]
    contrast = RNG.uniform(0.3, 1.0, (n, 1, 1, 1))
    fine = RNG.uniform(0.0, 1.0, (n, size, size, 3))
    unit = np.clip(contrast * smooth + 0.15 * fine, 0.0, 1.0)
    return (lo + (hi - lo) * unit).astype(np.float32)


def spread(value: np.ndarray) -> dict[str, float]:
    """How much a float output varies over the batch (axis 0), absolute and relative."""
    value = np.asarray(value, np.float64)
    over_batch = float(value.std(axis=0).mean()) if value.shape and value.shape[0] > 1 else 0.0
    overall = float(value.std())
    return {
        "batch_std": over_batch,
        "std": overall,
        "relative_batch_std": over_batch / overall if overall else 0.0,
    }


def tensor_info(info: Any) -> dict[str, Any]:
    """A SignatureDef TensorInfo as JSON: tensor name, dtype name, shape (None = unknown)."""
    import tensorflow as tf

    shape = info.tensor_shape
    dims = None if shape.unknown_rank else [d.size if d.size >= 0 else None for d in shape.dim]
    return {"name": info.name, "dtype": tf.as_dtype(info.dtype).name, "shape": dims}


def signature_json(meta_graph: Any) -> dict[str, Any]:
    return {
        key: {
            "method_name": sig.method_name,
            "inputs": {k: tensor_info(v) for k, v in sorted(sig.inputs.items())},
            "outputs": {k: tensor_info(v) for k, v in sorted(sig.outputs.items())},
        }
        for key, sig in sorted(meta_graph.signature_def.items())
        if not key.startswith("__")
    }


def read_meta_graph(saved_model_dir: Path) -> Any:
    from tensorflow.core.protobuf import saved_model_pb2

    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((saved_model_dir / "saved_model.pb").read_bytes())
    return sm.meta_graphs[0]


def as_numpy(value: Any) -> np.ndarray:
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


_LOADED: dict[Path, Any] = {}
PHASES: dict[str, float] = {}


class phase:
    """Adds the wall time of a ``with`` block to ``PHASES[name]`` (reported in the manifest)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: Any) -> None:
        elapsed = time.perf_counter() - self.started
        PHASES[self.name] = round(PHASES.get(self.name, 0.0) + elapsed, 1)


def load_tf2(saved_model_dir: Path) -> Any:
    """``tf.saved_model.load`` once per directory (big models take a while to load)."""
    import tensorflow as tf

    if saved_model_dir not in _LOADED:
        with phase("tf_load"):
            _LOADED[saved_model_dir] = tf.saved_model.load(str(saved_model_dir))
    return _LOADED[saved_model_dir]


def run_tf2_calls(saved_model_dir: Path, calls: list[tuple[str, dict[str, np.ndarray]]]) -> dict:
    """Runs each (signature, inputs) in order on one ``tf.saved_model.load``; returns goldens."""
    import tensorflow as tf

    loaded = load_tf2(saved_model_dir)
    goldens: dict[str, np.ndarray] = {}
    for i, (sig, inputs) in enumerate(calls):
        outputs = loaded.signatures[sig](**{k: tf.constant(v) for k, v in inputs.items()})
        for k, v in inputs.items():
            goldens[f"c{i}/in/{k}"] = v
        for k, v in outputs.items():
            goldens[f"c{i}/out/{k}"] = as_numpy(v)
    return goldens


def run_tf1_calls(saved_model_dir: Path, calls: list[tuple[str, dict[str, np.ndarray]]]) -> dict:
    """Like ``run_tf2_calls`` through TF1's loader and ``Session.run`` on tensor names."""
    import tensorflow as tf

    goldens: dict[str, np.ndarray] = {}
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(saved_model_dir))
        for i, (sig, inputs) in enumerate(calls):
            sdef = meta.signature_def[sig]
            feeds = {sdef.inputs[k].name: v for k, v in inputs.items()}
            keys = sorted(sdef.outputs)
            values = sess.run([sdef.outputs[k].name for k in keys], feeds)
            for k, v in inputs.items():
                goldens[f"c{i}/in/{k}"] = v
            for k, v in zip(keys, values):
                goldens[f"c{i}/out/{k}"] = np.asarray(v)
    return goldens


def run_frozen(
    graph_def: Any, feeds: dict[str, np.ndarray], fetches: list[str], init_ops: list[str]
) -> list[np.ndarray]:
    """Imports a frozen GraphDef into a fresh TF1 graph and runs it, as the tests will."""
    import tensorflow as tf

    with tf.Graph().as_default() as g, tf.compat.v1.Session(graph=g) as sess:
        tf.import_graph_def(graph_def, name="")
        if init_ops:
            sess.run(init_ops)
        return [np.asarray(v) for v in sess.run(fetches, feeds)]


def freeze_tf2_signature(saved_model_dir: Path, out: Path, sig: str, inputs: dict) -> dict:
    """Freezes signature ``sig`` with convert_variables_to_constants_v2; returns manifest part."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    fn = load_tf2(saved_model_dir).signatures[sig]  # the cache keeps the variables alive
    with phase("freeze"):
        frozen = convert_variables_to_constants_v2(fn)
    graph_def = frozen.graph.as_graph_def()
    (out / "frozen.pb").write_bytes(graph_def.SerializeToString())
    placeholder_names = [t.name for t in frozen.inputs]
    input_names: dict[str, str] = {}
    for key, spec in fn.structured_input_signature[1].items():
        name = f"{spec.name}:0"
        if name not in placeholder_names:
            raise RuntimeError(f"frozen {sig}: no placeholder {name} in {placeholder_names}")
        input_names[key] = name
    packed = tf.nest.pack_sequence_as(fn.structured_outputs, frozen.outputs)
    output_names = {k: t.name for k, t in packed.items()}
    return {
        "inputs": input_names,
        "outputs": output_names,
        "init_ops": [],
        "method": "convert_variables_to_constants_v2",
    }


def freeze_via_tf1_session(saved_model_dir: Path, out: Path, sig: str) -> dict:
    """Freezes a signature of a SavedModel loaded by TF1's loader (v1 convert, init op kept).

    For models whose lookup tables ``convert_variables_to_constants_v2`` cannot freeze (it
    leaves the table handle as an unfed resource placeholder).
    """
    import tensorflow as tf

    with tf.Graph().as_default() as g, tf.compat.v1.Session(graph=g) as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(saved_model_dir))
        init = meta.signature_def["__saved_model_init_op"].outputs["__saved_model_init_op"]
        sdef = meta.signature_def[sig]
        outputs = {k: v.name for k, v in sdef.outputs.items()}
        init_op = init.name.split(":")[0]
        nodes = sorted({n.split(":")[0] for n in outputs.values()} | {init_op})
        graph_def = tf.compat.v1.graph_util.convert_variables_to_constants(
            sess, g.as_graph_def(), nodes
        )
    (out / "frozen.pb").write_bytes(graph_def.SerializeToString())
    return {
        "inputs": {k: v.name for k, v in sdef.inputs.items()},
        "outputs": outputs,
        "init_ops": [init_op],
        "method": "tf1 loader + convert_variables_to_constants",
    }


def frozen_goldens(out: Path, frozen: dict, inputs: dict[str, np.ndarray]) -> dict:
    from tensorflow.core.framework import graph_pb2

    graph_def = graph_pb2.GraphDef()
    graph_def.ParseFromString((out / "frozen.pb").read_bytes())
    keys = sorted(frozen["outputs"])
    with phase("frozen_run"):
        values = run_frozen(
            graph_def,
            {frozen["inputs"][k]: v for k, v in inputs.items()},
            [frozen["outputs"][k] for k in keys],
            frozen["init_ops"],
        )
    goldens = {f"frozen/in/{k}": v for k, v in inputs.items()}
    goldens.update({f"frozen/out/{k}": v for k, v in zip(keys, values)})
    return goldens


def finish(
    out: Path,
    calls: list[tuple[str, dict[str, np.ndarray]]],
    goldens: dict[str, np.ndarray],
    frozen: dict | None,
    extra: dict | None = None,
) -> dict:
    """Writes goldens.npz and returns the manifest (signatures, calls, spreads)."""
    spreads = {
        key: spread(value)
        for key, value in goldens.items()
        if "/out/" in key and np.asarray(value).dtype.kind == "f"
    }
    np.savez(out / "goldens.npz", **encode_arrays(goldens))
    return {
        "signatures": signature_json(read_meta_graph(out / "saved_model")),
        "calls": [{"signature": sig, "id": f"c{i}"} for i, (sig, _) in enumerate(calls)],
        "frozen": frozen,
        "output_spread": spreads,
        **(extra or {}),
    }


# ----------------------------------------------------------------------------- Keras families


def calibrate_batchnorm(model: Any, x: np.ndarray) -> int:
    """Sets every BatchNormalization's moving stats to ``x``'s batch stats (momentum 0 once)."""
    import keras

    layers = [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    saved = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = 0.0
    model(x, training=True)
    for layer, momentum in zip(layers, saved):
        layer.momentum = momentum
    return len(layers)


def keras_export(model: Any, out: Path) -> None:
    with phase("export"):
        model.export(str(out / "saved_model"), format="tf_saved_model", verbose=False)


def tf2_family(
    out: Path, sig_inputs: dict[str, np.ndarray], extra: dict | None = None, v1_freeze: bool = False
) -> dict:
    """Goldens + frozen graph for a TF2 SavedModel with one ``serving_default`` call."""
    sm = out / "saved_model"
    calls = [("serving_default", sig_inputs)]
    with phase("goldens"):
        goldens = run_tf2_calls(sm, calls)
    if v1_freeze:
        frozen = freeze_via_tf1_session(sm, out, "serving_default")
    else:
        frozen = freeze_tf2_signature(sm, out, "serving_default", sig_inputs)
    goldens.update(frozen_goldens(out, frozen, sig_inputs))
    return finish(out, calls, goldens, frozen, extra)


def application(out: Path, ctor: str, size: int, lo: float, hi: float) -> dict:
    import keras

    keras.utils.set_random_seed(7)
    model = getattr(keras.applications, ctor)(
        weights=None, classifier_activation=None, input_shape=(size, size, 3)
    )
    with phase("calibrate"):
        n_bn = calibrate_batchnorm(model, images(6, size, lo, hi))
    keras_export(model, out)
    meta = read_meta_graph(out / "saved_model")
    (key,) = meta.signature_def["serving_default"].inputs
    return tf2_family(
        out,
        {key: images(3, size, lo, hi)},
        {"batchnorm_layers_calibrated": n_bn, "input_range": [lo, hi], "image_size": size},
    )


def build_mobilenet_v2(out: Path) -> dict:
    return application(out, "MobileNetV2", 224, -1.0, 1.0)


def build_resnet50(out: Path) -> dict:
    return application(out, "ResNet50", 224, -120.0, 150.0)


def build_inception_v3(out: Path) -> dict:
    return application(out, "InceptionV3", 299, -1.0, 1.0)


def build_efficientnet_b0(out: Path) -> dict:
    return application(out, "EfficientNetB0", 224, 0.0, 255.0)


def build_bert_encoder(out: Path) -> dict:
    """2 post-norm transformer layers: token+position embeddings, masked MHA, exact gelu."""
    import keras
    from keras import layers, ops

    keras.utils.set_random_seed(11)
    vocab, seq, dim, heads = 64, 12, 32, 4
    tokens = keras.Input((seq,), dtype="int32", name="input_ids")
    mask = keras.Input((seq,), dtype="int32", name="attention_mask")
    positions = ops.arange(seq)
    h = layers.Embedding(vocab, dim)(tokens) + layers.Embedding(seq, dim)(positions)
    h = layers.LayerNormalization(epsilon=1e-12)(h)
    attention_mask = ops.cast(ops.expand_dims(mask, 1), "bool")  # [B, 1, T]: keys to attend
    for i in range(2):
        att = layers.MultiHeadAttention(heads, dim // heads, name=f"mha_{i}")(
            h, h, attention_mask=attention_mask
        )
        h = layers.LayerNormalization(epsilon=1e-12)(h + att)
        ff = layers.Dense(4 * dim, activation=keras.activations.gelu)(h)  # approximate=False
        h = layers.LayerNormalization(epsilon=1e-12)(h + layers.Dense(dim)(ff))
    pooled = layers.Dense(dim, activation="tanh", name="pooler")(h[:, 0, :])
    model = keras.Model([tokens, mask], {"sequence_output": h, "pooled_output": pooled})
    keras_export(model, out)
    ids = RNG.integers(1, vocab, (3, seq)).astype(np.int32)
    lengths = np.array([seq, 7, 3])
    attn = (np.arange(seq)[None, :] < lengths[:, None]).astype(np.int32)
    ids = ids * attn
    meta = read_meta_graph(out / "saved_model")
    keys = sorted(meta.signature_def["serving_default"].inputs)
    by_name = {k: (ids if "ids" in k else attn) for k in keys}
    return tf2_family(out, by_name)


def build_bilstm_gru(out: Path) -> dict:
    """Embedding(mask_zero) -> Bidirectional(LSTM, sequences) -> GRU -> Dense logits."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(13)
    vocab, seq = 40, 10
    tokens = keras.Input((seq,), dtype="int32", name="tokens")
    h = layers.Embedding(vocab, 16, mask_zero=True)(tokens)
    h = layers.Bidirectional(layers.LSTM(12, return_sequences=True))(h)
    h = layers.GRU(10)(h)
    logits = layers.Dense(3, name="logits")(h)
    model = keras.Model(tokens, logits)
    keras_export(model, out)
    ids = RNG.integers(1, vocab, (4, seq)).astype(np.int32)
    lengths = np.array([seq, 6, 2, 8])
    ids = ids * (np.arange(seq)[None, :] < lengths[:, None])
    meta = read_meta_graph(out / "saved_model")
    (key,) = meta.signature_def["serving_default"].inputs
    return tf2_family(out, {key: ids.astype(np.int32)})


CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "A lazy afternoon; the dog sleeps, the fox waits!",
    "Quick thinking saves the day",
    "Brown bread and quick coffee, then work.",
]


def build_text_vectorization(out: Path) -> dict:
    """String input -> TextVectorization (adapted) -> Embedding -> pooled Dense logits."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(17)
    vectorize = layers.TextVectorization(max_tokens=24, output_sequence_length=8)
    vectorize.adapt(CORPUS)
    text = keras.Input((1,), dtype="string", name="text")
    ids = vectorize(text)
    h = layers.Embedding(24, 8)(ids)
    h = layers.GlobalAveragePooling1D()(h)
    logits = layers.Dense(2, name="logits")(h)
    model = keras.Model(text, {"token_ids": ids, "logits": logits})
    keras_export(model, out)
    batch = np.array(
        [[b"The QUICK fox, the dog!"], [b"unknown words only"], [b""], [b"coffee then bread"]],
        dtype=object,
    )
    meta = read_meta_graph(out / "saved_model")
    (key,) = meta.signature_def["serving_default"].inputs
    return tf2_family(out, {key: batch}, {"vocabulary": vectorize.get_vocabulary()}, v1_freeze=True)


def build_tf_module_control_flow(out: Path) -> dict:
    """tf.Module: while_loop + TensorArray + cond + string ops; a second, stateful signature."""
    import tensorflow as tf

    class Module(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            rng = np.random.default_rng(19)
            self.w = tf.Variable(rng.normal(0, 0.6, (4, 4)).astype(np.float32), name="w")
            self.b = tf.Variable(rng.normal(0, 0.1, (4,)).astype(np.float32), name="b")
            self.steps = tf.Variable(0, dtype=tf.int64, name="steps")
            self.total = tf.Variable(0.0, dtype=tf.float32, name="total")

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, 4], tf.float32, name="x"),
                tf.TensorSpec([None], tf.string, name="text"),
                tf.TensorSpec([], tf.int32, name="n"),
            ]
        )
        def serve(self, x: Any, text: Any, n: Any) -> dict:
            states = tf.TensorArray(tf.float32, size=n, element_shape=tf.TensorShape([None, 4]))

            def body(i: Any, h: Any, ta: Any) -> tuple:
                h = tf.tanh(tf.matmul(h, self.w) + self.b)
                h = tf.cond(tf.reduce_sum(h) > 0.0, lambda: h * 1.5, lambda: h - 0.25)
                return i + 1, h, ta.write(i, h)

            _, h, states = tf.while_loop(lambda i, h, ta: i < n, body, (0, x, states))
            stacked = states.stack()
            branch = tf.cond(
                tf.reduce_mean(x) > 0.0,
                lambda: tf.reduce_max(stacked, 0),
                lambda: tf.reduce_min(stacked, 0),
            )
            lower = tf.strings.lower(text)
            cleaned = tf.strings.regex_replace(lower, "[^a-z ]", "")
            words = tf.strings.split(cleaned)
            return {
                "final": h,
                "trajectory": tf.transpose(stacked, [1, 0, 2]),
                "branch": branch,
                "cleaned": cleaned,
                "word_count": words.row_lengths(),
                "length": tf.strings.length(text, unit="UTF8_CHAR"),
                "bucket": tf.strings.to_hash_bucket_fast(cleaned, 97),
                "joined": tf.strings.reduce_join(words, axis=1, separator="|"),
            }

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def update(self, x: Any) -> dict:
            self.steps.assign_add(1)
            self.total.assign_add(tf.reduce_sum(x))
            return {"steps": self.steps.read_value(), "scaled": x * self.total}

    module = Module()
    sm = out / "saved_model"
    tf.saved_model.save(
        module, str(sm), signatures={"serving_default": module.serve, "update": module.update}
    )
    x = RNG.normal(0, 1, (3, 4)).astype(np.float32)
    text = np.array(["Hello, World!", "ÉTÉ à Paris 2026", "  many   spaces here  "], dtype=object)
    serve_in = {
        "x": x,
        "text": np.array([t.encode() for t in text], dtype=object),
        "n": np.array(5, np.int32),
    }
    update_in = {"x": x[:2]}
    calls = [("serving_default", serve_in), ("update", update_in), ("update", update_in)]
    goldens = run_tf2_calls(sm, calls)
    frozen = freeze_tf2_signature(sm, out, "serving_default", serve_in)
    goldens.update(frozen_goldens(out, frozen, serve_in))
    return finish(out, calls, goldens, frozen, {"stateful_signatures": ["update"]})


# ----------------------------------------------------------------------------- TF1 families


def tf1_save(
    sess: Any, out: Path, signatures: dict, main_op: Any = None, saver: Any = None
) -> None:
    """Saver checkpoint + .meta in ckpt/, SavedModel (Builder) in saved_model/."""
    import tensorflow as tf

    saver = saver or tf.compat.v1.train.Saver()
    (out / "ckpt").mkdir()
    cwd = os.getcwd()
    os.chdir(out / "ckpt")  # relative paths only in the checkpoint state file
    try:
        saver.save(sess, "model.ckpt")
    finally:
        os.chdir(cwd)
    builder = tf.compat.v1.saved_model.Builder(str(out / "saved_model"))
    builder.add_meta_graph_and_variables(
        sess, ["serve"], signature_def_map=signatures, main_op=main_op, saver=saver
    )
    builder.save()


def tf1_freeze(sess: Any, out: Path, sig: Any, init_ops: list[str]) -> dict:
    import tensorflow as tf

    outputs = {k: v.name for k, v in sig.outputs.items()}
    nodes = sorted({n.split(":")[0] for n in outputs.values()} | {n for n in init_ops})
    graph_def = tf.compat.v1.graph_util.convert_variables_to_constants(
        sess, sess.graph.as_graph_def(), nodes
    )
    (out / "frozen.pb").write_bytes(graph_def.SerializeToString())
    return {
        "inputs": {k: v.name for k, v in sig.inputs.items()},
        "outputs": outputs,
        "init_ops": init_ops,
        "method": "graph_util.convert_variables_to_constants",
    }


def tf1_family(out: Path, calls: list, frozen_sig: str, frozen_part: dict, extra: dict) -> dict:
    goldens = run_tf1_calls(out / "saved_model", calls)
    frozen_inputs = next(inputs for sig, inputs in calls if sig == frozen_sig)
    goldens.update(frozen_goldens(out, frozen_part, frozen_inputs))
    extra = {**extra, "checkpoint": "ckpt/model.ckpt", "meta_graph": "ckpt/model.ckpt.meta"}
    return finish(out, calls, goldens, frozen_part, extra)


def build_tf1_cnn(out: Path) -> dict:
    """TF1 graph CNN on tf.nn ops: conv, FusedBatchNormV3, depthwise, pools, pad, dense."""
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    v1 = tf.compat.v1
    rng = np.random.default_rng(23)

    def var(name: str, shape: tuple, scale: float = 0.3, offset: float = 0.0) -> Any:
        init = (offset + rng.normal(0, scale, shape)).astype(np.float32)
        return v1.get_variable(name, initializer=tf.constant(init))

    with tf.Graph().as_default() as g:
        x = v1.placeholder(tf.float32, [None, 16, 16, 3], name="images")
        h = tf.nn.conv2d(x, var("conv1/w", (3, 3, 3, 8)), [1, 1, 1, 1], "SAME") + var(
            "conv1/b", (8,), 0.1
        )
        h, _, _ = v1.nn.fused_batch_norm(
            h,
            var("bn1/gamma", (8,), 0.1, 1.0),
            var("bn1/beta", (8,), 0.1),
            mean=var("bn1/mean", (8,), 0.2),
            variance=tf.abs(var("bn1/var", (8,), 0.3, 1.0)),
            epsilon=1e-3,
            is_training=False,
        )
        h = tf.nn.relu(h)
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.pad(h, [[0, 0], [1, 1], [1, 1], [0, 0]])
        h = tf.nn.depthwise_conv2d(h, var("dw/w", (3, 3, 8, 2)), [1, 1, 1, 1], "VALID")
        h = tf.nn.relu6(h)
        h = tf.nn.conv2d(h, var("conv2/w", (1, 1, 16, 12)), [1, 2, 2, 1], "SAME")
        h, _, _ = v1.nn.fused_batch_norm(
            h,
            var("bn2/gamma", (12,), 0.1, 1.0),
            var("bn2/beta", (12,), 0.1),
            mean=var("bn2/mean", (12,), 0.2),
            variance=tf.abs(var("bn2/var", (12,), 0.3, 1.0)),
            epsilon=1e-3,
            is_training=False,
        )
        h = tf.nn.avg_pool2d(tf.nn.relu(h), 2, 2, "SAME")
        flat = tf.reshape(h, [-1, 2 * 2 * 12])
        logits = tf.add(
            tf.matmul(flat, var("fc/w", (48, 5))), var("fc/b", (5,), 0.1), name="logits"
        )
        probs = tf.nn.softmax(logits, name="probabilities")
        classes = tf.argmax(logits, 1, name="classes")
        sig = v1.saved_model.predict_signature_def(
            {"images": x}, {"logits": logits, "probabilities": probs, "classes": classes}
        )
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            tf1_save(sess, out, {"serving_default": sig})
            frozen = tf1_freeze(sess, out, sig, [])
    calls = [("serving_default", {"images": images(3, 16, -1.0, 1.0)})]
    return tf1_family(out, calls, "serving_default", frozen, {"graph_mode": "tf1"})


def build_tf1_control_flow(out: Path) -> dict:
    """TF1 control flow v1: while_loop (Enter/Merge/Switch/Exit, TensorArrayV3) + cond."""
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.disable_control_flow_v2()
    v1 = tf.compat.v1
    rng = np.random.default_rng(29)
    with tf.Graph().as_default() as g:
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        n = v1.placeholder(tf.int32, [], name="n")
        w = v1.get_variable(
            "w", initializer=tf.constant(rng.normal(0, 0.7, (3, 3)).astype(np.float32))
        )
        ta = tf.TensorArray(tf.float32, size=n, element_shape=tf.TensorShape([None, 3]))

        def body(i: Any, h: Any, acc: Any, ta: Any) -> tuple:
            h = tf.tanh(tf.matmul(h, w))
            h = tf.cond(tf.reduce_sum(h) > 0.0, lambda: h + 0.5, lambda: h * -2.0)
            return i + 1, h, acc + tf.reduce_sum(h, 1), ta.write(i, h)

        _, h, acc, ta = tf.while_loop(
            lambda i, h, acc, ta: i < n, body, (0, x, tf.zeros_like(x[:, 0]), ta)
        )
        stacked = tf.identity(ta.stack(), name="trajectory")
        final = tf.identity(h, name="final")
        picked = tf.cond(n > 3, lambda: acc * 2.0, lambda: acc - 1.0)
        picked = tf.identity(picked, name="picked")
        count = tf.identity(tf.size(stacked), name="count")
        sig = v1.saved_model.predict_signature_def(
            {"x": x, "n": n},
            {"final": final, "trajectory": stacked, "picked": picked, "count": count},
        )
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            tf1_save(sess, out, {"serving_default": sig})
            frozen = tf1_freeze(sess, out, sig, [])
    x_in = rng.normal(0, 1, (3, 3)).astype(np.float32)
    calls = [
        ("serving_default", {"x": x_in, "n": np.array(4, np.int32)}),
        ("serving_default", {"x": x_in[:2], "n": np.array(2, np.int32)}),
    ]
    return tf1_family(
        out, calls, "serving_default", frozen, {"graph_mode": "tf1", "control_flow": "v1"}
    )


def _example(age: float | None, occupation: str | None, city: str | None, hours: float) -> bytes:
    import tensorflow as tf

    feature = {"hours": tf.train.Feature(float_list=tf.train.FloatList(value=[hours]))}
    if age is not None:
        feature["age"] = tf.train.Feature(float_list=tf.train.FloatList(value=[age]))
    if occupation is not None:
        feature["occupation"] = tf.train.Feature(
            bytes_list=tf.train.BytesList(value=[occupation.encode()])
        )
    if city is not None:
        feature["city"] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[city.encode()]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def build_wide_deep(out: Path) -> dict:
    """Estimator-style wide & deep export: feature columns over ParseExampleV2, 4 signatures."""
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    v1 = tf.compat.v1
    fc = v1.feature_column
    rng = np.random.default_rng(31)
    age = fc.numeric_column("age", default_value=35.0)
    hours = fc.numeric_column("hours")
    age_buckets = fc.bucketized_column(age, [18, 25, 35, 50, 65])
    occupation = fc.categorical_column_with_vocabulary_list(
        "occupation", ["engineer", "teacher", "nurse", "artist"], num_oov_buckets=1
    )
    city = fc.categorical_column_with_hash_bucket("city", 16)
    crossed = fc.crossed_column([age_buckets, occupation], 32)
    wide_columns = [age_buckets, occupation, city, crossed]
    deep_columns = [age, hours, fc.embedding_column(city, 4), fc.indicator_column(occupation)]
    spec = fc.make_parse_example_spec(wide_columns + deep_columns)
    with tf.Graph().as_default() as g:
        serialized = v1.placeholder(tf.string, [None], name="input_example_tensor")
        features = v1.io.parse_example(serialized, spec)
        with v1.variable_scope("dnn"):
            h = fc.input_layer(features, deep_columns)
            for i, units in enumerate([8, 4]):
                w = v1.get_variable(f"w{i}", [h.shape[1], units])
                b = v1.get_variable(f"b{i}", [units])
                h = tf.nn.relu(tf.matmul(h, w) + b)
            deep_logits = tf.matmul(h, v1.get_variable("out", [4, 1]))
        with v1.variable_scope("linear"):
            wide_logits = fc.linear_model(features, wide_columns)
        logits = tf.identity(deep_logits + wide_logits, name="logits")
        prob = tf.sigmoid(logits)
        scores = tf.concat([1.0 - prob, prob], axis=1, name="scores")
        batch = tf.shape(serialized)[0]
        classes = tf.tile(tf.constant([[b"0", b"1"]]), [batch, 1], name="classes")
        sdu = v1.saved_model.signature_def_utils
        classify = sdu.classification_signature_def(serialized, classes, scores)
        regress = sdu.regression_signature_def(serialized, tf.identity(prob, name="score"))
        predict = sdu.predict_signature_def(
            {"examples": serialized},
            {
                "logits": logits,
                "logistic": prob,
                "probabilities": scores,
                "class_ids": tf.argmax(scores, 1, name="class_ids"),
            },
        )
        signatures = {
            "serving_default": classify,
            "classification": classify,
            "regression": regress,
            "predict": predict,
        }
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            for variable in v1.global_variables():  # linear_model starts at zeros
                shape = variable.shape.as_list()
                sess.run(variable.assign(rng.normal(0, 0.5, shape).astype(np.float32)))
            init = v1.tables_initializer(name="init_all_tables")
            sess.run(init)
            tf1_save(sess, out, signatures, main_op=init)
            frozen = tf1_freeze(sess, out, predict, ["init_all_tables"])
    examples = np.array(
        [
            _example(23.0, "engineer", "paris", 40.0),
            _example(None, "pilot", "oslo", 12.5),
            _example(70.0, None, None, 60.0),
            _example(41.0, "nurse", "lima", 0.0),
        ],
        dtype=object,
    )
    calls = [
        ("serving_default", {"inputs": examples}),
        ("classification", {"inputs": examples}),
        ("regression", {"inputs": examples}),
        ("predict", {"examples": examples}),
    ]
    return tf1_family(out, calls, "predict", frozen, {"graph_mode": "tf1"})


# ----------------------------------------------------------------------------- driver


def build_one(family: str, out: Path) -> None:
    """Builds ``family`` into the new directory ``out`` (called in a fresh process)."""
    import tensorflow as tf

    out.mkdir(parents=True)
    started = time.perf_counter()
    manifest = globals()[f"build_{family}"](out)
    manifest.update(
        family=family,
        compare=FAMILIES[family],
        tensorflow=tf.__version__,
        generator_key=cache_key(),
        seconds=round(time.perf_counter() - started, 1),
        phase_seconds=PHASES,
    )
    low = {
        k: v
        for k, v in manifest["output_spread"].items()
        if v["relative_batch_std"] < MIN_RELATIVE_BATCH_STD and v["std"] > 0
    }
    if family in SLOW_FAMILIES and low:
        raise RuntimeError(f"{family}: outputs barely vary over the batch: {low}")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def generate(families: list[str], root: Path) -> None:
    """Builds each missing family into ``root/<family>`` (each in its own subprocess)."""
    root.mkdir(parents=True, exist_ok=True)
    for family in families:
        final = root / family
        if (final / "manifest.json").exists():
            print(f"{family}: cached at {final}")
            continue
        tmp = root / f".{family}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        started = time.perf_counter()
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
        proc = subprocess.run(
            [sys.executable, __file__, "--one", family, "--out", str(tmp)], env=env
        )
        if proc.returncode:
            shutil.rmtree(tmp, ignore_errors=True)
            raise SystemExit(f"{family}: generation failed (exit {proc.returncode})")
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
        print(f"{family}: built in {time.perf_counter() - started:.1f}s at {final}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", action="append", choices=sorted(FAMILIES))
    parser.add_argument("--out", type=Path, help="cache root (default: keyed ~/.cache dir)")
    parser.add_argument("--list", action="store_true", help="print families and the cache dir")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        build_one(args.one, args.out)
        return
    root = args.out or cache_root()
    if args.list:
        print(root)
        print("\n".join(FAMILIES))
        return
    generate(args.family or list(FAMILIES), root)


if __name__ == "__main__":
    main()
