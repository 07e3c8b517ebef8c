#!/usr/bin/env bash
# The whole test suite: installs what the tests need that a new machine lacks,
# then runs every test. Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
need_apt=()
command -v xmllint >/dev/null || need_apt+=(libxml2-utils)   # sitemap schema validation
command -v jing >/dev/null || need_apt+=(jing)                # Atom RELAX NG + Schematron
# the browser tests (tests/it/browser.rs): headless Chromium through chromedriver
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]} (Debian packages) ..."
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# JSON Feed schema validation with format checks (tests/tools/jsonfeed_check.py).
python3 -c "import jsonschema, referencing, rfc3986_validator, rfc3339_validator" 2>/dev/null \
  || python3 -m pip install -q jsonschema rfc3986-validator rfc3339-validator

# Flask-WebSub, the independent WebSub implementation of the tests: its
# subscriber (tests/tools/websub_subscriber.py) against the built-in hub, its hub
# (tests/tools/websub_hub.py, tasks run by Celery in eager mode, no broker) pinged.
python3 -c "import flask_websub, flask, requests, celery" 2>/dev/null \
  || python3 -m pip install -q flask-websub celery requests

# axe-core (the accessibility checker the browser tests inject), pinned in
# tests/browser/package-lock.json.
[ -f tests/browser/node_modules/axe-core/axe.min.js ] \
  || npm ci --prefix tests/browser --no-audit --no-fund --silent

# PostgreSQL: the store tests run against 127.0.0.1:5432 (user postgres, trust
# auth, database test) unless SYNDIC_TEST_PG names another server.
if [ -z "${SYNDIC_TEST_PG:-}" ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      echo "installing PostgreSQL (Debian packages) ..."
      $sudo_cmd apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql >/dev/null
      hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n1)
      echo "host all all 127.0.0.1/32 trust" | $sudo_cmd tee -a "$hba" >/dev/null
    fi
    echo "starting PostgreSQL ..."
    $sudo_cmd pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" postgres 2>/dev/null | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE test" postgres
fi

cargo test --all-targets "$@"
