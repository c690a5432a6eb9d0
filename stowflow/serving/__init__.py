"""``stowflow serve``: a drop-in for TensorFlow Serving's ``tensorflow_model_server``.

Layers (each module one concern):

- :mod:`~stowflow.serving.storage`: where version directories live (local disk; pluggable).
- :mod:`~stowflow.serving.config`: ModelServerConfig / BatchingParameters text protos.
- :mod:`~stowflow.serving.manager`: models, versions, policies, labels, polling, load/unload.
- :mod:`~stowflow.serving.servable`: one loaded version (run lock, in-flight counting).
- :mod:`~stowflow.serving.inference`: Predict/Classify/Regress/MultiInference/metadata.
- :mod:`~stowflow.serving.warmup`: ``assets.extra/tf_serving_warmup_requests`` replay.
- :mod:`~stowflow.serving.batching`: server-side dynamic batching.
- :mod:`~stowflow.serving.rest` (+ :mod:`~stowflow.serving.rest_json`,
  :mod:`~stowflow.serving.kserve_v2`) and :mod:`~stowflow.serving.grpc_service`
  (+ :mod:`~stowflow.serving.health`): the two front ends; :mod:`~stowflow.serving.status`
  maps errors to codes, :mod:`~stowflow.serving.auth` checks bearer tokens,
  :mod:`~stowflow.serving.metrics` exports Prometheus metrics.
- :mod:`~stowflow.serving.server` / :mod:`~stowflow.serving.flags`: the ``stowflow serve``
  command (tensorflow_model_server's flags).
- :mod:`~stowflow.serving.apis`: ``tensorflow_serving.apis`` for clients, without TensorFlow.

Nothing here imports grpc, starlette or uvicorn at package import time.
"""
