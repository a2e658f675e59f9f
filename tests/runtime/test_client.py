"""`Client` behaviour a caller relies on: results, waiting, filters, mistakes."""

from __future__ import annotations

import json

import pytest

from continuum import ContinuumError
from continuum.runtime.store.base import CONTINUED
from tests.runtime.app import flows


def test_result_times_out_on_a_waiting_run(client, drive):
    run_id = client.start(flows.Approval, {"timeout": None})
    drive(run_id)
    with pytest.raises(TimeoutError):
        client.result(run_id, timeout=0.2)


def test_unknown_run_and_name_mistakes(client):
    with pytest.raises(ContinuumError, match="no run"):
        client.result("missing", timeout=0.1)
    with pytest.raises(ContinuumError, match=r"package\.module:ClassName"):
        client.start("NoColon", {})
    client.start(flows.Approval, {}, id="same")
    with pytest.raises(ContinuumError, match="already belongs to workflow"):
        client.start(flows.Steps, {}, id="same")


def test_list_runs_filters(client):
    a = client.start(flows.Approval, {}, namespace="shop", attributes={"customer": "ada"})
    client.start(flows.Approval, {}, namespace="other", attributes={"customer": "bo"})
    client.start(flows.Steps, {}, namespace="shop")
    assert [r.run_id for r in client.list_runs(namespace="shop", workflow=flows.Approval)] == [a]
    assert [r.run_id for r in client.list_runs(attributes={"customer": "ada"})] == [a]
    assert len(client.list_runs(limit=2)) == 2
    assert {r.status for r in client.list_runs()} == {"pending"}


@pytest.mark.parametrize("result", [None, "{}", '{"continued_as": ""}', "not json", "SELF"])
def test_a_continued_run_naming_no_successor_raises_instead_of_looping(client, store, result):
    # Hand-made: a run ended `continued` whose result names no (other) successor.
    run_id = client.start(flows.Approval, {}, id="broken-chain")
    [(_, lease)] = store.claim_runs(
        owner="w",
        current_versions={flows.Approval.__continuum_name__: "h"},
        known_versions=(),
        limit=1,
        lease_seconds=30,
    )
    if result == "SELF":
        result = json.dumps({"continued_as": run_id})
    store.finish(lease, status=CONTINUED, result=result)
    for call in (
        lambda: client.result(run_id, timeout=1),
        lambda: client.signal(run_id, "approve", True),
        lambda: client.cancel(run_id),
    ):
        with pytest.raises(ContinuumError, match="run broken-chain continued as new but"):
            call()
