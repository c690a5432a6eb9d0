"""Prometheus metrics with TF Serving's names (``util/prometheus_exporter.cc`` turns TF's
``/tensorflow/serving/request_count`` into ``:tensorflow:serving:request_count``).

Counts and latency histograms per model, API and entry point; load and config-reload events
(those two are stowflow's own, under ``:stowflow:serving:``). Rendered in Prometheus' text
format at ``MonitoringConfig.prometheus_config.path`` on the REST port.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from stowflow._extras import require

DEFAULT_PATH = "/monitoring/prometheus/metrics"
# Latency buckets in microseconds, like TF Serving's request_latency histogram (powers of 1.8
# from 10 us); here a fixed, shorter ladder.
BUCKETS_US = [10 * 1.8**i for i in range(33)]


class Metrics:
    """Thread-safe counters and histograms, exported through prometheus_client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str], int] = defaultdict(int)
        self._latency: dict[tuple[str, str, str], list[float]] = {}
        self._latency_sum: dict[tuple[str, str, str], float] = defaultdict(float)
        self._loads: dict[tuple[str, str], int] = defaultdict(int)
        self._reloads: dict[str, int] = defaultdict(int)

    def request(self, model: str, api: str, entrypoint: str, status: str, seconds: float) -> None:
        """Records one request (``status`` is the canonical code name, e.g. ``OK``)."""
        micros = seconds * 1e6
        key = (model, api, entrypoint)
        with self._lock:
            self._requests[(model, status)] += 1
            counts = self._latency.setdefault(key, [0.0] * (len(BUCKETS_US) + 1))
            counts[bisect.bisect_left(BUCKETS_US, micros)] += 1
            self._latency_sum[key] += micros

    def load(self, model: str, ok: bool) -> None:
        """Records one version load attempt."""
        with self._lock:
            self._loads[(model, "OK" if ok else "ERROR")] += 1

    def config_reload(self, ok: bool) -> None:
        """Records one model config reload."""
        with self._lock:
            self._reloads["OK" if ok else "ERROR"] += 1

    def collect(self) -> Iterator[Any]:
        """prometheus_client collector protocol."""
        core = require("prometheus_client.core", "serve")
        with self._lock:
            requests = dict(self._requests)
            latency = {k: list(v) for k, v in self._latency.items()}
            sums = dict(self._latency_sum)
            loads, reloads = dict(self._loads), dict(self._reloads)
        count = core.Metric(":tensorflow:serving:request_count", "Number of requests.", "counter")
        for (model, status), n in sorted(requests.items()):
            count.add_sample(
                ":tensorflow:serving:request_count", {"model_name": model, "status": status}, n
            )
        yield count
        hist = core.HistogramMetricFamily(
            ":tensorflow:serving:request_latency",
            "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
            labels=["model_name", "API", "entrypoint"],
        )
        for key, counts in sorted(latency.items()):
            cumulative, buckets = 0.0, []
            for bound, hits in zip([*BUCKETS_US, float("inf")], counts):
                cumulative += hits
                buckets.append(("+Inf" if bound == float("inf") else f"{bound:g}", cumulative))
            hist.add_metric(list(key), buckets, sums[key])
        yield hist
        load = core.Metric(":stowflow:serving:load_count", "Version load attempts.", "counter")
        for (model, status), n in sorted(loads.items()):
            load.add_sample(
                ":stowflow:serving:load_count", {"model_name": model, "status": status}, n
            )
        yield load
        reload = core.Metric(
            ":stowflow:serving:config_reload_count", "Model config reloads.", "counter"
        )
        for status, n in sorted(reloads.items()):
            reload.add_sample(":stowflow:serving:config_reload_count", {"status": status}, n)
        yield reload

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        client = require("prometheus_client", "serve")
        registry = client.CollectorRegistry(auto_describe=False)
        registry.register(self)
        return bytes(client.generate_latest(registry))


def read_monitoring_config(path: str) -> str | None:
    """The Prometheus path a ``--monitoring_config_file`` enables (None if disabled)."""
    from stowflow.proto.serving import monitoring_config_pb2
    from stowflow.serving.config import read_text_proto

    config = read_text_proto(path, monitoring_config_pb2.MonitoringConfig(), "monitoring config")
    prom = config.prometheus_config
    if not prom.enable:
        return None
    return prom.path or DEFAULT_PATH
