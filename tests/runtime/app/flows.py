"""Workflows used by the runtime tests, run from source (frame-derived command identities)."""

from __future__ import annotations

from continuum import (
    TIMEOUT,
    Retry,
    Workflow,
    activity,
    await_signal,
    compensate,
    logger,
    now,
    patched,
    random,
    set_attributes,
    side_effect,
    timer,
    today,
    uuid4,
)

from . import acts


class Steps(Workflow, workflow="tests.runtime.app.flows:Steps"):
    def run(self, inp):
        total = 0
        for i in range(inp["steps"]):
            logger.info("step %s", i)
            total += activity(acts.record, inp["log"], i)
        return total


class Approval(Workflow, workflow="tests.runtime.app.flows:Approval"):
    def run(self, inp):
        first = await_signal("decision", timeout=inp.get("timeout"))
        if first is TIMEOUT:
            return "timeout"
        second = await_signal("decision", timeout=inp.get("timeout"))
        return [first, "timeout" if second is TIMEOUT else second]


class Sleeper(Workflow, workflow="tests.runtime.app.flows:Sleeper"):
    def run(self, inp):
        timer(inp["seconds"])
        return activity(acts.echo, "woke")


class Flaky(Workflow, workflow="tests.runtime.app.flows:Flaky"):
    def run(self, inp):
        retry = Retry(
            max_attempts=inp["max_attempts"],
            backoff="constant",
            initial=inp.get("delay", 0.01),
            non_retryable=tuple(inp.get("non_retryable", ())),
        )
        try:
            return activity(
                acts.flaky,
                inp["fail_times"],
                inp.get("error", "ValueError"),
                retry=retry,
                queue=inp.get("queue"),
            )
        except Exception as err:  # ActivityError
            return {
                "error": type(err).__name__,
                "error_type": err.error_type,
                "attempts": err.attempts,
            }


class Primitives(Workflow, workflow="tests.runtime.app.flows:Primitives"):
    def run(self, inp):
        stamp = now()
        day = today()
        ident = uuid4()
        rolls = [random().random() for _ in range(2)]
        extra = side_effect(lambda: inp["seed"] * 2)
        set_attributes(customer=inp["customer"])
        flag = patched("new-pricing")
        echoed = activity(acts.echo, inp["seed"])
        timer(0.05)  # forces a replay before the return
        return {
            "now": stamp.isoformat(),
            "today": day.isoformat(),
            "uuid": str(ident),
            "rolls": rolls,
            "extra": extra,
            "patched": flag,
            "echoed": echoed,
        }


class Queued(Workflow, workflow="tests.runtime.app.flows:Queued"):
    def run(self, inp):
        local = activity(acts.echo, "local")
        remote = activity(acts.async_double, inp["x"], queue="remote")
        return [local, remote]


class Timeouts(Workflow, workflow="tests.runtime.app.flows:Timeouts"):
    def run(self, inp):
        out = []
        for name, kwargs, options in inp["calls"]:
            fn = getattr(acts, name)
            try:
                out.append(
                    activity(
                        fn,
                        *kwargs,
                        retry=Retry(max_attempts=1),
                        timeout=options.get("timeout"),
                        heartbeat=options.get("heartbeat"),
                        queue=options.get("queue"),
                    )
                )
            except Exception as err:
                out.append(err.error_type)
        return out


class Swallow(Workflow, workflow="tests.runtime.app.flows:Swallow"):
    def run(self, inp):
        try:
            await_signal("never")
        except BaseException:  # the mistake under test
            pass
        return activity(acts.echo, "after")


class BadArgs(Workflow, workflow="tests.runtime.app.flows:BadArgs"):
    def run(self, inp):
        try:
            activity(acts.echo, {"ok": 1, "bad": object()})
        except Exception as err:
            return str(err)
        return "accepted?"


class Saga(Workflow, workflow="tests.runtime.app.flows:Saga"):
    def run(self, inp):
        charged = activity(acts.charge, inp["order"], compensate=acts.refund)
        decision = await_signal("decision")
        if decision == "rejected":
            compensate(charged)
            return "refunded"
        return "kept"


class Gate(Workflow, workflow="tests.runtime.app.flows:Gate"):
    def run(self, inp):
        first = activity(acts.echo, "before")
        opened = activity(acts.gate, inp["path"])
        return [first, opened]


# Two builds of one workflow, shaped like generated code (explicit command identities):
# the first effect is unchanged, the second was edited.
_D = "tests.runtime.app.flows:Drift"


class DriftA(Workflow, workflow=_D):
    def run(self, inp):
        activity(acts.echo, 1, _command=("activity", _D, "Drift.run", 10, "aaaa0001"))
        await_signal("go", _command=("await_signal", _D, "Drift.run", 11, "aaaa0002"))
        return activity(acts.echo, 2, _command=("activity", _D, "Drift.run", 12, "aaaa0003"))


class DriftB(Workflow, workflow=_D):
    def run(self, inp):
        activity(acts.echo, 1, _command=("activity", _D, "Drift.run", 10, "aaaa0001"))
        timer(0.01, _command=("timer", _D, "Drift.run", 11, "bbbb0002"))  # was await_signal
        return activity(acts.echo, 2, _command=("activity", _D, "Drift.run", 12, "aaaa0003"))


class Parent(Workflow, workflow="tests.runtime.app.flows:Parent"):
    def run(self, inp):
        from continuum import await_child, run_child, start_child

        waiting = start_child(Approval, {"timeout": None}, id="approval")
        steps = run_child(Steps, {"steps": 2, "log": inp["log"]})
        try:
            broken = run_child(Swallow, {})
        except Exception as err:  # ChildError
            broken = [type(err).__name__, err.error_type]
        return [steps, await_child(waiting), broken]


class Counter(Workflow, workflow="tests.runtime.app.flows:Counter"):
    def run(self, n):
        from continuum import continue_as_new

        activity(acts.echo, n)
        if n < 3:
            continue_as_new(n + 1)
        return n


class Chatty(Workflow, workflow="tests.runtime.app.flows:Chatty"):
    def run(self, inp):
        logger.info("before the timer")
        timer(0.05)
        logger.info("after the timer")
        return "ok"


class QueuedGate(Workflow, workflow="tests.runtime.app.flows:QueuedGate"):
    def run(self, inp):
        return activity(acts.gate, inp["path"], queue="remote")


class Relay(Workflow, workflow="tests.runtime.app.flows:Relay"):
    def run(self, got):
        from continuum import continue_as_new

        got = [*got, await_signal("go")]
        if len(got) < 2:
            continue_as_new(got)
        return got


class Shapes(Workflow, workflow="tests.runtime.app.flows:Shapes"):
    """Runs a list of effects chosen by a property test; returns what each returned."""

    def run(self, ops):
        out = []
        for op in ops:
            if op == "activity":
                out.append(activity(acts.echo, len(out)))
            elif op == "side_effect":
                out.append(uuid4().hex)
            elif op == "random":
                out.append(random().randint(0, 10**9))
            elif op == "timer":
                timer(0)
                out.append("t")
            elif op == "signal":
                out.append(await_signal("s"))
            elif op == "wait":
                out.append(str(await_signal("never", timeout=0)))
        return out
