"""Our messages match TensorFlow 2.21's descriptors field by field (numbers, types, labels...).

TF core messages are checked against the real TensorFlow in a subprocess (the TF venv found via
STOWFLOW_TF_PYTHON or ~/.cache/stowflow/tf-2.21.0/bin/python); TF Serving messages, whose Python
package is not installed there, are checked against facts from ../shared/reference/SERVING.md and
tensorflow/serving's apis/*.proto and config/*.proto (commit 9d981c5c).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

# Source of the descriptor dumper: exec'd here for our descriptors and run under TF's Python for
# TensorFlow's, so both sides are described by the very same code.
DUMP_SRC = r'''
from google.protobuf import descriptor_pb2


def _norm(type_name):
    for ours in (".stowflow.",):
        if type_name.startswith(ours):
            return ".tensorflow." + type_name[len(ours):]
    return type_name


def _dump_enum(desc):
    proto = descriptor_pb2.EnumDescriptorProto()
    desc.CopyToProto(proto)
    return {
        "values": {v.name: v.number for v in proto.value},
        "reserved": sorted([r.start, r.end] for r in proto.reserved_range),
        "reserved_names": sorted(proto.reserved_name),
    }


def dump(desc):
    """Describe a message Descriptor as plain JSON-able data, package-independent."""
    proto = descriptor_pb2.DescriptorProto()
    desc.CopyToProto(proto)
    fields = {}
    for fp in proto.field:
        fd = desc.fields_by_name[fp.name]
        oneof = None
        if fp.HasField("oneof_index") and not fp.proto3_optional:
            oneof = proto.oneof_decl[fp.oneof_index].name
        fields[fp.name] = {
            "number": fp.number,
            "type": fp.type,
            "label": fp.label,
            "type_name": _norm(fp.type_name),
            "json_name": fd.json_name,
            "packed": fd.is_packed,
            "packed_option": fp.options.packed if fp.options.HasField("packed") else None,
            "presence": fd.has_presence,
            "proto3_optional": fp.proto3_optional,
            "oneof": oneof,
            "default": fp.default_value if fp.HasField("default_value") else None,
        }
    file_proto = descriptor_pb2.FileDescriptorProto()
    desc.file.CopyToProto(file_proto)
    return {
        "syntax": file_proto.syntax or "proto2",
        "map_entry": proto.options.map_entry,
        "fields": fields,
        "nested": {n.name: dump(n) for n in desc.nested_types},
        "enums": {e.name: _dump_enum(e) for e in desc.enum_types},
        "reserved": sorted([r.start, r.end] for r in proto.reserved_range),
        "reserved_names": sorted(proto.reserved_name),
    }


def dump_any(desc):
    if hasattr(desc, "fields_by_name"):
        return {"kind": "message", **dump(desc)}
    return {"kind": "enum", **_dump_enum(desc)}
'''

TF_SCRIPT = (
    DUMP_SRC
    + r"""
import json
import sys

import tensorflow  # noqa: F401  (registers most protos)
from google.protobuf import descriptor_pool
from tensorflow.core.example import example_pb2  # noqa: F401
from tensorflow.core.framework import graph_debug_info_pb2, variable_pb2  # noqa: F401
from tensorflow.core.protobuf import (  # noqa: F401
    config_pb2, error_codes_pb2, fingerprint_pb2, meta_graph_pb2, named_tensor_pb2,
    saved_model_pb2, saved_object_graph_pb2, struct_pb2, tensor_bundle_pb2,
    trackable_object_graph_pb2,
)
from tensorflow.core.util import event_pb2, saved_tensor_slice_pb2  # noqa: F401
from tensorflow.python.training import checkpoint_state_pb2  # noqa: F401

pool = descriptor_pool.Default()
out = {}
for name in json.load(sys.stdin):
    try:
        desc = pool.FindMessageTypeByName(name)
    except KeyError:
        try:
            desc = pool.FindEnumTypeByName(name)
        except KeyError:
            out[name] = None
            continue
    out[name] = dump_any(desc)
