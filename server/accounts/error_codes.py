"""Machine-readable error codes of the accounts app."""

from enum import StrEnum


class AccountsError(StrEnum):
    EMAIL_TAKEN = "email_taken"
    WEAK_PASSWORD = "weak_password"
    INVALID_CREDENTIALS = "invalid_credentials"
    LOGIN_LOCKED = "login_locked"
    INVALID_TOKEN = "token_not_valid"
    TOKEN_REUSED = "token_reused"
    WRONG_PASSWORD = "wrong_password"
    EXPORT_THROTTLED = "export_throttled"
    INVALID_TIME_ZONE = "invalid_time_zone"
