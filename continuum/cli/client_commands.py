"""``continuum start``, ``signal`` and ``cancel``: the `Client` from the shell."""

from __future__ import annotations

import json
from typing import Any

import click

from ._store_options import emit_json, store_options


def _parse_json(text: str | None, what: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as err:
        raise click.BadParameter(f"{what} is not valid JSON: {err}") from None


def _client(database_url: str | None, schema: str | None) -> Any:
    from continuum.runtime.client import Client

    return Client(database_url, schema=schema)


@click.command("start")
@click.argument("workflow")
@click.argument("input_json", required=False)
@click.option("--id", "run_id", default=None, help="Run id; starting an existing id is a no-op.")
@click.option("--namespace", default="default", show_default=True)
@click.option(
    "--attributes", "attributes_json", default=None, help="Searchable attributes as a JSON object."
)
@store_options
def start(
    workflow: str,
    input_json: str | None,
    run_id: str | None,
    namespace: str,
    attributes_json: str | None,
    database_url: str | None,
    schema: str | None,
    as_json: bool,
) -> None:
    """Start WORKFLOW ('pkg.mod:Class') with INPUT_JSON and print the run id."""
    data = _parse_json(input_json, "INPUT_JSON")
    attributes = _parse_json(attributes_json, "--attributes") or {}
    with _client(database_url, schema) as client:
        started = client.start(
            workflow, data, id=run_id, namespace=namespace, attributes=attributes
        )
    if as_json:
        emit_json({"run_id": started, "workflow": workflow})
    else:
        click.echo(started)


@click.command("signal")
@click.argument("run_id")
@click.argument("name")
@click.argument("payload_json", required=False)
@click.option(
    "--delivery-id", default=None, help="Makes the signal idempotent: a repeat is ignored."
)
@store_options
def signal(
    run_id: str,
    name: str,
    payload_json: str | None,
    delivery_id: str | None,
    database_url: str | None,
    schema: str | None,
    as_json: bool,
) -> None:
    """Send signal NAME with PAYLOAD_JSON (default null) to run RUN_ID."""
    payload = _parse_json(payload_json, "PAYLOAD_JSON")
    with _client(database_url, schema) as client:
        delivered = client.signal(run_id, name, payload, delivery_id=delivery_id)
    if as_json:
        emit_json({"run_id": run_id, "signal": name, "delivered": delivered})
    else:
        click.echo(
            "delivered" if delivered else "not delivered (duplicate delivery id or finished run)"
        )


@click.command("cancel")
@click.argument("run_id")
@store_options
def cancel(run_id: str, database_url: str | None, schema: str | None, as_json: bool) -> None:
    """Request cancellation of RUN_ID; it stops at its next effect."""
    with _client(database_url, schema) as client:
        requested = client.cancel(run_id)
    if as_json:
        emit_json({"run_id": run_id, "cancel_requested": requested})
    else:
        click.echo("cancellation requested" if requested else "run already finished")


COMMANDS = [start, signal, cancel]