json.dump(out, sys.stdout)
"""
)

# Our TF-core modules (package stowflow / stowflow.error). Every top-level message and enum in
# them must exist in TensorFlow under the same name with "tensorflow." instead of "stowflow.".
CORE_MODULES = [
    "attr_value",
    "checkpoint_state",
    "config",
    "error_codes",
    "event",
    "example",
    "feature",
    "fingerprint",
    "full_type",
    "function",
    "graph",
    "graph_debug_info",
    "meta_graph",
    "named_tensor",
    "node_def",
    "op_def",
    "resource_handle",
    "saved_model",
    "saved_object_graph",
    "saved_tensor_slice",
    "saver",
    "struct",
    "summary",
    "tensor",
    "tensor_bundle",
    "tensor_shape",
    "tensor_slice",
    "trackable_object_graph",
    "types",
    "variable",
    "versions",
]

# config.proto is a deliberate subset: these TF fields are not modelled (their types would drag
# in most of TF's debug/stats protos); parsers keep them as unknown fields.
ALLOWED_MISSING = {
    "tensorflow.RunOptions": {"debug_options"},
    "tensorflow.RunMetadata": {"step_stats", "cost_graph"},
}


def _table() -> list[tuple[str, str, Any]]:
    rows = []
    for mod_name in CORE_MODULES:
        mod = importlib.import_module(f"stowflow.proto.{mod_name}_pb2")
        fd = mod.DESCRIPTOR
        assert fd.package in ("stowflow", "stowflow.error"), fd.name
        for desc in [*fd.message_types_by_name.values(), *fd.enum_types_by_name.values()]:
            tf_name = "tensorflow." + desc.full_name[len("stowflow.") :]
            rows.append((desc.full_name, tf_name, desc))
    return rows


TABLE = _table()
_ns: dict[str, Any] = {}
exec(compile(DUMP_SRC, "<descriptor dumper>", "exec"), _ns)  # noqa: S102  (our own constant)


def _tf_python() -> Path:
    env = os.environ.get("STOWFLOW_TF_PYTHON")
    return Path(env) if env else Path.home() / ".cache/stowflow/tf-2.21.0/bin/python"


@pytest.fixture(scope="module")
def tf_descriptors() -> dict[str, Any]:
    python = _tf_python()
    if not python.exists():
        pytest.skip(f"TensorFlow venv not found at {python} (set STOWFLOW_TF_PYTHON)")
    names = json.dumps([tf_name for _, tf_name, _ in TABLE])
    proc = subprocess.run(
        [str(python), "-c", TF_SCRIPT],
        input=names,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if proc.returncode != 0:
        missing = re.search(r"No module named '(tensorflow|numpy|google)[.']", proc.stderr)
        if missing:
            pytest.skip(f"{python} cannot import tensorflow ({missing.group(0)})")
        pytest.fail(f"TF descriptor dump failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def _compare(ours: dict, theirs: dict, where: str, allowed_missing: set[str]) -> list[str]:
    problems = []
    for key in ("kind", "syntax", "map_entry", "values", "reserved", "reserved_names"):
        if ours.get(key) != theirs.get(key):
            problems.append(f"{where}: {key} ours={ours.get(key)!r} tf={theirs.get(key)!r}")
    if "fields" in theirs:
        for name in sorted(set(ours["fields"]) | set(theirs["fields"])):
            if name not in theirs["fields"]:
                problems.append(f"{where}.{name}: not in TensorFlow")
            elif name not in ours["fields"]:
                if name not in allowed_missing:
                    problems.append(f"{where}.{name}: missing (tf: {theirs['fields'][name]})")
            elif ours["fields"][name] != theirs["fields"][name]:
                problems.append(
                    f"{where}.{name}: ours={ours['fields'][name]} tf={theirs['fields'][name]}"
                )
        for kind in ("nested", "enums"):
            for name in sorted(set(ours[kind]) | set(theirs[kind])):
                if name not in ours[kind] or name not in theirs[kind]:
                    problems.append(f"{where}.{name}: {kind} only on one side")
                    continue
                sub_theirs = (
                    {"kind": "enum", **theirs[kind][name]}
                    if kind == "enums"
                    else {"kind": "message", **theirs[kind][name]}
                )
                sub_ours = (
                    {"kind": "enum", **ours[kind][name]}
                    if kind == "enums"
                    else {"kind": "message", **ours[kind][name]}
                )
                problems += _compare(sub_ours, sub_theirs, f"{where}.{name}", set())
    return problems


@pytest.mark.interop
@pytest.mark.parametrize(("ours_name", "tf_name", "desc"), TABLE, ids=[r[0] for r in TABLE])
def test_matches_tensorflow(ours_name: str, tf_name: str, desc: Any, tf_descriptors: dict) -> None:
    theirs = tf_descriptors[tf_name]
    assert theirs is not None, f"{tf_name} is not a TensorFlow 2.21 type (ours: {ours_name})"
    ours = _ns["dump_any"](desc)
    problems = _compare(ours, theirs, tf_name, ALLOWED_MISSING.get(tf_name, set()))
    assert not problems, "\n".join(problems)


def test_core_covers_the_persistence_stack() -> None:
    names = {row[0] for row in TABLE}
    for required in (
        "stowflow.BundleHeaderProto",
        "stowflow.BundleEntryProto",
        "stowflow.TensorProto",
        "stowflow.GraphDef",
        "stowflow.MetaGraphDef",
        "stowflow.SavedModel",
        "stowflow.CheckpointState",
        "stowflow.TrackableObjectGraph",
        "stowflow.Example",
        "stowflow.SequenceExample",
        "stowflow.SavedObjectGraph",
        "stowflow.StructuredValue",
        "stowflow.FingerprintDef",
        "stowflow.SavedTensorSlices",
        "stowflow.error.Code",
    ):
        assert required in names


# --- TF Serving: explicit facts (SERVING.md / FORMATS.md section 7, serving commit 9d981c5c) ---


def _field(module: str, message: str, field: str) -> Any:
    mod = importlib.import_module(f"stowflow.proto.serving.{module}_pb2")
    desc = mod.DESCRIPTOR.message_types_by_name[message]
    for part in message.split(".")[1:]:
        desc = desc.nested_types_by_name[part]
    return desc.fields_by_name[field]


SERVING_NUMBERS = [
    ("model", "ModelSpec", "name", 1),
    ("model", "ModelSpec", "version", 2),
    ("model", "ModelSpec", "version_label", 4),
    ("model", "ModelSpec", "signature_name", 3),
    ("predict", "PredictRequest", "model_spec", 1),
    ("predict", "PredictRequest", "inputs", 2),
    ("predict", "PredictRequest", "output_filter", 3),
    ("predict", "PredictRequest", "predict_streamed_options", 5),
    ("predict", "PredictRequest", "client_id", 6),
    ("predict", "PredictRequest", "request_options", 7),
    ("predict", "PredictResponse", "model_spec", 2),
    ("predict", "PredictResponse", "outputs", 1),
    ("classification", "Class", "label", 1),
    ("classification", "Class", "score", 2),
    ("classification", "Classifications", "classes", 1),
    ("classification", "ClassificationResult", "classifications", 1),
    ("classification", "ClassificationRequest", "model_spec", 1),
    ("classification", "ClassificationRequest", "input", 2),
    ("classification", "ClassificationResponse", "model_spec", 2),
    ("classification", "ClassificationResponse", "result", 1),
    ("regression", "Regression", "value", 1),
    ("regression", "RegressionResult", "regressions", 1),
    ("regression", "RegressionResponse", "model_spec", 2),
    ("regression", "RegressionResponse", "result", 1),
    ("input", "ExampleList", "examples", 1),
    ("input", "ExampleListWithContext", "examples", 1),
    ("input", "ExampleListWithContext", "context", 2),
    ("input", "Input", "example_list", 1),
    ("input", "Input", "example_list_with_context", 2),
    ("inference", "InferenceTask", "model_spec", 1),
    ("inference", "InferenceTask", "method_name", 2),
    ("inference", "InferenceResult", "classification_result", 2),
    ("inference", "InferenceResult", "regression_result", 3),
    ("inference", "MultiInferenceRequest", "tasks", 1),
    ("inference", "MultiInferenceRequest", "input", 2),
    ("inference", "MultiInferenceResponse", "results", 1),
    ("get_model_metadata", "SignatureDefMap", "signature_def", 1),
    ("get_model_metadata", "GetModelMetadataRequest", "metadata_field", 2),
    ("get_model_metadata", "GetModelMetadataResponse", "metadata", 2),
    ("get_model_status", "ModelVersionStatus", "version", 1),
    ("get_model_status", "ModelVersionStatus", "state", 2),
    ("get_model_status", "ModelVersionStatus", "status", 3),
    ("get_model_status", "GetModelStatusResponse", "model_version_status", 1),
    ("status", "StatusProto", "error_code", 1),
    ("status", "StatusProto", "error_message", 2),
    ("model_management", "ReloadConfigRequest", "config", 1),
    ("model_management", "ReloadConfigRequest", "metric_names", 2),
    ("model_management", "ReloadConfigResponse", "status", 1),
    ("model_management", "ReloadConfigResponse", "metric", 2),
    ("model_management", "Metric", "int64_value_increase", 2),
    ("model_server_config", "ModelConfig", "name", 1),
    ("model_server_config", "ModelConfig", "base_path", 2),
    ("model_server_config", "ModelConfig", "model_platform", 4),
    ("model_server_config", "ModelConfig", "logging_config", 6),
    ("model_server_config", "ModelConfig", "model_version_policy", 7),
    ("model_server_config", "ModelConfig", "version_labels", 8),
    ("model_server_config", "ModelServerConfig", "model_config_list", 1),
    ("model_server_config", "ModelServerConfig", "custom_model_config", 2),
    ("session_service", "SessionRunRequest", "model_spec", 1),
    ("session_service", "SessionRunRequest", "feed", 2),
    ("session_service", "SessionRunRequest", "fetch", 3),
    ("session_service", "SessionRunRequest", "target", 4),
    ("session_service", "SessionRunRequest", "options", 5),
    ("session_service", "SessionRunRequest", "tensor_name_is_alias", 6),
    ("session_service", "SessionRunResponse", "model_spec", 3),
    ("session_service", "SessionRunResponse", "tensor", 1),
    ("session_service", "SessionRunResponse", "metadata", 2),
    ("prediction_log", "PredictionLog", "log_metadata", 1),
    ("prediction_log", "PredictionLog", "classify_log", 2),
    ("prediction_log", "PredictionLog", "regress_log", 3),
    ("prediction_log", "PredictionLog", "multi_inference_log", 4),
    ("prediction_log", "PredictionLog", "session_run_log", 5),
    ("prediction_log", "PredictionLog", "predict_log", 6),
    ("prediction_log", "PredictionLog", "predict_streamed_log", 7),
    ("prediction_log", "PredictLog", "request", 1),
    ("prediction_log", "PredictLog", "response", 2),
]


@pytest.mark.parametrize(("module", "message", "field", "number"), SERVING_NUMBERS)
def test_serving_field_numbers(module: str, message: str, field: str, number: int) -> None:
    assert _field(module, message, field).number == number


def test_serving_types_and_oneofs() -> None:
    version = _field("model", "ModelSpec", "version")
    assert version.message_type.full_name == "google.protobuf.Int64Value"
    assert version.containing_oneof.name == "version_choice"
    assert _field("model", "ModelSpec", "version_label").containing_oneof.name == "version_choice"
    assert _field("predict", "PredictRequest", "inputs").message_type.GetOptions().map_entry
    assert (
        _field("status", "StatusProto", "error_code").enum_type.full_name == "stowflow.error.Code"
    )
    assert _field("status", "StatusProto", "error_code").json_name == "error_code"
    assert _field("status", "StatusProto", "error_message").json_name == "error_message"
    status = _field("get_model_status", "GetModelStatusResponse", "model_version_status")
    assert status.json_name == "model_version_status"
    assert _field("input", "ExampleList", "examples").message_type.full_name == "stowflow.Example"
    feed = _field("session_service", "SessionRunRequest", "feed")
    assert feed.message_type.full_name == "stowflow.NamedTensorProto"
    policy = _field("model_server_config", "ModelConfig", "model_version_policy").message_type
    assert policy.full_name == (
        "stowflow.serving.FileSystemStoragePathSourceConfig.ServableVersionPolicy"
    )
    assert {f.name: f.number for f in policy.fields} == {"latest": 100, "all": 101, "specific": 102}
    labels = _field("model_server_config", "ModelConfig", "version_labels").message_type
    assert labels.GetOptions().map_entry
    assert labels.fields_by_name["value"].type == labels.fields_by_name["value"].TYPE_INT64
    from stowflow.proto.serving import get_model_status_pb2

    state = get_model_status_pb2.ModelVersionStatus.State
    assert {n: state.Value(n) for n in state.keys()} == {
        "UNKNOWN": 0,
        "START": 10,
        "LOADING": 20,
        "AVAILABLE": 30,
        "UNLOADING": 40,
        "END": 50,
    }


def test_serving_services() -> None:
    expected = {
        "prediction_service": (
            "PredictionService",
            {
                "Classify": ("ClassificationRequest", "ClassificationResponse"),
                "Regress": ("RegressionRequest", "RegressionResponse"),
                "Predict": ("PredictRequest", "PredictResponse"),
                "MultiInference": ("MultiInferenceRequest", "MultiInferenceResponse"),
                "GetModelMetadata": ("GetModelMetadataRequest", "GetModelMetadataResponse"),
            },
        ),
        "model_service": (
            "ModelService",
            {
                "GetModelStatus": ("GetModelStatusRequest", "GetModelStatusResponse"),
                "HandleReloadConfigRequest": ("ReloadConfigRequest", "ReloadConfigResponse"),
            },
        ),
        "session_service": (
            "SessionService",
            {
                "SessionRun": ("SessionRunRequest", "SessionRunResponse"),
            },
        ),
    }
    for module, (service, methods) in expected.items():
        mod = importlib.import_module(f"stowflow.proto.serving.{module}_pb2")
        desc = mod.DESCRIPTOR.services_by_name[service]
        got = {m.name: (m.input_type.name, m.output_type.name) for m in desc.methods}
        assert got == methods


def test_no_tensorflow_package() -> None:
    root = Path(__file__).resolve().parents[2] / "stowflow" / "proto"
    for proto in root.rglob("*.proto"):
        text = proto.read_text()
        assert "package tensorflow" not in text, proto
        assert 'import "tensorflow' not in text, proto
