"""A store failure during an effect is never the workflow's to handle.

Each workflow here wraps an effect in ``try/except`` and would take another branch on
any exception. The store (real Postgres behind a wrapper that makes one chosen call
fail, the way a dropped connection or a failed commit does) fails a journal write or a
read made for an effect: the held-back result of the previous activity written at the
next effect's entry, an effect's own step, a child's start. Whatever the workflow does
with the error, `execute_run` must raise the `StoreError` (the worker then releases
the run) without finishing it, and the run's next execution must replay it to the
result it would have had without the failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from continuum import StoreError, Workflow, activity, now, start_child
from continuum.runtime.client import Client
from continuum.runtime.engine import execute_run
from continuum.runtime.lease import LeaseHandle
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import COMPLETED, RUNNING
from continuum.testing.drive import drain
from tests.runtime.app import acts

PREFIX = "tests.runtime.test_store_failures"


def cmd(flow: str, kind: str, line: int) -> tuple[str, str, str, int, str]:
    return (kind, f"{PREFIX}:{flow}", f"{flow}.run", line, "s")


class HeldBack(Workflow, workflow=f"{PREFIX}:HeldBack"):
    """The first result is held back; the second call's entry writes it."""

    def run(self, _input):
        first = activity(acts.echo, 1, _command=cmd("HeldBack", "activity", 1))
        try:
            second = activity(acts.echo, 2, _command=cmd("HeldBack", "activity", 2))
        except Exception as err:
            return f"wrong branch: {type(err).__name__}"
        return [first, second]


class OwnStep(Workflow, workflow=f"{PREFIX}:OwnStep"):
    """An effect whose own step fails (nothing held back before it)."""

    def run(self, _input):
        try:
            stamp = now(_command=cmd("OwnStep", "now", 1))
        except Exception as err:
            return f"wrong branch: {type(err).__name__}"
        return [stamp.year > 2000, activity(acts.echo, 3, _command=cmd("OwnStep", "activity", 2))]


class Swallowed(Workflow, workflow=f"{PREFIX}:Swallowed"):
    """Catches everything, even BaseException, and carries on with another effect."""

    def run(self, _input):
        first = activity(acts.echo, 1, _command=cmd("Swallowed", "activity", 1))
        try:
            activity(acts.echo, 2, _command=cmd("Swallowed", "activity", 2))
        except BaseException:
            try:
                activity(acts.echo, "other", _command=cmd("Swallowed", "activity", 3))
            except BaseException:
                pass
            return "swallowed"
        return [first, 2]


class Child(Workflow, workflow=f"{PREFIX}:Child"):
    def run(self, value):
        return value * 10


class StartsChild(Workflow, workflow=f"{PREFIX}:StartsChild"):
    """A read-write store call outside a step: the child's creation."""

    def run(self, _input):
        try:
            ref = start_child(Child, 4, _command=cmd("StartsChild", "start_child", 1))
        except Exception as err:
            return f"wrong branch: {type(err).__name__}"
        return ref.run_id is not None


REG = Registry.from_classes(HeldBack, OwnStep, Swallowed, Child, StartsChild)


class FailingStore:
    """The real store, but the ``step``-th fenced step (or one call of ``method``) fails.

    A failing step raises `StoreError` inside the real transaction, so Postgres rolls
    it back: nothing of it is written, as when a commit fails.
    """

    def __init__(self, store: Any, *, step: int = 0, method: str = "") -> None:
        self._store = store
        self._fail_step = step
        self._method = method
        self.steps = 0
        self.failed = 0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if name != self._method or self.failed:
            return target

        def failing(*args: Any, **kwargs: Any) -> Any:
            self.failed += 1
            raise StoreError(name, "unavailable", "injected")

        return failing

    @contextmanager
    def step(self, lease: Any) -> Iterator[Any]:
        self.steps += 1
        with self._store.step(lease) as step:
            yield step
            if self.steps == self._fail_step:
                self.failed += 1
                raise StoreError("step", "unavailable", "injected: the commit failed")


CASES = {
    # flow, what fails, the result of a clean execution
    "held-back result": (HeldBack, {"step": 1}, [1, 2]),
    "own step": (OwnStep, {"step": 1}, [True, 3]),
    "swallowed by except BaseException": (Swallowed, {"step": 1}, [1, 2]),
    "child start": (StartsChild, {"method": "create_run"}, True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_store_failure_releases_the_run_whatever_the_workflow_does(pg_store, case):
    flow, failure, expected = CASES[case]
    run_id = Client(store=pg_store).start(flow, None)
    [(run, lease)] = pg_store.claim_runs(
        owner="t", current_versions=REG.current, known_versions=(), limit=1, lease_seconds=30
    )
    failing = FailingStore(pg_store, **failure)
    with pytest.raises(StoreError, match="injected"):
        execute_run(failing, run, LeaseHandle(lease), REG)
    assert failing.failed == 1
    record = pg_store.get_run(run_id)
    assert record.status == RUNNING and record.result is None  # not finished
    written = [e.seq for e in pg_store.load_events(run_id)]
    assert written == list(range(1, len(written) + 1))
    pg_store.release(lease)
    for _ in range(10):
        drain(pg_store, REG)
        if pg_store.get_run(run_id).status == COMPLETED:
            break
    record = pg_store.get_run(run_id)
    assert record.status == COMPLETED, record.error
    assert json.loads(record.result) == expected
