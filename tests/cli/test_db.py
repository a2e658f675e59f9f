"""``continuum db migrate`` / ``continuum db status`` through click, on a real Postgres."""

from __future__ import annotations

import json

from click.testing import CliRunner

from continuum.cli import cli
from continuum.runtime.store.postgres import shipped


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["db", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_status_migrate_status(database_url: str, fresh_schema: str) -> None:
    where = ["--database-url", database_url, "--schema", fresh_schema]
    code, out = run("status", *where)
    assert code == 1
    assert "pending  0001_initial" in out and "run `continuum db migrate`" in out

    code, out = run("migrate", *where)
    assert code == 0
    assert "applied 0001_initial" in out and f"schema {fresh_schema}" in out

    code, out = run("migrate", *where)
    assert code == 0 and "nothing to apply" in out

    code, out = run("status", *where)
    assert code == 0 and "applied  0001_initial" in out and "up to date" in out


def test_json_output(database_url: str, fresh_schema: str) -> None:
    where = ["--database-url", database_url, "--schema", fresh_schema, "--json"]
    code, out = run("migrate", *where)
    applied = json.loads(out)
    assert code == 0 and applied["schema"] == fresh_schema and applied["source"] == "explicit"
    assert [m["version"] for m in applied["applied"]] == [m.version for m in shipped()]
    code, out = run("status", *where)
    report = json.loads(out)
    assert code == 0 and report["up_to_date"] is True
    assert {m["state"] for m in report["migrations"]} == {"applied"}
    assert all(m["applied_at"] for m in report["migrations"])


def test_password_is_never_printed(database_url: str, fresh_schema: str) -> None:
    url = database_url + " password=s3cret"  # libpq key=value form appended
    code, out = run("status", "--database-url", url, "--schema", fresh_schema)
    assert code == 1 and "pending" in out  # it connected (trust auth ignores the password)
    assert "s3cret" not in out


def test_unreachable_database_exits_2() -> None:
    url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
    code, out = run("status", "--database-url", url)
    assert code == 2 and "error:" in out
    code, out = run("migrate", "--database-url", url, "--json")
    assert code == 2 and "error" in json.loads(out)


def test_invalid_schema_name_exits_2(database_url: str) -> None:
    code, out = run("migrate", "--database-url", database_url, "--schema", "bad-name;")
    assert code == 2 and "invalid schema name" in out
