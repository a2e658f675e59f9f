"""Wake-ups through LISTEN/NOTIFY: the channel, the payload, and the listening side.

Writers call `notify` inside their transaction, so the notification is delivered only
if the write commits. The payload is ``"<schema>|<kind>|<id>"`` (and ``"|<epoch>"``
for a timer), so several Continuum schemas can share one database and one channel.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import threading
import time
from datetime import datetime

import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)

#: The one channel every Continuum store notifies on.
CHANNEL = "continuum_wake"

#: A timer notification is acted on this long after its due time, so that the database
#: clock (which decides what is due) has surely passed it too.
_TIMER_SLACK = 0.02
#: Seconds to wait for the listening connection before falling back to polling.
_CONNECT_TIMEOUT = 10
#: Bound on remembered timers; a busy system announces many.
_MAX_TIMERS = 10_000


def notify(
    conn: psycopg.Connection, schema: str, kind: str, ident: str, at: datetime | None = None
) -> None:
    """Queue a wake-up on ``conn``'s transaction; ``at`` marks a future wake (a timer)."""
    payload = f"{schema}|{kind}|{ident}"
    if at is not None:
        payload += f"|{at.timestamp():.6f}"
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))


class Listener:
    """A dedicated autocommit connection LISTENing on `CHANNEL`.

    `wait` blocks without issuing any query: it sleeps in ``conn.notifies()`` until a
    notification for this schema arrives, a timer it heard about comes due, or the
    timeout passes. A lost connection is reopened on the next call.
    """

    def __init__(self, url: str, schema: str) -> None:
        self._url = url
        self._schema = schema
        self._conn: psycopg.Connection | None = None
        self._timers: list[float] = []  # heap of epoch seconds of announced wake-ups
        self._lock = threading.Lock()

    def wait(self, timeout: float) -> None:
        """Return on a notification, a due announced timer, or after ``timeout`` seconds."""
        with self._lock:
            deadline = time.monotonic() + max(0.0, timeout)
            try:
                conn = self._connect()
                while True:
                    remaining = self._remaining(deadline)
                    if remaining <= 0:
                        return
                    for note in conn.notifies(timeout=remaining, stop_after=1):
                        if self._wakes(note.payload):
                            return
            except psycopg.OperationalError as exc:
                logger.warning("wake listener lost its connection: %s", exc)
                self._drop()
                # Back off instead of spinning; the caller's poll serves the work meanwhile.
                time.sleep(min(1.0, self._remaining(deadline)))

    def _remaining(self, deadline: float) -> float:
        """Seconds to wait: up to the deadline, or the earliest announced timer if sooner."""
        remaining = deadline - time.monotonic()
        if self._timers:
            until_timer = self._timers[0] + _TIMER_SLACK - time.time()
            if until_timer <= 0:
                while self._timers and self._timers[0] + _TIMER_SLACK <= time.time():
                    heapq.heappop(self._timers)
                return 0.0
            remaining = min(remaining, until_timer)
        return max(0.0, remaining)

    def _wakes(self, payload: str) -> bool:
        """True when a notification means work may be due now; timers are remembered."""
        parts = payload.split("|")
        if len(parts) < 3 or parts[0] != self._schema:
            return False
        if len(parts) == 4:
            try:
                at = float(parts[3])
            except ValueError:
                return True
            if at > time.time():
                heapq.heappush(self._timers, at)
                if len(self._timers) > _MAX_TIMERS:
                    # Far-off timers are still served by the caller's fallback poll.
                    self._timers = heapq.nsmallest(_MAX_TIMERS // 2, self._timers)
                return False
        return True

    def _connect(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT)
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
            self._conn = conn
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        """Close the listening connection."""
        with self._lock:
            self._drop()
