"""`Client` behaviour a caller relies on: results, waiting, filters, mistakes."""

from __future__ import annotations

import pytest

from continuum import ContinuumError
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
