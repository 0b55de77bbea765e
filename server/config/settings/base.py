"""Base settings: Django, database, auth, queue; every value comes from the environment (.env.example
lists them), with embedded-default fallbacks. Each integration has its own module, included at the end."""

from datetime import timedelta
from pathlib import Path

from config.settings.environment import REPO_DIR, SERVER_DIR, VAR_DIR, checked_secret, env, installation_secret

DEBUG = env.bool("DEBUG", default=False)
EMBEDDED = env.bool("EMBEDDED", default=False)
# The address the embedded server listens on (scripts/run-embedded.sh). The demo admin, whose password
# is printed, exists only while it is a loopback address (accounts/demo.py).
EMBEDDED_HOST = env.str("HOST", default="127.0.0.1")

# Production sets SECRET_KEY; the embedded default (and DEBUG) make one per installation in var/, never a constant.
_secret = env.str("SECRET_KEY", default="")
if not _secret and not (DEBUG or EMBEDDED):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG and EMBEDDED are off.")
SECRET_KEY = checked_secret(_secret, name="SECRET_KEY") if _secret else installation_secret(VAR_DIR / "secret_key")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "ninja",
    "ninja_jwt",
    "ninja_jwt.token_blacklist",
    "axes",
    "huey.contrib.djhuey",
    "core",
    "accounts",
    "appointments",
    "notifications",
    "shop",
    "blog",
    "screening",
]

