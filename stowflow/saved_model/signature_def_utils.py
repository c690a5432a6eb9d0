"""Building SignatureDefs (``tf.saved_model.signature_def_utils``)."""

from __future__ import annotations

from typing import Any

from stowflow import dtypes
from stowflow.proto import meta_graph_pb2
from stowflow.saved_model import signature_constants as sc
from stowflow.saved_model.utils import build_tensor_info


def build_signature_def(
    inputs: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    method_name: str | None = None,
    defaults: Any = None,
) -> Any:
    """A SignatureDef from TensorInfo maps and a method name."""
    sig = meta_graph_pb2.SignatureDef()
    for key, info in (inputs or {}).items():
        sig.inputs[key].CopyFrom(info)
    for key, info in (outputs or {}).items():
        sig.outputs[key].CopyFrom(info)
    if method_name is not None:
        sig.method_name = method_name
    return sig


def predict_signature_def(inputs: dict[str, Any], outputs: dict[str, Any]) -> Any:
    """A predict SignatureDef from tensor maps.

    Raises:
        ValueError: if either map is missing or empty.
    """
    if not inputs:
        raise ValueError(f"Prediction `inputs` cannot be None or empty. Received: {inputs}")
    if not outputs:
        raise ValueError(f"Prediction `outputs` cannot be None or empty. Received: {outputs}")
    return build_signature_def(
        {k: build_tensor_info(v) for k, v in inputs.items()},
        {k: build_tensor_info(v) for k, v in outputs.items()},
        sc.PREDICT_METHOD_NAME,
    )


def classification_signature_def(examples: Any, classes: Any, scores: Any) -> Any:
    """A classify SignatureDef: string ``examples`` in, ``classes`` and/or ``scores`` out.

    Raises:
        ValueError: for a non-string examples tensor, non-string classes, non-float scores,
            or neither output.
    """
    if examples is None:
        raise ValueError("Classification `examples` cannot be None.")
    if examples.dtype.base_dtype != dtypes.string:
        raise ValueError(
            f"Classification `examples` must be a string Tensor. Found `examples` "
            f"of dtype {examples.dtype}."
        )
    if classes is None and scores is None:
        raise ValueError("At least one of `classes` and `scores` are required.")
    outputs = {}
    if classes is not None:
        if classes.dtype.base_dtype != dtypes.string:
            raise ValueError("Classification classes must be a string Tensor.")
        outputs[sc.CLASSIFY_OUTPUT_CLASSES] = build_tensor_info(classes)
    if scores is not None:
        if scores.dtype.base_dtype != dtypes.float32:
            raise ValueError("Classification scores must be a float32 Tensor.")
        outputs[sc.CLASSIFY_OUTPUT_SCORES] = build_tensor_info(scores)
    return build_signature_def(
        {sc.CLASSIFY_INPUTS: build_tensor_info(examples)}, outputs, sc.CLASSIFY_METHOD_NAME
    )


def regression_signature_def(examples: Any, predictions: Any) -> Any:
    """A regress SignatureDef: string ``examples`` in, float ``predictions`` out.

    Raises:
        ValueError: for a non-string examples tensor or non-float predictions.
    """
    if examples is None:
        raise ValueError("Regression `examples` cannot be None.")
    if examples.dtype.base_dtype != dtypes.string:
        raise ValueError(
            f"Regression `examples` must be a string Tensor. Found `examples` of "
            f"dtype {examples.dtype}."
        )
    if predictions is None:
        raise ValueError("Regression `predictions` cannot be None.")
    if predictions.dtype.base_dtype != dtypes.float32:
        raise ValueError("Regression output must be a float32 Tensor.")
    return build_signature_def(
        {sc.REGRESS_INPUTS: build_tensor_info(examples)},
        {sc.REGRESS_OUTPUTS: build_tensor_info(predictions)},
        sc.REGRESS_METHOD_NAME,
    )


def is_valid_signature(signature_def: Any) -> bool:
    """True if the SignatureDef is a well-formed predict/classify/regress signature."""
    if signature_def is None or not signature_def.method_name:
        return False
    method = signature_def.method_name
    if method == sc.PREDICT_METHOD_NAME:
        return bool(signature_def.inputs) and bool(signature_def.outputs)
    if method == sc.CLASSIFY_METHOD_NAME:
        inputs = signature_def.inputs
        outputs = signature_def.outputs
        if set(inputs) != {sc.CLASSIFY_INPUTS} or inputs[sc.CLASSIFY_INPUTS].dtype != 7:
            return False
        keys = set(outputs)
        if not keys or not keys <= {sc.CLASSIFY_OUTPUT_CLASSES, sc.CLASSIFY_OUTPUT_SCORES}:
            return False
        return (
            sc.CLASSIFY_OUTPUT_CLASSES not in outputs
            or outputs[sc.CLASSIFY_OUTPUT_CLASSES].dtype == 7
        ) and (
            sc.CLASSIFY_OUTPUT_SCORES not in outputs
            or outputs[sc.CLASSIFY_OUTPUT_SCORES].dtype == 1
        )
    if method == sc.REGRESS_METHOD_NAME:
        return (
            set(signature_def.inputs) == {sc.REGRESS_INPUTS}
            and signature_def.inputs[sc.REGRESS_INPUTS].dtype == 7
            and set(signature_def.outputs) == {sc.REGRESS_OUTPUTS}
            and signature_def.outputs[sc.REGRESS_OUTPUTS].dtype == 1
        )
    return True
