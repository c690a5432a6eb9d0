"""Canned estimators (TF1 ``tf.compat.v1.estimator``): DNN, Linear and DNN+Linear models.

Each is an :class:`~stowflow.estimator.estimator.Estimator` whose ``model_fn`` builds TF's
graph and variable names (``dnn/hiddenlayer_0/kernel``, ``linear/linear_model/<col>/weights``,
the optimizer slots as TF names them in checkpoints), so checkpoints move both ways between
TensorFlow's canned estimators and these.
"""

from stowflow.estimator.canned.dnn import DNNClassifier, DNNRegressor
from stowflow.estimator.canned.dnn_linear_combined import (
    DNNLinearCombinedClassifier,
    DNNLinearCombinedRegressor,
)
from stowflow.estimator.canned.linear import LinearClassifier, LinearRegressor

__all__ = [
    "DNNClassifier",
    "DNNLinearCombinedClassifier",
    "DNNLinearCombinedRegressor",
    "DNNRegressor",
    "LinearClassifier",
    "LinearRegressor",
]
