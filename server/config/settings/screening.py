"""Screening and model delivery: bundles, signing, photo limits, the server model, the high-risk rule, access."""

from pathlib import Path

from config.settings.environment import REPO_DIR as _REPO_DIR
from config.settings.environment import VAR_DIR as _VAR_DIR
from config.settings.environment import env as _env
from lesion_contract.risk import DEFAULT_HIGH_RISK_MASS as _CONTRACT_MASS

# Model bundles (docs/bundle.md) and the Ed25519 key that signs manifests for the app.
MODEL_ARTIFACTS_DIR = Path(_env.str("MODEL_ARTIFACTS_DIR", default=str(_REPO_DIR / "tflite_artifacts")))
MODEL_SIGNING_KEY_FILE = Path(_env.str("MODEL_SIGNING_KEY_FILE", default=str(_VAR_DIR / "model_signing_ed25519.key")))
# Base64 of the 32-byte seed; when set it wins over MODEL_SIGNING_KEY_FILE.
MODEL_SIGNING_KEY = _env.str("MODEL_SIGNING_KEY", default="")
# How long a signed manifest is accepted for a new download (the app re-fetches one at every check).
MODEL_MANIFEST_TTL_SECONDS = _env.int("MODEL_MANIFEST_TTL_SECONDS", default=24 * 3600)

# The clinical high-risk rule: high when the top class is high-risk or the high-risk classes together
# reach this mass; a bundle's own (lower) operating point can only make it more cautious.
SCREENING_HIGH_RISK_MASS = _env.float("SCREENING_HIGH_RISK_MASS", default=_CONTRACT_MASS)

# Photo limits, checked before decoding; the longest side of the stored re-encoded copy, which is also
# what the model is fed from (a larger JPEG is decoded at a reduced scale, at most twice this a side;
# anything else is shrunk right after decoding), and its quality.
SCREENING_MAX_PHOTO_BYTES = _env.int("SCREENING_MAX_PHOTO_BYTES", default=15 * 1024 * 1024)
SCREENING_MAX_PHOTO_PIXELS = _env.int("SCREENING_MAX_PHOTO_PIXELS", default=50_000_000)
SCREENING_MAX_PHOTO_SIDE = _env.int("SCREENING_MAX_PHOTO_SIDE", default=10_000)
SCREENING_STORED_PHOTO_MAX_SIDE = _env.int("SCREENING_STORED_PHOTO_MAX_SIDE", default=2048)
SCREENING_PHOTO_JPEG_QUALITY = _env.int("SCREENING_PHOTO_JPEG_QUALITY", default=90)
SCREENING_SYNC_MAX_ITEMS = _env.int("SCREENING_SYNC_MAX_ITEMS", default=50)

# The server model: micro-batching, how often the active version is re-read, retry after a failed
# load, the longest a request waits for its result, and eager warm-up at start (gunicorn workers).
SCREENING_MAX_BATCH = _env.int("SCREENING_MAX_BATCH", default=8)
SCREENING_BATCH_WAIT_MS = _env.float("SCREENING_BATCH_WAIT_MS", default=3.0)
SCREENING_MODEL_CHECK_SECONDS = _env.float("SCREENING_MODEL_CHECK_SECONDS", default=2.0)
SCREENING_MODEL_RETRY_SECONDS = _env.float("SCREENING_MODEL_RETRY_SECONDS", default=30.0)
SCREENING_INFERENCE_TIMEOUT_S = _env.float("SCREENING_INFERENCE_TIMEOUT_S", default=30.0)
SCREENING_WARMUP = _env.bool("SCREENING_WARMUP", default=False)

# A clinician sees a patient's screenings while an appointment is upcoming and this many days after it.
SCREENING_CLINICIAN_ACCESS_DAYS = _env.int("SCREENING_CLINICIAN_ACCESS_DAYS", default=30)

# The key that turns screening and lesion ids into pseudonyms in the reviewed-label export
# (manage.py export_reviewed_dataset); empty: a random per-installation key kept in the file below.
SCREENING_EXPORT_PSEUDONYM_KEY = _env.str("SCREENING_EXPORT_PSEUDONYM_KEY", default="")
SCREENING_EXPORT_PSEUDONYM_KEY_FILE = Path(_env.str("SCREENING_EXPORT_PSEUDONYM_KEY_FILE", default=str(_VAR_DIR / "export_pseudonym_key")))
