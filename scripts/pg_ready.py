"""Exit 0 when a PostgreSQL server answers at the URL given, 1 otherwise (quietly)."""

import sys

import psycopg

try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except psycopg.Error:
    sys.exit(1)
