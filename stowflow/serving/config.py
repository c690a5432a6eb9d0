"""TF Serving's text-proto config files: ModelServerConfig and BatchingParameters.

``ModelServerConfig`` is our generated message (TF's field numbers). TF Serving's
``BatchingParameters`` (``servables/tensorflow/session_bundle_config.proto``) is not among our
generated protos, so :data:`BatchingParameters` is built here from a descriptor with TF's
field names and numbers; text files written for TF Serving parse unchanged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    message_factory,
    text_format,
    wrappers_pb2,  # noqa: F401  (registers wrappers.proto in the pool)
)

from stowflow.proto.serving import model_server_config_pb2
from stowflow.serving import status

ModelServerConfig = model_server_config_pb2.ModelServerConfig
ModelConfig = model_server_config_pb2.ModelConfig

_F = descriptor_pb2.FieldDescriptorProto
# (name, number, type, label, wrapper type) in TF's session_bundle_config.proto.
_BATCHING_FIELDS = [
    ("max_batch_size", 1, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Int64Value"),
    ("batch_timeout_micros", 2, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Int64Value"),
    ("max_enqueued_batches", 3, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Int64Value"),
    ("num_batch_threads", 4, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Int64Value"),
    ("thread_pool_name", 5, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.StringValue"),
    ("allowed_batch_sizes", 6, _F.TYPE_INT64, _F.LABEL_REPEATED, ""),
    ("pad_variable_length_inputs", 7, _F.TYPE_BOOL, _F.LABEL_OPTIONAL, ""),
    (
        "enable_large_batch_splitting",
        8,
        _F.TYPE_MESSAGE,
        _F.LABEL_OPTIONAL,
        ".google.protobuf.BoolValue",
    ),
    (
        "max_execution_batch_size",
        9,
        _F.TYPE_MESSAGE,
        _F.LABEL_OPTIONAL,
        ".google.protobuf.Int64Value",
    ),
]


def _batching_class() -> Any:
    pool = descriptor_pool.Default()
    name = "stowflow/serving/session_bundle_config.proto"
    try:
        pool.FindFileByName(name)
    except KeyError:
        proto = descriptor_pb2.FileDescriptorProto(
            name=name,
            package="stowflow.serving",
            syntax="proto3",
            dependency=["google/protobuf/wrappers.proto"],
        )
        message = proto.message_type.add(name="BatchingParameters")
        for fname, number, ftype, label, type_name in _BATCHING_FIELDS:
            added = message.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                added.type_name = type_name
        pool.Add(proto)
    return message_factory.GetMessageClass(
        pool.FindMessageTypeByName("stowflow.serving.BatchingParameters")
    )


BatchingParameters = _batching_class()
"""TF Serving's ``BatchingParameters`` message class (text-format compatible)."""


def _ssl_class() -> Any:
    pool = descriptor_pool.Default()
    name = "stowflow/serving/ssl_config.proto"
    try:
        pool.FindFileByName(name)
    except KeyError:
        proto = descriptor_pb2.FileDescriptorProto(
            name=name, package="stowflow.serving", syntax="proto3"
        )
        message = proto.message_type.add(name="SSLConfig")
        for fname, number, ftype in (
            ("server_key", 1, _F.TYPE_STRING),
            ("server_cert", 2, _F.TYPE_STRING),
            ("custom_ca", 3, _F.TYPE_STRING),
            ("client_verify", 4, _F.TYPE_BOOL),
        ):
            message.field.add(name=fname, number=number, type=ftype, label=_F.LABEL_OPTIONAL)
        pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("stowflow.serving.SSLConfig"))


SSLConfig = _ssl_class()
"""TF Serving's ``SSLConfig`` (``config/ssl_config.proto``): PEM texts for gRPC TLS."""


def read_ssl_config(path: str) -> Any:
    """Parses ``--ssl_config_file`` (TF Serving's text SSLConfig).

    Raises:
        stowflow.errors.InvalidArgumentError: unreadable/malformed, or no key/certificate.
    """
    ssl = read_text_proto(path, SSLConfig(), "SSL config")
    if not ssl.server_key or not ssl.server_cert:
        raise status.invalid(f"SSL config {path} needs server_key and server_cert")
    return ssl


