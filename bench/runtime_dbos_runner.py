"""DBOS Transact's side of the runtime benchmark, driven by `bench_runtime.py`.

Run with the peers' Python: ``bench/.venv/bin/python bench/runtime_dbos_runner.py URL``.
DBOS is a library: the workflows execute inside this process, on DBOS's executor
threads, checkpointing to the system database at URL (``system_database_url``). That
is how DBOS is deployed, so this is its real configuration. Protocol:
`runtime_protocol.serve`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from runtime_protocol import ONE_STEP, STEPS, WAIT_SIGNAL, serve
from runtime_sqlcount import install

sys.path.insert(0, str(Path(__file__).resolve().parent / "apps" / "dbos_app"))

import dbos_flows
from dbos import DBOS, DBOSConfig

# Count every statement this process sends (see runtime_sqlcount); patching psycopg's
# classes covers connections opened before and after.
install()

FLOWS = {
    STEPS: dbos_flows.steps,
    ONE_STEP: dbos_flows.one_step,
    WAIT_SIGNAL: dbos_flows.wait_signal,
}


class DBOSAdapter:
    """`runtime_protocol.Adapter` over DBOS's in-process API."""

    def __init__(self, database_url: str) -> None:
        config: DBOSConfig = {
            "name": "continuum-bench",
            "system_database_url": database_url,
            "log_level": "WARNING",
        }
        DBOS(config=config)
        DBOS.launch()

    def start(self, kind: str, arg: Any) -> Any:
        """`DBOS.start_workflow`: durably record the workflow, run it on an executor thread."""
        return DBOS.start_workflow(FLOWS[kind], arg)

    def result(self, handle: Any) -> Any:
        """`WorkflowHandle.get_result`."""
        return handle.get_result()

    def wait_blocked(self, handle: Any) -> None:
        """Wait for the workflow's ``ready`` event, set just before it calls `DBOS.recv`."""
        if DBOS.get_event(handle.get_workflow_id(), "ready", timeout_seconds=60) is None:
            raise TimeoutError("the DBOS workflow never reached its recv")

    def signal(self, handle: Any) -> None:
        """`DBOS.send` to the workflow's ``go`` topic."""
        DBOS.send(handle.get_workflow_id(), True, topic="go")

    def close(self) -> None:
        """Shut DBOS down."""
        DBOS.destroy()


def main() -> None:
    """Entry point: ``runtime_dbos_runner.py DATABASE_URL``."""
    serve(lambda: DBOSAdapter(sys.argv[1]), DBOS.destroy)


if __name__ == "__main__":
    main()
