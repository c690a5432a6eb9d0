"""stowflow loads and runs SavedModels TensorFlow 2.21 built, with TF's outputs.

Models and expected outputs come from tests/golden/savedmodels/make_savedmodels.py
(run with TensorFlow). Covers TF1 predict/classify/regress models, assets + main_op,
several tag-sets, a pbtxt SavedModel, and a TF2 ``tf.Module`` export.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest

from stowflow import dtypes
from stowflow import saved_model as sm

GOLDEN = Path(__file__).parent.parent / "golden" / "savedmodels"
MODELS = sorted(p.parent.name for p in GOLDEN.glob("*/expected.json"))


def _array(record: dict) -> np.ndarray:
    shape = record["shape"]
    if "strings_b64" in record:
        out = np.empty(len(record["strings_b64"]), dtype=object)
        out[:] = [base64.b64decode(s) for s in record["strings_b64"]]
        return out.reshape(shape)
    np_dtype = dtypes.as_dtype(record["dtype"]).as_numpy_dtype
    return np.frombuffer(base64.b64decode(record["data_b64"]), dtype=np_dtype).reshape(shape)


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for model in MODELS:
        runs = json.loads((GOLDEN / model / "expected.json").read_text()).get("runs", {})
        for tags, signatures in runs.items():
            cases.extend((model, tags, key) for key in signatures)
    return cases


@pytest.mark.parametrize(("model", "tags", "signature"), _cases())
def test_signature_outputs_match_tensorflow(model: str, tags: str, signature: str) -> None:
    expected = json.loads((GOLDEN / model / "expected.json").read_text())["runs"][tags][signature]
    loaded = sm.load(str(GOLDEN / model), tags=tags.split(","))
    try:
        inputs = {k: _array(v) for k, v in expected["inputs"].items()}
        got = loaded.signatures[signature](**inputs)
    finally:
        loaded.close()
    assert set(got) == set(expected["outputs"])
    for key, record in expected["outputs"].items():
        want = _array(record)
        assert got[key].dtype == want.dtype, key
        assert got[key].shape == want.shape, key
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got[key], want, rtol=1e-6, atol=1e-7, err_msg=key)
        else:
            np.testing.assert_array_equal(got[key], want, err_msg=key)


def test_every_golden_model_has_runs() -> None:
    assert len(MODELS) >= 4
    assert len(_cases()) >= 8


def test_tf2_variables_through_object_graph() -> None:
    expected = json.loads((GOLDEN / "tf2_module" / "expected.json").read_text())
    values = sm.object_graph.variables(str(GOLDEN / "tf2_module"))
    assert values, "TF2 SavedModel variables not found"
    listed = [name for name, _ in expected["variables"]["list_variables"]]
    assert len(values) == len([n for n in listed if n.endswith("VARIABLE_VALUE")])
    for path, value in values.items():
        want = _array(expected["variables"]["values"][f"{path}/.ATTRIBUTES/VARIABLE_VALUE"])
        np.testing.assert_array_equal(value, want)
