"""Settings for the real huey consumer started by the SIGKILL test: Redis queue, short sweep, fake Expo.

Everything else comes from the environment like production (DATABASE_URL, REDIS_URL, EXPO_PUSH_HOST).
"""

import os

from config.settings.base import *  # noqa: F403

# Every app stays installed, as in production: core's migrations depend on the feature apps' ones.
REMINDER_SWEEP_SECONDS = float(os.environ.get("REMINDER_SWEEP_SECONDS", "1"))
NOTIFICATION_RETRY_BASE_SECONDS = float(os.environ.get("NOTIFICATION_RETRY_BASE_SECONDS", "1"))
NOTIFICATION_RETRY_MAX_SECONDS = float(os.environ.get("NOTIFICATION_RETRY_MAX_SECONDS", "2"))
NOTIFICATION_SENDING_LEASE_SECONDS = float(os.environ.get("NOTIFICATION_SENDING_LEASE_SECONDS", "3"))
NOTIFICATION_MAX_ATTEMPTS = 20
NOTIFICATION_BATCH_SIZE = int(os.environ.get("NOTIFICATION_BATCH_SIZE", "100"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
