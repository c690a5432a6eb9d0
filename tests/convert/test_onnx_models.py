"""ONNX exports of the real-model families (issue 11, item 3).

Each family of ``tests/golden/models/make_models.py`` (fixtures cached outside git, see
``tests/models/fixtures.py``) is exported once per session from its SavedModel signature,
checked by ``onnx.checker`` (``full_check=True``, inside the exporter and again here), run
by onnxruntime and compared with stowflow's own ``saved_model.load`` run and with TF's
stored outputs at rtol 1e-4 and atol 1e-5 * max|TF output| of the call (float32 rounding
over tens of layers; at least 1e-6). The CNN families are marked ``slow`` (as in
``tests/models``). The two string-op families fail with one error listing every
unmapped op type.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
from convert_testlib import ROOT

sys.path.insert(0, str(ROOT / "tests" / "models"))
import onnx  # noqa: E402 - the [convert] extra; a missing one fails here, it is not skipped
import onnxruntime as ort  # noqa: E402 - test-only dependency ([test] extra)
from fixtures import SLOW_FAMILIES, FixtureUnavailable, ModelFixture, get_fixture  # noqa: E402

from stowflow import saved_model  # noqa: E402
from stowflow.convert import UnmappedOpsError  # noqa: E402
from stowflow.convert.onnx import Export, export_saved_model  # noqa: E402

RTOL, ATOL_FRACTION, MIN_ATOL = 1e-4, 1e-5, 1e-6
#: what may sit between the image input and its transpose (rescaling, zero padding)
_ELEMENTWISE = ("Pad", "Mul", "Add", "Sub", "Div")
#: family -> signature outputs to export (the tf.Module's string outputs have no ONNX form)
OUTPUT_KEYS = {"tf_module_control_flow": ["branch", "final", "trajectory"]}
EXPORTED = ["tf1_cnn", "tf1_control_flow", "bert_encoder", "bilstm_gru", "tf_module_control_flow",
            "mobilenet_v2", "resnet50", "efficientnet_b0", "inception_v3"]  # fmt: skip


def _fixture(family: str) -> ModelFixture:
    try:
        return get_fixture(family)
    except FixtureUnavailable as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="module")
def exported() -> dict[str, Export]:
    """family -> its Export, made on first use and kept for the module."""
    return {}


def _export(cache: dict[str, Export], family: str) -> tuple[ModelFixture, Export]:
    fixture = _fixture(family)
    if family not in cache:
        cache[family] = export_saved_model(
            str(fixture.saved_model), output_keys=OUTPUT_KEYS.get(family)
        )
    return fixture, cache[family]


def _ort_outputs(export: Export, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(
        export.model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    values = session.run(export.output_names, {k: inputs[k] for k in export.input_names})
    return dict(zip(export.output_names, values, strict=True))


def _atol(tf_output: np.ndarray) -> float:
    """float32 rounding over tens of layers: 1e-5 of the output's scale (>= 1e-6)."""
    if tf_output.dtype.kind != "f" or tf_output.size == 0:
        return MIN_ATOL
    return max(MIN_ATOL, ATOL_FRACTION * float(np.abs(tf_output).max()))


def _close(got: np.ndarray, want: np.ndarray, what: str, atol: float) -> float:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (
        f"{what}: {got.dtype}{got.shape} != {want.dtype}{want.shape}"
    )
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return 0.0
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=atol, err_msg=what)
    return float(np.max(np.abs(got.astype(np.float64) - want)))


def _params(families: list[str]) -> list[Any]:
    return [
        pytest.param(f, marks=[pytest.mark.slow] if f in SLOW_FAMILIES else [], id=f)
        for f in families
    ]


@pytest.mark.parametrize("family", _params(EXPORTED))
def test_export_matches_stowflow_and_tensorflow(exported: dict[str, Export], family: str) -> None:
    fixture, export = _export(exported, family)
    onnx.checker.check_model(export.model, full_check=True)
    calls = [c for c in fixture.manifest["calls"] if c["signature"] == "serving_default"]
    assert calls, f"{family}: no serving_default call recorded"
    model = saved_model.load(str(fixture.saved_model))
    try:
        for call in calls:
            inputs = fixture.call_inputs(call["id"])
            got = _ort_outputs(export, inputs)
            tf_out = fixture.call_outputs(call["id"])
            for key in export.output_names:
                _close(got[key], tf_out[key], f"{family} {call['id']} {key} vs TF",
                       _atol(tf_out[key]))  # fmt: skip
            # stowflow's NumPy run of a deep CNN takes seconds per image: one image will do.
            rows = slice(0, 1) if fixture.compare == "deep" else slice(None)
            few = {k: v[rows] if v.ndim else v for k, v in inputs.items()}
            ours = model.signatures["serving_default"](**few)
            got = _ort_outputs(export, few)
            for key in export.output_names:
                _close(got[key], np.asarray(ours[key]),
                       f"{family} {call['id']} {key} vs stowflow", _atol(tf_out[key]))  # fmt: skip
    finally:
        model.close()


@pytest.mark.parametrize(
    "family", _params(["mobilenet_v2", "resnet50", "inception_v3", "efficientnet_b0"])
)
def test_cnn_transposes_cancel_to_the_input_boundary(
    exported: dict[str, Export], family: str
) -> None:
    """Only the NHWC -> NCHW transpose of the image input is left (after the input's
    rescaling and zero padding, where the model has them): the output is a
    [batch, classes] matrix, so no transpose is needed at the output boundary."""
    _, export = _export(exported, family)
    graph = export.model.graph
    image_inputs = [
        i for i in graph.input if len(i.type.tensor_type.shape.dim) == 4
    ]  # NHWC images need one transpose each
    image_outputs = [o for o in graph.output if len(o.type.tensor_type.shape.dim) == 4]
    expected = len(image_inputs) + len(image_outputs)
    transposes = [n for n in graph.node if n.op_type == "Transpose"]
    assert export.transposes_left == len(transposes) == expected == 1
    producers = {out: node for node in graph.node for out in node.output}
    source = transposes[0].input[0]
    while source in producers and producers[source].op_type in _ELEMENTWISE:
        source = producers[source].input[0]
    assert source == image_inputs[0].name


