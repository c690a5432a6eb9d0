"""The pipeline both sides build for test_dataset_meta_interop.py (no TF import here)."""

from __future__ import annotations

from typing import Any


def build(tf: Any, np: Any) -> tuple[Any, Any, Any]:
    """(one-shot get_next, initializable get_next, its initializer)."""
    features = np.arange(12, dtype=np.float32).reshape(6, 2)
    labels = np.arange(6, dtype=np.int64)
    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    ds = ds.map(lambda x, y: (x * 2.0 + 1.0, y % 4)).filter(lambda x, y: y < 3).batch(2)
    one_shot = tf.data.make_one_shot_iterator(ds.repeat(2)).get_next(name="one_shot_next")
    it = tf.data.make_initializable_iterator(tf.data.Dataset.range(3).map(lambda i: i * i))
    return one_shot, it.get_next(name="init_next"), it.initializer


FETCHES = ["one_shot_next:0", "one_shot_next:1"]
INIT_FETCH = "init_next:0"
INIT_OP = "MakeIterator"
