"""An application process running a co-located worker: ``python -m tests.runtime.colocated_main``.

Arguments: ``DATABASE_URL SCHEMA LOG RUNS STEPS``. It starts a `Worker` (2-second
leases) in this process, starts ``RUNS`` `Steps` runs through the bound client
(`Worker.client`), prints their ids as one JSON line, then waits to be killed. Used
by the SIGKILL test in ``test_colocated.py``.
"""

from __future__ import annotations

import json
import sys
import threading

from continuum.runtime.registry import Registry
from continuum.runtime.store.postgres import PostgresStore
from continuum.runtime.worker import Worker, WorkerOptions


def main() -> None:
    """Entry point (see the module docstring)."""
    url, schema, log, runs, steps = sys.argv[1:6]
    store = PostgresStore(url, schema=schema)
    registry = Registry.load(["tests.runtime.app._continuum"])
    options = WorkerOptions(concurrency=int(runs), lease_seconds=2.0, poll_interval=0.2)
    worker = Worker(store, registry, options).start()
    client = worker.client()
    run_ids = [
        client.start("tests.runtime.app.flows:Steps", {"steps": int(steps), "log": log})
        for _ in range(int(runs))
    ]
    print(json.dumps(run_ids), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
