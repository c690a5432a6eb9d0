"""Predict, Classify, Regress, MultiInference and GetModelMetadata on a :class:`Servable`.

The array-level functions (:func:`predict_arrays`, :func:`classify_examples`,
:func:`regress_examples`) are shared by REST and gRPC; the ``*_proto`` functions wrap them
in TF Serving's request/response messages. Messages follow TF Serving's
``servables/tensorflow/{predict_util,classifier,regressor,multi_inference}.cc``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stowflow import dtypes, tensors
from stowflow.proto.serving import (
    classification_pb2,
    get_model_metadata_pb2,
    inference_pb2,
    predict_pb2,
    regression_pb2,
)
from stowflow.serving import status
from stowflow.serving.servable import DEFAULT_SIGNATURE, Servable, check_feed, tensor_dtype

CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"
SIGNATURE_DEF_MAP_URL = "type.googleapis.com/tensorflow.serving.SignatureDefMap"
"""The ``Any`` type URL TF Serving's clients expect for GetModelMetadata's signature_def."""


# -- Predict ----------------------------------------------------------------------------------
def predict_signature(servable: Servable, name: str) -> tuple[str, Any]:
    """(key, SignatureDef) for Predict (TF's FAILED_PRECONDITION when absent)."""
    key = name or DEFAULT_SIGNATURE
    sig = servable.signature(key)
    if sig is None:
        raise status.failed_precondition(f'Serving signature key "{key}" not found.')
    return key, sig


def predict_arrays(
    servable: Servable,
    signature_name: str,
    inputs: dict[str, np.ndarray],
    output_filter: list[str] | tuple[str, ...] = (),
) -> tuple[str, dict[str, np.ndarray]]:
    """Runs a Predict; returns (signature key, outputs by alias).

    Raises:
        stowflow.errors.OpError: FAILED_PRECONDITION for an unknown signature,
            INVALID_ARGUMENT for unknown/missing inputs, bad dtypes or shapes.
    """
    key, sig = predict_signature(servable, signature_name)
    expected = ",".join(sorted(sig.inputs))
    for alias in inputs:
        if alias not in sig.inputs:
            raise status.invalid(
                f"input tensor alias not found in signature: {alias}. Inputs expected to be "
                f"in the set {{{expected}}}."
            )
    missing = sorted(set(sig.inputs) - set(inputs))
    if missing:
        raise status.invalid(
            f"Request inputs do not match required inputs for model `{servable.name}`. "
            f"Send extra: {{}}. Missing but required: {{{','.join(missing)}}}."
        )
    for alias, array in inputs.items():
        info = sig.inputs[alias]
        want = tensor_dtype(info)
        got = dtypes.from_numpy(array) if array.dtype != object else dtypes.string
        if got.base_dtype != want.base_dtype:
            raise status.invalid(
                f"Expects arg[{sorted(sig.inputs).index(alias)}] to be {want.type_string} but "
                f"{got.type_string} is provided"
            )
        check_feed(alias, info, array)
    outputs = tuple(sorted(sig.outputs))
    for alias in output_filter:
        if alias not in sig.outputs:
            raise status.invalid(
                f"output tensor alias not found in signature: {alias} Outputs expected to be "
                f"in the set {{{','.join(outputs)}}}."
            )
    if output_filter:
        outputs = tuple(dict.fromkeys(output_filter))
    return key, servable.run(key, inputs, outputs)


def predict_proto(servable: Servable, request: Any) -> Any:
    """PredictRequest -> PredictResponse."""
    inputs = {alias: _ndarray(alias, proto) for alias, proto in request.inputs.items()}
    key, outputs = predict_arrays(
        servable, request.model_spec.signature_name, inputs, list(request.output_filter)
    )
    response = predict_pb2.PredictResponse()
    _fill_spec(response.model_spec, servable, key)
    for alias, value in outputs.items():
        response.outputs[alias].CopyFrom(tensors.make_tensor_proto(value))
    return response


def _ndarray(alias: str, proto: Any) -> np.ndarray:
    try:
        return tensors.make_ndarray(proto)
    except (TypeError, ValueError, KeyError) as e:
        raise status.invalid(f"tensor parsing error: {alias}: {e}") from e


# -- Classify / Regress -----------------------------------------------------------------------
def serialized_examples(input_proto: Any) -> np.ndarray:
    """An ``Input`` proto as a 1-D object array of serialized tf.Examples.

    ``example_list_with_context`` examples get the context's features merged in (the context
    first, so an example's own feature wins), as TF Serving does.

    Raises:
        stowflow.errors.InvalidArgumentError: "Input is empty." for no examples.
    """
    kind = input_proto.WhichOneof("kind")
    if kind == "example_list":
        items = [e.SerializeToString() for e in input_proto.example_list.examples]
    elif kind == "example_list_with_context":
        ctx = input_proto.example_list_with_context.context.SerializeToString()
        items = [
            ctx + e.SerializeToString() for e in input_proto.example_list_with_context.examples
        ]
    else:
        items = []
    if not items:
        raise status.invalid("Input is empty.")
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _example_signature(servable: Servable, name: str, method: str) -> tuple[str, Any]:
    key = name or DEFAULT_SIGNATURE
    sig = servable.signature(key)
    if sig is None:
        raise status.invalid(f"No signature was found with the name: {key}")
    if len(sig.inputs) != 1:
        raise status.invalid("Expected one input Tensor.")
    info = next(iter(sig.inputs.values()))
    if tensor_dtype(info) != dtypes.string:
        raise status.invalid(
            f"Input tensor of a {method.rsplit('/', 1)[-1]} signature must be DT_STRING "
            "(serialized tf.Example)"
        )
    return key, sig


def classify_examples(
    servable: Servable, signature_name: str, examples: np.ndarray
) -> tuple[str, list[list[tuple[bytes, float]]]]:
    """Classifies serialized Examples; returns (signature key, [(label, score)...] per example).

    Raises:
        stowflow.errors.InvalidArgumentError: a signature without classes/scores, or outputs
            of the wrong shape or type.
    """
    key, sig = _example_signature(servable, signature_name, CLASSIFY_METHOD)
    wanted = tuple(k for k in ("classes", "scores") if k in sig.outputs)
    if not wanted:
        raise status.invalid("Expected classification signature outputs to have classes or scores.")
    alias = next(iter(sig.inputs))
    out = servable.run(key, {alias: examples}, wanted)
    n = len(examples)
    classes, scores = out.get("classes"), out.get("scores")
    if scores is not None:
        if scores.dtype != np.float32:
            raise status.invalid(f"Expected scores Tensor of DT_FLOAT. Got: {scores.dtype}")
        if scores.ndim != 2 or scores.shape[0] != n:
            raise status.invalid(
                f"Expected Tensor shape: [{n} num_classes] but got {list(scores.shape)}"
            )
    if classes is not None:
        if classes.dtype != object:
            raise status.invalid(f"Expected classes Tensor of DT_STRING. Got: {classes.dtype}")
        if classes.ndim != 2 or classes.shape[0] != n:
            raise status.invalid(
                f"Expected Tensor shape: [{n} num_classes] but got {list(classes.shape)}"
            )
    if classes is not None and scores is not None and classes.shape != scores.shape:
        raise status.invalid(
            f"Tensors class and score should match in shape, but had shape "
            f"{list(classes.shape)} and {list(scores.shape)}"
        )
    width = (classes if classes is not None else scores).shape[1]  # type: ignore[union-attr]
    results = [
        [
            (
                bytes(classes[i, j]) if classes is not None else b"",
                float(scores[i, j]) if scores is not None else 0.0,
            )
            for j in range(width)
        ]
        for i in range(n)
    ]
    return key, results


def regress_examples(
    servable: Servable, signature_name: str, examples: np.ndarray
) -> tuple[str, list[float]]:
    """Regresses serialized Examples; returns (signature key, one value per example)."""
    key, sig = _example_signature(servable, signature_name, REGRESS_METHOD)
    if "outputs" not in sig.outputs:
        raise status.invalid("No output Tensor found with the name outputs.")
    alias = next(iter(sig.inputs))
    out = servable.run(key, {alias: examples}, ("outputs",))["outputs"]
    n = len(examples)
    if out.dtype != np.float32:
        raise status.invalid(f"Expected output Tensor of DT_FLOAT.  Got: {out.dtype}")
    if not (out.shape == (n,) or out.shape == (n, 1)):
        raise status.invalid(
            "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but "
            f"got {list(out.shape)}"
        )
    return key, [float(v) for v in out.reshape(-1)]


def _fill_classes(result: Any, rows: list[list[tuple[bytes, float]]]) -> None:
    for row in rows:
        cls = result.classifications.add()
        for label, score in row:
            cls.classes.add(label=label.decode("utf-8", "replace"), score=score)


def classify_proto(servable: Servable, request: Any) -> Any:
    """ClassificationRequest -> ClassificationResponse."""
    key, rows = classify_examples(
        servable, request.model_spec.signature_name, serialized_examples(request.input)
    )
    response = classification_pb2.ClassificationResponse()
    _fill_spec(response.model_spec, servable, key)
    _fill_classes(response.result, rows)
    return response


def regress_proto(servable: Servable, request: Any) -> Any:
    """RegressionRequest -> RegressionResponse."""
    key, values = regress_examples(
        servable, request.model_spec.signature_name, serialized_examples(request.input)
    )
    response = regression_pb2.RegressionResponse()
    _fill_spec(response.model_spec, servable, key)
    for v in values:
        response.result.regressions.add(value=v)
    return response


def multi_inference_proto(servable: Servable, request: Any) -> Any:
    """MultiInferenceRequest -> MultiInferenceResponse (all tasks on one model version)."""
    if not request.tasks:
        raise status.invalid("Expected at least one task")
    examples = serialized_examples(request.input)
    seen: set[str] = set()
    response = inference_pb2.MultiInferenceResponse()
    for task in request.tasks:
        if task.model_spec.name != servable.name:
            raise status.invalid(
                "All ModelSpecs in a MultiInferenceRequest must access the same model name."
            )
        sig_name = task.model_spec.signature_name or DEFAULT_SIGNATURE
        if sig_name in seen:
            raise status.invalid(f"Duplicate evaluation of signature: {sig_name}")
        seen.add(sig_name)
        result = response.results.add()
        if task.method_name == CLASSIFY_METHOD:
            key, rows = classify_examples(servable, sig_name, examples)
            _fill_classes(result.classification_result, rows)
        elif task.method_name == REGRESS_METHOD:
            key, values = regress_examples(servable, sig_name, examples)
            for v in values:
                result.regression_result.regressions.add(value=v)
        else:
            raise status.invalid(f"Unsupported signature method_name: {task.method_name}")
        _fill_spec(result.model_spec, servable, key)
    return response


# -- Metadata ---------------------------------------------------------------------------------
def signature_def_map(servable: Servable) -> Any:
    """The SignatureDefMap of the version (all its signatures)."""
    sig_map = get_model_metadata_pb2.SignatureDefMap()
    for key, sig in servable.signature_defs.items():
        sig_map.signature_def[key].CopyFrom(sig)
    return sig_map


def metadata_proto(servable: Servable, request: Any) -> Any:
    """GetModelMetadataRequest -> GetModelMetadataResponse (``signature_def`` only)."""
    fields = list(request.metadata_field)
    if not fields:
        raise status.invalid("GetModelMetadataRequest must specify at least one metadata_field")
    for name in fields:
        if name != "signature_def":
            raise status.invalid(f"Metadata field {name} is not supported")
    response = get_model_metadata_pb2.GetModelMetadataResponse()
    _fill_spec(response.model_spec, servable, "")
    payload = response.metadata["signature_def"]
    payload.type_url = SIGNATURE_DEF_MAP_URL
    payload.value = signature_def_map(servable).SerializeToString()
    return response


def _fill_spec(spec: Any, servable: Servable, signature: str) -> None:
    spec.name = servable.name
    spec.version.value = servable.version
    if signature:
        spec.signature_name = signature
