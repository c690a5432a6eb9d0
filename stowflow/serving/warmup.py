"""Model warmup: replay ``assets.extra/tf_serving_warmup_requests`` before a version serves.

The file is a TFRecord of ``PredictionLog`` records (at most 1000, as TF Serving reads). Each
record's request runs against the new version; any failure fails the load.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator

from stowflow.bundle.crc import crc32c, mask
from stowflow.proto.serving import prediction_log_pb2
from stowflow.serving import inference, status
from stowflow.serving.servable import Servable

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
MAX_RECORDS = 1000


def read_tfrecords(path: str) -> Iterator[bytes]:
    """The records of a TFRecord file, checking both CRCs.

    Raises:
        stowflow.errors.DataLossError: a truncated record or a CRC mismatch.
    """
    from stowflow import errors

    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        if pos + 12 > len(data):
            raise errors.DataLossError(None, None, f"truncated record at {pos} in {path}")
        (length,) = struct.unpack_from("<Q", data, pos)
        (length_crc,) = struct.unpack_from("<I", data, pos + 8)
        if mask(crc32c(data[pos : pos + 8])) != length_crc:
            raise errors.DataLossError(None, None, f"corrupted record at {pos} in {path}")
        start, end = pos + 12, pos + 12 + length
        if end + 4 > len(data):
            raise errors.DataLossError(None, None, f"truncated record at {pos} in {path}")
        (data_crc,) = struct.unpack_from("<I", data, end)
        if mask(crc32c(data[start:end])) != data_crc:
            raise errors.DataLossError(None, None, f"corrupted record at {pos} in {path}")
        yield data[start:end]
        pos = end + 4


def write_tfrecords(path: str, records: list[bytes]) -> None:
    """Writes ``records`` as a TFRecord file (for tests and tools)."""
    with open(path, "wb") as f:
        for record in records:
            header = struct.pack("<Q", len(record))
            f.write(header + struct.pack("<I", mask(crc32c(header))))
            f.write(record + struct.pack("<I", mask(crc32c(record))))


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