def read_text_proto(path: str, message: Any, what: str) -> Any:
    """Parses text-format file ``path`` into ``message`` (``what`` names it in errors).

    Raises:
        stowflow.errors.InvalidArgumentError: unreadable file or a parse error.
    """
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise status.invalid(f"Could not read {what} file {path}: {e.strerror}") from e
    try:
        text_format.Parse(text, message)
    except text_format.ParseError as e:
        raise status.invalid(f"Invalid protobuf file: '{path}': {e}") from e
    return message


def read_model_server_config(path: str) -> Any:
    """Parses a text ``ModelServerConfig`` (``--model_config_file``).

    Raises:
        stowflow.errors.InvalidArgumentError: unreadable or malformed file, or a bad entry.
    """
    config = read_text_proto(path, ModelServerConfig(), "model config")
    if config.WhichOneof("config") == "custom_model_config":
        raise status.invalid("ModelServerConfig.custom_model_config is not supported")
    validate(config)
    return config


def single_model_config(name: str, base_path: str) -> Any:
    """The config ``--model_name``/``--model_base_path`` stand for."""
    config = ModelServerConfig()
    entry = config.model_config_list.config.add(name=name, base_path=base_path)
    entry.model_platform = "tensorflow"
    return config


def validate(config: Any) -> None:
    """Checks names are unique and present, platforms known, labels well formed.

    Raises:
        stowflow.errors.InvalidArgumentError: naming the problem.
    """
    seen: set[str] = set()
    for entry in config.model_config_list.config:
        if not entry.name:
            raise status.invalid("Model name must be non-empty")
        if entry.name in seen:
            raise status.invalid(
                f"Illegal to list model {entry.name} multiple times in config list"
            )
        seen.add(entry.name)
        if entry.model_platform not in ("", "tensorflow"):
            raise status.invalid(
                f"Model {entry.name} has platform {entry.model_platform}; only 'tensorflow' "
                "is supported"
            )
        for label in entry.version_labels:
            if not label or not all(c.isalnum() or c == "_" for c in label):
                raise status.invalid(
                    f"Version label '{label}' of model {entry.name} must match [a-zA-Z0-9_]+"
                )


@dataclass(frozen=True)
class BatchingOptions:
    """Resolved batching settings (TF's SharedBatchScheduler defaults for missing fields)."""

    max_batch_size: int = 1000
    batch_timeout_micros: int = 0
    max_enqueued_batches: int = 10
    num_batch_threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    allowed_batch_sizes: tuple[int, ...] = ()
    pad_variable_length_inputs: bool = False


def read_batching_parameters(path: str | None) -> BatchingOptions:
    """Parses ``--batching_parameters_file`` (None: all defaults) and checks it.

    Raises:
        stowflow.errors.InvalidArgumentError: malformed file or inconsistent values.
    """
    if not path:
        return BatchingOptions()
    params = read_text_proto(path, BatchingParameters(), "batching parameters")

    def value(name: str, default: int) -> int:
        return int(getattr(params, name).value) if params.HasField(name) else default

    defaults = BatchingOptions()
    options = BatchingOptions(
        max_batch_size=value("max_batch_size", defaults.max_batch_size),
        batch_timeout_micros=value("batch_timeout_micros", defaults.batch_timeout_micros),
        max_enqueued_batches=value("max_enqueued_batches", defaults.max_enqueued_batches),
        num_batch_threads=value("num_batch_threads", defaults.num_batch_threads),
        allowed_batch_sizes=tuple(int(v) for v in params.allowed_batch_sizes),
        pad_variable_length_inputs=bool(params.pad_variable_length_inputs),
    )
    check_batching(options)
    return options


def check_batching(options: BatchingOptions) -> None:
    """TF Serving's checks on batching options (``bundle_factory_util.cc``)."""
    for name in ("max_batch_size", "max_enqueued_batches", "num_batch_threads"):
        if getattr(options, name) < 1:
            raise status.invalid(f"{name} must be positive; was {getattr(options, name)}")
    if options.batch_timeout_micros < 0:
        raise status.invalid("batch_timeout_micros must be non-negative")
    sizes = options.allowed_batch_sizes
    if sizes:
        if any(b <= a for a, b in zip(sizes, sizes[1:])) or sizes[0] < 1:
            raise status.invalid("allowed_batch_sizes entries must be monotonically increasing")
        if sizes[-1] != options.max_batch_size:
            raise status.invalid("Last entry in allowed_batch_sizes must match max_batch_size")
