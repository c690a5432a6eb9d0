"""``tf.estimator.export``: serving input receivers and the export outputs' SignatureDefs.

Mirrors tensorflow_estimator's ``export/export.py`` (receivers) and TF 2.21's
``saved_model/model_utils/export_output.py`` + ``signature_def_utils_impl.py`` (outputs):
same validation, messages, node names and SignatureDef protos.

Example:
    >>> # fn = build_parsing_serving_input_receiver_fn({"x": FixedLenFeature([1], float32)})
    >>> # receiver = fn()  # placeholder "input_example_tensor", receiver key "examples"
    >>> # ClassificationOutput(scores=s).as_signature_def(receiver.receiver_tensors)
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

from stowflow import dtypes
from stowflow.graph import array_ops, parsing_ops
from stowflow.graph.core import Tensor
from stowflow.graph.shape import TensorShape
from stowflow.graph.sparse import SparseTensor
from stowflow.proto import meta_graph_pb2
from stowflow.tensors import shape_to_proto

# tensorflow/python/saved_model/signature_constants.py
CLASSIFY_METHOD_NAME = "tensorflow/serving/classify"
REGRESS_METHOD_NAME = "tensorflow/serving/regress"
PREDICT_METHOD_NAME = "tensorflow/serving/predict"
CLASSIFY_INPUTS = "inputs"
CLASSIFY_OUTPUT_CLASSES = "classes"
CLASSIFY_OUTPUT_SCORES = "scores"
REGRESS_INPUTS = "inputs"
REGRESS_OUTPUTS = "outputs"

_SINGLE_TENSOR_DEFAULT_NAMES = {
    "feature": "feature",
    "label": "label",
    "receiver_tensor": "input",
    "receiver_tensors_alternative": "input",
}


# --------------------------------------------------------------------------- receivers


def _check_tensor(tensor: Any, name: Any, error_label: str) -> None:
    if not isinstance(tensor, Tensor | SparseTensor):
        fmt_name = f" {name}" if name else ""
        raise ValueError(
            f"{error_label}{fmt_name} must be a Tensor, SparseTensor, or RaggedTensor."
        )


def _check_tensor_key(name: Any, error_label: str, allow_ints: bool) -> None:
    if isinstance(name, str):
        return
    if not allow_ints:
        raise ValueError(f"{error_label} keys must be strings: {name}.")
    if not isinstance(name, int):
        raise ValueError(f"{error_label} keys must be strings or ints: {name}.")


def _wrap_and_check_input_tensors(
    tensors: Any, field_name: str, allow_int_keys: bool = False
) -> dict[Any, Any]:
    if tensors is None:
        raise ValueError(f"{field_name}s must be defined.")
    if not isinstance(tensors, dict):
        tensors = {_SINGLE_TENSOR_DEFAULT_NAMES[field_name]: tensors}
    for name, tensor in tensors.items():
        _check_tensor_key(name, field_name, allow_int_keys)
        _check_tensor(tensor, name, field_name)
    return tensors


class ServingInputReceiver(
    collections.namedtuple(
        "ServingInputReceiver", ["features", "receiver_tensors", "receiver_tensors_alternatives"]
    )
):
    """What a serving_input_receiver_fn returns (``tf.estimator.export.ServingInputReceiver``).

    Args:
        features: Tensor/SparseTensor or dict of them (a single one becomes {"feature": t}).
        receiver_tensors: Tensor or dict of string -> Tensor fed at serving time (a single
            one becomes {"input": t}).
        receiver_tensors_alternatives: optional dict of name -> receiver tensors.

    Raises:
        ValueError: with TF's messages for missing parts, bad keys or non-tensor values.
    """

    def __new__(
        cls, features: Any, receiver_tensors: Any, receiver_tensors_alternatives: Any = None
    ) -> ServingInputReceiver:
        features = _wrap_and_check_input_tensors(features, "feature", allow_int_keys=True)
        receiver_tensors = _wrap_and_check_input_tensors(receiver_tensors, "receiver_tensor")
        if receiver_tensors_alternatives is not None:
            if not isinstance(receiver_tensors_alternatives, dict):
                raise ValueError(
                    "receiver_tensors_alternatives must be a dict: "
                    f"{receiver_tensors_alternatives}."
                )
            for alt_name, alt in receiver_tensors_alternatives.items():
                receiver_tensors_alternatives[alt_name] = _wrap_and_check_input_tensors(
                    alt, "receiver_tensors_alternative"
                )
        return super().__new__(cls, features, receiver_tensors, receiver_tensors_alternatives)


def build_parsing_serving_input_receiver_fn(
    feature_spec: dict[str, Any], default_batch_size: int | None = None
) -> Callable[[], ServingInputReceiver]:
    """A receiver fn parsing serialized tf.Examples fed to "input_example_tensor".

    The receiver tensor key is "examples"; features come from ``parse_example``.
    """

    def serving_input_receiver_fn() -> ServingInputReceiver:
        """An input_fn that expects a serialized tf.Example."""
        serialized = array_ops.placeholder(
            dtypes.string, shape=[default_batch_size], name="input_example_tensor"
        )
        receiver_tensors = {"examples": serialized}
        features = parsing_ops.parse_example(serialized, feature_spec)
        return ServingInputReceiver(features, receiver_tensors)

    return serving_input_receiver_fn


def _placeholder_from_tensor(tensor: Tensor, default_batch_size: int | None) -> Tensor:
    shape = TensorShape([default_batch_size])
    dims = tensor.shape.dims
    full = TensorShape(None) if dims is None else TensorShape(shape.as_list() + dims[1:])
    return array_ops.placeholder(tensor.dtype.base_dtype, shape=full, name=tensor.op.name)


def build_raw_serving_input_receiver_fn(
    features: dict[str, Tensor], default_batch_size: int | None = None
) -> Callable[[], ServingInputReceiver]:
    """A receiver fn with one placeholder per feature, named after the feature's op."""

    def serving_input_receiver_fn() -> ServingInputReceiver:
        """A serving_input_receiver_fn with placeholders for raw features."""
        receiver_tensors = {
            name: _placeholder_from_tensor(t, default_batch_size) for name, t in features.items()
        }
        return ServingInputReceiver(receiver_tensors, receiver_tensors)

    return serving_input_receiver_fn


