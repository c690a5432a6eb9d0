"""Optional bearer-token authentication for REST and gRPC (TF Serving has none)."""

from __future__ import annotations

import hmac


def bearer_ok(header: str, token: str) -> bool:
    """Whether an ``Authorization`` header value carries ``Bearer <token>``."""
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)
