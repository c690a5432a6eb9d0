# Needs TensorFlow 2.15 (it has tf.compat.v1.layers): run with the 2.15 oracle, e.g.
#   ~/.cache/stowflow/tf-2.15.1/bin/python tests/golden/layers/make_layers_goldens.py
"""Runs tests/layers/layers_programs.py under TF 2.15; writes ``layers_goldens.json``.

TF 2.15 has no ``tf.contrib``: the ``tf.contrib.layers`` regularizers the programs use are
rebuilt here from TF ops the way contrib built them (``scale * l2_loss(w)`` /
``scale * reduce_sum(abs(w))`` under ``l2_regularizer`` / ``l1_regularizer``).
"""

import json
import sys
import types
from pathlib import Path

import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "layers"))
import layers_programs  # noqa: E402


def _scaled(kind, scale):
    def regularizer(weights):
        with tf.name_scope(None, f"{kind}_regularizer", [weights]) as name:
            my_scale = tf.convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            core = tf.nn.l2_loss(weights) if kind == "l2" else tf.reduce_sum(tf.abs(weights))
            return tf.multiply(my_scale, core, name=name)

    return regularizer


REGS = types.SimpleNamespace(
    keras=tf.keras.regularizers,
    l1_regularizer=lambda scale: _scaled("l1", scale),
    l2_regularizer=lambda scale: _scaled("l2", scale),
)

results = {
    name: layers_programs.run_case(tf, tf.layers, REGS, name) for name in layers_programs.CASES
}
(HERE / "layers_goldens.json").write_text(json.dumps(results, indent=None, sort_keys=True) + "\n")
print(f"{len(results)} cases")
