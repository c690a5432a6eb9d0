"""``tf.metrics`` (TF1 ``tf.compat.v1.metrics``): streaming metrics as local variables and update ops."""

from stowflow.metrics.counts import (
    false_negatives,
    false_positives,
    precision,
    recall,
    true_negatives,
    true_positives,
)
from stowflow.metrics.metrics_impl import (
    accuracy,
    mean,
    mean_absolute_error,
    mean_per_class_accuracy,
    mean_squared_error,
    root_mean_squared_error,
)
from stowflow.metrics.thresholds import auc, precision_at_thresholds, recall_at_thresholds

__all__ = [
    "accuracy",
    "auc",
    "precision_at_thresholds",
    "recall_at_thresholds",
    "false_negatives",
    "false_positives",
    "mean",
    "mean_absolute_error",
    "mean_per_class_accuracy",
    "mean_squared_error",
    "precision",
    "recall",
    "root_mean_squared_error",
    "true_negatives",
    "true_positives",
]
