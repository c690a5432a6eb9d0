# Seed 000 (and 002), "创建和载入SavedModel": the SavedModelBuilder and loader sketches,
# with the `...` placeholders filled by a minimal model so that the program runs.
import os

import tensorflow as tf
from tensorflow.python.saved_model import tag_constants

export_dir = os.path.join(os.path.dirname(os.path.realpath(__file__)), "saved_model_dir")


def build_graph():
    x = tf.placeholder(tf.float32, [None, 1], name="x")
    w = tf.Variable([[2.0]], name="w")
    y = tf.matmul(x, w, name="y")
    return x, y


builder = tf.saved_model.builder.SavedModelBuilder(export_dir)
with tf.Session(graph=tf.Graph()) as sess:
    x, y = build_graph()
    sess.run(tf.global_variables_initializer())
    foo_signatures = {
        "serving_default": tf.saved_model.signature_def_utils.predict_signature_def(
            {"x": x}, {"y": y})
    }
    builder.add_meta_graph_and_variables(sess,
                                         [tag_constants.TRAINING],
                                         signature_def_map=foo_signatures,
                                         assets_collection=None)
# 添加第二个MetaGraphDef用于推测.
with tf.Session(graph=tf.Graph()) as sess:
    build_graph()
    builder.add_meta_graph([tag_constants.SERVING])
builder.save()

with tf.Session(graph=tf.Graph()) as sess:
    tf.saved_model.loader.load(sess, [tag_constants.TRAINING], export_dir)
    print(sess.run("y:0", {"x:0": [[1.0], [3.0]]}))

with tf.Session(graph=tf.Graph()) as sess:
    meta = tf.saved_model.loader.load(sess, [tag_constants.SERVING], export_dir)
    print(sorted(meta.signature_def), sess.run("w:0"))
