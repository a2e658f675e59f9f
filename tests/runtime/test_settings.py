"""Where the database is: URL and schema resolution order, and the embedded fallback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

import continuum
from continuum.runtime import settings
from continuum.runtime.settings import (
    embedded_data_dir,
    find_project_root,
    resolve_database,
    resolve_database_url,
    resolve_schema,
)
from continuum.runtime.store.embedded import stop_embedded_server

FROM_FILE = "postgresql://file@db.example:5432/app"
FROM_ENV = "postgresql://env@db.example:5432/app"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.ENV_DATABASE_URL, raising=False)
    monkeypatch.delenv(settings.ENV_SCHEMA, raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose pyproject.toml configures both settings, with a nested package."""
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "app"\n\n[tool.continuum]\ndatabase-url = "{FROM_FILE}"\nschema = "app_runs"\n'
    )
    (tmp_path / "src" / "app").mkdir(parents=True)
    return tmp_path


def test_explicit_url_wins_over_everything(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.ENV_DATABASE_URL, FROM_ENV)
    assert resolve_database_url("postgresql://cli/x", start=project) == "postgresql://cli/x"


def test_environment_wins_over_pyproject(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.ENV_DATABASE_URL, FROM_ENV)
    location = resolve_database(start=project)
    assert (location.url, location.source) == (FROM_ENV, "environment")


def test_nearest_pyproject_is_found_from_a_subdirectory(project: Path) -> None:
    location = resolve_database(start=project / "src" / "app")
    assert (location.url, location.source, location.origin) == (
        FROM_FILE,
        "pyproject",
        project / "pyproject.toml",
    )


def test_only_the_nearest_pyproject_counts(project: Path) -> None:
    # A nested project without the setting must not inherit the outer one's database.
    inner = project / "src" / "app"
    (inner / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    assert find_project_root(inner) == inner
    assert embedded_data_dir(start=inner) == inner / ".continuum" / "pg"
    assert settings.read_tool_settings(start=inner) == {}


def test_a_file_as_start_means_its_directory(project: Path) -> None:
    module = project / "src" / "app" / "flows.py"
    module.write_text("")
    assert resolve_database_url(start=module) == FROM_FILE


def test_bad_settings_are_reported_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.continuum]\ndatabase-url = 5\n")
    with pytest.raises(continuum.ContinuumError, match=r"pyproject\.toml.*database-url"):
        resolve_database_url(start=tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.continuum\n")
    with pytest.raises(continuum.ContinuumError, match="cannot read"):
        resolve_database_url(start=tmp_path)


def test_schema_order(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    assert resolve_schema() == "app_runs"
    monkeypatch.setenv(settings.ENV_SCHEMA, "from_env")
    assert resolve_schema() == "from_env"
    assert resolve_schema("from_cli") == "from_cli"


def test_schema_defaults_to_continuum(tmp_path: Path) -> None:
    assert resolve_schema(start=tmp_path) == "continuum"


@pytest.mark.parametrize("bad", ["!", "1abc", "a-b", "x;drop", "pg_catalog", "a" * 64, "sp ace"])
def test_schema_must_be_a_plain_identifier(bad: str) -> None:
    with pytest.raises(continuum.ContinuumError, match="invalid schema name"):
        resolve_schema(bad)


@pytest.mark.parametrize("good", ["continuum", "_x", "Runs_2", "a" * 63])
def test_valid_schema_names_pass(good: str) -> None:
    assert resolve_schema(good) == good


@pytest.fixture
def bare_project(shared_tmp_path: Path) -> Iterator[Path]:
    (shared_tmp_path / "pyproject.toml").write_text('[project]\nname = "bare"\n')
    yield shared_tmp_path
    stop_embedded_server(shared_tmp_path / ".continuum" / "pg")


def test_with_nothing_configured_the_embedded_server_is_used(bare_project: Path) -> None:
    location = resolve_database(start=bare_project / "pyproject.toml")
    assert location.source == "embedded"
    assert location.origin == bare_project / ".continuum" / "pg"
    with psycopg.connect(location.url, connect_timeout=5) as conn:
        row = conn.execute("SELECT current_database()").fetchone()
    assert row == ("continuum",)
    # A second resolution reuses the server and the database.
    assert resolve_database_url(start=bare_project) == location.url
