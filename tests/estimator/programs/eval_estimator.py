"""Estimator.evaluate, tf.data input_fns, warm_start_from and train_and_evaluate as a program.

Usage: python eval_estimator.py WORK_DIR   (TF 2.15 or python -m stowflow.tf1)
Writes WORK_DIR/{model,warm,warm_some,tae,numpy}; prints what each call returned.
"""

import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.INFO)
work = sys.argv[1]

X = np.array(
    [[1.0, 2.0], [3.0, -4.0], [5.0, 6.0], [-7.0, 8.0], [0.5, 0.5], [2.0, -1.0], [-3.0, -2.0]],
    np.float32,
)
Y = np.array([[1], [0], [1], [0], [1], [1], [0]], np.int64)
feature_spec = {"x": tf.FixedLenFeature([2], tf.float32)}


def train_input_fn(params):
    """Repeats forever: train(steps=...) ends it."""
    ds = tf.data.Dataset.from_tensor_slices(({"x": X}, Y))
    return ds.repeat().batch(params["batch"])


def finite_input_fn(mode, config):
    """One epoch in batches of 3 (3, 3, 1): training ends at OutOfRangeError."""
    print("input_fn called with", mode, type(config).__name__)
    return tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(3)


def eval_input_fn():
    return tf.data.Dataset.from_tensor_slices(({"x": X[:5]}, Y[:5])).batch(2)


def predict_input_fn():
    return tf.data.Dataset.from_tensor_slices({"x": X[:3]}).batch(2)


def model_fn(features, labels, mode, params):
    w = tf.get_variable("w", [2, 1], initializer=tf.constant_initializer([[0.1], [-0.2]]))
    b = tf.get_variable("b", [1], initializer=tf.constant_initializer(0.05))
    logits = tf.matmul(features["x"], w) + b
    prob = tf.sigmoid(logits)
    predicted = tf.cast(prob > 0.5, tf.int64)
    predictions = {"prob": prob, "class": predicted}
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(
            mode,
            predictions=predictions,
            export_outputs={"serving_default": tf.estimator.export.PredictOutput(predictions)},
        )
    loss = tf.reduce_mean(tf.square(prob - tf.cast(labels, tf.float32)))
    if mode == tf.estimator.ModeKeys.EVAL:
        metrics = {
            "accuracy": tf.metrics.accuracy(labels, predicted),
            "mean_prob": tf.metrics.mean(prob),
        }
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops=metrics)
    train_op = tf.train.GradientDescentOptimizer(params["lr"]).minimize(
        loss, global_step=tf.train.get_global_step()
    )
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def serving_input_receiver_fn():
    serialized = tf.placeholder(dtype=tf.string, shape=[None], name="input_example_tensor")
    features = tf.parse_example(serialized, feature_spec)
    return tf.estimator.export.ServingInputReceiver(features, {"examples": serialized})


def show(label, result):
    print(label, sorted((k, "%.4f" % v) for k, v in result.items()))


def show_vars(label, estimator):
    for name in estimator.get_variable_names():
        value = estimator.get_variable_value(name)
        print(label, name, ["%.4f" % v for v in np.ravel(value)])


params = {"lr": 0.5, "batch": 4}
config = tf.estimator.RunConfig(
    save_checkpoints_steps=4, log_step_count_steps=3, save_summary_steps=2
)

# 1. Dataset input_fns, train until the input ends, evaluate, predict.
model_dir = os.path.join(work, "model")
est = tf.estimator.Estimator(model_fn, model_dir=model_dir, config=config, params=params)
est.train(train_input_fn, steps=5)
est.train(finite_input_fn)
show("eval", est.evaluate(eval_input_fn))
show("eval steps=2", est.evaluate(eval_input_fn, steps=2, name="second"))
show(
    "eval ckpt-5",
    est.evaluate(eval_input_fn, checkpoint_path=os.path.join(model_dir, "model.ckpt-5")),
)
for p in est.predict(predict_input_fn):
    print("predict", sorted((k, ["%.4f" % v for v in np.ravel(x)]) for k, x in p.items()))
print("model files", sorted(n for n in os.listdir(model_dir) if not n.startswith("events")))
print("eval dirs", sorted(n for n in os.listdir(model_dir) if n.startswith("eval")))
show_vars("trained", est)

# 2. Warm start from a model dir (every trainable variable), then only some variables.
warm = tf.estimator.Estimator(
    model_fn,
    model_dir=os.path.join(work, "warm"),
    config=config,
    params=params,
    warm_start_from=model_dir,
)
show("warm eval before training", warm.evaluate(eval_input_fn))
warm.train(train_input_fn, steps=1)
show_vars("warm", warm)
warm.train(train_input_fn, steps=1)  # resumes from its own checkpoint: no warm start
show_vars("warm resumed", warm)
settings = tf.estimator.WarmStartSettings(
    ckpt_to_initialize_from=os.path.join(model_dir, "model.ckpt-5"), vars_to_warm_start=["w"]
)
some = tf.estimator.Estimator(
    model_fn,
    model_dir=os.path.join(work, "warm_some"),
    config=config,
    params=params,
    warm_start_from=settings,
)
some.train(train_input_fn, steps=1)
show_vars("warm w only", some)

# 3. train_and_evaluate with a FinalExporter and a LatestExporter.
tae = tf.estimator.Estimator(
    model_fn, model_dir=os.path.join(work, "tae"), config=config, params=params
)
train_spec = tf.estimator.TrainSpec(train_input_fn, max_steps=10)
eval_spec = tf.estimator.EvalSpec(
    eval_input_fn,
    steps=2,
    exporters=[
        tf.estimator.FinalExporter("final", serving_input_receiver_fn),
        tf.estimator.LatestExporter("latest", serving_input_receiver_fn, exports_to_keep=2),
    ],
    throttle_secs=0,
)
metrics, exports = tf.estimator.train_and_evaluate(tae, train_spec, eval_spec)
show("train_and_evaluate", metrics)
print("export results", [len(e) > 0 if e is not None else None for e in exports])
export_base = os.path.join(work, "tae", "export")
print("exporters", sorted(os.listdir(export_base)))
print("final exports", len(os.listdir(os.path.join(export_base, "final"))))
print("latest exports", len(os.listdir(os.path.join(export_base, "latest"))))

# 4. numpy_input_fn: 2 epochs in batches of 3 (the last one partial), features as a dict.
numpy_est = tf.estimator.Estimator(
    model_fn, model_dir=os.path.join(work, "numpy"), config=config, params=params
)
numpy_est.train(
    tf.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=3, num_epochs=2, shuffle=False)
)
show_vars("numpy", numpy_est)
show(
    "numpy eval",
    numpy_est.evaluate(
        tf.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=4, shuffle=False)
    ),
)
predict_fn = tf.estimator.inputs.numpy_input_fn({"x": X[:3]}, batch_size=2, shuffle=False)
for p in numpy_est.predict(predict_fn, predict_keys=["prob"]):
    print("numpy predict", sorted((k, ["%.4f" % v for v in np.ravel(x)]) for k, x in p.items()))
