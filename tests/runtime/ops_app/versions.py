"""Three frozen versions of one workflow, shaped like `continuum build` output.

``V1`` is the original. ``V2Moved`` is the same code after an edit that only moved
lines (same kind, function and shape; other line numbers). ``V3Changed`` inserts a new
activity before the signal: its history would drift.
"""

from __future__ import annotations

from datetime import timedelta

from continuum import Workflow, activity, await_signal, set_attributes
from tests.runtime.ops_app import acts

W = "tests.runtime.ops_app.flows:Approve"
HASH_V1 = "1" * 64
HASH_V2 = "2" * 64
HASH_V3 = "3" * 64


class V1(Workflow, workflow=W, retention=timedelta(hours=1)):
    def run(self, inp):
        set_attributes(
            customer=inp["customer"], _command=("set_attributes", W, "Approve.run", 5, "a0")
        )
        first = activity(acts.step, 1, _command=("activity", W, "Approve.run", 10, "s1"))
        answer = await_signal("go", _command=("await_signal", W, "Approve.run", 11, "s2"))
        second = activity(acts.step, 2, _command=("activity", W, "Approve.run", 12, "s3"))
        return {"first": first, "answer": answer, "second": second, "version": 1}


class V2Moved(Workflow, workflow=W, retention=None):
    def run(self, inp):
        # A comment block pushed everything down: lines differ, nothing else.
        set_attributes(
            customer=inp["customer"], _command=("set_attributes", W, "Approve.run", 8, "a0")
        )
        first = activity(acts.step, 1, _command=("activity", W, "Approve.run", 13, "s1"))
        answer = await_signal("go", _command=("await_signal", W, "Approve.run", 14, "s2"))
        second = activity(acts.step, 2, _command=("activity", W, "Approve.run", 15, "s3"))
        return {"first": first, "answer": answer, "second": second, "version": 2}


class V3Changed(Workflow, workflow=W):
    def run(self, inp):
        set_attributes(
            customer=inp["customer"], _command=("set_attributes", W, "Approve.run", 5, "a0")
        )
        first = activity(acts.step, 1, _command=("activity", W, "Approve.run", 10, "s1"))
        acts_done = activity(acts.audit, 1, _command=("activity", W, "Approve.run", 11, "s9"))
        answer = await_signal("go", _command=("await_signal", W, "Approve.run", 12, "s2"))
        return {"first": first, "answer": answer, "audit": acts_done, "version": 3}


def registry_data(current: str = HASH_V1) -> tuple[dict, dict]:
    """VERSIONS and CURRENT in the generated registry format."""
    versions = {
        HASH_V1: {"workflow": W, "module": __name__, "entrypoint": "V1"},
        HASH_V2: {"workflow": W, "module": __name__, "entrypoint": "V2Moved"},
        HASH_V3: {"workflow": W, "module": __name__, "entrypoint": "V3Changed"},
    }
    return versions, {W: current}


class Hello(Workflow, workflow="tests.runtime.ops_app.versions:Hello", retention=0):
    """Finishes at once; retention 0 so a finished run is prunable immediately."""

    def run(self, inp):
        set_attributes(tier=inp.get("tier", "basic"))
        return {"hello": inp.get("name")}
