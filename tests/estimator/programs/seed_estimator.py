"""The seeds' Estimator section as a program: custom model_fn with export_outputs, train,
predict, export_savedmodel with a parsing serving_input_receiver_fn.

Usage: python seed_estimator.py MODEL_DIR EXPORT_BASE   (TF 2.15 or python -m stowflow.tf1)
"""

import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.INFO)
model_dir, export_dir_base = sys.argv[1], sys.argv[2]

X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], np.float32)
Y = np.array([[1.0], [0.0], [1.0], [0.0]], np.float32)
feature_spec = {"x": tf.FixedLenFeature([2], tf.float32)}


def input_fn():
    return {"x": tf.constant(X)}, tf.constant(Y)


def model_fn(features, labels, mode, params):
    w = tf.get_variable("w", [2, 1], initializer=tf.constant_initializer([[0.1], [-0.2]]))
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    logits = tf.matmul(features["x"], w) + b
    prob = tf.sigmoid(logits)
    scores = tf.concat([1.0 - prob, prob], axis=1)
    predictions = {"logits": logits, "prob": prob}
    if mode == tf.estimator.ModeKeys.PREDICT:
        export_outputs = {
            "serving_default": tf.estimator.export.ClassificationOutput(scores=scores),
            "regress": tf.estimator.export.RegressionOutput(value=tf.squeeze(prob, 1)),
            "predict": tf.estimator.export.PredictOutput(predictions),
        }
        return tf.estimator.EstimatorSpec(
            mode, predictions=predictions, export_outputs=export_outputs
        )
    loss = tf.reduce_mean(tf.square(logits - labels))
    train_op = tf.train.GradientDescentOptimizer(params["lr"]).minimize(
        loss, global_step=tf.train.get_global_step()
    )
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def serving_input_receiver_fn():
    """An input receiver that expects a serialized tf.Example."""
    serialized_tf_example = tf.placeholder(
        dtype=tf.string, shape=[None], name="input_example_tensor"
    )
    receiver_tensors = {"examples": serialized_tf_example}
    features = tf.parse_example(serialized_tf_example, feature_spec)
    return tf.estimator.export.ServingInputReceiver(features, receiver_tensors)


config = tf.estimator.RunConfig(
    save_checkpoints_steps=5, log_step_count_steps=5, save_summary_steps=5
)
estimator = tf.estimator.Estimator(
    model_fn, model_dir=model_dir, config=config, params={"lr": 0.01}
)
estimator.train(input_fn, steps=7)
estimator.train(input_fn, max_steps=12)
estimator.train(input_fn, max_steps=12)
print("latest", os.path.basename(estimator.latest_checkpoint()))
print("variables", estimator.get_variable_names())
print("w", ["%.4f" % v for v in estimator.get_variable_value("w").ravel()])

export_dir = estimator.export_savedmodel(export_dir_base, serving_input_receiver_fn)
print("export is bytes", isinstance(export_dir, bytes))
print("export entries", sorted(os.listdir(export_dir)))
print("exports", len(os.listdir(export_dir_base)))
