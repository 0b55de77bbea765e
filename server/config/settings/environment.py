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
