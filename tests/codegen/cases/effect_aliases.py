import continuum as cn
from continuum import Workflow, patched
from continuum import activity as act
from app.acts import ping, pong


class Flow(Workflow, signals=["go"], snapshot_threshold=100):
    def run(self, x):
        act(ping, x, retry=None)
        if patched("use-pong"):
            act(
                pong,
                x,
            )
        choice = cn.await_signal("go", timeout=cn.hours(1))

        def later():
            return cn.now()

        stamp = (lambda: cn.uuid4())()
        cn.sleep(5)
        return choice, later(), stamp
# output
"""Frozen version cb7f0d89383dcdc6 of workflow app.flows:Flow (built by continuum build)."""

import continuum as cn
from continuum import Workflow, patched
from continuum import activity as act

from app.acts import ping, pong


class Flow(Workflow, signals=["go"], snapshot_threshold=100, workflow="app.flows:Flow"):
    def run(self, x):
        act(ping, x, retry=None, _command=("activity", "app.flows:Flow", "Flow.run", 9, "19f924b5"))
        if patched("use-pong", _command=("patched", "app.flows:Flow", "Flow.run", 10, "f1a6f456")):
            act(
                pong,
                x,
                _command=("activity", "app.flows:Flow", "Flow.run", 11, "d018a017"),
            )
        choice = cn.await_signal("go", timeout=cn.hours(1), _command=("await_signal", "app.flows:Flow", "Flow.run", 15, "a442971a"))

        def later():
            return cn.now(_command=("now", "app.flows:Flow", "Flow.run.<locals>.later", 18, "00727228"))

        stamp = (lambda: cn.uuid4(_command=("uuid4", "app.flows:Flow", "Flow.run.<locals>.<lambda>", 20, "93101148")))()
        cn.sleep(5, _command=("timer", "app.flows:Flow", "Flow.run", 21, "1460cac5"))
        return choice, later(), stamp


__continuum_workflow__ = {
    "workflow": "app.flows:Flow",
    "source_module": "app.flows",
    "entrypoint": "Flow",
    "version": 1,
    "retention": 2592000.0,
    "snapshot_threshold": 100,
    "signals": ["go"],
    "patch_sites": ["use-pong"],
    "version_hash": "cb7f0d89383dcdc6310407e4d1284e946d48fbf95f0ba69827aaea14d1d1edaf",
    "hash_scheme": "continuum-hash-v1",
    "python": "<python>",
}
