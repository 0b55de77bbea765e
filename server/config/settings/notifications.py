"""Notifications (Expo push) and the appointment reminders they carry."""

from config.settings.environment import env as _env

# Expo push: the real service only when configured; tests point EXPO_PUSH_HOST at a local fake.
EXPO_PUSH_HOST = _env.str("EXPO_PUSH_HOST", default="")
EXPO_ACCESS_TOKEN = _env.str("EXPO_ACCESS_TOKEN", default="")
# Unset: pushes go out when a host or an access token is configured; set: forced on or off.
EXPO_PUSH_ENABLED: bool | None = _env.bool("EXPO_PUSH_ENABLED") if _env.str("EXPO_PUSH_ENABLED", default="") else None
EXPO_CONNECT_TIMEOUT_SECONDS = _env.float("EXPO_CONNECT_TIMEOUT_SECONDS", default=5.0)
EXPO_READ_TIMEOUT_SECONDS = _env.float("EXPO_READ_TIMEOUT_SECONDS", default=30.0)

# The sender: how many due rows per sweep, retry backoff, attempts, the lease on a row being sent,
# and when Expo's delivery receipts are checked.
REMINDER_SWEEP_SECONDS = _env.float("REMINDER_SWEEP_SECONDS", default=60.0)
NOTIFICATION_BATCH_SIZE = _env.int("NOTIFICATION_BATCH_SIZE", default=100)
NOTIFICATION_RETRY_BASE_SECONDS = _env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = _env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=3600)
NOTIFICATION_MAX_ATTEMPTS = _env.int("NOTIFICATION_MAX_ATTEMPTS", default=6)
NOTIFICATION_SENDING_LEASE_SECONDS = _env.int("NOTIFICATION_SENDING_LEASE_SECONDS", default=300)
NOTIFICATION_RECEIPT_DELAY_SECONDS = _env.int("NOTIFICATION_RECEIPT_DELAY_SECONDS", default=900)

# Appointments (docs/appointments.md): reminder offsets before the start (seconds), how late patients
# may change a booking, the shortest lead time and the longest horizon of a booking.
APPOINTMENT_REMINDER_OFFSETS = [int(s) for s in _env.list("APPOINTMENT_REMINDER_OFFSETS", default=["86400", "3600"])]
APPOINTMENT_CHANGE_CUTOFF_HOURS = _env.float("APPOINTMENT_CHANGE_CUTOFF_HOURS", default=24.0)
APPOINTMENT_MIN_LEAD_MINUTES = _env.int("APPOINTMENT_MIN_LEAD_MINUTES", default=0)
APPOINTMENT_BOOKING_HORIZON_DAYS = _env.int("APPOINTMENT_BOOKING_HORIZON_DAYS", default=180)
