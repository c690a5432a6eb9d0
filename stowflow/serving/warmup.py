"""Model warmup: replay ``assets.extra/tf_serving_warmup_requests`` before a version serves.

The file is a TFRecord of ``PredictionLog`` records (at most 1000, as TF Serving reads). Each
record's request runs against the new version; any failure fails the load.
"""

from __future__ import annotations

import os

from stowflow import tfrecord
from stowflow.proto.serving import prediction_log_pb2
from stowflow.serving import inference, status
from stowflow.serving.servable import Servable

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
MAX_RECORDS = 1000


read_tfrecords = tfrecord.read_records  # CRC-checked reader: DataLossError naming file+offset
write_tfrecords = tfrecord.write_records


_RUNNERS = {
    "predict_log": inference.predict_proto,
    "classify_log": inference.classify_proto,
    "regress_log": inference.regress_proto,
    "multi_inference_log": inference.multi_inference_proto,
}


def run_warmup(servable: Servable, export_dir: str, iterations: int = 1) -> int:
    """Replays the warmup file if ``export_dir`` has one; returns the number of records.

    Raises:
        stowflow.errors.OpError: a record that does not parse or whose request fails.
    """
    path = os.path.join(export_dir, WARMUP_FILE)
    if not os.path.isfile(path):
        return 0
    count = 0
    for record in read_tfrecords(path):
        count += 1
        if count > MAX_RECORDS:
            raise status.invalid(
                f"Number of warmup records exceeds the maximum ({MAX_RECORDS}) at {path}"
            )
        log = prediction_log_pb2.PredictionLog()
        log.ParseFromString(record)
        kind = log.WhichOneof("log_type")
        runner = _RUNNERS.get(kind or "")
        if runner is None:
            raise status.invalid(f"Unsupported log_type for warmup: {kind}")
        request = getattr(log, kind).request  # type: ignore[arg-type]
        for _ in range(max(1, iterations)):
            runner(servable, request)
    return count
