"""``tf.compat.v1.data``: datasets and iterators built as TF graph nodes (see DESIGN.md, L5).

Example:
    >>> from stowflow import data
    >>> # ds = data.Dataset.range(3).batch(2); it = data.make_one_shot_iterator(ds)
"""

from stowflow.data.dataset_ops import (
    AUTOTUNE,
    Dataset,
    DatasetV1,
    TensorSpec,
    TextLineDataset,
    TFRecordDataset,
)
from stowflow.data.iterator_ops import (
    Iterator,
    get_output_classes,
    get_output_shapes,
    get_output_types,
    make_initializable_iterator,
    make_one_shot_iterator,
)

__all__ = [
    "AUTOTUNE",
    "Dataset",
    "DatasetV1",
    "Iterator",
    "TFRecordDataset",
    "TensorSpec",
    "TextLineDataset",
    "get_output_classes",
    "get_output_shapes",
    "get_output_types",
    "make_initializable_iterator",
    "make_one_shot_iterator",
]
