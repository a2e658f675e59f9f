"""Continuum's side of the runtime benchmark: a client process driven by `bench_runtime.py`.

Run with the product's Python: ``python bench/runtime_continuum_runner.py URL [APP]``.
It starts workflows with `continuum.Client` by name and waits for their results, as an
application would. Two deployments:

- ``URL`` alone (**separate worker**): the workflows execute in a ``continuum worker``
  process that the orchestrator started; client and worker share only Postgres.
- ``URL APP`` (**co-located**, library mode like DBOS): this process also runs a
  `Worker` on the built app ``APP`` (its ``benchflows._continuum`` registry), and the
  client is bound to it (`Worker.client`). A start inserts the run already leased to
  that worker and runs it on one of its threads; `result` waits in process.

Protocol: `runtime_protocol.serve`.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from runtime_protocol import ONE_STEP, STEPS, WAIT_SIGNAL, serve
from runtime_sqlcount import install

from continuum.runtime.client import Client, open_store
from continuum.runtime.registry import Registry
from continuum.runtime.worker import Worker, WorkerOptions

# Count every statement this process sends (see runtime_sqlcount); patching psycopg's
# classes covers connections opened before and after.
install()

FLOWS = {
    STEPS: "benchflows.flows:Steps",
    ONE_STEP: "benchflows.flows:OneStep",
    WAIT_SIGNAL: "benchflows.flows:WaitSignal",
}
#: Executor threads of the co-located worker, as for the separate one (`bench_runtime`).
CONCURRENCY = 20
#: The concurrent workload's 50 client threads share the co-located store's pool too.
POOL = CONCURRENCY + 2 + 50


class ContinuumAdapter:
    """`runtime_protocol.Adapter` over `continuum.Client`."""

    def __init__(self, database_url: str, app: str | None = None) -> None:
        self.worker: Worker | None = None
        if app is None:
            self.client = Client(database_url, migrate=False)
            return
        sys.path.insert(0, app)
        registry = Registry.load(["benchflows._continuum"])
        store = open_store(database_url, migrate=False, max_connections=POOL)
        self.worker = Worker(store, registry, WorkerOptions(concurrency=CONCURRENCY)).start()
        self.client = self.worker.client()

    def start(self, kind: str, arg: Any) -> str:
        """Separate: insert the run, a worker claims it on the NOTIFY. Co-located: insert
        it leased to this process's worker and run it here."""
        return self.client.start(FLOWS[kind], arg)

    def result(self, handle: str) -> Any:
        """`Client.result`: the in-process outcome, or LISTEN for the finish and read it."""
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
        """Stop the co-located worker, close the store."""
        if self.worker is not None:
            self.worker.stop()
            self.worker.store.close()
        self.client.close()


def main() -> None:
    """Entry point: ``runtime_continuum_runner.py DATABASE_URL [APP_DIR]``."""
    holder: list[ContinuumAdapter] = []

    def make() -> ContinuumAdapter:
        holder.append(ContinuumAdapter(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
        return holder[0]

    serve(make, lambda: holder and holder[0].close())


if __name__ == "__main__":
    main()
