"""`make demo`: the whole toolchain on the example shop, printing what happens.

1. `continuum check` on the shop (clean) and on a deliberately broken copy (errors).
2. `continuum build` on a scratch copy, an edit that makes a second version,
   `build --check` failing before the rebuild and passing after, `continuum inspect`.
3. The runtime on Postgres: migrate, a worker in the background, orders approved and
   rejected by signal (the rejection refunds the charge: a saga), one order whose worker
   is killed with SIGKILL mid-activity and resumes on a new worker, a monthly billing
   run that fans out one child run per invoice, then the results and timelines.

The database is `CONTINUUM_DATABASE_URL` when set, else the local service on
127.0.0.1:5432 when it answers (database `continuum_demo`), else the embedded Postgres.
Everything the demo writes goes under `.continuum/demo/` (ignored by git).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from continuum import Client
from continuum.runtime.settings import resolve_database_url

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / ".continuum" / "demo"
CONTINUUM = [sys.executable, "-m", "continuum"]
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
ORDER = "shop.flows.orders:OrderFlow"
BILLING = "shop.flows.billing:MonthlyBillingFlow"


def banner(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m", flush=True)


def run(*args: str, expect: int = 0, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    """Run a `continuum` command, echo it and its output, check the exit code."""
    print(f"$ continuum {' '.join(args)}", flush=True)
    proc = subprocess.run(
        [*CONTINUUM, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    output = (proc.stdout + proc.stderr).rstrip()
    if output:
        print("  " + output.replace("\n", "\n  "), flush=True)
    print(f"  (exit {proc.returncode})", flush=True)
    if proc.returncode != expect:
        raise SystemExit(f"demo: expected exit {expect} from continuum {args[0]}")
    return proc.stdout


def check_step() -> None:
    banner("1. continuum check: the shop is deterministic")
    run("check", "examples/shop")
    banner("1b. continuum check on a broken copy: errors with hints and call chains")
    run("check", "examples/broken_shop", "--output-format", "concise", expect=1)


def build_step() -> Path:
    banner("2. continuum build: freeze each workflow version into a generated module")
    shutil.rmtree(SCRATCH, ignore_errors=True)
    app = SCRATCH / "examples"
    shutil.copytree(ROOT / "examples" / "shop", app / "shop", ignore=_no_generated)
    run("build", "examples/shop", cwd=SCRATCH)
    run("build", "--check", "examples/shop", cwd=SCRATCH)

    banner("2b. edit OrderFlow (more payment retries): a new version, the old one kept")
    flow = app / "shop" / "flows" / "orders.py"
    flow.write_text(flow.read_text().replace("max_attempts=5", "max_attempts=7"))
    run("build", "--check", "examples/shop", cwd=SCRATCH, expect=1)
    run("build", "examples/shop", cwd=SCRATCH)
    run("build", "--check", "examples/shop", cwd=SCRATCH)
    run("inspect", ORDER, "examples/shop", cwd=SCRATCH)
    return app


def _no_generated(directory: str, names: list[str]) -> list[str]:
    return [n for n in names if n in ("_continuum", "__pycache__")]


def database_url() -> str:
    """The demo's database, following the order in the module docstring."""
    if os.environ.get("CONTINUUM_DATABASE_URL"):
        return os.environ["CONTINUUM_DATABASE_URL"]
    try:
        with psycopg.connect(LOCAL_SERVER, connect_timeout=3, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", ["continuum_demo"]
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier("continuum_demo")))
        return "postgresql://postgres@127.0.0.1:5432/continuum_demo"
    except psycopg.OperationalError:
        print("(no Postgres on 127.0.0.1:5432: starting the embedded server)", flush=True)
        return resolve_database_url(start=SCRATCH)


def reset_schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS continuum CASCADE")


def start_worker(app: Path, env: dict[str, str], log_name: str) -> subprocess.Popen[bytes]:
    log = (SCRATCH / log_name).open("wb")
    return subprocess.Popen(
        [*CONTINUUM, "worker", str(app / "shop"), "--lease-seconds", "3", "--poll-interval", "0.5"],
        cwd=SCRATCH,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"demo: timed out waiting for {what}")
        time.sleep(0.2)


