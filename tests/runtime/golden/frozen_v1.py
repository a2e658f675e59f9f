# A frozen workflow version written like `continuum build` output: every effect call
# carries an explicit command identity, so its recorded journals stay valid whatever
# line the code sits on. Never edit these classes: their golden journals pin them.
from continuum import (
    TIMEOUT,
    Retry,
    Workflow,
    activity,
    await_signal,
    compensate,
    now,
    patched,
    random,
    set_attributes,
    side_effect,
    timer,
    uuid4,
)
from tests.runtime.app import acts

W = "tests.runtime.golden.flows:Golden"


def _c(kind, line, shape):
    return (kind, W, "Golden.run", line, shape)


class Golden(Workflow, workflow=W):
    def run(self, inp):
        out = {}
        out["echo"] = activity(acts.echo, inp, _command=_c("activity", 1, "g0000001"))
        out["flaky"] = activity(
            acts.flaky,
            2,
            retry=Retry(max_attempts=3, backoff="constant", initial=0.01),
            _command=_c("activity", 2, "g0000002"),
        )
        try:
            activity(
                acts.flaky,
                5,
                "KeyError",
                retry=Retry(max_attempts=2, initial=0.01),
                _command=_c("activity", 3, "g0000003"),
            )
        except Exception as err:
            out["failed"] = [err.error_type, err.attempts]
        out["queued"] = activity(
            acts.async_double, 21, queue="remote", _command=_c("activity", 4, "g0000004")
        )
        charge = activity(
            acts.charge, "o1", compensate=acts.refund, _command=_c("activity", 5, "g0000005")
        )
        out["signal"] = await_signal("go", timeout=3600, _command=_c("await_signal", 6, "g0000006"))
        out["timeout"] = (
            await_signal("never", timeout=0.01, _command=_c("await_signal", 7, "g0000007"))
            is TIMEOUT
        )
        timer(0.01, _command=_c("timer", 8, "g0000008"))
        out["now"] = now(_command=_c("now", 9, "g0000009")).isoformat()
        out["uuid"] = str(uuid4(_command=_c("uuid4", 10, "g0000010")))
        out["random"] = random(_command=_c("random", 11, "g0000011")).random()
        out["side"] = side_effect(lambda: [1, 2], _command=_c("side_effect", 12, "g0000012"))
        set_attributes(customer="ada", _command=_c("set_attributes", 13, "g0000013"))
        out["patched"] = patched("p1", _command=_c("patched", 14, "g0000014"))
        compensate(charge, _command=_c("compensate", 15, "g0000015"))
        return out
