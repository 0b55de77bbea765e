"""The environment every settings module reads: paths and `env` (django-environ over os.environ and `.env`)."""

from pathlib import Path

import environ

SERVER_DIR = Path(__file__).resolve().parent.parent.parent
REPO_DIR = SERVER_DIR.parent

env = environ.Env()
env.read_env(str(REPO_DIR / ".env"), overwrite=False)

# Writable state of the embedded default (SQLite files, huey queue, media, the signing key).
VAR_DIR = Path(env.str("VAR_DIR", default=str(REPO_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def installation_secret(path: Path) -> str:
    """This installation's own random key, made on first use (mode 0600) and read afterwards.

    The embedded default has no operator to set `SECRET_KEY`; a constant in the repository would let
    anyone sign JWTs for any user of any installation, so each installation makes its own. Two processes
    starting at once race on O_EXCL: the loser reads the winner's key.
    """
    import os
    import secrets

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < MIN_SECRET_LENGTH:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"{path} holds a key shorter than {MIN_SECRET_LENGTH} characters: delete it to make a new one.") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


MIN_SECRET_LENGTH = 32
# Keys that are published (the repository's old embedded-default constant, .env.example's placeholder): never accepted.
KNOWN_SECRETS = frozenset({"insecure-embedded-default-key-do-not-use-in-production", "change-me-to-a-long-random-string"})


def checked_secret(value: str, *, name: str) -> str:
    """Refuse a short or published key with a message that says what to do."""
    from django.core.exceptions import ImproperlyConfigured

    if value in KNOWN_SECRETS:
        raise ImproperlyConfigured(f"{name} is a published key: set a random one (python -c 'import secrets; print(secrets.token_urlsafe(48))').")
    if len(value) < MIN_SECRET_LENGTH:
        raise ImproperlyConfigured(f"{name} must be at least {MIN_SECRET_LENGTH} characters long.")
    return value
