"""The client: start runs, signal and cancel them, read their results and journals.

>>> from continuum.testing.memory_store import InMemoryStore
>>> client = Client(store=InMemoryStore())
>>> run_id = client.start("app.flows:Greet", {"name": "Ada"}, id="greet-ada")
>>> client.start("app.flows:Greet", {"name": "Ada"}, id="greet-ada") == run_id
True
>>> client.get_run(run_id).status
'pending'
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .codec import decode, encode
from .errors import ContinuumError, WorkflowFailedError
from .store.base import (
    COMPLETED,
    CONTINUED,
    TERMINAL,
    Event,
    NewRun,
    RunRecord,
    RunWatch,
    Store,
    successor_of,
)
from .store.operations import NewSchedule, ScheduleRecord

if TYPE_CHECKING:
    from .worker import Worker


def workflow_name(flow_or_name: Any) -> str:
    """``"pkg.mod:Class"`` for a `Workflow` subclass, or the string itself."""
    if isinstance(flow_or_name, str):
        if ":" not in flow_or_name:
            raise ContinuumError(
                f"workflow name must look like 'package.module:ClassName', got {flow_or_name!r}"
            )
        return flow_or_name
    name = getattr(flow_or_name, "__continuum_name__", None)
    if name is None:
        raise ContinuumError(f"{flow_or_name!r} is neither a Workflow subclass nor a workflow name")
    return str(name)


def open_store(
    database_url: str | None = None,
    *,
    schema: str | None = None,
    migrate: bool | None = None,
    max_connections: int | None = None,
) -> Store:
    """Open the Postgres store the settings point at (see `continuum.runtime.settings`).

    ``migrate=None`` applies pending migrations only on the zero-config embedded server,
    where nobody else would; pass True/False to decide explicitly. ``max_connections``
    sizes the connection pool (a worker needs one per executor thread plus two).
    """
    from .settings import resolve_database, resolve_schema
    from .store.postgres import PostgresStore

    location = resolve_database(database_url)
    if migrate is None:
        migrate = location.source == "embedded"
    sizing = {} if max_connections is None else {"max_size": max_connections}
    return PostgresStore(location.url, schema=resolve_schema(schema), migrate=migrate, **sizing)


#: Outcomes of locally executed runs kept for `Client.result` (oldest dropped first).
_LOCAL_MAX = 10_000


class Client:
    """Talks to the Continuum store: Postgres by default, or any `Store` given as ``store=``.

    ``database_url=None`` resolves the URL the usual way (``CONTINUUM_DATABASE_URL``,
    ``[tool.continuum]``, else the embedded server, migrated on first use). Use it as a
    context manager or call `close()`. Thread-safe as far as the store is.

    ``worker=`` binds the client to a `Worker` running in this process (co-located
    mode; `Worker.client()` is the same): `start` hands a new run of a workflow the
    worker knows straight to it, leased in the insert itself, and `result` waits for
    such a run in process. The client then uses the worker's store.
    """

    def __init__(
        self,
        database_url: str | None = None,
        *,
        schema: str | None = None,
        store: Store | None = None,
        migrate: bool | None = None,
        worker: Worker | None = None,
    ) -> None:
        if worker is not None:
            if store is not None and store is not worker.store:
                raise ContinuumError("Client(worker=...) uses the worker's store; omit store=")
            store = worker.store
        self._owns_store = store is None
        self.store: Store = (
            store if store is not None else open_store(database_url, schema=schema, migrate=migrate)
        )
        self.worker = worker
        # Runs this client handed to its worker, until `result` collects them.
        self._local: dict[str, Future[Any]] = {}
        self._local_lock = threading.Lock()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store connection (only if this client opened it)."""
        if self._owns_store:
            self.store.close()

    # --- writing -----------------------------------------------------------------------
    def start(
        self,
        flow_or_name: Any,
        input: Any = None,
        *,
        id: str | None = None,
        namespace: str = "default",
        attributes: Mapping[str, Any] | None = None,
    ) -> str:
        """Start a run and return its id.

        Idempotent on ``id``: starting an existing id returns it without a second run
        (and raises `ContinuumError` if that id belongs to another workflow). The input
        must be encodable; `PayloadError` names the offending part.
        """
        name = workflow_name(flow_or_name)
        payload = encode(input, what=f"the input of {name}", root="input")
        attrs = {
            key: json.loads(encode(value, what=f"attribute {key!r}", root=key))
            for key, value in (attributes or {}).items()
        }
        run_id = id or str(uuid.uuid4())
        new = NewRun(
            run_id=run_id, workflow=name, input=payload, namespace=namespace, attributes=attrs
        )
        handed = self.worker.execute_new(new) if self.worker is not None else None
        if handed is not None:
            record, future = handed
            if future is not None:
                self._remember(record.run_id, future)
        else:
            record, _created = self.store.create_run(new)
        if record.workflow != name:
            raise ContinuumError(
                f"run id {run_id!r} already belongs to workflow {record.workflow}, not {name}"
            )
        return record.run_id

    def signal(
        self, run_id: str, name: str, payload: Any = None, *, delivery_id: str | None = None
    ) -> bool:
        """Send a signal; buffered until the run awaits it.

        Idempotent on ``delivery_id``: a repeated delivery returns False and adds nothing;
        so does a signal to a finished run. A run that continued as new passes the
        signal on to its successor (which also refuses a delivery id the chain already
        accepted). `ContinuumError` when a continued run names no successor.
        """
        data = encode(payload, what=f"the payload of signal {name!r}", root="payload")
        while True:
            if self.store.send_signal(run_id, name, data, delivery_id=delivery_id):
                return True
            run = self.store.get_run(run_id)
            if run is None or run.status != CONTINUED:
                return False
            # The run continued as new: the signal belongs to its successor.
            run_id = _successor(run)

    def cancel(self, run_id: str) -> bool:
        """Request cancellation; the run stops at its next effect. False if already finished.

        Cascades to the run's unfinished descendants. A run that continued as new passes
        the request on to its successor (the chain's live run); `ContinuumError` when a
        continued run names no successor.
        """
        while True:
            if self.store.request_cancel(run_id):
                return True
            run = self.store.get_run(run_id)
            if run is None or run.status != CONTINUED:
                return False
            run_id = _successor(run)

    # --- reading -----------------------------------------------------------------------
    def get_run(self, run_id: str) -> RunRecord | None:
        """The run as stored, or None."""
        return self.store.get_run(run_id)

    def list_runs(
        self,
        *,
        workflow: Any = None,
        status: str | None = None,
        namespace: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        limit: int = 100,
    ) -> list[RunRecord]:
        """Runs, newest first, filtered by workflow, status, namespace and attributes."""
        return self.store.list_runs(
            workflow=None if workflow is None else workflow_name(workflow),
            status=status,
            namespace=namespace,
            attributes=attributes,
            limit=limit,
        )

    def query(
        self,
        *,
        namespace: str | None = None,
        status: str | None = None,
        workflow: Any = None,
        attributes: Mapping[str, Any] | None = None,
        limit: int = 100,
    ) -> list[RunRecord]:
        """Search runs, newest first: every given filter must hold.

        ``attributes`` matches by containment (``{"customer": "ada"}`` finds runs whose
        attributes include that pair, whatever else they hold) and uses the GIN index;
        ``namespace`` and ``status`` use the ``(namespace, status)`` index.
        """
        return self.store.list_runs(
            workflow=None if workflow is None else workflow_name(workflow),
            status=status,
            namespace=namespace,
            attributes=_json_attributes(attributes),
            limit=limit,
        )

    # --- schedules -----------------------------------------------------------------------
    def schedule_at(
        self,
        flow_or_name: Any,
        input: Any = None,
        when: datetime | timedelta | None = None,
        *,
        id: str | None = None,
        namespace: str = "default",
        attributes: Mapping[str, Any] | None = None,
    ) -> str:
        """Start ``flow_or_name`` once at ``when``; returns the schedule name.

        ``when`` is a timezone-aware datetime, or a timedelta from now.

        Idempotent on ``id`` (the schedule name). The run gets the id
        ``schedule:<name>:<when in UTC>`` and starts within a worker's poll of ``when``.
        """
        if when is None:
            raise ContinuumError("schedule_at needs a time: schedule_at(Flow, input, when)")
        if isinstance(when, timedelta):
            when = datetime.now(UTC) + when
        if when.tzinfo is None:
            raise ContinuumError("schedule_at needs a timezone-aware datetime")
        name = id or f"at-{uuid.uuid4()}"
        return self._schedule(name, flow_or_name, input, when, None, "UTC", namespace, attributes)

    def schedule_cron(
        self,
        name: str,
        flow_or_name: Any,
        input: Any = None,
        cron: str = "",
        *,
        tz: str = "UTC",
        namespace: str = "default",
        attributes: Mapping[str, Any] | None = None,
    ) -> str:
        """Start ``flow_or_name`` at every fire time of ``cron`` read in zone ``tz``.

        ``schedule_cron("daily-report", Report, {}, "0 9 * * MON-FRI", tz="Europe/Paris")``.
        Idempotent on ``name``; `CronError` for an invalid expression, `ContinuumError`
        for an unknown zone. See `continuum.runtime.cron` for the syntax and DST rules.
        """
        from .schedules import first_fire

        first = first_fire(cron, tz, datetime.now(UTC))
        return self._schedule(name, flow_or_name, input, first, cron, tz, namespace, attributes)

    def _schedule(
        self,
        name: str,
        flow_or_name: Any,
        input: Any,
        first: datetime,
        cron: str | None,
        tz: str,
        namespace: str,
        attributes: Mapping[str, Any] | None,
    ) -> str:
        workflow = workflow_name(flow_or_name)
        record, _ = self.store.create_schedule(
            NewSchedule(
                name=name,
                workflow=workflow,
                input=encode(input, what=f"the input of {workflow}", root="input"),
                next_fire_at=first,
                cron=cron,
                timezone=tz,
                namespace=namespace,
                attributes=_json_attributes(attributes) or {},
            )
        )
        if record.workflow != workflow:
            raise ContinuumError(f"schedule {name!r} already starts {record.workflow}")
        return record.name

    def cancel_schedule(self, name: str) -> bool:
        """Stop a schedule; False when it is unknown or already done/cancelled."""
        return self.store.cancel_schedule(name)

    def list_schedules(self, *, include_finished: bool = False) -> list[ScheduleRecord]:
        """Active schedules by name (all of them with ``include_finished``)."""
        return self.store.list_schedules(include_finished=include_finished)

    def history(self, run_id: str) -> list[Event]:
        """The run's journal, oldest first."""
        return self.store.load_events(run_id)

    def result(self, run_id: str, timeout: float | None = None, *, poll: float = 0.1) -> Any:
        """Wait for the run to finish and return its result.

        A run that continued as new is followed to its successor. Raises
        `WorkflowFailedError` when it ended failed, cancelled or drifted,
        `TimeoutError` after ``timeout`` seconds, `ContinuumError` for an unknown id or
        a continued run whose result names no successor.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._local_lock:
            future = self._local.pop(run_id, None)
        if future is not None:
            # Executed by this client's worker: its outcome comes back in process.
            local = self._local_outcome(run_id, future, deadline)
            if local is not None:
                status, result, error = local
                if status != CONTINUED:
                    return self._outcome(run_id, status, result, error)
                run_id = _successor_id(run_id, result)
        while True:
            # LISTEN before the first read: a finish landing between the read and the
            # wait still wakes it, and only this run's finish does.
            with self.store.watch_run(run_id) as watch:
                run = self._await_terminal(run_id, watch, deadline, timeout, poll)
            if run.status != CONTINUED:
                return self._outcome(run.run_id, run.status, run.result, run.error)
            # Follow continue_as_new to the run that holds the final result.
            run_id = _successor(run)

    def _await_terminal(
        self,
        run_id: str,
        watch: RunWatch,
        deadline: float | None,
        timeout: float | None,
        poll: float,
    ) -> RunRecord:
        delay = poll
        while True:
            run = self.store.get_run(run_id)
            if run is None:
                raise ContinuumError(f"no run with id {run_id!r}")
            if run.status in TERMINAL:
                return run
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"run {run_id} is still {run.status} after {timeout}s")
            pause = delay if deadline is None else min(delay, max(0.0, deadline - time.monotonic()))
            # Returns early on this run's finish notification, so a result is seen
            # within milliseconds; the growing pause bounds the polling otherwise.
            watch.wait(pause)
            delay = min(delay * 1.5, 1.0)

    def _remember(self, run_id: str, future: Future[Any]) -> None:
        with self._local_lock:
            self._local[run_id] = future
            while len(self._local) > _LOCAL_MAX:  # never collected: result() reads the DB
                del self._local[next(iter(self._local))]

    @staticmethod
    def _local_outcome(
        run_id: str, future: Future[Any], deadline: float | None
    ) -> tuple[str, str | None, str | None] | None:
        """(status, result, error) of a run this process executed, when it ended there.

        None when it suspended, lost its lease or hit a store error: the store then
        has the answer (`result` falls back to reading it).
        """
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            outcome = future.result(timeout=left)
        except FutureTimeout:
            raise TimeoutError(f"run {run_id} is still running after the timeout") from None
        except Exception:  # the executor failed: read the store instead
            return None
        if outcome is None or outcome.status not in TERMINAL:
            return None
        return outcome.status, outcome.result, outcome.error

    @staticmethod
    def _outcome(run_id: str, status: str, result: str | None, error_text: str | None) -> Any:
        if status == COMPLETED:
            return None if result is None else decode(result)
        error: Any = error_text
        if error_text:
            try:
                error = json.loads(error_text)
            except ValueError:
                error = error_text
        raise WorkflowFailedError(run_id, status, error)


def _successor(run: RunRecord) -> str:
    """The run a ``continued`` run handed on to; `ContinuumError` when its result names none.

    Following the run itself instead would loop forever.
    """
    return _successor_id(run.run_id, run.result)


def _successor_id(run_id: str, result: str | None) -> str:
    successor = successor_of(result)
    if successor is None or successor == run_id:
        raise ContinuumError(
            f"run {run_id} continued as new but its result names no successor (result: {result!r})"
        )
    return successor


def _json_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Attributes as the JSON values the store keeps (so dates etc. compare as stored)."""
    if not attributes:
        return None
    return {
        key: json.loads(encode(value, what=f"attribute {key!r}", root=key))
        for key, value in attributes.items()
    }
