# Hand-written in the format `continuum build` generates (REGISTRY_FORMAT 1), for the
# runtime tests' worker processes. V_steps is a frozen copy like a generated module;
# the other versions point at the source classes directly.
REGISTRY_FORMAT = 1
VERSIONS = {
    "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9": {
        "workflow": "tests.runtime.app.flows:Steps",
        "module": "tests.runtime.app._continuum.V_a1b2c3d4e5f60718",
        "entrypoint": "Steps",
    },
    "src-approval": {
        "workflow": "tests.runtime.app.flows:Approval",
        "module": "tests.runtime.app.flows",
        "entrypoint": "Approval",
    },
    "src-sleeper": {
        "workflow": "tests.runtime.app.flows:Sleeper",
        "module": "tests.runtime.app.flows",
        "entrypoint": "Sleeper",
    },
    "src-gate": {
        "workflow": "tests.runtime.app.flows:Gate",
        "module": "tests.runtime.app.flows",
        "entrypoint": "Gate",
    },
    "src-queued": {
        "workflow": "tests.runtime.app.flows:Queued",
        "module": "tests.runtime.app.flows",
        "entrypoint": "Queued",
    },
    "src-queued-gate": {
        "workflow": "tests.runtime.app.flows:QueuedGate",
        "module": "tests.runtime.app.flows",
        "entrypoint": "QueuedGate",
    },
}
CURRENT = {
    "tests.runtime.app.flows:Steps": "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "tests.runtime.app.flows:Approval": "src-approval",
    "tests.runtime.app.flows:Sleeper": "src-sleeper",
    "tests.runtime.app.flows:Gate": "src-gate",
    "tests.runtime.app.flows:Queued": "src-queued",
    "tests.runtime.app.flows:QueuedGate": "src-queued-gate",
}
