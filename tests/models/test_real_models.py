"""Real models made by TensorFlow 2.21 run in stowflow and match TF's outputs (issue 7).

For each family of ``tests/golden/models/make_models.py`` (fixtures cached outside git, see
``fixtures.py``) this runs every recorded signature call

* (a) through ``stowflow.saved_model.load(dir).signatures[...]``,
* (b) through TF1's loader (``tf.saved_model.loader.load`` + ``sess.run`` on tensor names),
* (c) the frozen GraphDef through ``tf.import_graph_def`` + ``Session``,
* (d) for TF1 families, the Saver checkpoint through ``import_meta_graph`` + ``restore``,

and compares with TF's outputs: float32 within rtol 1e-4 / atol 1e-5 (deep networks:
max |diff| <= 2e-3 * std of TF's output), integers and strings exactly. Before running, each
test checks that stowflow has a kernel for every op type the model runs, so a failure names
exactly what is missing (``missing_ops.py`` prints the whole list).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures import (  # noqa: E402
    FAMILIES,
    SLOW_FAMILIES,
    FixtureUnavailable,
    ModelFixture,
    get_fixture,
)
from missing_ops import describe, missing_ops  # noqa: E402

import stowflow as tf  # noqa: E402
from stowflow import saved_model  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5
DEEP_STD_FRACTION = 2e-3
MIN_RELATIVE_BATCH_STD = 0.02
TF1_FAMILIES = sorted(f for f in FAMILIES if f.startswith("tf1_"))


def _params(families: list[str]) -> list[Any]:
    return [
        pytest.param(f, marks=[pytest.mark.slow] if f in SLOW_FAMILIES else [], id=f)
        for f in families
    ]


_CACHE: dict[str, ModelFixture] = {}


def fixture_of(family: str) -> ModelFixture:
    """The family's fixture (generated on first use), or skip with the reason."""
    if family not in _CACHE:
        try:
            _CACHE[family] = get_fixture(family)
        except FixtureUnavailable as e:
            pytest.skip(str(e))
    return _CACHE[family]


def require_kernels(fixture: ModelFixture, form: str) -> None:
    """Fails naming every op type of ``form`` that stowflow cannot run, before running."""
    missing = missing_ops(fixture)
    if missing.get(form):
        pytest.fail(
            f"{fixture.family}: stowflow has no kernel for op types it needs\n"
            + describe({form: missing[form]}),
            pytrace=False,
        )


def assert_matches(actual: Any, expected: np.ndarray, compare: str, what: str) -> None:
    """Shape and dtype equal; floats within the family's tolerance; the rest exact."""
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != TF {expected.shape}"
    if expected.dtype == object:
        assert actual.dtype == object, f"{what}: dtype {actual.dtype}, TF returns strings"
        assert actual.reshape(-1).tolist() == expected.reshape(-1).tolist(), what
        return
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != TF {expected.dtype}"
    if expected.dtype.kind != "f":
        np.testing.assert_array_equal(actual, expected, err_msg=what)
        return
    if compare == "deep":
        limit = DEEP_STD_FRACTION * float(expected.std())
        worst = float(np.max(np.abs(actual.astype(np.float64) - expected)))
        assert worst <= limit, (
            f"{what}: max|diff| {worst:.3g} > {DEEP_STD_FRACTION} * std(TF output) = {limit:.3g}"
        )
    else:
        np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=what)


def assert_outputs(
    fixture: ModelFixture, got: dict[str, Any], want: dict[str, np.ndarray], what: str
) -> None:
    assert sorted(got) == sorted(want), f"{what}: outputs {sorted(got)} != TF {sorted(want)}"
    for key in sorted(want):
        assert_matches(got[key], want[key], fixture.compare, f"{fixture.family} {what} {key!r}")


@pytest.mark.parametrize("family", _params(list(FAMILIES)))
def test_fixture_outputs_vary(family: str) -> None:
    """TF's float outputs differ across the batch: a broken kernel cannot match by accident."""
    fixture = fixture_of(family)
    goldens = fixture.goldens()
    floats = {k: v for k, v in goldens.items() if "/out/" in k and v.dtype.kind == "f"}
    for key, value in floats.items():
        if value.ndim == 0 or value.shape[0] < 2:
            continue
        relative = float(value.std(axis=0).mean()) / float(value.std())
        assert relative >= MIN_RELATIVE_BATCH_STD, f"{family} {key}: relative batch std {relative}"
    assert floats or any("/out/" in k for k in goldens), f"{family}: no outputs recorded"


