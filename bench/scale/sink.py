"""Where generated rows go: PostgreSQL COPY streams, one per table, or SQLite inserts.

On PostgreSQL every table gets its own connection with one ``COPY … FROM STDIN`` open for
the whole load, so rows stream out as they are made and memory stays flat; the server
parses them in as many backends while Python goes on generating. The connections run with
``session_replication_role = replica``: foreign keys are not checked row by row (every
reference is made by the generator itself and checked afterwards by ``check_references``).
The plain secondary indexes of the loaded tables are dropped first and built again at the
end, which is much faster than keeping them up to date row by row; primary keys and
constraint indexes stay.
"""

import json
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any


@dataclass
class Table:
    """One table's columns: the generated ones in order, then the rest filled with defaults."""

    name: str
    generated: list[str]
    constants: dict[str, Any] = field(default_factory=dict)
    rows: int = 0

    @property
    def columns(self) -> list[str]:
        return [*self.generated, *self.constants]


def model_table(model: Any, fields: list[str]) -> Table:
    """The table of ``model`` with ``fields`` generated (names or attnames) and every other
    concrete field's default; a new required field without a default stops the generator."""
    from django.db import connection

    by_name = {}
    for f in model._meta.concrete_fields:
        by_name[f.name] = f
        by_name[f.attname] = f
    generated = [by_name[name].column for name in fields]
    constants = {}
    for f in model._meta.concrete_fields:
        if f.column in generated:
            continue
        if f.null:
            constants[f.column] = None
        elif f.has_default() or f.blank:
            value = f.get_default() if f.has_default() else ""
            if isinstance(value, dict | list):
                constants[f.column] = json.dumps(value)
            else:
                constants[f.column] = f.get_db_prep_save(value, connection)
        else:
            raise SystemExit(f"generate: no value for the required field {model.__name__}.{f.name}")
    return Table(model._meta.db_table, generated, constants)


class PostgresSink:
    def __init__(self, tables: dict[str, Table]):
        self.tables = tables
        self.stack = ExitStack()
        self.writers: dict[str, Any] = {}
        self.connections: list[Any] = []

    def __enter__(self) -> "PostgresSink":
        import psycopg
        from django.db import connection

        settings = connection.settings_dict
        params = {"dbname": settings["NAME"], "user": settings["USER"] or None,
                  "host": settings["HOST"] or None, "port": settings["PORT"] or None,
                  "password": settings["PASSWORD"] or None}  # fmt: skip
        for key, table in self.tables.items():
            conn = self.stack.enter_context(psycopg.connect(**params))
            self.connections.append(conn)
            conn.execute("SET session_replication_role = replica")
            conn.execute("SET synchronous_commit = off")
            conn.execute("SET TIME ZONE 'UTC'")
            columns = ", ".join(f'"{c}"' for c in table.columns)
            copy = self.stack.enter_context(
                conn.cursor().copy(f"COPY {table.name} ({columns}) FROM STDIN")  # noqa: S608
            )
            self.writers[key] = self._writer(copy, table)
        return self

    @staticmethod
    def _writer(copy: Any, table: Table) -> Any:
        write, constants = copy.write_row, tuple(table.constants.values())

        def row(values: tuple) -> None:
            table.rows += 1
            write(values + constants)

        return row

    def __exit__(self, *exc: Any) -> None:
        self.stack.close()  # ends each COPY, then commits (or rolls back on an error)


class SqliteSink:
    """Batched ``executemany`` on Django's own connection, for small smoke-test loads."""

    BATCH = 5000

    def __init__(self, tables: dict[str, Table]):
        self.tables = tables
        self.buffers: dict[str, list[tuple]] = {key: [] for key in tables}
        self.writers = {key: self._writer(key) for key in tables}

    def __enter__(self) -> "SqliteSink":
        from django.db import transaction

        # One transaction: SQLite checks Django's deferred foreign keys at its commit.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        return self

    def _writer(self, key: str) -> Any:
        table, buffer = self.tables[key], self.buffers[key]
        constants = tuple(_sqlite(v) for v in table.constants.values())

        def row(values: tuple) -> None:
            table.rows += 1
            buffer.append(tuple(_sqlite(v) for v in values) + constants)
            if len(buffer) >= self.BATCH:
                self._flush(key)

        return row

    def _flush(self, key: str) -> None:
        from django.db import connection

        table, buffer = self.tables[key], self.buffers[key]
        if not buffer:
            return
        marks = ", ".join("?" for _ in table.columns)
        columns = ", ".join(f'"{c}"' for c in table.columns)
        sql = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"  # noqa: S608 - our names
        connection.ensure_connection()
        connection.connection.executemany(sql, buffer)
        buffer.clear()

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            for key in self.tables:
                self._flush(key)
        self.atomic.__exit__(*exc)


def _sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "obj") and hasattr(value, "dumps"):  # a psycopg Jsonb default
        return json.dumps(value.obj)
    return value


# --- indexes around the load (PostgreSQL) ---------------------------------------------------


def drop_secondary_indexes(tables: list[str]) -> list[tuple[str, str, str]]:
    """Drop the plain indexes of these tables; their (table, name, definition) to rebuild."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, ic.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid "
            "WHERE c.relname = ANY(%s) AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
            "ORDER BY c.relname, ic.relname",
            [tables],
        )
        indexes = cursor.fetchall()
        for _table, name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    return indexes


def build_indexes(indexes: list[tuple[str, str, str]], progress: Any) -> dict[str, float]:
    """Create the indexes again; seconds spent per table."""
    from django.db import connection

    spent: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for table, name, definition in indexes:
            began = time.perf_counter()
            cursor.execute(definition)
            seconds = time.perf_counter() - began
            spent[table] = spent.get(table, 0.0) + seconds
            progress(f"  index {name} in {seconds:.1f} s")
    return spent
