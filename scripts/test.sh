#!/usr/bin/env bash
# The whole suite: lint, Django checks, then pytest on SQLite and, where a server answers,
# again on PostgreSQL. pytest's "no tests ran" (exit 5) is a failure here, never a pass.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${YIMEN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}

step() { printf '\n== %s\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*"; exit 1; }

step "ruff"
$BIN/ruff check . || fail "ruff check"
$BIN/ruff format --check . || fail "ruff format (run: make format)"

step "django checks"
$BIN/python manage.py check --fail-level WARNING || fail "manage.py check"
$BIN/python manage.py makemigrations --check --dry-run || fail "missing migrations"

step "dependency audit"
$BIN/python scripts/audit.py || fail "dependency audit (scripts/audit.py)"

step "browser"
if { [ ! -x /usr/bin/chromium ] || ! command -v pdftoppm >/dev/null; } && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium (browser tests) and poppler-utils (PDF pages as images)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils) \
    >/tmp/yimen-apt.log 2>&1 || echo "apt-get failed (see /tmp/yimen-apt.log)"
fi
if [ -x /usr/bin/chromium ]; then
  echo "browser tests: /usr/bin/chromium"
else
  echo "SKIPPING browser tests: /usr/bin/chromium is missing and could not be installed (needs root and apt-get)"
fi

run_pytest() {
  local label=$1; shift
  step "pytest on $label"
  "$@"
  local rc=$?
  [ $rc -eq 5 ] && fail "pytest collected no tests on $label"
  [ $rc -ne 0 ] && fail "pytest on $label (exit $rc)"
  return 0
}

REDIS_URL=${YIMEN_TEST_REDIS_URL:-redis://127.0.0.1:6379/13}
if ! $BIN/python -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()" "$REDIS_URL" 2>/dev/null; then
  step "SKIPPING the worker tests: no Redis answers at $REDIS_URL (set YIMEN_TEST_REDIS_URL to test elsewhere)"
fi

run_pytest SQLite env -u DATABASE_URL $BIN/pytest "$@"

if $BIN/python scripts/pg_ready.py "$PG_URL"; then
  # tests/test_replica.py streams a replica from this server: let it (a pg_hba.conf line and a
  # reload when the server is local and we may write its configuration; otherwise it says why).
  $BIN/python scripts/pg_allow_replication.py "$PG_URL"
  run_pytest PostgreSQL env DATABASE_URL="$PG_URL" $BIN/pytest "$@"
else
  step "SKIPPED PostgreSQL: no server answers at $PG_URL (set YIMEN_TEST_PG_URL to test elsewhere)"
fi
echo
echo "all checks passed"
