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
#: How often the listening thread looks up from its socket to notice `Listener.close`.
_CLOSE_CHECK = 0.5
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


def _kind(payload: str) -> str:
    """The kind part of a notification payload (see `notify`)."""
    parts = payload.split("|", 2)
    return parts[1] if len(parts) > 1 else ""


class Listener:
    """A background thread LISTENing on `CHANNEL` for one schema, and the waiters on it.

    The thread sits in ``conn.notifies()`` on its own autocommit connection, which
    reads the socket and sends no query, and bumps a generation counter for every
    notification about this schema. `wait` returns as soon as the counter moved past
    what the calling thread last saw — so a notification that arrived between a
    worker's claim and its next wait is not slept through — or when a timer announced
    in a notification comes due, or after the timeout. A lost connection is reopened
    with backoff, and the reconnect itself wakes the waiters (they poll once, since
    notifications may have been missed meanwhile).
    """

    def __init__(self, url: str, schema: str) -> None:
        self._url = url
        self._schema = schema
        self._cond = threading.Condition()
        self._generation = 0  # every notification (and timer, and reconnect)
        self._claimable = 0  # the same, less ``finished`` notifications
        # Of those: the ones that may make a run due, and a queued task (a timer, a
        # reconnect or an interrupt counts as both: what it stands for is unknown).
        self._runs = 0
        self._tasks = 0
        self._seen = threading.local()  # .generation: what this thread last returned on
        self._timers: list[float] = []  # heap of epoch seconds of announced wake-ups
        #: run id -> the events of the `RunWatch`es waiting for it to finish.
        self._watches: dict[str, set[threading.Event]] = {}
        self._conn: psycopg.Connection | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._closed = threading.Event()

    def wait(self, timeout: float, *, claimable_only: bool = False) -> frozenset[str] | None:
        """Return on a new notification, a due announced timer, or after ``timeout`` s.

        With ``claimable_only`` a run's ``finished`` notification does not count: it
        is news for a client awaiting a result, never work for a worker (a waiting
        parent gets its own ``wake``). It then also says what may be due since this
        thread's previous wait: ``"runs"``, ``"tasks"`` or both; None after a timeout
        (anything may be due: a fallback poll).
        """
        self._start()
        deadline = time.monotonic() + max(0.0, timeout)
        attr = "claimable" if claimable_only else "generation"
        with self._cond:
            seen = getattr(self._seen, attr, 0)
            while self._counter(claimable_only) == seen and not self._closed.is_set():
                remaining = self._remaining(deadline)
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            moved = self._counter(claimable_only) != seen
            setattr(self._seen, attr, self._counter(claimable_only))
            if not claimable_only:
                return None
            kinds = frozenset(
                name
                for name, now in (("runs", self._runs), ("tasks", self._tasks))
                if getattr(self._seen, name, 0) != now
            )
            self._seen.runs, self._seen.tasks = self._runs, self._tasks
            return kinds if moved and kinds else None

    def watch(self, run_id: str) -> threading.Event:
        """Start listening for ``run_id``'s ``finished`` notification; returns its flag.

        LISTEN is in place when this returns (or the connection failed, and the waiter
        falls back to its timeout). Pair with `unwatch`.
        """
        self._start()
        flag = threading.Event()
        with self._cond:
            self._watches.setdefault(run_id, set()).add(flag)
            if self._closed.is_set():
                flag.set()
        return flag

    def unwatch(self, run_id: str, flag: threading.Event) -> None:
        """Stop listening with ``flag`` (from `watch`)."""
        with self._cond:
            flags = self._watches.get(run_id)
            if flags is not None:
                flags.discard(flag)
                if not flags:
                    del self._watches[run_id]

    def _flag_watches(self, run_id: str | None = None) -> None:
        """Raise the flags watching ``run_id`` (every flag when None). Condition held."""
        if run_id is None:
            for flags in self._watches.values():
                for flag in flags:
                    flag.set()
        else:
            for flag in self._watches.get(run_id, ()):
                flag.set()

    def _counter(self, claimable_only: bool) -> int:
        return self._claimable if claimable_only else self._generation

    def _start(self) -> None:
        """Start the listening thread once; wait (briefly) until it is LISTENing."""
        with self._cond:
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(
                    target=self._listen, name=f"continuum-listen-{self._schema}", daemon=True
                )
                self._thread.start()
        self._ready.wait(_CONNECT_TIMEOUT)

    def _remaining(self, deadline: float) -> float:
        """Seconds to wait: up to the deadline, or the earliest announced timer if sooner.

        Called with the condition held. A timer that came due is dropped and wakes
        every waiter (it bumps the generation).
        """
        now = time.time()
        if self._timers and self._timers[0] + _TIMER_SLACK <= now:
            while self._timers and self._timers[0] + _TIMER_SLACK <= now:
                heapq.heappop(self._timers)
            self._bump()
            return 0.0
        remaining = deadline - time.monotonic()
        if self._timers:
            remaining = min(remaining, self._timers[0] + _TIMER_SLACK - now)
        return max(0.0, remaining)

    def _bump(self, *, claimable: bool = True, watches: bool = False, kind: str = "") -> None:
        """Count a wake-up; ``kind`` is the notification's ("" when unknown)."""
        if watches:  # a reconnect or a shutdown: any watched run may have finished
            self._flag_watches()
        if claimable:
            if kind != "task":
                self._runs += 1
            if kind in ("task", ""):
                self._tasks += 1
        self._generation += 1
        if claimable:
            self._claimable += 1
        self._cond.notify_all()

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

    def _listen(self) -> None:
        """The thread: (re)connect, LISTEN, and turn notifications into wake-ups."""
        backoff = 0.5
        first = True
        while not self._closed.is_set():
            conn: psycopg.Connection | None = None
            try:
                conn = psycopg.connect(self._url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT)
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
                with self._cond:
                    self._conn = conn
                    if not first:  # notifications may have been missed while away
                        self._bump(watches=True)
                first, backoff = False, 0.5
                self._ready.set()
                while not self._closed.is_set():
                    # Comes back twice a second to notice close(); sends no query.
                    for note in conn.notifies(timeout=_CLOSE_CHECK):
                        with self._cond:
                            if self._wakes(note.payload):
                                finished = _kind(note.payload) == "finished"
                                if finished and self._watches:
                                    self._flag_watches(note.payload.split("|", 2)[2])
                                self._bump(claimable=not finished, kind=_kind(note.payload))
                            else:  # a newly announced timer may move waiters' deadlines
                                self._cond.notify_all()
            except psycopg.Error as exc:
                if self._closed.is_set():
                    break
                logger.warning("wake listener lost its connection (%s); reconnecting", exc)
                self._ready.set()  # waiters fall back to their timeout poll
                with self._cond:
                    self._flag_watches()
                self._drop()
                if conn is not None:  # connected, but LISTEN failed
                    with contextlib.suppress(psycopg.Error):
                        conn.close()
                self._closed.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        self._drop()

    def _drop(self) -> None:
        with self._cond:
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def interrupt(self) -> None:
        """Wake every waiter now, as a notification would (a stopping worker)."""
        with self._cond:
            self._bump(watches=True)

    def close(self) -> None:
        """Wake every waiter and stop the listening thread, without waiting for it.

        The thread closes its connection within `_CLOSE_CHECK` seconds.
        """
        self._closed.set()
        with self._cond:
            self._flag_watches()
            self._cond.notify_all()
