"""Status codes shared by the REST and gRPC front ends (TF Serving's table).

Serving code raises :class:`stowflow.errors.OpError` subclasses (TF's canonical codes); the
front ends turn them into gRPC status codes and HTTP status codes with :data:`HTTP_STATUS`,
as ``model_servers/http_server.cc`` (``ToHTTPStatusCode``) does.
"""

from __future__ import annotations

from stowflow import errors

HTTP_STATUS: dict[int, int] = {
    errors.OK: 200,
    errors.CANCELLED: 499,
    errors.UNKNOWN: 500,
    errors.INVALID_ARGUMENT: 400,
    errors.DEADLINE_EXCEEDED: 504,
    errors.NOT_FOUND: 404,
    errors.ALREADY_EXISTS: 409,
    errors.PERMISSION_DENIED: 403,
    errors.RESOURCE_EXHAUSTED: 429,
    errors.FAILED_PRECONDITION: 400,
    errors.ABORTED: 409,
    errors.OUT_OF_RANGE: 400,
    errors.UNIMPLEMENTED: 501,
    errors.INTERNAL: 500,
    errors.UNAVAILABLE: 503,
    errors.DATA_LOSS: 500,
    errors.UNAUTHENTICATED: 401,
}
"""Canonical status code -> HTTP status (anything else is 500)."""


def invalid(message: str) -> errors.OpError:
    """An INVALID_ARGUMENT error with ``message``."""
    return errors.InvalidArgumentError(None, None, message)


def not_found(message: str) -> errors.OpError:
    """A NOT_FOUND error with ``message``."""
    return errors.NotFoundError(None, None, message)


def failed_precondition(message: str) -> errors.OpError:
    """A FAILED_PRECONDITION error with ``message``."""
    return errors.FailedPreconditionError(None, None, message)


def unavailable(message: str) -> errors.OpError:
    """An UNAVAILABLE error with ``message``."""
    return errors.UnavailableError(None, None, message)


def as_op_error(error: BaseException) -> errors.OpError:
    """``error`` as an OpError: OpErrors pass through; TypeError/ValueError are bad input."""
    if isinstance(error, errors.OpError):
        return error
    if isinstance(error, (TypeError, ValueError)):
        return invalid(str(error))
    return errors.InternalError(None, None, f"{type(error).__name__}: {error}")


def http_status(error: errors.OpError) -> int:
    """The HTTP status TF Serving answers for ``error``."""
    return HTTP_STATUS.get(error.error_code, 500)
