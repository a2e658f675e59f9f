"""The benchmark workflows: N no-op steps, one step, a signal wait, a long history to replay.

The DBOS twins are in ``bench/apps/dbos_app/dbos_flows.py``; keep the two in step.
"""

from __future__ import annotations

from continuum import TIMEOUT, Workflow, activity, await_signal, days

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
    """``events`` journaled steps, then wake once a day on a timeout: each wake replays all."""

    def run(self, events: int) -> int:
        for i in range(events):
            activity(acts.noop, i)
        while await_signal("stop", timeout=days(1)) is TIMEOUT:
            pass
        return events
