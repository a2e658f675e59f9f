"""Count the SQL statements a process sends through psycopg 3 (Continuum's and DBOS's driver).

`pg_stat_database` counts transactions per database, and on a shared server it also
counts work that is not the system's own. An idle backend that is signalled to catch
up on the cluster's invalidation queue (other databases running DDL) commits an empty
transaction in its own database, so a pool of idle connections "commits" in
proportion to the DDL elsewhere. Counting at the client avoids that: `install` wraps
`psycopg.Cursor.execute` / ``executemany`` (every statement, ``Connection.execute``
and pipeline mode included) and counts the ``BEGIN`` / ``COMMIT`` / ``ROLLBACK``
that psycopg sends for transaction blocks and for non-autocommit commits.
Standard library and psycopg only: both virtualenvs import it.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg import pq

_value = [0, 0]  # statements, transactions
_lock = threading.Lock()
_blocks = threading.local()  # depth of `Connection.transaction()` blocks in this thread


def _add(statements: int, transactions: int = 0) -> None:
    with _lock:
        _value[0] += statements
        _value[1] += transactions


def statements() -> int:
    """Statements sent since `install`."""
    with _lock:
        return _value[0]


def transactions() -> int:
    """Transactions ended since `install`: each commit or rollback this process asked for.

    An autocommit statement outside a transaction block is one; a
    ``Connection.transaction()`` block is one; outside autocommit, each ``commit()`` or
    ``rollback()`` of an open transaction is one.
    """
    with _lock:
        return _value[1]


def _alone(cursor: Any) -> int:
    """1 if this statement is its own transaction (autocommit, no block open)."""
    if getattr(_blocks, "depth", 0):
        return 0
    return 1 if cursor.connection.autocommit else 0


def install() -> None:
    """Wrap psycopg so that every statement this process sends is counted (idempotent)."""
    if getattr(psycopg.Cursor, "_bench_counted", False):
        return
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany
    commit, rollback = psycopg.Connection.commit, psycopg.Connection.rollback
    transaction = psycopg.Connection.transaction

    def counted_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        _add(1, _alone(self))
        return execute(self, *args, **kwargs)

    def counted_executemany(self: Any, *args: Any, **kwargs: Any) -> Any:
        _add(1, _alone(self))
        return executemany(self, *args, **kwargs)

    def _ending(conn: psycopg.Connection[Any]) -> None:
        # Outside autocommit psycopg sent an implicit BEGIN; now COMMIT/ROLLBACK follows.
        if conn.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            _add(2, 1)

    def counted_commit(self: psycopg.Connection[Any]) -> None:
        _ending(self)
        commit(self)

    def counted_rollback(self: psycopg.Connection[Any]) -> None:
        _ending(self)
        rollback(self)

    @contextlib.contextmanager
    def counted_transaction(
        self: psycopg.Connection[Any], *args: Any, **kwargs: Any
    ) -> Iterator[Any]:
        # BEGIN (or SAVEPOINT) and COMMIT (or RELEASE / ROLLBACK); one transaction when
        # it is the outermost block of an autocommit connection.
        depth = getattr(_blocks, "depth", 0)
        _add(2, 1 if depth == 0 and self.autocommit else 0)
        _blocks.depth = depth + 1
        try:
            with transaction(self, *args, **kwargs) as tx:
                yield tx
        finally:
            _blocks.depth = depth

    psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign]
    psycopg.Cursor.executemany = counted_executemany  # type: ignore[method-assign]
    psycopg.Connection.commit = counted_commit  # type: ignore[method-assign]
    psycopg.Connection.rollback = counted_rollback  # type: ignore[method-assign]
    psycopg.Connection.transaction = counted_transaction  # type: ignore[method-assign,assignment]
    psycopg.Cursor._bench_counted = True  # type: ignore[attr-defined]


def publish_every(path: Path, seconds: float = 0.2) -> None:
    """Write ``{"statements": n}`` to ``path`` every ``seconds`` (a daemon thread)."""

    def loop() -> None:
        tmp = path.with_suffix(".tmp")
        while True:
            data = {"statements": statements(), "transactions": transactions(), "pid": os.getpid()}
            tmp.write_text(json.dumps(data))
            tmp.replace(path)
            threading.Event().wait(seconds)

    threading.Thread(target=loop, name="bench-sqlcount", daemon=True).start()


def read_published(path: Path) -> tuple[int, int]:
    """(statements, transactions) last written by `publish_every`."""
    data = json.loads(path.read_text())
    return int(data["statements"]), int(data["transactions"])