def runtime_step(app: Path) -> None:
    banner("3. the runtime on Postgres")
    url = database_url()
    reset_schema(url)
    env = {**os.environ, "CONTINUUM_DATABASE_URL": url, "SHOP_SHIP_DELAY": "0"}
    run("db", "migrate", env=env)
    worker = start_worker(app, env, "worker-1.log")
    print(f"worker 1 started (pid {worker.pid})", flush=True)

    orders = {
        "order-1001": {"verdict": "approved", "items": [{"sku": "lamp", "quantity": 2}]},
        "order-1002": {"verdict": "rejected", "items": [{"sku": "book", "quantity": 1}]},
    }
    with Client(url) as client:
        for run_id, spec in orders.items():
            order = _order(run_id, spec["items"])
            run("start", ORDER, json.dumps(order), "--id", run_id, env=env)
        for run_id, spec in orders.items():
            wait_for(lambda r=run_id: _waiting_for_signal(client, r), f"{run_id} to wait")
            run("signal", run_id, "fraud_review", json.dumps(spec["verdict"]), env=env)
        for run_id in orders:
            print(f"{run_id}: {client.result(run_id, timeout=60)}", flush=True)

        banner("3b. a worker killed with SIGKILL in the middle of an activity")
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        slow_env = {**env, "SHOP_SHIP_DELAY": "4"}
        worker = start_worker(app, slow_env, "worker-2.log")
        print(f"worker 2 started with a slow carrier (pid {worker.pid})", flush=True)
        run_id = "order-1003"
        run(
            "start",
            ORDER,
            json.dumps(_order(run_id, [{"sku": "mug", "quantity": 3}])),
            "--id",
            run_id,
            env=env,
        )
        wait_for(lambda: _waiting_for_signal(client, run_id), f"{run_id} to wait")
        run("signal", run_id, "fraud_review", '"approved"', env=env)
        time.sleep(1.5)  # worker 2 is now inside shipping.ship
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        print(f"worker 2 killed with SIGKILL; run is {client.get_run(run_id).status}", flush=True)
        worker = start_worker(app, env, "worker-3.log")
        print(f"worker 3 started (pid {worker.pid}); it re-leases the run after expiry", flush=True)
        print(f"{run_id}: {client.result(run_id, timeout=60)}", flush=True)

    banner("3c. a parent/child batch: monthly billing fans out one child run per invoice")
    batch = {
        "month": "2026-11",
        "invoices": [
            {"id": f"inv-2026-11-{n}", "subtotal": subtotal, "email": f"c{n}@example.com"}
            for n, subtotal in enumerate(["12.50", "80.00", "44.10"], start=1)
        ],
    }
    run("start", BILLING, json.dumps(batch), "--id", "billing-2026-11", env=env)
    with Client(url) as client:
        print(f"billing-2026-11: {client.result('billing-2026-11', timeout=60)}", flush=True)
    run("runs", "list", "--workflow", "shop.flows.billing:InvoiceFlow", env=env)

    banner("3d. the runs and their timelines")
    run("runs", "list", env=env)
    run("runs", "show", "order-1002", env=env)  # the saga: refund after the rejection
    run("runs", "show", "order-1003", env=env)  # resumed by replay on worker 3
    run("runs", "show", "billing-2026-11", env=env)
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)


def _order(run_id: str, items: list[dict]) -> dict:
    return {"id": run_id, "items": items, "email": f"{run_id}@example.com", "address": "1 Main St"}


def _waiting_for_signal(client: Client, run_id: str) -> bool:
    run = client.get_run(run_id)
    return run is not None and (run.waiting_on or "").startswith("signal:")


def main() -> None:
    os.chdir(ROOT)
    check_step()
    app = build_step()
    runtime_step(app)
    banner("done")


if __name__ == "__main__":
    main()
