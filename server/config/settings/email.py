"""E-mail: EMAIL_URL (or the SMTP pieces) configures Django's mail backend; the console by default."""

from typing import Any

import environ

from config.settings.environment import env as _env


def email_config(source: environ.Env) -> dict[str, Any]:
    """Mail settings from the environment, first match wins:

    1. `EMAIL_URL`: `smtp://user:password@host:25`, `smtp+tls://...:587` (STARTTLS; also `smtps://`),
       `smtp+ssl://...:465` (implicit TLS), `consolemail://`, `memorymail://`, `dummymail://`
       (user and password URL-encoded);
    2. `EMAIL_HOST` (+ `EMAIL_PORT`, `EMAIL_HOST_USER`, `EMAIL_HOST_PASSWORD`, `EMAIL_USE_TLS`,
       `EMAIL_USE_SSL`): SMTP;
    3. otherwise `EMAIL_BACKEND` (default: the console, which prints mails to the log).
    """
    config: dict[str, Any] = {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "EMAIL_HOST": "localhost",
        "EMAIL_PORT": 25,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
    }
    url = source.str("EMAIL_URL", default="")
    if url:
        parsed = environ.Env.email_url_config(url)
        config.update({k: v for k, v in parsed.items() if k in config and v is not None})
        if config["EMAIL_USE_TLS"] and config["EMAIL_USE_SSL"]:
            raise environ.ImproperlyConfigured("EMAIL_URL: choose STARTTLS (smtp+tls) or implicit TLS (smtp+ssl), not both.")
        return config
    host = source.str("EMAIL_HOST", default="")
    if host:
        use_ssl = source.bool("EMAIL_USE_SSL", default=False)
        use_tls = source.bool("EMAIL_USE_TLS", default=not use_ssl)
        config.update(
            {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": host,
                "EMAIL_PORT": source.int("EMAIL_PORT", default=465 if use_ssl else 587 if use_tls else 25),
                "EMAIL_HOST_USER": source.str("EMAIL_HOST_USER", default=""),
                "EMAIL_HOST_PASSWORD": source.str("EMAIL_HOST_PASSWORD", default=""),
                "EMAIL_USE_TLS": use_tls,
                "EMAIL_USE_SSL": use_ssl,
            }
        )
        return config
    config["EMAIL_BACKEND"] = source.str("EMAIL_BACKEND", default=config["EMAIL_BACKEND"])
    return config


_email = email_config(_env)
EMAIL_BACKEND: str = _email["EMAIL_BACKEND"]
EMAIL_HOST: str = _email["EMAIL_HOST"]
EMAIL_PORT: int = _email["EMAIL_PORT"]
EMAIL_HOST_USER: str = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD: str = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS: bool = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL: bool = _email["EMAIL_USE_SSL"]
# A dead mail server must not hang a worker.
EMAIL_TIMEOUT = _env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = _env.str("DEFAULT_FROM_EMAIL", default="clinic@skinscreen.local")
