"""`continuum versions`, `versions gc` and `runs migrate` from the command line."""

from __future__ import annotations

import ast
import json
import uuid
from pathlib import Path

from click.testing import CliRunner

from continuum.cli import cli
from continuum.codegen.registry import OutputDir, registry_text, scan_versions
from continuum.runtime.store.base import NewRun
from continuum.runtime.store.postgres import PostgresStore
from continuum.testing.drive import drain
from tests.runtime.ops_app.versions import HASH_V1, HASH_V2, HASH_V3, W

A, B, C, D = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)


def _app(root: Path) -> tuple[str, OutputDir]:
    """A generated output tree: versions A (old, imports helper H_1), B (old), C (current)."""
    package = f"gcapp_{uuid.uuid4().hex[:8]}"
    out_dir = root / package / "_continuum"
    out_dir.mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    out = OutputDir(out_dir, f"{package}._continuum")
    helpers = {A: "H_1111111111111111", C: "H_3333333333333333"}
    for digest in helpers.values():
        (out_dir / f"{digest}.py").write_text("RATE = 1\n")
    (out_dir / "H_9999999999999999.py").write_text("ORPHAN = 1\n")
    for version in (A, B, C):
        imports = (
            f"import {out.package}.{helpers[version]} as rates\n" if version in helpers else ""
        )
        meta = {"workflow": f"{package}.flows:Flow", "entrypoint": "Flow", "version_hash": version}
        (out_dir / f"V_{version[:16]}.py").write_text(
            f"{imports}__continuum_workflow__ = {meta!r}\n\n\nclass Flow:\n    pass\n"
        )
    current = {f"{package}.flows:Flow": C}
    (out_dir / "__init__.py").write_text(registry_text(scan_versions(out), current))
    return package, out


def _registry_hashes(out: OutputDir) -> set[str]:
    tree = ast.parse(out.registry_path.read_text())
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and getattr(stmt.targets[0], "id", "") == "VERSIONS":
            return set(ast.literal_eval(stmt.value))
    raise AssertionError("no VERSIONS")


def test_versions_lists_live_runs_and_gc_removes_unused_versions(
    tmp_path: Path, database_url: str, fresh_schema: str
) -> None:
    package, out = _app(tmp_path)
    workflow = f"{package}.flows:Flow"
    store = PostgresStore(database_url, schema=fresh_schema, migrate=True)
    try:
        store.create_run(NewRun("live-b", workflow, "{}", version_hash=B))
        store.create_run(NewRun("lost-d", workflow, "{}", version_hash=D))
    finally:
        store.close()
    db = ["--database-url", database_url, "--schema", fresh_schema]
    reg = ["--registry", out.package, "--path", str(tmp_path)]
    runner = CliRunner()

    listed = runner.invoke(cli, ["versions", *reg, *db])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert f"  {A[:16]}           no live runs" in lines
    assert f"  {B[:16]}           1 live (1 pending)" in lines
    assert f"  {C[:16]}  current  no live runs" in lines
    assert "unknown_version" in listed.output and D[:16] in listed.output
    as_json = json.loads(runner.invoke(cli, ["versions", "--json", *reg, *db]).output)
    assert as_json["unknown_version"] == [
        {"workflow": workflow, "version_hash": D, "live": {"pending": 1}}
    ]

    dry = runner.invoke(cli, ["versions", "gc", *reg, *db])
    assert dry.exit_code == 0, dry.output
    assert f"would remove {workflow} {A[:16]}" in dry.output
    assert "H_1111111111111111" in dry.output and "H_9999999999999999" in dry.output
    assert f"kept {workflow} {B[:16]} (1 live run(s))" in dry.output
    assert f"kept {workflow} {C[:16]} (current)" in dry.output
    assert (out.path / f"V_{A[:16]}.py").exists() and _registry_hashes(out) == {A, B, C}

    done = runner.invoke(cli, ["versions", "gc", "--execute", *reg, *db])
    assert done.exit_code == 0, done.output
    assert not (out.path / f"V_{A[:16]}.py").exists()
    assert not (out.path / "H_1111111111111111.py").exists()
    assert (out.path / "H_3333333333333333.py").exists()  # C still imports it
    assert _registry_hashes(out) == {B, C}
    again = runner.invoke(cli, ["versions", "gc", "--execute", *reg, *db])
    assert "nothing to remove" in again.output


def test_runs_migrate_moves_what_replays_and_reports_the_rest(
    database_url: str, fresh_schema: str
) -> None:
    from continuum import Client
    from tests.runtime.test_versions import _registry

    store = PostgresStore(database_url, schema=fresh_schema, migrate=True)
    try:
        client = Client(store=store)
        for run_id in ("m1", "m2"):
            client.start(W, {"customer": run_id}, id=run_id)
        drain(store, _registry())
    finally:
        store.close()
    db = ["--database-url", database_url, "--schema", fresh_schema]
    reg = ["--registry", "tests.runtime.ops_app._registry"]
    runner = CliRunner()
    drift = runner.invoke(cli, ["runs", "migrate", "m1", "--to", HASH_V3[:8], *reg, *db])
    assert drift.exit_code == 1 and "drift" in drift.output and "moved 0 of 1" in drift.output
    dry = runner.invoke(
        cli, ["runs", "migrate", "--from", HASH_V1, "--to", HASH_V2, "--dry-run", *reg, *db]
    )
    assert dry.exit_code == 0 and "would move 2 of 2" in dry.output
    moved = runner.invoke(
        cli, ["runs", "migrate", "--from", HASH_V1, "--to", HASH_V2, "--json", *reg, *db]
    )
    assert moved.exit_code == 0, moved.output
    assert sorted((r["run_id"], r["outcome"]) for r in json.loads(moved.output)) == [
        ("m1", "moved"),
        ("m2", "moved"),
    ]