# --------------------------------------------------------------------------- signatures


def build_tensor_info(tensor: Any) -> Any:
    """TF's ``build_tensor_info``: name (or COO parts), dtype and static shape."""
    shape = tensor.get_shape()
    info = meta_graph_pb2.TensorInfo(
        dtype=dtypes.as_dtype(tensor.dtype).as_datatype_enum,
        tensor_shape=shape_to_proto(shape.dims),
    )
    if isinstance(tensor, SparseTensor):
        info.coo_sparse.values_tensor_name = tensor.values.name
        info.coo_sparse.indices_tensor_name = tensor.indices.name
        info.coo_sparse.dense_shape_tensor_name = tensor.dense_shape.name
    else:
        info.name = tensor.name
    return info


def build_signature_def(inputs: dict[str, Any], outputs: dict[str, Any], method_name: str) -> Any:
    """A SignatureDef from TensorInfo maps and a method name."""
    signature = meta_graph_pb2.SignatureDef()
    for key, info in inputs.items():
        signature.inputs[key].CopyFrom(info)
    for key, info in outputs.items():
        signature.outputs[key].CopyFrom(info)
    signature.method_name = method_name
    return signature


def _single_string_input(receiver_tensors: dict[str, Any], kind: str) -> Tensor:
    message = (
        f"{kind} signatures can only accept a single tensor input of type tf.string. Please "
        "check to make sure that you have structured the serving_input_receiver_fn so that it "
        "creates a single string placeholder. If your model function expects multiple inputs, "
        "then use `tf.io.parse_example()` to parse the string into multiple tensors.\n "
        f"Received: {receiver_tensors}"
    )
    if len(receiver_tensors) != 1:
        raise ValueError(message)
    ((_, examples),) = receiver_tensors.items()
    if dtypes.as_dtype(examples.dtype) != dtypes.string:
        raise ValueError(message)
    return examples


class ExportOutput:
    """Base of the outputs a served model exposes (``tf.estimator.export.ExportOutput``)."""

    _SEPARATOR_CHAR = "/"

    def as_signature_def(self, receiver_tensors: dict[str, Any]) -> Any:
        """The SignatureDef with this output and ``receiver_tensors`` as inputs."""
        raise NotImplementedError

    def _check_output_key(self, key: Any, error_label: str) -> str:
        if isinstance(key, tuple):
            key = self._SEPARATOR_CHAR.join(key)
        if not isinstance(key, str):
            raise ValueError(f"{error_label} output key must be a string; got {key}.")
        return key

    def _wrap_and_check_outputs(
        self, outputs: Any, single_output_default_name: str, error_label: str | None = None
    ) -> dict[str, Tensor]:
        if not isinstance(outputs, dict):
            outputs = {single_output_default_name: outputs}
        output_dict = {}
        error_name = error_label or single_output_default_name
        for key, value in outputs.items():
            key = self._check_output_key(key, error_name)
            if not isinstance(value, Tensor):
                raise ValueError(f"{error_name} output value must be a Tensor; got {value}.")
            output_dict[key] = value
        return output_dict


