# Frozen workflow versions for the golden journals of the composition scenarios, shaped
# like `continuum build` output: every effect call carries an explicit command identity
# (kind, workflow, function, line, shape), so recorded journals stay valid wherever the
# code sits. NEVER edit these classes: the journals in golden/*.json pin them. Add new
# classes (and journals) instead.
from continuum import (
    TIMEOUT,
    Cancelled,
    ChildCancelledError,
    ChildError,
    Retry,
    Workflow,
    activity,
    await_child,
    await_signal,
    compensate,
    compensate_all,
    continue_as_new,
    now,
    patched,
    random,
    run_child,
    set_attributes,
    side_effect,
    start_child,
    timer,
    today,
    uuid4,
)
from tests.runtime.app import acts
from tests.runtime.composition import acts as comp

P = "tests.runtime.golden.v2:"


def _c(name, kind, line):
    return (kind, P + name, f"{name}.run", line, f"{name[:4].lower()}{line:04d}")


class RetryThenSuccess(Workflow, workflow=P + "RetryThenSuccess"):
    def run(self, inp):
        retry = Retry(max_attempts=4, backoff="constant", initial=0.01)
        return activity(acts.flaky, 2, retry=retry, _command=_c("RetryThenSuccess", "activity", 1))


class TerminalFailure(Workflow, workflow=P + "TerminalFailure"):
    def run(self, inp):
        try:
            activity(
                acts.flaky,
                9,
                retry=Retry(max_attempts=2, backoff="constant", initial=0.01),
                _command=_c("TerminalFailure", "activity", 1),
            )
        except Exception as err:
            return [err.error_type, err.attempts]
        return "unreachable"


class SignalThenActivity(Workflow, workflow=P + "SignalThenActivity"):
    def run(self, inp):
        got = await_signal("go", _command=_c("SignalThenActivity", "await_signal", 1))
        return activity(acts.echo, got, _command=_c("SignalThenActivity", "activity", 2))


class SignalTimeout(Workflow, workflow=P + "SignalTimeout"):
    def run(self, inp):
        got = await_signal("never", timeout=10, _command=_c("SignalTimeout", "await_signal", 1))
        return "timeout" if got is TIMEOUT else got


class Timer(Workflow, workflow=P + "Timer"):
    def run(self, inp):
        timer(30, _command=_c("Timer", "timer", 1))
        return activity(acts.echo, "woke", _command=_c("Timer", "activity", 2))


class Leaf(Workflow, workflow=P + "Leaf"):
    def run(self, n):
        return activity(acts.echo, n * 10, _command=_c("Leaf", "activity", 1))


class FanOut(Workflow, workflow=P + "FanOut"):
    def run(self, inp):
        refs = [
            start_child(Leaf, n, id=f"leaf-{n}", _command=_c("FanOut", "start_child", 1))
            for n in range(inp["children"])
        ]
        return [await_child(ref, _command=_c("FanOut", "await_child", 2)) for ref in refs]


class Counter(Workflow, workflow=P + "Counter"):
    def run(self, n):
        activity(acts.echo, n, _command=_c("Counter", "activity", 1))
        if n < 2:
            continue_as_new(n + 1, _command=_c("Counter", "continue_as_new", 2))
        return f"counted to {n}"


class AwaitContinued(Workflow, workflow=P + "AwaitContinued"):
    def run(self, inp):
        return run_child(Counter, 0, _command=_c("AwaitContinued", "run_child", 1))


def _reserve_all(name, items):
    return [
        activity(
            comp.reserve,
            item,
            compensate=comp.broken_release if item == "broken" else comp.release,
            _command=_c(name, "activity", 1),
        )
        for item in items
    ]


class ParallelCompensation(Workflow, workflow=P + "ParallelCompensation"):
    def run(self, items):
        refs = _reserve_all("ParallelCompensation", items)
        compensate_all(parallel=True, _command=_c("ParallelCompensation", "compensate_all", 2))
        return [ref.value["item"] for ref in refs]


