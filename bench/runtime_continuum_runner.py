"""Continuum's side of the runtime benchmark: a client process driven by `bench_runtime.py`.

Run with the product's Python: ``python bench/runtime_continuum_runner.py URL``. It
starts workflows with `continuum.Client` by name and waits for their results, as an
application would; the workflows execute in a separate ``continuum worker`` process
that the orchestrator started (a real deployment: clients and workers apart, sharing
only Postgres). Protocol: `runtime_protocol.serve`.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from runtime_protocol import ONE_STEP, STEPS, WAIT_SIGNAL, serve
from runtime_sqlcount import install

from continuum.runtime.client import Client

# Count every statement this process sends (see runtime_sqlcount); patching psycopg's
# classes covers connections opened before and after.
install()

FLOWS = {
    STEPS: "benchflows.flows:Steps",
    ONE_STEP: "benchflows.flows:OneStep",
    WAIT_SIGNAL: "benchflows.flows:WaitSignal",
}


class ContinuumAdapter:
    """`runtime_protocol.Adapter` over `continuum.Client`."""

    def __init__(self, database_url: str) -> None:
        self.client = Client(database_url, migrate=False)

    def start(self, kind: str, arg: Any) -> str:
        """Insert the run (one commit); a worker claims it on the NOTIFY."""
        return self.client.start(FLOWS[kind], arg)

    def result(self, handle: str) -> Any:
        """`Client.result`: LISTEN for the finish notification, read the run."""
        return self.client.result(handle, timeout=120)

    def wait_blocked(self, handle: str) -> None:
        """Poll until the run is suspended on its signal."""
        deadline = time.monotonic() + 60
        while True:
            run = self.client.get_run(handle)
            if run is not None and run.status == "suspended":
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {handle} never waited for its signal")
            time.sleep(0.002)

    def signal(self, handle: str) -> None:
        """`Client.signal`: buffer the signal and wake the run."""
        self.client.signal(handle, "go")

    def close(self) -> None:
        """Close the client's pool."""
        self.client.close()


def main() -> None:
    """Entry point: ``runtime_continuum_runner.py DATABASE_URL``."""
    holder: list[ContinuumAdapter] = []

    def make() -> ContinuumAdapter:
        holder.append(ContinuumAdapter(sys.argv[1]))
        return holder[0]

    serve(make, lambda: holder and holder[0].close())


if __name__ == "__main__":
    main()
