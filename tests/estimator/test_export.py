"""tf.estimator.export: receivers and export outputs (messages as TF 2.21 / estimator).

SignatureDef equality with TF-made ones is in tests/interop/test_parsing_interop.py.
"""

from __future__ import annotations

import pytest

import stowflow as tf

export = tf.estimator.export


def test_parsing_receiver_fn() -> None:
    with tf.Graph().as_default() as graph:
        fn = export.build_parsing_serving_input_receiver_fn(
            {"x": tf.FixedLenFeature([3], tf.float32), "k": tf.VarLenFeature(tf.string)},
            default_batch_size=4,
        )
        receiver = fn()
    examples = receiver.receiver_tensors["examples"]
    assert examples.name == "input_example_tensor:0"
    assert examples.shape.as_list() == [4]
    assert receiver.features["x"].shape.as_list() == [4, 3]
    assert isinstance(receiver.features["k"], tf.SparseTensor)
    assert receiver.receiver_tensors_alternatives is None
    assert graph.get_operation_by_name("ParseExample/ParseExampleV2").type == "ParseExampleV2"


def test_raw_receiver_fn_placeholders_named_after_features() -> None:
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5], name="x")
        fn = export.build_raw_serving_input_receiver_fn({"x": x}, default_batch_size=2)
    with tf.Graph().as_default():
        receiver = fn()
    assert receiver.features is receiver.receiver_tensors
    assert receiver.receiver_tensors["x"].name == "x:0"
    assert receiver.receiver_tensors["x"].shape.as_list() == [2, 5]


def test_receiver_wraps_single_tensors_and_validates() -> None:
    with tf.Graph().as_default():
        t = tf.placeholder(tf.string, [None])
        receiver = export.ServingInputReceiver(t, t)
        assert list(receiver.features) == ["feature"]
        assert list(receiver.receiver_tensors) == ["input"]
        with pytest.raises(ValueError, match="^features must be defined.$"):
            export.ServingInputReceiver(None, t)
        with pytest.raises(ValueError, match="^receiver_tensor keys must be strings: 1.$"):
            export.ServingInputReceiver(t, {1: t})
        with pytest.raises(ValueError, match="feature x must be a Tensor, SparseTensor"):
            export.ServingInputReceiver({"x": 3}, t)
        with pytest.raises(ValueError, match="receiver_tensors_alternatives must be a dict"):
            export.ServingInputReceiver(t, t, receiver_tensors_alternatives=[t])
        alt = export.ServingInputReceiver(t, t, {"other": t}).receiver_tensors_alternatives
        assert alt == {"other": {"input": t}}


def test_export_outputs() -> None:
    with tf.Graph().as_default():
        ex = tf.placeholder(tf.string, [None], name="ex")
        scores = tf.placeholder(tf.float32, [None, 2], name="scores")
        ints = tf.placeholder(tf.int64, [None], name="ints")
        sig = export.ClassificationOutput(scores=scores).as_signature_def({"examples": ex})
        assert sig.method_name == "tensorflow/serving/classify"
        assert sig.inputs["inputs"].name == "ex:0"
        assert list(sig.outputs) == ["scores"]
        value = tf.placeholder(tf.float32, name="v")
        sig = export.RegressionOutput(value).as_signature_def({"examples": ex})
        assert sig.outputs["outputs"].tensor_shape.unknown_rank
        sig = export.PredictOutput(scores).as_signature_def({"a": ints})
        assert list(sig.outputs) == ["output"] and sig.method_name == "tensorflow/serving/predict"
        with pytest.raises(ValueError, match="empty arguments"):
            export.ClassificationOutput()
        with pytest.raises(ValueError, match="scores must be a float32 Tensor"):
            export.ClassificationOutput(scores=ints)
        with pytest.raises(ValueError, match="classes must be a string Tensor"):
            export.ClassificationOutput(classes=ints)
        with pytest.raises(ValueError, match="Regression output value must be a float32"):
            export.RegressionOutput(ints)
        with pytest.raises(ValueError, match="Prediction output value must be a Tensor"):
            export.PredictOutput({"a": 1})
        with pytest.raises(ValueError, match="single tensor input of type tf.string"):
            export.RegressionOutput(value).as_signature_def({"a": ex, "b": ex})
        with pytest.raises(ValueError, match="^Classification signatures can only accept"):
            export.ClassificationOutput(scores=scores).as_signature_def({"a": ints})
