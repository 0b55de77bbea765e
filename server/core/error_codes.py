"""Machine-readable error codes of the cross-cutting mechanisms (idempotency keys, busy database)."""

from enum import StrEnum


class CoreError(StrEnum):
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    BUSY = "busy"
