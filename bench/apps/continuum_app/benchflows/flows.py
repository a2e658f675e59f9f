"""The benchmark workflows: N no-op steps, one step, a signal wait, a long history to replay.

The DBOS twins are in ``bench/apps/dbos_app/dbos_flows.py``; keep the two in step.
"""

from __future__ import annotations

from continuum import Workflow, activity, await_signal

from . import acts


class Steps(Workflow):
    """``steps`` no-op activities in a row (10 in the benchmark)."""

    def run(self, steps: int) -> int:
        total = 0
        for i in range(steps):
            total += activity(acts.noop, i)
        return total


class OneStep(Workflow):
    """A single no-op activity: start-to-result latency of the smallest workflow."""

    def run(self, value: int) -> int:
        return activity(acts.noop, value)


class WaitSignal(Workflow):
    """Wait for the ``go`` signal, then record when the workflow resumed."""

    def run(self, _input: None) -> float:
        await_signal("go")
        return activity(acts.stamp)


class LongHistory(Workflow):
    """``events`` journaled steps, then wait for signals: each ``poke`` replays them all.

    Snapshotted after 1,000 events (the default ``snapshot_threshold``).
    """

    def run(self, events: int) -> int:
        for i in range(events):
            activity(acts.noop, i)
        while await_signal("poke") != "stop":
            pass
        return events


class LongHistoryNoSnapshot(Workflow, snapshot_threshold=1_000_000_000):
    """`LongHistory` that is never snapshotted: a wake reads and replays the whole journal."""

    def run(self, events: int) -> int:
        for i in range(events):
            activity(acts.noop, i)
        while await_signal("poke") != "stop":
            pass
        return events
