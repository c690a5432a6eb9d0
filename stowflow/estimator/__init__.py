"""``tf.estimator``: Estimator for custom model_fns, EstimatorSpec, ModeKeys, RunConfig, export.

``import stowflow as tf`` finds this package as ``tf.estimator`` (a subpackage shadows the
TF1 namespace module of the same name), so it carries the same names.
"""

from stowflow.estimator import export
from stowflow.estimator.estimator import Estimator, EstimatorSpec, ModeKeys, RunConfig

__all__ = ["Estimator", "EstimatorSpec", "ModeKeys", "RunConfig", "export"]
