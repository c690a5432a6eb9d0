"""stowflow runs TF2 SavedModels made by TensorFlow 2.21 (Keras export, tf.Module).

TF2 SavedModels keep their computation in the function library
(``StatefulPartitionedCall``); stowflow executes those FunctionDefs with its kernels.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np

from stowflow import saved_model as sm

TF_SCRIPT = r"""
import base64, json, sys
import numpy as np
import tensorflow as tf
import keras
out_dir = json.load(sys.stdin)["dir"]
x = (np.arange(12, dtype=np.float32).reshape(3, 4) - 5.0) / 4.0
keras.utils.set_random_seed(7)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dropout(0.2), keras.layers.Dense(3, activation="softmax")])
model.export(out_dir + "/keras")
class Module(tf.Module):
    def __init__(self):
        self.w = tf.Variable(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
        self.b = tf.Variable(np.float32([0.5, -0.25, 1.0]))
    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    def serve(self, x):
        h = tf.matmul(x, self.w) + self.b
        return {"logits": h, "top": tf.argmax(h, axis=1), "total": tf.reduce_sum(tf.tanh(h), 1)}
module = Module()
tf.saved_model.save(module, out_dir + "/module", signatures={"serving_default": module.serve})
loaded = tf.saved_model.load(out_dir + "/module")
res = {"x": base64.b64encode(x.tobytes()).decode(),
       "keras": base64.b64encode(model(x).numpy().tobytes()).decode(),
       "module": {k: [str(v.dtype.name), base64.b64encode(v.numpy().tobytes()).decode()]
                  for k, v in loaded.signatures["serving_default"](x=tf.constant(x)).items()}}
print("@@STOWFLOW-REPORT@@" + json.dumps(res))
"""


def test_stowflow_runs_tf2_saved_models(tmp_path: Path, tf_script_runner: Any) -> None:
    report = tf_script_runner(TF_SCRIPT, {"dir": str(tmp_path)})
    x = np.frombuffer(base64.b64decode(report["x"]), np.float32).reshape(3, 4)

    keras_model = sm.load(str(tmp_path / "keras"), tags=["serve"])
    (input_key,) = keras_model.signatures["serving_default"].inputs
    got = keras_model.signatures["serving_default"](**{input_key: x})
    (output,) = got.values()
    want = np.frombuffer(base64.b64decode(report["keras"]), np.float32).reshape(3, 3)
    # TF's oneDNN softmax may differ from NumPy's in the last float32 bit.
    np.testing.assert_allclose(output, want, rtol=2e-6, atol=1e-7)

    module = sm.load(str(tmp_path / "module"))
    got = module.signatures["serving_default"](x=x)
    assert set(got) == set(report["module"])
    for key, (dtype, data) in report["module"].items():
        want = np.frombuffer(base64.b64decode(data), np.dtype(dtype)).reshape(got[key].shape)
        assert got[key].dtype == want.dtype, key
        np.testing.assert_allclose(got[key], want, rtol=2e-6, atol=1e-6, err_msg=key)
