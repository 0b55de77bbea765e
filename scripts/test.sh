#!/usr/bin/env bash
# Every test suite of the project: lint and types, pytest on SQLite, pytest on the real MariaDB,
# the mobile app (jest, tsc, eslint, API drift, headless-browser e2e). Exits non-zero if any fails.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test || exit 1
failed=()
run() {  # run NAME CMD...: pytest's exit 5 (no tests collected) counts as a failure too
  local name=$1; shift
  echo; echo "=== $name ==="
  "$@"; local rc=$?
  if [ $rc -ne 0 ]; then
    [ $rc -eq 5 ] && echo "!! $name collected no tests"
    failed+=("$name (exit $rc)")
  fi
}

run "ruff" .venv/bin/ruff check .
run "mypy" .venv/bin/mypy server model_pipeline contract
# Models and migrations agree: a model change without its migration fails here.
run "migrations up to date" env DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python server/manage.py makemigrations --check --dry-run
# compose.yaml is valid (variables from .env.example) where Docker with its compose plugin is installed.
if command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
  run "docker compose config" docker compose --env-file .env.example config --quiet
else
  echo; echo "=== docker compose config SKIPPED: docker compose not found ==="
fi
run "pytest (SQLite)" .venv/bin/pytest -q -p no:cacheprovider tests

mariadb_up=0
.venv/bin/python - <<'PY' && mariadb_up=1
import MySQLdb
MySQLdb.connect(host="127.0.0.1", port=3306, user="root", passwd="", connect_timeout=3).close()
PY
if [ $mariadb_up = 1 ]; then
  DATABASE_URL=${MARIADB_URL:-mysql://root@127.0.0.1:3306/skinscreen} \
    run "pytest (MariaDB)" .venv/bin/pytest -q -p no:cacheprovider tests/server
elif [ "${CI:-}" = true ]; then
  echo "!! MariaDB is not reachable on 127.0.0.1:3306 and CI=true: the MariaDB leg fails"
  failed+=("pytest (MariaDB): not reachable")
else
  echo; echo "=== pytest (MariaDB) SKIPPED: no MariaDB on 127.0.0.1:3306 (root, empty password) ==="
fi

if [ -f mobile/package.json ]; then
  if command -v npm >/dev/null; then
    (cd mobile && npm ci --no-audit --no-fund --loglevel=error) || failed+=("npm ci")
    run "mobile (jest, tsc, eslint, api drift)" npm --prefix mobile run test:ci
    run "mobile e2e (headless chromium)" npm --prefix mobile run e2e
  elif [ "${CI:-}" = true ]; then
    failed+=("mobile: Node.js missing")
  else
    echo "=== mobile SKIPPED: Node.js not found ==="
  fi
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "All test suites passed."
