"""Re-record the golden journals: ``python -m tests.runtime.golden.record`` (only on purpose:
a new journal format must still replay the old files, so keep those and add new ones)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from continuum.runtime.client import Client
from continuum.runtime.registry import Registry
from continuum.testing import InMemoryStore, drain
from tests.runtime.golden import frozen_v1

HERE = Path(__file__).parent
REGISTRY = Registry.from_classes(frozen_v1.Golden)


def record(name: str, inp: object, signals: list[object]) -> dict:
    moment = [datetime(2030, 1, 1, tzinfo=UTC)]
    store = InMemoryStore(clock=lambda: moment[0])
    client = Client(store=store)
    run_id = client.start(frozen_v1.Golden, inp, id=f"golden-{name}")
    for payload in signals:
        client.signal(run_id, "go", payload)
    for _ in range(20):
        drain(store, REGISTRY, queues=("remote",))
        if store.get_run(run_id).status == "completed":
            break
        moment[0] += timedelta(seconds=5)
    run = store.get_run(run_id)
    return {
        "workflow": run.workflow,
        "input": run.input,
        "result": run.result,
        "events": [
            {
                "seq": e.seq,
                "kind": e.kind,
                "command": list(e.command) if e.command else None,
                "payload": e.payload,
            }
            for e in store.load_events(run_id)
        ],
    }


def main() -> None:
    cases = {"golden_v1_basic": ({"order": 1}, ["approved"])}
    for name, (inp, signals) in cases.items():
        data = record(name, inp, signals)
        (HERE / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
        sys.stdout.write(f"wrote {name}.json ({len(data['events'])} events)\n")


if __name__ == "__main__":
    main()
