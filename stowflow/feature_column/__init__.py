"""``tf.feature_column`` (TF1): feature columns, ``input_layer``, ``linear_model`` and parse specs.

Built as TensorFlow's ``feature_column_v2`` columns behave in a TF1 graph
(``tf.compat.v1.feature_column``): same column reprs and names, same variable names
(``input_layer/<column>/...``, ``linear_model/<column>/weights``), same ids.
"""

from stowflow.feature_column.base import CategoricalColumn, DenseColumn, FeatureColumn
from stowflow.feature_column.categorical import (
    categorical_column_with_hash_bucket,
    categorical_column_with_identity,
    categorical_column_with_vocabulary_file,
    categorical_column_with_vocabulary_list,
    weighted_categorical_column,
)
from stowflow.feature_column.crossed import crossed_column
from stowflow.feature_column.dense import (
    embedding_column,
    indicator_column,
    shared_embedding_columns,
)
from stowflow.feature_column.input_layer import input_layer
from stowflow.feature_column.linear_model import linear_model
from stowflow.feature_column.numeric import bucketized_column, numeric_column
from stowflow.feature_column.parse_spec import make_parse_example_spec

__all__ = [
    "CategoricalColumn",
    "DenseColumn",
    "FeatureColumn",
    "bucketized_column",
    "categorical_column_with_hash_bucket",
    "categorical_column_with_identity",
    "categorical_column_with_vocabulary_file",
    "categorical_column_with_vocabulary_list",
    "crossed_column",
    "embedding_column",
    "indicator_column",
    "input_layer",
    "linear_model",
    "make_parse_example_spec",
    "numeric_column",
    "shared_embedding_columns",
    "weighted_categorical_column",
]
