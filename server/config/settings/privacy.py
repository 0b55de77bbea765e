"""Privacy: the user's data export (rate limit, where the archive is spooled)."""

from config.settings.environment import env as _env

# Exports per user per period ("3/hour"): each one reads every photo the user has.
PRIVACY_EXPORT_RATE = _env.str("PRIVACY_EXPORT_RATE", default="3/hour")
# Directory for the temporary archive (removed when sent); empty = the system temp directory.
PRIVACY_EXPORT_TMP_DIR = _env.str("PRIVACY_EXPORT_TMP_DIR", default="")
