"""Test settings: fast hashing, isolated media, throttles relaxed unless a test is about them."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnop")

from .base import *  # noqa: F403
from .base import AUTH_THROTTLE_RATES, HUEY, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="skinscreen-test-media-"))
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="skinscreen-test-static-"))
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AUTH_THROTTLE_RATES = {**AUTH_THROTTLE_RATES, "login": "10000/min", "register": "10000/min"}
# Tests that are not about the queue run tasks inline; queue tests build their own huey.
HUEY = {**HUEY, "immediate": True}
ALLOWED_HOSTS = ["*"]
# One process's cache unless a test names a shared one (CACHE_URL, e.g. redis://127.0.0.1:6379/3).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "axes.W001"]  # noqa: F405  (that per-process cache, on purpose)
# Tests speak plain HTTP through the test client and render admin pages without collectstatic; the
# production transport settings themselves are tested with `check --deploy` (tests/server/core/test_deploy_settings.py).
SECURE_SSL_REDIRECT = False
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
