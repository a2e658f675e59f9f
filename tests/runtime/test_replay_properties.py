"""Property: any workflow shape replays to the result it produced live, journaling nothing new."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from continuum.runtime.client import Client
from continuum.runtime.engine import execute_run
from continuum.runtime.lease import LeaseHandle
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import COMPLETED, NewRun
from continuum.testing.drive import drain
from continuum.testing.memory_store import InMemoryStore
from tests.runtime.app import flows

REGISTRY = Registry.from_classes(flows.Shapes)
OPS = st.lists(
    st.sampled_from(["activity", "side_effect", "random", "timer", "signal", "wait"]), max_size=12
)


def replay(store: InMemoryStore, run_id: str):
    """Execute the recorded history again in a fresh store; return (outcome, replica)."""
    original = store.get_run(run_id)
    replica = InMemoryStore()
    replica.create_run(NewRun(run_id=run_id, workflow=original.workflow, input=original.input))
    [(run, lease)] = replica.claim_runs(
        owner="replayer",
        current_versions=REGISTRY.current,
        known_versions=REGISTRY.known_versions,
        limit=1,
        lease_seconds=30,
    )
    replica._runs[run_id].events = store.load_events(run_id)
    return execute_run(replica, run, LeaseHandle(lease), REGISTRY), replica


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS, payloads=st.lists(st.integers() | st.text(max_size=5), min_size=12, max_size=12))
def test_random_shapes_replay_to_the_same_result(ops, payloads):
    store = InMemoryStore()
    client = Client(store=store)
    run_id = client.start(flows.Shapes, ops)
    for payload in payloads[: ops.count("signal")]:
        client.signal(run_id, "s", payload)
    for _ in range(50):
        drain(store, REGISTRY, short_wait=0.0)
        if store.get_run(run_id).status == COMPLETED:
            break
    result = client.result(run_id, timeout=5)
    assert len(result) == len(ops)
    assert [r for r, op in zip(result, ops, strict=True) if op == "signal"] == payloads[
        : ops.count("signal")
    ]
    outcome, replica = replay(store, run_id)
    assert outcome.status == COMPLETED
    assert json.loads(replica.get_run(run_id).result) == json.loads(store.get_run(run_id).result)
    assert len(replica.load_events(run_id)) == len(store.load_events(run_id))
