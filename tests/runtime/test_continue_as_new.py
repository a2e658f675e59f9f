"""continue_as_new: the chain, what the successor inherits, and adopted children."""

from __future__ import annotations

import json

from continuum.runtime.registry import Registry
from continuum.runtime.store.base import CANCELLED, CONTINUED
from tests.runtime.composition import flows
from tests.runtime.golden import frozen_v2 as v2

REG = Registry.from_classes(*flows.ALL, *v2.ALL)


def chain(client, run_id):
    ids = [run_id]
    while (run := client.get_run(ids[-1])).status == CONTINUED:
        ids.append(json.loads(run.result)["continued_as"])
    return ids


def test_chain_shares_correlation_namespace_and_attributes(client, drive):
    run_id = client.start(v2.Counter, 0, namespace="ops", attributes={"team": "core"})
    drive(run_id, reg=REG)
    assert client.result(run_id) == "counted to 2"  # followed to the last run
    ids = chain(client, run_id)
    assert len(ids) == 3 and len(set(ids)) == 3
    runs = [client.get_run(i) for i in ids]
    assert [r.status for r in runs] == [CONTINUED, CONTINUED, "completed"]
    assert {r.correlation_id for r in runs} == {run_id}
    assert {r.namespace for r in runs} == {"ops"}
    assert all(r.attributes == {"team": "core"} for r in runs)
    assert [json.loads(r.input) for r in runs] == [0, 1, 2]
    assert all(len(client.history(i)) == 1 for i in ids)  # each run has a fresh journal


def test_unawaited_children_are_adopted_and_cancel_reaches_them(client, drive, store):
    run_id = client.start(flows.Handoff, 0)
    drive(reg=REG)
    successor = chain(client, run_id)[-1]
    [orphan] = [r for r in store.list_runs(workflow=flows.Waiter.__continuum_name__)]
    assert orphan.parent_id == successor  # re-parented to the chain's live run
    assert client.cancel(run_id)  # addressed to the first run: follows the chain
    drive(reg=REG)
    assert client.get_run(successor).status == CANCELLED
    assert client.get_run(orphan.run_id).status == CANCELLED


def test_a_signal_the_old_run_never_took_reaches_the_successor(client, drive):
    run_id = client.start(flows.Handoff, 0)
    # Buffered at the first run, which continues without awaiting it; the successor does.
    assert client.signal(run_id, "never", "early", delivery_id="d-1")
    drive(reg=REG)
    assert client.result(run_id, timeout=10) == "early"
    assert len(chain(client, run_id)) == 2
