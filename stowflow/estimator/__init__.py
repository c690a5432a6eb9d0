"""``tf.estimator``: Estimator, specs, RunConfig, export, evaluation, warm starts, training loops.

``import stowflow as tf`` finds this package as ``tf.estimator`` (a subpackage shadows the
TF1 namespace module of the same name), so it carries the same names.
"""

from stowflow.estimator import export, inputs
from stowflow.estimator.canned import (
    DNNClassifier,
    DNNLinearCombinedClassifier,
    DNNLinearCombinedRegressor,
    DNNRegressor,
    LinearClassifier,
    LinearRegressor,
)
from stowflow.estimator.estimator import Estimator, EstimatorSpec, ModeKeys, RunConfig
from stowflow.estimator.training import (
    EvalSpec,
    Exporter,
    FinalExporter,
    LatestExporter,
    TrainSpec,
    train_and_evaluate,
)
from stowflow.estimator.warm_starting import WarmStartSettings

__all__ = [
    "DNNClassifier",
    "DNNLinearCombinedClassifier",
    "DNNLinearCombinedRegressor",
    "DNNRegressor",
    "LinearClassifier",
    "LinearRegressor",
    "Estimator",
    "EstimatorSpec",
    "EvalSpec",
    "Exporter",
    "FinalExporter",
    "LatestExporter",
    "ModeKeys",
    "RunConfig",
    "TrainSpec",
    "WarmStartSettings",
    "export",
    "inputs",
    "train_and_evaluate",
]
