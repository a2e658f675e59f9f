"""The ``signals`` table: a buffered FIFO mailbox per (run, signal name)."""

from __future__ import annotations

from functools import cache

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from ...errors import StoreError
from ..base import TERMINAL, Signal, waiting_on_signal
from .notify import notify
from .pool import Database
from .runs import WAKE_IF_WAITING

_COLUMNS = "signal_id, run_id, name, payload, delivery_id, created_at"


@cache
def _queries(schema: str) -> dict[str, sql.Composed]:
    fmt = {
        "runs": sql.Identifier(schema, "runs"),
        "signals": sql.Identifier(schema, "signals"),
        "cols": sql.SQL(_COLUMNS),
    }
    text = {
        "lock_run": "SELECT status FROM {runs} WHERE run_id = %s FOR UPDATE",
        "insert": """
            INSERT INTO {signals} (run_id, name, payload, delivery_id) VALUES (%s, %s, %s, %s)
            ON CONFLICT (run_id, delivery_id) DO NOTHING
            RETURNING signal_id""",
        "wake": WAKE_IF_WAITING,
        "take": """
            UPDATE {signals} SET consumed_at = now()
            WHERE signal_id = (
                SELECT signal_id FROM {signals}
                WHERE run_id = %s AND name = %s AND consumed_at IS NULL
                ORDER BY signal_id LIMIT 1)
            RETURNING {cols}""",
    }
    return {key: sql.SQL(body).format(**fmt) for key, body in text.items()}


def send_signal(
    db: Database, run_id: str, name: str, payload: str, *, delivery_id: str | None
) -> bool:
    """Buffer a signal and wake the run if it waits for ``name`` (see `Store.send_signal`)."""
    q = _queries(db.schema)

    def body(conn: psycopg.Connection) -> bool:
        # The row lock orders us against a concurrent suspend (see runs.py).
        row = conn.execute(q["lock_run"], (run_id,)).fetchone()
        if row is None:
            raise StoreError("send_signal", "not_found", f"no run {run_id}")
        if row[0] in TERMINAL:
            return False
        if conn.execute(q["insert"], (run_id, name, payload, delivery_id)).fetchone() is None:
            return False  # this delivery_id was already delivered
        woken = conn.execute(q["wake"], {"run_id": run_id, "waiting_on": waiting_on_signal(name)})
        if woken.fetchone()[0]:
            notify(conn, db.schema, "signal", run_id)
        return True

    return db.run("send_signal", body)


def take_signal(schema: str, conn: psycopg.Connection, run_id: str, name: str) -> Signal | None:
    """Consume the oldest buffered ``name`` signal of the run (inside a fenced step)."""
    cur = conn.cursor(row_factory=class_row(Signal))
    return cur.execute(_queries(schema)["take"], (run_id, name)).fetchone()
