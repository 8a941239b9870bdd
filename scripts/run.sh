#!/usr/bin/env bash
# `make run`: the background worker (with the periodic schedule) beside the development
# server. Stopping the server (Ctrl-C) stops the worker too; a stopped worker puts back the
# messages it held, and the next one picks them up.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var
# The demo signs in with its printed passwords alone; a real deployment leaves this unset,
# and the administrator and the director confirm a one-time code from an authenticator app.
export YIMEN_OTP_REQUIRED_ROLES="${YIMEN_OTP_REQUIRED_ROLES-}"
[ -z "$YIMEN_OTP_REQUIRED_ROLES" ] && echo "Demo: two-step sign-in is off (YIMEN_OTP_REQUIRED_ROLES is empty)."

$BIN/celery -A yimen worker --beat --pool=solo --loglevel=INFO \
  --without-gossip --without-mingle --without-heartbeat --logfile=var/worker.log &
WORKER=$!
stop_worker() {
  kill -TERM "$WORKER" 2>/dev/null && wait "$WORKER" 2>/dev/null
}
trap stop_worker EXIT
trap 'exit 130' INT TERM
echo "Background worker started (pid $WORKER); its log, e-mails included: var/worker.log"

$BIN/python manage.py runserver 127.0.0.1:8000