@pytest.mark.parametrize("family", _params(list(FAMILIES)))
def test_saved_model_signatures(family: str) -> None:
    """(a) every recorded call through ``saved_model.load(dir).signatures[...]``, in order."""
    fixture = fixture_of(family)
    require_kernels(fixture, "saved_model")
    model = saved_model.load(str(fixture.saved_model))
    try:
        expected_keys = set(fixture.manifest["signatures"])
        assert set(model.signatures) == expected_keys
        for call in fixture.manifest["calls"]:
            signature = model.signatures[call["signature"]]
            got = signature(**fixture.call_inputs(call["id"]))
            want = fixture.call_outputs(call["id"])
            assert_outputs(fixture, got, want, f"signature {call['signature']} ({call['id']})")
    finally:
        model.close()


@pytest.mark.parametrize("family", _params(list(FAMILIES)))
def test_tf1_loader(family: str) -> None:
    """(b) TF1's loader into a Session, then ``sess.run`` on the SignatureDef tensor names."""
    fixture = fixture_of(family)
    require_kernels(fixture, "saved_model")
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], str(fixture.saved_model))
        for call in fixture.manifest["calls"]:
            sdef = meta.signature_def[call["signature"]]
            feeds = {sdef.inputs[k].name: v for k, v in fixture.call_inputs(call["id"]).items()}
            keys = sorted(sdef.outputs)
            values = sess.run([sdef.outputs[k].name for k in keys], feeds)
            got = dict(zip(keys, values))
            assert_outputs(fixture, got, fixture.call_outputs(call["id"]), f"tf1 {call['id']}")


@pytest.mark.parametrize("family", _params(list(FAMILIES)))
def test_frozen_graph(family: str) -> None:
    """(c) the frozen GraphDef through ``import_graph_def`` + ``Session.run``."""
    fixture = fixture_of(family)
    frozen = fixture.manifest["frozen"]
    require_kernels(fixture, "frozen")
    graph_def = tf.GraphDef()
    graph_def.ParseFromString(fixture.frozen_graph.read_bytes())
    goldens = fixture.goldens()
    inputs = {k[len("frozen/in/") :]: v for k, v in goldens.items() if k.startswith("frozen/in/")}
    want = {k[len("frozen/out/") :]: v for k, v in goldens.items() if k.startswith("frozen/out/")}
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(graph_def, name="")
        if frozen["init_ops"]:
            sess.run(frozen["init_ops"])
        keys = sorted(frozen["outputs"])
        values = sess.run(
            [frozen["outputs"][k] for k in keys],
            {frozen["inputs"][k]: v for k, v in inputs.items()},
        )
    assert_outputs(fixture, dict(zip(keys, values)), want, "frozen")


@pytest.mark.parametrize("family", _params(TF1_FAMILIES))
def test_tf1_meta_graph_and_checkpoint(family: str) -> None:
    """(d) the Saver's ``.meta`` + checkpoint: import_meta_graph, restore, run the signature."""
    fixture = fixture_of(family)
    require_kernels(fixture, "saved_model")
    with tf.Graph().as_default(), tf.Session() as sess:
        saver = tf.train.import_meta_graph(str(fixture.path / fixture.manifest["meta_graph"]))
        saver.restore(sess, str(fixture.path / fixture.manifest["checkpoint"]))
        for call in fixture.manifest["calls"]:
            sig = fixture.manifest["signatures"][call["signature"]]
            feeds = {
                sig["inputs"][k]["name"]: v for k, v in fixture.call_inputs(call["id"]).items()
            }
            keys = sorted(sig["outputs"])
            values = sess.run([sig["outputs"][k]["name"] for k in keys], feeds)
            assert_outputs(
                fixture, dict(zip(keys, values)), fixture.call_outputs(call["id"]), "checkpoint"
            )