MIDDLEWARE = [
    "core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files, compressed, before anything touches the session (config/settings/storage.py).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the 429 of accounts.lockout
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL (sqlite:///..., mysql://user:pass@host:port/name) or DB_* variables.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
elif env.str("DB_ENGINE", default=""):
    DATABASES = {
        "default": {
            "ENGINE": env.str("DB_ENGINE"),
            "NAME": env.str("DB_NAME"),
            "USER": env.str("DB_USER", default=""),
            "PASSWORD": env.str("DB_PASSWORD", default=""),
            "HOST": env.str("DB_HOST", default=""),
            "PORT": env.str("DB_PORT", default=""),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
        }
    }
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.mysql":
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].setdefault("charset", "utf8mb4")
    # READ COMMITTED avoids gap-lock deadlocks on inserts; invariants are held by constraints.
    _db["OPTIONS"].setdefault("isolation_level", "read committed")
    _db["OPTIONS"].setdefault("init_command", "SET sql_mode='STRICT_TRANS_TABLES'")
    _db.setdefault("TEST", {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"})
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {})
    # WAL + a busy timeout so the web process and the huey consumer can share one file.
    _db["OPTIONS"].setdefault("timeout", 20)
    _db["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    _db["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
_db.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(SERVER_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# The exported Expo web build, served by the embedded default at /app/.
MOBILE_WEB_DIR = Path(env.str("MOBILE_WEB_DIR", default=str(REPO_DIR / "mobile" / "dist")))

# Request size: JSON bodies are small; photo uploads are capped by MAX_REQUEST_BYTES.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=20 * 1024 * 1024)
# Image decoding (core/images.py, core/concurrency.py): PNG, WebP, HEIF and progressive JPEGs are decoded
# whole, so they get a lower pixel cap than a baseline JPEG (decoded at a reduced scale); at most IMAGE_DECODE_SLOTS decodes run at once
# per process (gunicorn runs 8 threads a worker), a request waits up to IMAGE_DECODE_WAIT_SECONDS for one,
# then gets 503 + Retry-After.
IMAGE_MAX_DECODE_PIXELS = env.int("IMAGE_MAX_DECODE_PIXELS", default=16_000_000)
IMAGE_DECODE_SLOTS = env.int("IMAGE_DECODE_SLOTS", default=2)
IMAGE_DECODE_WAIT_SECONDS = env.float("IMAGE_DECODE_WAIT_SECONDS", default=20.0)
# Allocations of this many bytes or more get their own mmap and go back to the OS when freed, so a
# threaded server's memory does not creep up with large uploads (core/memory.py; 0: glibc's default).
MALLOC_MMAP_THRESHOLD = env.int("MALLOC_MMAP_THRESHOLD", default=4 * 1024 * 1024)

# Cache: shared by every process (throttle counters, login lockouts), never per process. CACHE_URL wins;
# else Redis when REDIS_URL is set; else a table in the database (the embedded default needs no service).
# (The table keeps up to 100000 live entries, so a flood of made-up e-mail addresses cannot cull the
# lockout counter of a real account.)
_db_cache = "dbcache://skinscreen_cache?max_entries=100000&cull_frequency=10"
CACHES = {"default": env.cache("CACHE_URL", default=env.str("REDIS_URL", default="") or _db_cache)}
if CACHES["default"]["BACKEND"].endswith("RedisCache") and not env.str("CACHE_URL", default=""):
    CACHES["default"]["KEY_PREFIX"] = "cache"  # sharing the queue's Redis: keep the keys apart

# Per-account login lockout (django-axes) for the API login and the admin, counted in the cache above:
# LOGIN_FAILURE_LIMIT failures lock the account for LOGIN_LOCKOUT_SECONDS, doubling with each lockout
# within LOGIN_LOCKOUT_MEMORY_SECONDS, up to LOGIN_LOCKOUT_MAX_SECONDS (accounts/lockout.py).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=60)
LOGIN_LOCKOUT_MAX_SECONDS = env.int("LOGIN_LOCKOUT_MAX_SECONDS", default=3600)
LOGIN_LOCKOUT_MEMORY_SECONDS = env.int("LOGIN_LOCKOUT_MEMORY_SECONDS", default=86400)
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "default"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "accounts.lockout.login_username"
AXES_CLIENT_IP_CALLABLE = "core.throttling.client_ip"
AXES_COOLOFF_TIME = "accounts.lockout.cool_off"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lock lasts its back-off; retries do not extend it
AXES_ENABLE_ADMIN = False  # the cache handler records nothing in axes' tables
AXES_VERBOSE = False
# Per-account by design (an address may be a clinic's shared NAT); per-address limits are core.throttling's.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# JWT: issuer and audience set, algorithm fixed here (never taken from a token header).
NINJA_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": checked_secret(env.str("JWT_SIGNING_KEY", default=SECRET_KEY), name="JWT_SIGNING_KEY"),
    "AUDIENCE": env.str("JWT_AUDIENCE", default="skinscreen-api"),
    "ISSUER": env.str("JWT_ISSUER", default="skinscreen"),
    "LEEWAY": 0,
}
# Presenting a rotated refresh token again ends its session, except within this many seconds of its
# rotation: two tabs sharing one token, or a retried request, refreshing at once (answered 401, session
# kept). 0 = every reuse ends the session.
REFRESH_REUSE_GRACE_SECONDS = env.int("REFRESH_REUSE_GRACE_SECONDS", default=10)

NINJA_PAGINATION_CLASS = "core.pagination.Pages"
NINJA_PAGINATION_PER_PAGE = 20
NINJA_MAX_PER_PAGE_SIZE = 100
NINJA_NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# Throttles for login / register (per client address), read at request time.
AUTH_THROTTLE_RATES = {
    "login": env.str("THROTTLE_LOGIN", default="10/min"),
    "register": env.str("THROTTLE_REGISTER", default="5/min"),
}

# huey: SQLite in the embedded default, Redis in production (REDIS_URL).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env.str("HUEY_NAME", default="skinscreen"),
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": env.int("HUEY_WORKERS", default=2), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "skinscreen",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env.bool("HUEY_IMMEDIATE", default=False),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes: failures and lockouts (WARNING) are kept, one INFO line per successful sign-in is not.
    "loggers": {"django.request": {"level": "ERROR"}, "axes": {"level": "WARNING"}},
}

# One module per integration (each reads its own variables; .env.example lists them all).
from config.settings.email import *  # noqa: E402, F403
from config.settings.notifications import *  # noqa: E402, F403
from config.settings.privacy import *  # noqa: E402, F403
from config.settings.screening import *  # noqa: E402, F403
from config.settings.security import *  # noqa: E402, F403
from config.settings.shop import *  # noqa: E402, F403
from config.settings.storage import *  # noqa: E402, F403
