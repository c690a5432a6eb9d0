"""``tf.estimator`` pieces stowflow provides: serving input receivers and export outputs."""

from stowflow.estimator import export

__all__ = ["export"]
