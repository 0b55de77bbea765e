#!/usr/bin/env bash
# The embedded default: SQLite, huey on SQLite (consumer started alongside), the committed model
# bundle, demo data, console e-mail; the API on http://127.0.0.1:8000. No other services needed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/bootstrap.sh run

export EMBEDDED=1
export DJANGO_SETTINGS_MODULE=config.settings.base
export HOST=${HOST:-127.0.0.1} PORT=${PORT:-8000}
py="$root/.venv/bin/python"
manage() { (cd "$root/server" && "$py" manage.py "$@"); }

echo ">> database: migrate (SQLite at var/db.sqlite3)"
manage migrate --noinput -v 0
key_info=$(manage generate_signing_key --if-missing)
echo "$key_info"
# The web app pins this installation's model-signing key, so it verifies (and accepts) model updates
# from this server only. A new key changes the build hash below, so the app is rebuilt with it.
export EXPO_PUBLIC_MODEL_PUBLIC_KEY=$(printf '%s\n' "$key_info" | sed -n 's/^public_key (base64): //p')
echo ">> model bundles: validate (every sha256) and register; activate the newest unless one is active"
manage import_bundles --activate latest --if-none-active
# HOST is exported above: the demo password (printed) signs in only on a loopback address; with HOST=0.0.0.0
# seed_demo creates no demo admin (an existing one is disabled), leaves the other demo users without a password
# that signs in (their sessions end), and prints lines saying so.
echo ">> demo data (users for each role; their published password signs in only while the server listens on loopback):"
manage seed_demo

# The Expo web build, served at / by the same process. Rebuilt only when the app's sources change.
if [ -f mobile/package.json ] && [ -z "${SKIP_WEB:-}" ]; then
  if command -v npm >/dev/null; then
    # the app's sources, its build scripts and the bundles it may ship as its bootstrap model
    src_hash=$( (cd mobile && find src scripts native-modules app.json package.json package-lock.json -type f 2>/dev/null | sort | xargs cat 2>/dev/null; ls tflite_artifacts 2>/dev/null; ls ../tflite_artifacts; echo "$EXPO_PUBLIC_MODEL_PUBLIC_KEY") | sha256sum | cut -c1-16)
    if [ ! -f mobile/dist/index.html ] || [ "$(cat mobile/dist/.build-hash 2>/dev/null)" != "$src_hash" ]; then
      echo ">> building the web app (first time: a few minutes)"
      (cd mobile && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } \
        && npm run build:web -- --clear >"$root/var/web-build.log" 2>&1) \
        && echo ">> compressing the web app (brotli + gzip copies next to each file)" \
        && "$py" -m whitenoise.compress -q mobile/dist \
        && echo "$src_hash" > mobile/dist/.build-hash \
        || echo "!! web build failed (see var/web-build.log); the API still runs"
    fi
  else
    echo "!! Node.js not found: the web app is not built (the API runs without it)"
  fi
fi

echo ">> starting the huey consumer (reminders, receipts)"
(cd server && exec "$py" manage.py run_huey --quiet) &
huey_pid=$!
trap 'kill $huey_pid 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  Skin-lesion screening platform (embedded default) -- results are screening aids, not diagnoses.
    API:        http://$HOST:$PORT/api/v1/
    API docs:   http://$HOST:$PORT/api/v1/docs
    Admin:      http://$HOST:$PORT/admin/   (the demo admin above exists only on a loopback HOST)
    Web app:    http://$HOST:$PORT/
    Health:     http://$HOST:$PORT/healthz  http://$HOST:$PORT/readyz
  Ctrl-C stops the server and the queue consumer.

MSG
# Load and warm the active model at start-up, not on the first screening.
export SCREENING_WARMUP=1
# gunicorn (threads, a deep listen backlog; server/config/gunicorn.py), not Django's development server,
# which reset connections in bursts. One worker: it holds the model; its threads serve the requests.
export WEB_WORKERS=${WEB_WORKERS:-1} WEB_THREADS=${WEB_THREADS:-16}
cd server && "$root/.venv/bin/gunicorn" -c config/gunicorn.py config.wsgi
