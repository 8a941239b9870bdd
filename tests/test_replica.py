"""A real streaming replica: reads that may lag are served there, everything else by the primary.

The module starts a second PostgreSQL cluster on this machine: ``pg_basebackup -R`` copies
the suite's server (the primary) into a temporary folder, and the copy runs on a free port
as a hot standby streaming from it. The ``replica`` alias points at that port and the
router of ``yimen.dbrouter`` chooses between the two. Runs on the suite's PostgreSQL pass;
skipped on SQLite, and where this machine has no PostgreSQL server binaries.

The tests are transactional: a row the primary never commits never reaches the replica.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yimen.cases.models import Category
from yimen.dbrouter import PIN_COOKIE, REPLICA, reads_may_lag

from .factories import PASSWORD

ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="needs PostgreSQL: runs on the suite's PostgreSQL pass (DATABASE_URL=postgres://…)",
    ),
    pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA]),
]
ROUTER = ["yimen.dbrouter.PrimaryReplicaRouter"]
WAIT_SECONDS = 60


@dataclass
class Replica:
    port: int
    data: Path


def _primary_conninfo() -> dict:
    s = connections[DEFAULT_DB_ALIAS].settings_dict
    return {"host": s["HOST"] or "127.0.0.1", "port": int(s["PORT"] or 5432), "user": "postgres"}


def _psql(port: int, sql: str, params: tuple = (), *, host: str = "127.0.0.1") -> tuple:
    with psycopg.connect(host=host, port=port, user="postgres", dbname="postgres") as c:
        return c.execute(sql, params).fetchone()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(*argv: str) -> list[str]:
    """PostgreSQL servers refuse to run as root: the tools run as ``postgres`` then."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else list(argv)


def _server_binaries(major: int) -> Path | None:
    """Debian's folder for the server's major version, else the ones on the PATH."""
    folder = Path(f"/usr/lib/postgresql/{major}/bin")
    if (folder / "pg_basebackup").exists() and (folder / "pg_ctl").exists():
        return folder
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("pg_basebackup") else None


def _wait(what: str, check) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"the replica did not {what} within {WAIT_SECONDS} s")
        time.sleep(0.1)


def caught_up(replica: Replica) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    primary = _primary_conninfo()
    lsn = _psql(primary["port"], "SELECT pg_current_wal_lsn()", host=primary["host"])[0]
    _wait(
        "catch up with the primary",
        lambda: _psql(replica.port, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,))[0],
    )


