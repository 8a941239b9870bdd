"""Reads that may lag go to a PostgreSQL streaming replica; everything else to the primary.

Used when ``YIMEN_REPLICA_URL`` names a replica (settings add the ``replica`` alias, this
router and :class:`PinAfterWriteMiddleware`). The rule:

- **Only pages that declare it read from the replica.** A view decorated with
  ``@reads_may_lag()`` (or code inside ``with reads_may_lag():``) reads there; every other
  read goes to the primary. The pages that do are the ones that count rather than act —
  the dashboard, its trends and the case lists behind its numbers, and the public
  statistics — where a figure a second or so old is still the right figure and where a
  city's reading load concentrates. No workflow page, form or API call is among them, so
  nothing ever decides a write from a stale read.
- **Never inside a transaction**: in an ``atomic`` block every read goes to the primary,
  so the rows it locks and the rows it reads are the same rows.
- **Read your own writes**: once a request has written anything (a case, a session, an
  audit row; a ``select_for_update`` counts), the rest of it reads the primary; and the
  middleware answers such a request with a cookie that keeps the same browser on the
  primary for ``YIMEN_REPLICA_PIN_SECONDS`` (a replica normally trails by well under a
  second), on whichever web node it lands next.
- **Writes and migrations go to the primary only**; the replica is read-only anyway
  (``pg_is_in_recovery()``) and refuses any write that would reach it.

Session, user and permission look-ups happen in middleware and decorators before the view
is entered, so they always read the primary: a sign-in is never lost to replication lag.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PIN_COOKIE = "yimen_primary"


@dataclass
class _Reads:
    may_lag: bool = False  # inside reads_may_lag()
    pinned: bool = False  # the browser wrote a moment ago (the cookie)
    wrote: bool = False  # this request or block has written


_reads: ContextVar[_Reads | None] = ContextVar("yimen_reads", default=None)


@contextmanager
def reads_may_lag() -> Iterator[None]:
    """Reads in this block may be served by the replica; also a view decorator
    (``@reads_may_lag()``). Outside a request (a task, a command) the block is its own
    unit: once it writes, its reads go to the primary."""
    reads, token = _reads.get(), None
    if reads is None:
        reads = _Reads()
        token = _reads.set(reads)
    before, reads.may_lag = reads.may_lag, True
    try:
        yield
    finally:
        reads.may_lag = before
        if token is not None:
            _reads.reset(token)


class PrimaryReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        reads = _reads.get()
        if (
            reads is not None
            and reads.may_lag
            and not (reads.pinned or reads.wrote)
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        if (reads := _reads.get()) is not None:
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # A row read on the replica is the same row as on the primary.
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {DEFAULT_DB_ALIAS, REPLICA} else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class PinAfterWriteMiddleware:
    """Keeps a browser on the primary for a few seconds after a request of it wrote.

    The mark is a cookie, not server memory, so it holds on whichever web node answers next.
    """

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        reads = _Reads(pinned=PIN_COOKIE in request.COOKIES)
        token = _reads.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
        if reads.wrote:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.YIMEN_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