class ClassificationOutput(ExportOutput):
    """Scores and/or string classes of a classifier (method tensorflow/serving/classify).

    Raises:
        ValueError: if both are None, scores are not floating or classes not strings.
    """

    def __init__(self, scores: Tensor | None = None, classes: Tensor | None = None) -> None:
        if scores is not None and not (
            isinstance(scores, Tensor) and scores.dtype.base_dtype.is_floating
        ):
            raise ValueError(f"Classification scores must be a float32 Tensor; got {scores}")
        if classes is not None and not (
            isinstance(classes, Tensor) and classes.dtype.base_dtype == dtypes.string
        ):
            raise ValueError(f"Classification classes must be a string Tensor; got {classes}")
        if scores is None and classes is None:
            raise ValueError(
                "Cannot create a ClassificationOutput with empty arguments. At least one of "
                "`scores` and `classes` must be defined."
            )
        self._scores = scores
        self._classes = classes

    @property
    def scores(self) -> Tensor | None:
        """The float scores tensor, or None."""
        return self._scores

    @property
    def classes(self) -> Tensor | None:
        """The string classes tensor, or None."""
        return self._classes

    def as_signature_def(self, receiver_tensors: dict[str, Any]) -> Any:
        """A classify SignatureDef: input "inputs", outputs "classes"/"scores".

        Raises:
            ValueError: unless there is exactly one string receiver tensor.
        """
        examples = _single_string_input(receiver_tensors, "Classification")
        outputs = {}
        if self._classes is not None:
            outputs[CLASSIFY_OUTPUT_CLASSES] = build_tensor_info(self._classes)
        if self._scores is not None:
            info = build_tensor_info(self._scores)
            if info.dtype != dtypes.float32.as_datatype_enum:
                raise ValueError("Classification scores must be a float Tensor.")
            outputs[CLASSIFY_OUTPUT_SCORES] = info
        inputs = {CLASSIFY_INPUTS: build_tensor_info(examples)}
        return build_signature_def(inputs, outputs, CLASSIFY_METHOD_NAME)


class RegressionOutput(ExportOutput):
    """The float predictions of a regressor (method tensorflow/serving/regress).

    Raises:
        ValueError: if ``value`` is not a floating Tensor.
    """

    def __init__(self, value: Tensor) -> None:
        if not (isinstance(value, Tensor) and value.dtype.base_dtype.is_floating):
            raise ValueError(f"Regression output value must be a float32 Tensor; got {value}")
        self._value = value

    @property
    def value(self) -> Tensor:
        """The predictions tensor."""
        return self._value

    def as_signature_def(self, receiver_tensors: dict[str, Any]) -> Any:
        """A regress SignatureDef: input "inputs", output "outputs".

        Raises:
            ValueError: unless there is exactly one string receiver tensor and value is float32.
        """
        examples = _single_string_input(receiver_tensors, "Regression")
        info = build_tensor_info(self._value)
        if info.dtype != dtypes.float32.as_datatype_enum:
            raise ValueError(
                f"Regression output tensors must be of type float. Found tensors with type "
                f"{info.dtype}."
            )
        inputs = {REGRESS_INPUTS: build_tensor_info(examples)}
        return build_signature_def(inputs, {REGRESS_OUTPUTS: info}, REGRESS_METHOD_NAME)


class PredictOutput(ExportOutput):
    """Named output tensors of a generic model (method tensorflow/serving/predict).

    A single Tensor becomes {"output": t}.

    Raises:
        ValueError: for non-string keys or non-Tensor values.
    """

    _SINGLE_OUTPUT_DEFAULT_NAME = "output"

    def __init__(self, outputs: Any) -> None:
        self._outputs = self._wrap_and_check_outputs(
            outputs, self._SINGLE_OUTPUT_DEFAULT_NAME, error_label="Prediction"
        )

    @property
    def outputs(self) -> dict[str, Tensor]:
        """Output key -> Tensor."""
        return self._outputs

    def as_signature_def(self, receiver_tensors: dict[str, Any]) -> Any:
        """A predict SignatureDef with the receiver tensors as inputs, keys as given.

        Raises:
            ValueError: if there are no inputs or no outputs.
        """
        if not receiver_tensors:
            raise ValueError("Prediction `inputs` cannot be None or empty.")
        if not self._outputs:
            raise ValueError("Prediction `outputs` cannot be None or empty.")
        inputs = {k: build_tensor_info(t) for k, t in receiver_tensors.items()}
        outputs = {k: build_tensor_info(t) for k, t in self._outputs.items()}
        return build_signature_def(inputs, outputs, PREDICT_METHOD_NAME)
