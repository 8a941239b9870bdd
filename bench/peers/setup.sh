#!/usr/bin/env bash
# The peer of bench/peer_compare.py: django-helpdesk 2.6.1 in its own Python 3.11 virtualenv
# (bench/peers/.venv, git-ignored), migrated into its own PostgreSQL bench database, with a
# staff user "staff" (password "staff-bench") and its API token.
#
#     bash bench/peers/setup.sh [postgres://postgres@127.0.0.1:5432/helpdesk_bench]
#
# The database is dropped and made again: its name must contain "bench".
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
URL="${1:-${PEER_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/helpdesk_bench}}"
NAME="${URL##*/}"
case "$NAME" in *bench*) ;; *) echo "refusing database $NAME: its name must contain 'bench'" >&2; exit 2 ;; esac
SERVER="${URL%/*}/postgres"

PYTHON="${PYTHON:-python3.11}"
if [ ! -x "$HERE/.venv/bin/python" ]; then
    "$PYTHON" -m venv "$HERE/.venv"
fi
"$HERE/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/helpdesk/requirements.txt"

psql "$SERVER" -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS \"$NAME\" WITH (FORCE)"
psql "$SERVER" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE \"$NAME\""

cd "$HERE/helpdesk"
export DATABASE_URL="$URL" DJANGO_SETTINGS_MODULE=settings
"$HERE/.venv/bin/python" manage.py migrate --verbosity 0
"$HERE/.venv/bin/python" manage.py shell --verbosity 0 -c '
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
user, _ = User.objects.get_or_create(username="staff", defaults={"email": "staff@example.org"})
user.is_staff = True
user.is_superuser = True
user.set_password("staff-bench")
user.save()
Token.objects.get_or_create(user=user)
print("staff user and API token ready")
'
echo "peer ready: DATABASE_URL=$URL"