def test_tf_module_string_outputs_are_listed() -> None:
    """The full tf.Module signature also returns string ops: one error lists them all."""
    fixture = _fixture("tf_module_control_flow")
    with pytest.raises(UnmappedOpsError) as info:
        export_saved_model(str(fixture.saved_model))
    assert "StringLower" in str(info.value) and "StaticRegexReplace" in str(info.value)


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("text_vectorization", ["HashTableV2", "LookupTableFindV2", "RaggedTensorToTensor",
                                "StaticRegexReplace", "StringLower", "StringSplitV2"]),
        ("wide_deep", ["Bucketize", "HashTableV2", "LookupTableFindV2", "ParseExampleV2",
                       "SparseCross", "SparseFillEmptyRows", "SparseReshape",
                       "SparseSegmentMean", "SparseSegmentSum", "SparseToDense",
                       "StringToHashBucketFast", "Unique"]),
    ],
)  # fmt: skip
def test_string_families_list_every_unmapped_op(family: str, expected: list[str]) -> None:
    fixture = _fixture(family)
    with pytest.raises(UnmappedOpsError) as info:
        export_saved_model(str(fixture.saved_model))
    message = str(info.value)
    assert message.count("No ONNX mapping for op types: ") == 1
    listed = message.split("No ONNX mapping for op types: ")[1].split(", ")
    assert listed == sorted(listed) and set(expected) <= set(listed), listed


@pytest.mark.parametrize(
    ("family", "structured"),
    [("bilstm_gru", "Loop"), ("tf_module_control_flow", "If"), ("tf1_control_flow", "Loop"),
     ("tf1_control_flow", "If")],
)  # fmt: skip
def test_control_flow_becomes_loop_and_if(
    exported: dict[str, Export], family: str, structured: str
) -> None:
    _, export = _export(exported, family)

    def types(graph: Any) -> list[str]:
        found = []
        for node in graph.node:
            found.append(node.op_type)
            for attr in node.attribute:
                if attr.HasField("g"):
                    found.extend(types(attr.g))
        return found

    found = types(export.model.graph)
    assert structured in found
    assert not {"Enter", "Merge", "Switch", "While", "StatelessIf"} & set(found)


def test_tf1_loop_outside_the_standard_pattern_names_its_frame() -> None:
    """A loop invariant computed inside another frame (a nested loop) is refused."""
    from stowflow.convert.onnx import export_graph_def
    from stowflow.errors import UnimplementedError
    from stowflow.proto import graph_pb2

    fixture = _fixture("tf1_control_flow")
    graph_def = graph_pb2.GraphDef()
    graph_def.ParseFromString(fixture.frozen_graph.read_bytes())
    by_name = {n.name: n for n in graph_def.node}
    by_name["while/Less/Enter"].input[0] = "while/Merge"  # now reads a loop value
    with pytest.raises(UnimplementedError, match="frame 'while/while_context' is nested"):
        export_graph_def(graph_def, ["x", "n"], ["final"])


def test_output_keys_are_validated() -> None:
    fixture = _fixture("tf1_cnn")
    with pytest.raises(Exception, match=r"has no outputs \['nope'\]; known: classes, logits"):
        export_saved_model(str(fixture.saved_model), output_keys=["nope"])


def _meta_export(family: str) -> tuple[ModelFixture, Export]:
    from stowflow.convert.onnx import export_meta_graph

    fixture = _fixture(family)
    sig = fixture.manifest["signatures"]["serving_default"]
    in_keys, out_keys = sorted(sig["inputs"]), sorted(sig["outputs"])
    export = export_meta_graph(
        str(fixture.path / fixture.manifest["meta_graph"]),
        str(fixture.path / fixture.manifest["checkpoint"]),
        [sig["inputs"][k]["name"] for k in in_keys],
        [sig["outputs"][k]["name"] for k in out_keys],
        input_names=in_keys,
        output_names=out_keys,
        output_shapes=[sig["outputs"][k]["shape"] for k in out_keys],  # the loops' ranks
    )
    return fixture, export


def _matches_tf(fixture: ModelFixture, export: Export) -> None:
    for call in fixture.manifest["calls"]:
        got = _ort_outputs(export, fixture.call_inputs(call["id"]))
        want = fixture.call_outputs(call["id"])
        for key in export.output_names:
            _close(got[key], want[key], f"{fixture.family} {key}", _atol(want[key]))


@pytest.mark.parametrize("family", ["tf1_cnn", "tf1_control_flow"])
def test_tf1_saver_meta_graph_and_checkpoint(family: str) -> None:
    """The Saver's ``.meta`` + checkpoint (no SavedModel) export the same model."""
    fixture, export = _meta_export(family)
    _matches_tf(fixture, export)


@pytest.mark.parametrize("form", ["saved_model", "meta_graph"])
def test_variables_without_restore_keys_go_through_a_session(
    form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the restore ops do not name a handle's checkpoint key, a Session restores."""
    from stowflow.convert.onnx import graphs

    monkeypatch.setattr(graphs, "restore_keys", lambda graph_def: {})
    if form == "meta_graph":
        fixture, export = _meta_export("tf1_cnn")
    else:
        fixture = _fixture("tf1_cnn")
        export = export_saved_model(str(fixture.saved_model))
    _matches_tf(fixture, export)
