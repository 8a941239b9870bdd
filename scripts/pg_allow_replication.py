"""Let the replica test (tests/test_replica.py) stream from the PostgreSQL server at the URL.

The test copies the cluster with ``pg_basebackup`` and starts a streaming replica of it on
this machine, which needs a ``replication`` line in ``pg_hba.conf``. When the server is on
this machine, already trusts connections from 127.0.0.1 and its pg_hba.conf is writable
(``scripts/test.sh`` runs as root in CI), this adds

    host replication postgres 127.0.0.1/32 trust

and reloads the configuration (a reload, not a restart: open connections carry on).
It changes nothing otherwise, and says why. Exit 0 when replication connections work.
"""

import os
import sys
from urllib.parse import urlsplit

import psycopg

LINE = "host replication postgres 127.0.0.1/32 trust"
LOCAL = {"127.0.0.1", "localhost"}
SCRIPT = "scripts/pg_allow_replication.py"


def replication_allowed(url: str) -> bool:
    try:
        psycopg.connect(url, replication="true", connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def main(url: str) -> int:
    if replication_allowed(url):
        print("replication connections: allowed")
        return 0
    if urlsplit(url).hostname not in LOCAL:
        print(f"replication connections refused and the server is not on this machine: {url}")
        return 1
    with psycopg.connect(url, autocommit=True) as conn:
        hba_file = conn.execute("SHOW hba_file").fetchone()[0]
        senders = int(conn.execute("SHOW max_wal_senders").fetchone()[0])
        wal_level = conn.execute("SHOW wal_level").fetchone()[0]
        trusted = conn.execute(
            "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host'"
            " AND address = '127.0.0.1' AND 'all' = ANY(database) AND auth_method = 'trust'"
        ).fetchone()[0]
        if wal_level == "minimal" or senders < 3:
            print(
                f"wal_level={wal_level}, max_wal_senders={senders}: streaming needs"
                " wal_level=replica and 3 senders, which takes a server restart; not done"
            )
            return 1
        if not trusted or not os.access(hba_file, os.W_OK):
            print(f"replication connections refused; add to {hba_file}: {LINE}")
            return 1
        with open(hba_file, "a") as hba:
            hba.write(f"\n# Added by Yimen's {SCRIPT} for tests/test_replica.py.\n{LINE}\n")
        conn.execute("SELECT pg_reload_conf()")
    if replication_allowed(url):
        print(f"replication connections: allowed now ({LINE} in {hba_file})")
        return 0
    print(f"replication connections still refused after adding {LINE} to {hba_file}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
