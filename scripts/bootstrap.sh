#!/usr/bin/env bash
# Idempotent set-up on a fresh machine: system packages (when root and missing), the virtualenv,
# pinned Python dependencies. A second call with unchanged requirements returns in well under a second.
#   scripts/bootstrap.sh run   -> what the embedded default needs
#   scripts/bootstrap.sh test  -> plus test tools, mysqlclient (MariaDB leg), tflite-support, chromium
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

apt_pkgs=()
if [ "$mode" = test ]; then
  for pkg in default-libmysqlclient-dev pkg-config libusb-1.0-0 chromium; do
    dpkg -s "$pkg" >/dev/null 2>&1 || apt_pkgs+=("$pkg")
  done
fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo ">> installing Debian packages: ${apt_pkgs[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
  else
    echo "!! missing Debian packages (install them as root): ${apt_pkgs[*]}" >&2
  fi
fi

py=${PYTHON:-}
if [ -z "$py" ]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
      py=$cand; break
    fi
  done
fi
[ -n "$py" ] || { echo "!! Python 3.11 is required (Django 5.2 LTS + tensorflow-cpu 2.21)." >&2; exit 1; }
[ -x .venv/bin/python ] || { echo ">> creating .venv with $py"; "$py" -m venv .venv; }

reqs=(requirements/base.txt requirements/ml.txt)
[ "$mode" = test ] && reqs+=(requirements/dev.txt requirements/mysql.txt requirements/tflite-support.txt)
# contract/pyproject.toml too: the editable contract package reinstalls when its metadata changes.
stamp=".venv/.installed-$mode-$(cat "${reqs[@]}" contract/pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo ">> installing Python packages ($mode); the first time takes a few minutes (TensorFlow)"
  # (this machine's pip config names local mirrors that may be absent: hide those warnings only)
  pipq() { .venv/bin/pip "$@" 2> >(grep -v "^WARNING: Location" >&2); }
  pipq install -q --disable-pip-version-check --upgrade pip
  args=(-r requirements/base.txt -r requirements/ml.txt)
  [ "$mode" = test ] && args+=(-r requirements/dev.txt -r requirements/mysql.txt)
  pipq install -q --disable-pip-version-check "${args[@]}"
  if [ "$mode" = test ]; then
    # tflite-support pins protobuf<4, which TensorFlow cannot use: install it without its deps.
    pipq install -q --disable-pip-version-check --no-deps -r requirements/tflite-support.txt
  fi
  touch "$stamp"
fi
