"""stowflow product tour: write a TensorFlow checkpoint, read it back, inspect it.

Run with ``scripts/demo`` (README's first command). Everything here runs without
TensorFlow; the files it writes load in TensorFlow unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import ml_dtypes
import numpy as np

from stowflow import checkpoint


def main() -> int:
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "demo-output")
    shutil.rmtree(out, ignore_errors=True)
    ckpt_dir = os.path.join(out, "ckpt")
    rng = np.random.default_rng(0)
    tensors = {
        "dense/kernel": rng.standard_normal((4, 3)).astype(np.float32),
        "dense/bias": np.zeros(3, np.float32),
        "embedding": rng.standard_normal((10, 2)).astype(ml_dtypes.bfloat16),
        "vocab": np.array([b"hello", "wörld".encode(), b""], dtype=object),
        "global_step": np.int64(1000),
    }
    print("== 1. save a checkpoint (2 data shards, 'embedding' partitioned in 2)")
    t0 = time.perf_counter()
    prefix = checkpoint.save(
        os.path.join(ckpt_dir, "model.ckpt-1000"), tensors, shards=2, partitions={"embedding": 2}
    )
    print(f"wrote {prefix} in {1000 * (time.perf_counter() - t0):.1f} ms:")
    for name in sorted(os.listdir(ckpt_dir)):
        print(f"  {name:36s} {os.path.getsize(os.path.join(ckpt_dir, name)):6d} bytes")

    print("\n== 2. read it back from the directory (latest checkpoint)")
    print("latest_checkpoint:", checkpoint.latest_checkpoint(ckpt_dir))
    loaded = checkpoint.load(ckpt_dir)
    for name, value in sorted(loaded.items()):
        same = np.array_equal(np.asarray(value), np.asarray(tensors[name]))
        print(f"  {name:14s} {str(value.dtype):9s} {list(value.shape)!s:8s} round-trip ok: {same}")
        if not same:
            return 1
    print("list_variables:", checkpoint.list_variables(ckpt_dir))

    print("\n== 3. inspect it, as TF's inspect_checkpoint would")
    cmd = [
        sys.executable,
        "-m",
        "stowflow",
        "inspect",
        f"--file_name={prefix}",
        "--tensor_name=dense/kernel",
    ]
    print("$ stowflow inspect --file_name=... --tensor_name=dense/kernel")
    subprocess.run(cmd, check=True)
    print("\n== 4. a damaged file is refused, naming file and tensor")
    data = os.path.join(ckpt_dir, "model.ckpt-1000.data-00000-of-00002")
    with open(data, "r+b") as f:
        f.seek(5)
        byte = f.read(1)
        f.seek(5)
        f.write(bytes([byte[0] ^ 0xFF]))
    result = subprocess.run(cmd[:5] + ["--all_tensors"], capture_output=True, text=True)
    print(f"exit code {result.returncode}; stderr: {result.stderr.strip()}")
    if result.returncode == 0:
        return 1
    return tf1_model_tour(out)


def tf1_model_tour(out: str) -> int:
    """TF1 graph code -> checkpoint -> SavedModel -> saved_model_cli-style show and run."""
    import stowflow as tf

    print("\n== 5. TF1 graph code: train a tiny linear model, save it with tf.train.Saver")
    ckpt_prefix = os.path.join(out, "tf1", "model.ckpt")
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((64, 1)).astype(np.float32)
    ys = 3.0 * xs + 0.5
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 1], name="x")
        w = tf.get_variable("w", [1, 1], initializer=tf.zeros_initializer)
        b = tf.get_variable("b", [1], initializer=tf.zeros_initializer)
        y = tf.add(tf.matmul(x, w), b, name="y")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(200):  # closed-form gradient steps on the squared error
                pred = sess.run(y, {x: xs})
                grad_w = float(np.mean(2 * (pred - ys) * xs))
                grad_b = float(np.mean(2 * (pred - ys)))
                sess.run([tf.assign_sub(w, [[0.1 * grad_w]]), tf.assign_sub(b, [0.1 * grad_b])])
            print("learned w, b:", sess.run(w).ravel(), sess.run(b))
            print("saved:", saver.save(sess, ckpt_prefix, global_step=200))

    print("\n== 6. restore the checkpoint into a fresh graph and export a SavedModel")
    export_dir = os.path.join(out, "saved_model")
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        saver = tf.train.import_meta_graph(ckpt_prefix + "-200.meta")
        saver.restore(sess, tf.train.latest_checkpoint(os.path.dirname(ckpt_prefix)))
        x = graph.get_tensor_by_name("x:0")
        y = graph.get_tensor_by_name("y:0")
        tf.saved_model.simple_save(sess, export_dir, inputs={"x": x}, outputs={"y": y})
    print("SavedModel files:", sorted(os.listdir(export_dir)))

    print("\n== 7. $ stowflow show --dir saved_model --all")
    cli = [sys.executable, "-m", "stowflow"]
    subprocess.run(cli + ["show", "--dir", export_dir, "--all"], check=True)
    print("\n== 8. $ stowflow run ... --input_exprs 'x=[[1.0],[2.0]]'")
    subprocess.run(
        cli
        + [
            "run",
            "--dir",
            export_dir,
            "--tag_set",
            "serve",
            "--signature_def",
            "serving_default",
            "--input_exprs",
            "x=[[1.0],[2.0]]",
        ],
        check=True,
    )
    print("\n== 9. unsafe --input_exprs are refused, nothing is executed")
    bad = subprocess.run(
        cli
        + [
            "run",
            "--dir",
            export_dir,
            "--tag_set",
            "serve",
            "--signature_def",
            "serving_default",
            "--input_exprs",
            "x=__import__('os').system('echo pwned')",
        ],
        capture_output=True,
        text=True,
    )
    print(f"exit code {bad.returncode}; stderr: {bad.stderr.strip()}")
    if bad.returncode == 0 or "pwned" in bad.stdout:
        return 1
    return keras_application_tour()


KERAS_APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_app")


def keras_application_tour() -> int:
    """Runs a Keras application (MobileNetV2) SavedModel that TensorFlow exported."""
    from stowflow import saved_model

    print("\n== 10. a Keras MobileNetV2 SavedModel exported by TensorFlow, run by stowflow")
    expected = np.load(os.path.join(KERAS_APP, "expected.npz"))
    start = time.perf_counter()
    model = saved_model.load(os.path.join(KERAS_APP, "mobilenet_v2"))
    loaded = time.perf_counter() - start
    serve = model.signatures["serving_default"]
    (input_key,) = serve.inputs
    logits = serve(**{input_key: expected["x"]})["output_0"]
    one = expected["x"][:1]
    serve(**{input_key: one})
    times = []
    for _ in range(10):
        start = time.perf_counter()
        serve(**{input_key: one})
        times.append(time.perf_counter() - start)
    ours = sorted(times)[len(times) // 2]
    theirs = float(expected["tf_batch1_seconds"])
    diff = float(np.abs(logits - expected["logits"]).max())
    print(f"signature inputs {serve.inputs}, outputs {serve.outputs}")
    print(
        f"loaded in {1000 * loaded:.0f} ms; logits differ from TensorFlow's by at most {diff:.1e}"
    )
    print(
        f"batch-1 latency: stowflow {1000 * ours:.1f} ms, TensorFlow {1000 * theirs:.1f} ms "
        "(TF's figure was measured when the model was made; bench/models.py compares both "
        "in one run)"
    )
    if diff >= 1e-3:
        return 1
    return estimator_serving_tour()


def estimator_serving_tour() -> int:
    """tf.estimator trains and exports a classifier; ``stowflow serve`` answers for it."""
    import runpy
    import tempfile

    import stowflow as tf

    print("\n== 11. tf.estimator: train a custom model_fn (checkpoints in model_dir), export it")
    work = tempfile.mkdtemp(prefix="stowflow-demo-estimator-")
    rng = np.random.default_rng(2)
    xs = rng.standard_normal((64, 2)).astype(np.float32)
    labels = (xs[:, :1] + xs[:, 1:] > 0).astype(np.float32)

    def model_fn(features, labels, mode):  # type: ignore[no-untyped-def]
        w = tf.get_variable("w", [2, 1], initializer=tf.zeros_initializer())
        b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
        prob = tf.sigmoid(tf.matmul(features["x"], w) + b)
        if mode == tf.estimator.ModeKeys.PREDICT:
            scores = tf.concat([1.0 - prob, prob], axis=1)
            return tf.estimator.EstimatorSpec(
                mode,
                predictions={"prob": prob},
                export_outputs={
                    "serving_default": tf.estimator.export.ClassificationOutput(scores=scores),
                    "predict": tf.estimator.export.PredictOutput({"prob": prob}),
                },
            )
        loss = tf.reduce_mean(tf.square(prob - labels))
        step = tf.train.get_global_step()
        train_op = tf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    estimator = tf.estimator.Estimator(
        model_fn,
        model_dir=os.path.join(work, "model"),
        config=tf.estimator.RunConfig(save_checkpoints_steps=50, log_step_count_steps=50),
    )
    estimator.train(lambda: ({"x": tf.constant(xs)}, tf.constant(labels)), steps=100)
    print("model_dir:", sorted(os.listdir(estimator.model_dir))[:4], "...")
    receiver_fn = tf.estimator.export.build_parsing_serving_input_receiver_fn(
        {"x": tf.FixedLenFeature([2], tf.float32)}
    )
    export_dir = estimator.export_savedmodel(os.path.join(work, "export"), receiver_fn).decode()
    print("exported:", export_dir)

    print("\n== 12. stowflow serve it; Classify and Predict over gRPC and REST")
    here = os.path.dirname(os.path.abspath(__file__))
    serving_tour = runpy.run_path(os.path.join(here, "serving_tour.py"))["serving_tour"]
    code = int(serving_tour(export_dir))
    shutil.rmtree(work, ignore_errors=True)
    return code or iris_tour()


IRIS_FEATURES = ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth"]


def iris_tour() -> int:
    """A premade DNNClassifier trains on Iris, evaluates, exports; ``stowflow run`` scores it."""
    import tempfile

    import stowflow as tf

    print("\n== 13. premade DNNClassifier on Iris: train (model_dir checkpoints), evaluate, export")
    here = os.path.dirname(os.path.abspath(__file__))
    table = np.loadtxt(os.path.join(here, "data", "iris.csv"), delimiter=",", skiprows=1)
    test_rows = np.arange(len(table)) % 5 == 0  # 120 rows to train on, 30 held out
    train, test = table[~test_rows], table[test_rows]
    work = tempfile.mkdtemp(prefix="stowflow-demo-iris-")
    columns = [tf.feature_column.numeric_column(name) for name in IRIS_FEATURES]

    def input_fn(rows: np.ndarray, epochs: int | None, shuffle: bool):  # type: ignore[no-untyped-def]
        features = {name: rows[:, i].astype(np.float32) for i, name in enumerate(IRIS_FEATURES)}
        labels = rows[:, 4].astype(np.int32)

        def make_dataset():  # type: ignore[no-untyped-def] # called in the Estimator's graph
            dataset = tf.data.Dataset.from_tensor_slices((features, labels))
            if shuffle:
                dataset = dataset.shuffle(len(rows), seed=0)
            return dataset.repeat(epochs).batch(32)

        return make_dataset

    classifier = tf.estimator.DNNClassifier(
        hidden_units=[10, 10],
        feature_columns=columns,
        n_classes=3,
        model_dir=os.path.join(work, "model"),
        config=tf.estimator.RunConfig(tf_random_seed=0, save_checkpoints_steps=200),
    )
    classifier.train(input_fn(train, None, True), steps=400)
    print("model_dir:", sorted(os.listdir(classifier.model_dir))[:5], "...")
    metrics = classifier.evaluate(input_fn(test, 1, False))
    print(
        f"held-out accuracy {metrics['accuracy']:.3f}, loss {metrics['loss']:.3f}, "
        f"global_step {metrics['global_step']}"
    )
    receiver_fn = tf.estimator.export.build_parsing_serving_input_receiver_fn(
        tf.feature_column.make_parse_example_spec(columns)
    )
    export_dir = classifier.export_saved_model(os.path.join(work, "export"), receiver_fn).decode()
    print("exported:", export_dir)

    print("\n== 14. stowflow run --input_examples: score two flowers from the export")
    flowers = [dict(zip(IRIS_FEATURES, [[float(v)] for v in row[:4]])) for row in test[[0, -1]]]
    cmd = [
        sys.executable,
        "-m",
        "stowflow",
        "run",
        "--dir",
        export_dir,
        "--tag_set",
        "serve",
        "--signature_def",
        "serving_default",
        "--input_examples",
        f"inputs={json.dumps(flowers)}",
    ]
    print(
        "$ stowflow run --dir EXPORT --tag_set serve --signature_def serving_default "
        f"--input_examples 'inputs={json.dumps(flowers)}'"
    )
    result = subprocess.run(cmd, capture_output=True, text=True)
    print(result.stdout.strip() or result.stderr.strip())
    print("true classes:", [int(c) for c in test[[0, -1], 4]])
    shutil.rmtree(work, ignore_errors=True)
    return result.returncode or int(metrics["accuracy"] < 0.8)


if __name__ == "__main__":
    sys.exit(main())
