"""tensorflow_model_server's command-line flags, with TF Serving's names and defaults.

Accepts ``--flag=value`` and ``--flag value`` (``--bool_flag`` alone means true). Flags that
have no meaning here are accepted and named in a one-line notice; unknown flags fail the way
TF Serving's flag parser does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

_CPUS = os.cpu_count() or 1


@dataclass(frozen=True)
class Flag:
    """One flag: its type, default and help text."""

    kind: type
    default: Any
    help: str
    used: bool = True


FLAGS: dict[str, Flag] = {
    "port": Flag(int, 8500, "gRPC port (0 disables gRPC)"),
    "rest_api_port": Flag(int, 0, "REST port (0 disables REST); must differ from --port"),
    "rest_api_host": Flag(str, "0.0.0.0", "address the REST server binds (stowflow)"),
    "grpc_host": Flag(str, "0.0.0.0", "address the gRPC server binds (stowflow)"),
    "rest_api_num_threads": Flag(int, 4 * _CPUS, "threads running REST requests"),
    "rest_api_timeout_in_ms": Flag(int, 30000, "timeout of REST requests"),
    "rest_api_enable_cors_support": Flag(bool, False, "answer CORS preflights, add CORS headers"),
    "rest_api_max_request_bytes": Flag(
        int, 64 * 1024 * 1024, "largest accepted REST request body (stowflow)"
    ),
    "model_name": Flag(str, "default", "model name (without --model_config_file)"),
    "model_base_path": Flag(str, "", "base path holding numbered version directories"),
    "model_config_file": Flag(str, "", "ModelServerConfig text proto"),
    "model_config_file_poll_wait_seconds": Flag(
        int, 0, "seconds between re-reads of --model_config_file (0: read once)"
    ),
    "file_system_poll_wait_seconds": Flag(
        int, 1, "seconds between version directory polls (0: once; negative: never)"
    ),
    "enable_batching": Flag(bool, False, "batch concurrent requests"),
    "batching_parameters_file": Flag(str, "", "BatchingParameters text proto"),
    "allow_version_labels_for_unavailable_models": Flag(
        bool, False, "allow new labels on versions not loaded yet"
    ),
    "enable_model_warmup": Flag(bool, True, "replay assets.extra/tf_serving_warmup_requests"),
    "num_request_iterations_for_warmup": Flag(int, 0, "replays of each warmup record"),
    "grpc_max_threads": Flag(int, 4 * _CPUS, "threads running gRPC requests"),
    "saved_model_tags": Flag(str, "", "comma-separated tag-set to load (default: serve)"),
    "enable_grpc_healthcheck_service": Flag(bool, False, "kept for compatibility; always on"),
    "max_num_load_retries": Flag(int, 5, "accepted; failed loads retry when files change"),
    "load_retry_interval_micros": Flag(int, 60_000_000, "accepted; see max_num_load_retries"),
    "ssl_config_file": Flag(str, "", "SSLConfig text proto: TLS on the gRPC port"),
    "rest_api_ssl_cert_file": Flag(str, "", "PEM certificate: HTTPS on the REST port (stowflow)"),
    "rest_api_ssl_key_file": Flag(str, "", "PEM private key for --rest_api_ssl_cert_file"),
    "auth_token_file": Flag(
        str, "", "file with a bearer token required on REST and gRPC (stowflow)"
    ),
    "monitoring_config_file": Flag(str, "", "MonitoringConfig text proto (Prometheus on REST)"),
    "version": Flag(bool, False, "print the version and exit"),
    "ray": Flag(bool, False, "serve on Ray Serve replicas (stowflow[ray]; stowflow)"),
    "ray_address": Flag(str, "", "Ray cluster to join with --ray (default: a local Ray)"),
    "ray_num_replicas": Flag(int, 1, "Ray Serve replicas with --ray"),
    "ray_autoscaling_config": Flag(
        str, "", "Ray Serve autoscaling_config as JSON with --ray (instead of replicas)"
    ),
}

_UNUSED = [
    ("grpc_socket_path", str, ""),
    ("grpc_channel_arguments", str, ""),
    ("enable_per_model_batching_parameters", bool, False),
    ("num_load_threads", int, 0),
    ("num_unload_threads", int, 0),
    ("flush_filesystem_caches", bool, True),
    ("tensorflow_session_parallelism", int, 0),
    ("tensorflow_intra_op_parallelism", int, 0),
    ("tensorflow_inter_op_parallelism", int, 0),
    ("tensorflow_session_config_file", str, ""),
    ("platform_config_file", str, ""),
    ("per_process_gpu_memory_fraction", float, 0.0),
    ("use_alts_credentials", bool, False),
    ("enable_signature_method_name_check", bool, False),
    ("prefer_tflite_model", bool, False),
    ("num_tflite_pools", int, 1),
    ("num_tflite_interpreters_per_pool", int, 1),
    ("xla_cpu_compilation_enabled", bool, False),
    ("xla_gpu_compilation_enabled", bool, False),
    ("enable_profiler", bool, True),
    ("thread_pool_factory_config_file", str, ""),
    ("mixed_precision", str, ""),
    ("skip_initialize_tpu", bool, False),
    ("remove_unused_fields_from_bundle_metagraph", bool, True),
    ("enable_serialization_as_tensor_content", bool, False),
]
for _name, _kind, _default in _UNUSED:
    FLAGS[_name] = Flag(_kind, _default, "accepted for compatibility; no effect here", used=False)


class FlagError(ValueError):
    """A command line TF Serving would reject."""


_TRUE = {"true", "1", "t", "yes", "y"}
_FALSE = {"false", "0", "f", "no", "n"}


def _convert(name: str, flag: Flag, text: str) -> Any:
    if flag.kind is bool:
        low = text.lower()
        if low in _TRUE | _FALSE:
            return low in _TRUE
        raise FlagError(f"Illegal value '{text}' specified for bool flag '{name}'")
    try:
        return flag.kind(text)
    except ValueError:
        raise FlagError(f"Illegal value '{text}' specified for flag '{name}'") from None


def parse(argv: list[str]) -> tuple[dict[str, Any], list[str]]:
    """(flag values incl. defaults, names of given flags that have no effect here).

    Raises:
        FlagError: unknown flag, missing or malformed value, or a positional argument.
    """
    values = {name: flag.default for name, flag in FLAGS.items()}
    ignored: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not arg.startswith("-") or arg in ("-", "--"):
            raise FlagError(f"Unexpected argument '{arg}'")
        body = arg.lstrip("-")
        name, eq, text = body.partition("=")
        flag = FLAGS.get(name)
        if flag is None and name.startswith("no") and not eq:
            base = FLAGS.get(name[2:])
            if base is not None and base.kind is bool:
                values[name[2:]] = False
                continue
        if flag is None:
            raise FlagError(f"Unknown command line flag '{name}'")
        if not eq:
            if flag.kind is bool and (i >= len(argv) or argv[i].lower() not in _TRUE | _FALSE):
                text = "true"
            elif i < len(argv):
                text = argv[i]
                i += 1
            else:
                raise FlagError(f"Missing the value for flag '{name}'")
        values[name] = _convert(name, flag, text)
        if not flag.used:
            ignored.append(name)
    return values, ignored


def usage() -> str:
    """The flag list, one per line."""
    lines = ["usage: stowflow serve [--flag=value ...]", "Flags:"]
    for name, flag in FLAGS.items():
        lines.append(f"\t--{name}={flag.default!s:<10}\t{flag.kind.__name__}\t{flag.help}")
    return "\n".join(lines)
