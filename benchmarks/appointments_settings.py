"""Settings for benchmarks/appointments_bench.py: test settings, only the apps under measurement, a scratch database."""

import os

import environ

from config.settings.test import *  # noqa: F403
from config.settings.test import INSTALLED_APPS

INSTALLED_APPS = [a for a in INSTALLED_APPS if a not in ("shop", "blog", "screening")]
_url = os.environ.get("BENCH_DATABASE_URL", "sqlite:////tmp/appointments_bench.sqlite3")
DATABASES = {"default": environ.Env.db_url_config(_url)}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.mysql":
    _db["OPTIONS"] = {"charset": "utf8mb4", "isolation_level": "read committed", "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"}
else:
    _db["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
HUEY = {**HUEY, "immediate": True}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