@pytest.fixture(scope="module")
def replica(django_db_setup):
    """A hot standby of the suite's server on a free port, and the ``replica`` alias on it."""
    primary = _primary_conninfo()
    if primary["host"] not in {"127.0.0.1", "localhost"}:
        pytest.skip(f"the primary at {primary['host']} is not on this machine")
    major = _psql(primary["port"], "SHOW server_version_num", host=primary["host"])
    bin_dir = _server_binaries(int(major[0]) // 10000)
    if bin_dir is None:
        pytest.skip(
            f"PostgreSQL {int(major[0]) // 10000} server binaries (pg_basebackup, pg_ctl) are "
            "not installed on this machine: no replica can be started"
        )
    if os.geteuid() == 0 and not (shutil.which("runuser") and _has_user("postgres")):
        pytest.skip("running as root without a postgres user (or runuser) to run the replica as")
    try:
        psycopg.connect(**primary, replication="true", connect_timeout=5).close()
    except psycopg.OperationalError as refused:
        pytest.skip(
            f"the primary refuses replication connections ({refused}); allow them with "
            "`python scripts/pg_allow_replication.py URL` (scripts/test.sh does, as root)"
        )

    home = Path(tempfile.mkdtemp(prefix="yimen-replica-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    replica = Replica(_free_port(), home / "data")
    try:
        # -R: the copy starts as a standby streaming from the primary; no slot is kept. The
        # whole cluster is copied, so this takes as long as the server's other databases.
        source = ["-h", primary["host"], "-p", primary["port"], "-U", primary["user"]]
        _run(bin_dir / "pg_basebackup", *source, "-D", replica.data, "-R", "-X", "stream",
             "--checkpoint=fast", "--no-sync")  # fmt: skip
        _configure(replica, primary)
        _run(bin_dir / "pg_ctl", "-D", replica.data, "-l", home / "log", "-w", "start")
        _wait("enter recovery", lambda: _psql(replica.port, "SELECT pg_is_in_recovery()")[0])
        caught_up(replica)
        with _alias_on(replica):
            yield replica
    except subprocess.CalledProcessError as failed:
        log = (home / "log").read_text() if (home / "log").exists() else ""
        raise AssertionError(f"{failed.cmd}: {failed.stderr.decode()}\n{log}") from failed
    finally:
        if (replica.data / "postmaster.pid").exists():
            _run(bin_dir / "pg_ctl", "-D", replica.data, "-m", "fast", "-w", "stop")
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def _alias_on(replica: Replica):
    """The ``replica`` alias on the replica's port for a while; then as it was (absent, or
    the mirror of the test database when the suite runs with ``YIMEN_REPLICA_URL``)."""
    saved = None
    if REPLICA in connections.settings:
        saved = connections.settings[REPLICA], connections[REPLICA]
        del connections[REPLICA]
    settings_dict = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
    settings_dict.update(HOST="127.0.0.1", PORT=str(replica.port), CONN_MAX_AGE=0)
    # A mirror: Django's test cases then never flush it (it could not: it is read-only).
    settings_dict["TEST"] = {**settings_dict["TEST"], "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA] = settings_dict
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]
        if saved is not None:
            connections.settings[REPLICA], connections[REPLICA] = saved


def _run(*argv: object) -> None:
    subprocess.run(_as_postgres(*map(str, argv)), check=True, capture_output=True)  # noqa: S603


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _configure(replica: Replica, primary: dict) -> None:
    """The copy has the data but not the server's configuration (Debian keeps it in /etc):
    its own port and socket, and a hot standby's limits no lower than the primary's."""
    limits = {
        name: _psql(primary["port"], f"SHOW {name}", host=primary["host"])[0]
        for name in ("max_connections", "max_worker_processes", "max_wal_senders",
                     "max_prepared_transactions", "max_locks_per_transaction")
    }  # fmt: skip
    conf = {
        "port": replica.port,
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{replica.data.parent}'",
        "hot_standby": "on",
        "fsync": "off",
        "shared_buffers": "'32MB'",
        **limits,
    }
    files = {
        "postgresql.conf": "".join(f"{k} = {v}\n" for k, v in conf.items()),
        "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
        "pg_ident.conf": "",
    }
    for name, text in files.items():
        path = replica.data / name
        path.write_text(text)
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")


def served_by(alias: str) -> tuple[bool, int]:
    """Which server a Django connection reaches: (in recovery, port)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
        return cursor.fetchone()


@pytest.fixture
def routed(replica, settings):
    settings.DATABASE_ROUTERS = ROUTER
    return replica


def test_the_replica_is_a_hot_standby_on_its_own_port(routed):
    assert served_by(REPLICA) == (True, routed.port)
    assert served_by(DEFAULT_DB_ALIAS) == (False, _primary_conninfo()["port"])


def test_writes_go_to_the_primary_and_lagging_reads_to_the_replica(routed):
    primary, standby = connections[DEFAULT_DB_ALIAS], connections[REPLICA]
    with reads_may_lag(), CaptureQueriesContext(primary) as on_primary:
        with CaptureQueriesContext(standby) as on_standby:
            Category.objects.create(code="replica-check", name="副本检查")
    assert any(q["sql"].startswith("INSERT") for q in on_primary)
    assert not on_standby.captured_queries

    caught_up(routed)
    with reads_may_lag(), CaptureQueriesContext(standby) as on_standby:
        alias = router.db_for_read(Category)
        assert alias == REPLICA and served_by(alias) == (True, routed.port)
        row = Category.objects.get(code="replica-check")
    assert row.name == "副本检查" and row._state.db == REPLICA
    assert any("replica-check" in q["sql"] for q in on_standby)


def test_reads_stay_on_the_primary_by_default(routed):
    assert router.db_for_read(Category) == DEFAULT_DB_ALIAS
    assert Category.objects.filter(code="neighbour").db == DEFAULT_DB_ALIAS


def test_the_replica_refuses_writes(routed):
    with pytest.raises(DatabaseError, match="read-only"):
        Category.objects.using(REPLICA).update(name="写不进去")
    with reads_may_lag():
        assert router.db_for_write(Category) == DEFAULT_DB_ALIAS


def test_reads_in_a_transaction_or_after_a_write_go_to_the_primary(routed):
    Category.objects.create(code="neighbour", name="邻里纠纷")
    with reads_may_lag():
        assert router.db_for_read(Category) == REPLICA
        with transaction.atomic():
            assert router.db_for_read(Category) == DEFAULT_DB_ALIAS
            assert Category.objects.get(code="neighbour")._state.db == DEFAULT_DB_ALIAS
        assert router.db_for_read(Category) == REPLICA
        written = Category.objects.create(code="just-written", name="刚写的")
        # Read your writes: the replica may not have the row yet; the primary has.
        assert router.db_for_read(Category) == DEFAULT_DB_ALIAS
        assert Category.objects.get(pk=written.pk)._state.db == DEFAULT_DB_ALIAS


def test_the_dashboard_reads_the_replica_unless_the_browser_has_just_written(
    routed, world, settings
):
    settings.MIDDLEWARE = ["yimen.dbrouter.PinAfterWriteMiddleware", *settings.MIDDLEWARE]
    client = Client()
    signed_in = client.post(reverse("login"), {"username": "desk", "password": PASSWORD})
    assert (
        signed_in.status_code == 302
        and signed_in.cookies[PIN_COOKIE]["max-age"] == settings.YIMEN_REPLICA_PIN_SECONDS
    )

    # Just signed in (a session written): this browser reads the primary for a moment.
    pinned = _queries_per_server(client, reverse("dashboard:index"))
    assert pinned[REPLICA] == [] and _cases(pinned[DEFAULT_DB_ALIAS])

    # Later (the cookie gone): the dashboard's figures come from the replica, while the
    # session and the user are still read from the primary, before the page is entered.
    client.cookies.pop(PIN_COOKIE)
    caught_up(routed)
    later = _queries_per_server(client, reverse("dashboard:index"))
    assert _cases(later[REPLICA]) and not _cases(later[DEFAULT_DB_ALIAS])
    assert any("django_session" in sql for sql in later[DEFAULT_DB_ALIAS])


def _queries_per_server(client: Client, url: str) -> dict[str, list[str]]:
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary:
        with CaptureQueriesContext(connections[REPLICA]) as on_standby:
            assert client.get(url).status_code == 200
    return {
        DEFAULT_DB_ALIAS: [q["sql"] for q in on_primary],
        REPLICA: [q["sql"] for q in on_standby],
    }


def _cases(queries: list[str]) -> list[str]:
    return [sql for sql in queries if '"cases_case"' in sql]