class LifoCompensation(Workflow, workflow=P + "LifoCompensation"):
    def run(self, items):
        refs = _reserve_all("LifoCompensation", items)
        compensate(refs[0], _command=_c("LifoCompensation", "compensate", 2))
        compensate_all(_command=_c("LifoCompensation", "compensate_all", 3))
        return len(refs)


class PatchOld(Workflow, workflow=P + "Patch"):
    """The code before the change: histories recorded with it have no patch marker."""

    def run(self, inp):
        return activity(acts.echo, "old", _command=_c("Patch", "activity", 2))


class Patch(Workflow, workflow=P + "Patch"):
    """The code after the change, guarded by patched()."""

    def run(self, inp):
        if patched("new-echo", _command=_c("Patch", "patched", 1)):
            return activity(acts.echo, "new", _command=_c("Patch", "activity", 3))
        return activity(acts.echo, "old", _command=_c("Patch", "activity", 2))


class Waiter(Workflow, workflow=P + "Waiter"):
    def run(self, inp):
        return await_signal("never", _command=_c("Waiter", "await_signal", 1))


class CancelParent(Workflow, workflow=P + "CancelParent"):
    def run(self, inp):
        start_child(Waiter, None, id="a", _command=_c("CancelParent", "start_child", 1))
        start_child(Waiter, None, id="b", _command=_c("CancelParent", "start_child", 2))
        return await_signal("never", _command=_c("CancelParent", "await_signal", 3))


class CancelCleanup(Workflow, workflow=P + "CancelCleanup"):
    def run(self, items):
        _reserve_all("CancelCleanup", items)
        try:
            return await_signal("never", _command=_c("CancelCleanup", "await_signal", 2))
        except Cancelled:
            compensate_all(_command=_c("CancelCleanup", "compensate_all", 3))
            raise


class Primitives(Workflow, workflow=P + "Primitives"):
    def run(self, inp):
        return {
            "now": now(_command=_c("Primitives", "now", 1)).isoformat(),
            "today": today(_command=_c("Primitives", "today", 2)).isoformat(),
            "uuid": str(uuid4(_command=_c("Primitives", "uuid4", 3))),
            "random": random(_command=_c("Primitives", "random", 4)).randint(0, 10**6),
            "side": side_effect(lambda: [1, 2], _command=_c("Primitives", "side_effect", 5)),
        }


class Tagged(Workflow, workflow=P + "Tagged"):
    def run(self, inp):
        set_attributes(stage="child", _command=_c("Tagged", "set_attributes", 1))
        return "tagged"


class Attributes(Workflow, workflow=P + "Attributes"):
    def run(self, inp):
        set_attributes(stage="started", _command=_c("Attributes", "set_attributes", 1))
        child = run_child(Tagged, None, _command=_c("Attributes", "run_child", 2))
        set_attributes(stage="done", _command=_c("Attributes", "set_attributes", 3))
        return child


class ChildOutcomes(Workflow, workflow=P + "ChildOutcomes"):
    def run(self, inp):
        out = [run_child(TerminalFailure, None, _command=_c("ChildOutcomes", "run_child", 1))]
        try:
            run_child(Failing, None, _command=_c("ChildOutcomes", "run_child", 2))
        except ChildError as err:
            out.append(["failed", err.error_type])
        waiting = start_child(Waiter, None, _command=_c("ChildOutcomes", "start_child", 3))
        signal = await_signal("cancelled", _command=_c("ChildOutcomes", "await_signal", 4))
        try:
            await_child(waiting, _command=_c("ChildOutcomes", "await_child", 5))
        except ChildCancelledError as err:
            out.append([signal, err.error_type])
        return out


class Failing(Workflow, workflow=P + "Failing"):
    def run(self, inp):
        activity(
            comp.fail, "boom", retry=Retry(max_attempts=1), _command=_c("Failing", "activity", 1)
        )


ALL = (
    RetryThenSuccess,
    TerminalFailure,
    SignalThenActivity,
    SignalTimeout,
    Timer,
    Leaf,
    FanOut,
    Counter,
    AwaitContinued,
    ParallelCompensation,
    LifoCompensation,
    Patch,
    Waiter,
    CancelParent,
    CancelCleanup,
    Primitives,
    Tagged,
    Attributes,
    ChildOutcomes,
    Failing,
)
