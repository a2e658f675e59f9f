# Frozen copy of tests.runtime.app.flows:Steps, shaped like `continuum build` output:
# every effect call carries its command identity as _command=.
from continuum import Workflow, activity, logger
from tests.runtime.app import acts

__continuum_workflow__ = {
    "workflow": "tests.runtime.app.flows:Steps",
    "entrypoint": "Steps",
    "version_hash": "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "signals": None,
    "retention": 2592000.0,
    "snapshot_threshold": None,
}


class Steps(Workflow, workflow="tests.runtime.app.flows:Steps"):
    def run(self, inp):
        total = 0
        for i in range(inp["steps"]):
            logger.info("step %s", i)
            total += activity(
                acts.record,
                inp["log"],
                i,
                _command=("activity", "tests.runtime.app.flows:Steps", "Steps.run", 31, "5e1f0c2a"),
            )
        return total
