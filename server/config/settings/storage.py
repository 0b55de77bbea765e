"""Where files live: static files (WhiteNoise, compressed, hashed names cached for a year) and media
(uploaded photos, blog covers): S3-compatible object storage when AWS_STORAGE_BUCKET_NAME is set, the
file system (MEDIA_ROOT) otherwise."""

from typing import Any

import environ

from config.settings.environment import env as _env


def storages_config(source: environ.Env, *, production: bool) -> dict[str, dict[str, Any]]:
    """Django's STORAGES from the environment.

    Media: `storages.backends.s3.S3Storage` (django-storages) when `AWS_STORAGE_BUCKET_NAME` is set; the
    bucket stays private and every URL is signed for `AWS_QUERYSTRING_EXPIRE` seconds, since screening
    photos are health data. Static: in production WhiteNoise's CompressedManifestStaticFilesStorage
    (collectstatic writes hashed, gzip- and brotli-compressed copies); the embedded default and tests
    serve the apps' static files as they are (no collectstatic needed).
    """
    bucket = source.str("AWS_STORAGE_BUCKET_NAME", default="")
    media: dict[str, Any]
    if bucket:
        options: dict[str, Any] = {
            "bucket_name": bucket,
            "location": source.str("AWS_LOCATION", default="media"),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": source.int("AWS_QUERYSTRING_EXPIRE", default=600),
            "file_overwrite": False,
        }
        for option, name in (
            ("endpoint_url", "AWS_S3_ENDPOINT_URL"),
            ("region_name", "AWS_S3_REGION_NAME"),
            ("access_key", "AWS_ACCESS_KEY_ID"),
            ("secret_key", "AWS_SECRET_ACCESS_KEY"),
            ("custom_domain", "AWS_S3_CUSTOM_DOMAIN"),
        ):
            value = source.str(name, default="")
            if value:
                options[option] = value
        media = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
    else:
        media = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    static_backend = (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if production
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    return {"default": media, "staticfiles": {"BACKEND": static_backend}}


_PRODUCTION = not (_env.bool("DEBUG", default=False) or _env.bool("EMBEDDED", default=False))
STORAGES = storages_config(_env, production=_PRODUCTION)
# WhiteNoise: hashed static names are cached for a year (immutable); other static files for an hour.
WHITENOISE_MAX_AGE = 3600
# Without collectstatic (embedded default, tests) the apps' static directories are served directly.
WHITENOISE_USE_FINDERS = not _PRODUCTION
