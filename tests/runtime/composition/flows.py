"""Workflows of the composition tests, run from source (frame-derived command identities).

The worker processes of the crash tests load them through ``_continuum`` (a registry
in the generated format).
"""

from __future__ import annotations

from continuum import (
    ActivityRef,
    Cancelled,
    ContinuumError,
    Workflow,
    activity,
    await_child,
    await_signal,
    compensate,
    compensate_all,
    continue_as_new,
    start_child,
    timer,
)

from . import acts

N = "tests.runtime.composition.flows:"


class Reserve(Workflow, workflow=N + "Reserve"):
    """Reserves items (compensated), then compensates one by ref, then the rest (LIFO)."""

    def run(self, inp):
        refs = [activity(acts.reserve, item, compensate=acts.release) for item in inp["items"]]
        compensate(refs[inp.get("first", 0)])
        try:
            compensate(refs[inp.get("first", 0)])
        except ContinuumError:
            twice = "refused"
        else:
            twice = "accepted?"
        timer(0)  # a replay before the end
        compensate_all(parallel=inp.get("parallel", False))
        return {
            "refs": [isinstance(ref, ActivityRef) for ref in refs],
            "values": [ref.value["item"] for ref in refs],
            "twice": twice,
        }


class Together(Workflow, workflow=N + "Together"):
    """Compensations that can only finish if they run at the same time."""

    def run(self, items):
        for item in items:
            activity(acts.reserve, item, compensate=acts.release_together)
        compensate_all(parallel=True)
        timer(0)  # a replay after the parallel group
        return "rolled back"


class Leaf(Workflow, workflow=N + "Leaf"):
    def run(self, inp):
        return activity(acts.record, inp["log"], inp["tag"])


class FanOut(Workflow, workflow=N + "FanOut"):
    """Starts ``n`` children that each journal one activity, then awaits them all."""

    def run(self, inp):
        refs = [
            start_child(Leaf, {"log": inp["log"], "tag": f"leaf{i}"}, id=str(i))
            for i in range(inp["n"])
        ]
        return [await_child(ref) for ref in refs]


class Saga(Workflow, workflow=N + "Saga"):
    """Journals ``n`` compensated steps, then rolls them all back (``parallel`` or LIFO)."""

    def run(self, inp):
        for i in range(inp["n"]):
            activity(acts.record, inp["log"], f"step{i}", compensate=acts.unrecord)
        compensate_all(parallel=inp.get("parallel", False))
        return "rolled back"


class Waiter(Workflow, workflow=N + "Waiter"):
    def run(self, inp):
        return await_signal("never")


class Nest(Workflow, workflow=N + "Nest"):
    """A chain of ``depth`` descendants, every level waiting forever."""

    def run(self, depth):
        if depth > 0:
            start_child(Nest, depth - 1, id="down")
        return await_signal("never")


class Handoff(Workflow, workflow=N + "Handoff"):
    """Starts a child, continues as new without awaiting it, then waits."""

    def run(self, n):
        if n == 0:
            start_child(Waiter, None, id="orphan")
            continue_as_new(1)
        return await_signal("never")


class Queued(Workflow, workflow=N + "Queued"):
    def run(self, inp):
        return activity(acts.reserve, "remote-item", queue="elsewhere")


class Sleepy(Workflow, workflow=N + "Sleepy"):
    def run(self, inp):
        timer(3600)
        return "woke"


class CleanupWaits(Workflow, workflow=N + "CleanupWaits"):
    """Catches Cancelled, then (wrongly) waits for a signal during its cleanup."""

    def run(self, inp):
        activity(acts.reserve, "x", compensate=acts.release)
        try:
            await_signal("never")
        except Cancelled:
            compensate_all()
            await_signal("cleanup-done")  # raises Cancelled again: cleanup cannot wait
        return "unreachable"


class Ignores(Workflow, workflow=N + "Ignores"):
    """Catches Cancelled and returns a value: the run still ends cancelled."""

    def run(self, inp):
        try:
            await_signal("never")
        except Cancelled:
            return "ignored"
        return "signalled"


ALL = (
    Reserve,
    Together,
    Leaf,
    FanOut,
    Saga,
    Waiter,
    Nest,
    Handoff,
    Queued,
    Sleepy,
    CleanupWaits,
    Ignores,
)
