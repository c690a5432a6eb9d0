# Needs TensorFlow 2.21: run with the TF venv python, e.g.
#   "$(scripts/tf_venv)" tests/golden/summary/make_summary_goldens.py
"""Golden summaries from TensorFlow: graphs of tf.summary ops, their outputs, event records.

Writes ``summary_goldens.json`` beside this file:
  graphs: case -> [[node name, op type, inputs, tag Const value or null], ...]
  values: case -> serialized Summary (base64) for scalar/histogram/text/merge
  images: case -> [[tag, height, width, colorspace, decoded pixels], ...] (PNG bytes depend
          on the encoder's settings, so pixels are compared, not bytes)
  errors: case -> [error class name, message]
  events: the records of a FileWriter's event file, wall_time removed, as text protos.
"""

import base64
import glob
import json
import re
import tempfile
from pathlib import Path

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
OUT = Path(__file__).resolve().parent / "summary_goldens.json"

INPUTS = {
    "x": np.array([1.0, -2.5, 3.0, 0.0], np.float32),
    "normal": np.random.default_rng(0).standard_normal(1000).astype(np.float32),
    "wide": np.array([1e-15, -1e-13, 5e18, -3e25, 0.5, 2.0, 2.0, 7.25], np.float64),
    "img_f": np.linspace(-1, 2, 24, dtype=np.float32).reshape(2, 3, 4, 1),
    "img_pos": np.linspace(0, 0.5, 3 * 2 * 2 * 3, dtype=np.float32).reshape(3, 2, 2, 3),
    "img_u8": np.arange(16, dtype=np.uint8).reshape(1, 2, 2, 4),
    "img_bad": np.array([[[[0.5], [np.nan]], [[np.inf], [0.25]]]], np.float32),
}


def build():
    """Builds every case in one graph (the node-name counters matter); returns name -> op."""
    ph = {k: tf.placeholder(tf.as_dtype(v.dtype), v.shape, name=k) for k, v in INPUTS.items()}
    ops = {}
    ops["scalar"] = tf.summary.scalar("loss", tf.reduce_mean(ph["x"]))
    ops["scalar_family"] = tf.summary.scalar("acc", tf.reduce_max(ph["x"]), family="train")
    ops["scalar_clean"] = tf.summary.scalar("loss rate!", tf.reduce_min(ph["x"]))
    with tf.name_scope("outer"):
        ops["scalar_scoped"] = tf.summary.scalar("inner", tf.reduce_sum(ph["x"]))
    ops["scalar_again"] = tf.summary.scalar("loss", tf.reduce_mean(ph["x"]) * 2.0)
    ops["hist"] = tf.summary.histogram("hist/x", ph["x"], family="fam")
    ops["hist_normal"] = tf.summary.histogram("normal", ph["normal"])
    ops["hist_wide"] = tf.summary.histogram("wide", ph["wide"])
    ops["hist_empty"] = tf.summary.histogram("empty", tf.zeros([0]))
    ops["text"] = tf.summary.text("note", tf.constant("hello"))
    ops["text_vec"] = tf.summary.text("notes", tf.constant(["a", "bc"]))
    ops["image"] = tf.summary.image("img", ph["img_f"], max_outputs=2)
    ops["image_pos"] = tf.summary.image("pos", ph["img_pos"])
    ops["image_one"] = tf.summary.image("one", ph["img_pos"], max_outputs=1)
    ops["image_u8"] = tf.summary.image("rgba", ph["img_u8"])
    ops["image_bad"] = tf.summary.image("bad", ph["img_bad"])
    ops["merge"] = tf.summary.merge([ops["scalar"], ops["hist"], ops["text"]])
    ops["merge_all"] = tf.summary.merge_all()
    ops["hist_nan"] = tf.summary.histogram("nan", tf.constant([1.0, np.nan]))
    ops["merge_dup"] = tf.summary.merge([ops["scalar"], ops["scalar"]], name="dup")
    return ph, ops


def core_message(message):
    """The kernel's own message, without TF's node traceback (it names this file's path)."""
    match = re.search(r"Node: '[^']*'\n(.*?)\n\t \[\[", message, re.DOTALL)
    return match.group(1) if match else message


def node_rows(graph):
    rows = []
    for n in graph.as_graph_def().node:
        tag = None
        if n.op == "Const" and n.attr["dtype"].type == tf.string.as_datatype_enum:
            t = tf.make_ndarray(n.attr["value"].tensor)
            tag = t.tolist() if t.ndim else t.item()
            tag = tag.decode() if isinstance(tag, bytes) else [
                v.decode() if isinstance(v, bytes) else v for v in tag]
        rows.append([n.name, n.op, list(n.input), tag])
    return rows


def main():
    graph = tf.Graph()
    with graph.as_default():
        ph, ops = build()
        summaries_collection = [t.name for t in tf.get_collection(tf.GraphKeys.SUMMARIES)]
    feed = {ph[k]: v for k, v in INPUTS.items()}
    values, images, errors = {}, {}, {}
    with tf.Session(graph=graph) as sess:
        for case, op in ops.items():
            try:
                out = sess.run(op, feed)
            except tf.errors.OpError as e:
                errors[case] = [type(e).__name__, core_message(e.message)]
                continue
            if case.startswith("image"):
                rows = []
                for v in tf.Summary.FromString(out).value:
                    with tf.Graph().as_default(), tf.Session() as s2:
                        px = s2.run(tf.image.decode_png(v.image.encoded_image_string, channels=0))
                    rows.append([v.tag, v.image.height, v.image.width, v.image.colorspace,
                                 px.ravel().tolist()])
                images[case] = rows
            else:
                values[case] = base64.b64encode(out).decode()
    with tempfile.TemporaryDirectory() as logdir:
        writer = tf.summary.FileWriter(logdir)
        with tf.Session(graph=graph) as sess:
            writer.add_summary(sess.run(ops["scalar"], feed), 3)
            writer.add_summary(sess.run(ops["text"], feed), 4)
            writer.add_summary(sess.run(ops["text"], feed), 5)  # metadata only the first time
            writer.add_session_log(tf.SessionLog(status=tf.SessionLog.START), 5)
            writer.add_session_log(
                tf.SessionLog(status=tf.SessionLog.CHECKPOINT, checkpoint_path="/m/model.ckpt"), 6
            )
        writer.close()
        (path,) = glob.glob(logdir + "/events.out.tfevents.*")
        events = []
        for event in tf.train.summary_iterator(path):
            event.ClearField("wall_time")
            events.append(str(event))
    OUT.write_text(json.dumps({
        "inputs": {k: {"dtype": str(v.dtype), "shape": list(v.shape),
                       "data": base64.b64encode(v.tobytes()).decode()} for k, v in INPUTS.items()},
        "graphs": node_rows(graph),
        "summaries_collection": summaries_collection,
        "values": values,
        "images": images,
        "errors": errors,
        "events": events,
    }, indent=1) + "\n")
    print(f"{len(values)} values, {len(images)} image cases, {len(errors)} errors -> {OUT}")


if __name__ == "__main__":
    main()
