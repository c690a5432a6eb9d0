"""Makes the demo's Keras application SavedModel: a small MobileNetV2 exported by TensorFlow.

NEEDS TENSORFLOW 2.21. Run from the repository root with the oracle venv:

    "$(scripts/tf_venv)" examples/keras_app/make_keras_app.py

Writes ``examples/keras_app/mobilenet_v2/`` (``model.export``, ~1.7 MB: alpha 0.35, 96x96
input, 10 classes, random weights with BatchNorm statistics calibrated on random images so
the outputs vary) and ``expected.npz``: a fixed input batch, TensorFlow's logits for it,
and TensorFlow's median batch-1 latency of ``loaded.serve`` on this machine.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "mobilenet_v2")


def main() -> None:
    keras.utils.set_random_seed(7)
    model = keras.applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, weights=None, classes=10, classifier_activation=None
    )
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.0  # one training step sets the moving statistics
    rng = np.random.default_rng(7)
    calib = rng.uniform(-1, 1, (16, 96, 96, 3)).astype(np.float32)
    model(calib, training=True)
    shutil.rmtree(OUT, ignore_errors=True)
    model.export(OUT)
    loaded = tf.saved_model.load(OUT)
    x = rng.uniform(-1, 1, (4, 96, 96, 3)).astype(np.float32)
    logits = loaded.serve(tf.constant(x)).numpy()
    one = tf.constant(x[:1])
    loaded.serve(one)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        loaded.serve(one)
        times.append(time.perf_counter() - start)
    np.savez(
        os.path.join(HERE, "expected.npz"),
        x=x,
        logits=logits,
        tf_batch1_seconds=np.float64(statistics.median(times)),
    )
    print(f"logits std {logits.std():.4f}, TF batch-1 median {1000 * statistics.median(times):.2f} ms")


if __name__ == "__main__":
    main()
