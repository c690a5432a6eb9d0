"""TensorFlow's error hierarchy: ``OpError`` and one subclass per canonical status code.

The class names, codes and ``str()`` form follow ``tf.errors`` so code written against
TensorFlow catches the same exceptions from stowflow.

Example:
    >>> from stowflow import errors
    >>> try:
    ...     raise errors.NotFoundError(None, None, "Key v1 not found in checkpoint")
    ... except errors.OpError as e:
    ...     print(e.error_code, e.message)
    5 Key v1 not found in checkpoint
"""

from __future__ import annotations

from typing import Any

# Canonical codes (tensorflow/core/protobuf/error_codes.proto, same numbers as TF).
OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """A failed TensorFlow-style operation.

    Args:
        node_def: the NodeDef (or None) of the op that failed.
        op: the Operation (or None) that failed.
        message: what went wrong, where, and how to fix it.
        error_code: canonical status code; subclasses fix it.
    """

    default_code = UNKNOWN

    def __init__(
        self,
        node_def: Any = None,
        op: Any = None,
        message: str = "",
        error_code: int | None = None,
        *args: Any,
    ) -> None:
        super().__init__(message, *args)
        self._node_def = node_def
        self._op = op
        self._message = message
        self._error_code = self.default_code if error_code is None else error_code

    @property
    def message(self) -> str:
        """The error message."""
        return self._message

    @property
    def op(self) -> Any:
        """The operation that failed, if known."""
        return self._op

    @property
    def node_def(self) -> Any:
        """The NodeDef of the failed operation, if known."""
        return self._node_def

    @property
    def error_code(self) -> int:
        """The canonical status code."""
        return self._error_code

    def __str__(self) -> str:
        return self._message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._node_def, self._op, self._message))


def _subclass(name: str, code: int, doc: str) -> type[OpError]:
    return type(name, (OpError,), {"default_code": code, "__doc__": doc})


CancelledError = _subclass("CancelledError", CANCELLED, "The operation was cancelled.")
UnknownError = _subclass("UnknownError", UNKNOWN, "An unknown error occurred.")
InvalidArgumentError = _subclass(
    "InvalidArgumentError", INVALID_ARGUMENT, "An argument was invalid (bad shape, dtype, value)."
)
DeadlineExceededError = _subclass(
    "DeadlineExceededError", DEADLINE_EXCEEDED, "A deadline expired before completion."
)
NotFoundError = _subclass(
    "NotFoundError", NOT_FOUND, "A requested entity (file, key) was not found."
)
AlreadyExistsError = _subclass(
    "AlreadyExistsError", ALREADY_EXISTS, "An entity we tried to create already exists."
)
PermissionDeniedError = _subclass(
    "PermissionDeniedError", PERMISSION_DENIED, "The caller lacks permission."
)
ResourceExhaustedError = _subclass(
    "ResourceExhaustedError", RESOURCE_EXHAUSTED, "A resource (memory, size limit) ran out."
)
FailedPreconditionError = _subclass(
    "FailedPreconditionError",
    FAILED_PRECONDITION,
    "The system is not in a state the operation needs (e.g. an uninitialized variable).",
)
AbortedError = _subclass("AbortedError", ABORTED, "The operation was aborted.")
OutOfRangeError = _subclass("OutOfRangeError", OUT_OF_RANGE, "An index or read went past the end.")
UnimplementedError = _subclass(
    "UnimplementedError", UNIMPLEMENTED, "The operation is not implemented or supported."
)
InternalError = _subclass("InternalError", INTERNAL, "An internal invariant broke.")
UnavailableError = _subclass("UnavailableError", UNAVAILABLE, "The service is unavailable.")
DataLossError = _subclass(
    "DataLossError", DATA_LOSS, "Unrecoverable data loss or corruption (bad checksum, truncation)."
)
UnauthenticatedError = _subclass(
    "UnauthenticatedError", UNAUTHENTICATED, "The request lacks valid credentials."
)

#: Canonical code -> exception class, like ``tf.errors.exception_type_from_error_code``.
EXCEPTION_CLASS_BY_CODE: dict[int, type[OpError]] = {
    cls.default_code: cls
    for cls in (
        CancelledError,
        UnknownError,
        InvalidArgumentError,
        DeadlineExceededError,
        NotFoundError,
        AlreadyExistsError,
        PermissionDeniedError,
        ResourceExhaustedError,
        FailedPreconditionError,
        AbortedError,
        OutOfRangeError,
        UnimplementedError,
        InternalError,
        UnavailableError,
        DataLossError,
        UnauthenticatedError,
    )
}


def exception_type_from_error_code(error_code: int) -> type[OpError]:
    """Returns the OpError subclass for a canonical code.

    Raises:
        KeyError: for a code that has no class (e.g. OK).
    """
    return EXCEPTION_CLASS_BY_CODE[error_code]
