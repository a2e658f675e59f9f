"""[tool.continuum] loading and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from continuum.analyzer.config import Config, ConfigError, load_config

PYPROJECT = """\
[project]
name = "demo"

[tool.continuum]
src = ["src"]
extend-exclude = ["legacy/**"]
select = ["CN1", "CN2"]
extend-select = ["CN202"]
ignore = ["CN205"]
trusted-modules = ["yaml"]
deterministic = ["app.metrics:total"]
workflow-bases = ["framework.Flow"]
cache-dir = ".cache/cn"
jobs = 2
strict = true
out = "generated"

[tool.continuum.per-file-ignores]
"tests/*" = ["CN1"]

[tool.continuum.severity]
CN206 = "error"
CN201 = "off"

[tool.continuum.extra-forbidden]
"app.legacy.fetch" = "use app.fetch_v2 in an activity"
"""


def test_every_key_is_read_from_the_nearest_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    nested = tmp_path / "src" / "app"
    nested.mkdir(parents=True)
    config = load_config(nested)
    assert config.root == tmp_path
    assert config.src == ("src",)
    assert config.extend_exclude == ("legacy/**",)
    assert (config.select, config.extend_select, config.ignore) == (
        ("CN1", "CN2"),
        ("CN202",),
        ("CN205",),
    )
    assert config.per_file_ignores == (("tests/*", ("CN1",)),)
    assert config.severity_map == {"CN206": "error", "CN201": "off"}
    assert config.trusted_modules == ("yaml",)
    assert config.extra_forbidden == (("app.legacy.fetch", "use app.fetch_v2 in an activity"),)
    assert config.deterministic == ("app.metrics:total",)
    assert config.workflow_bases == ("framework.Flow",)
    assert (config.cache_dir, config.jobs, config.strict, config.out) == (
        ".cache/cn",
        2,
        True,
        "generated",
    )
    assert config.cache_path == tmp_path / ".cache" / "cn"


def test_pyproject_without_the_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    inner = tmp_path / "pkg"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_config(inner).root == tmp_path


def test_no_config_gives_defaults_rooted_at_the_working_directory(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(tmp_path)
    assert config.root == tmp_path
    assert config.select == ("CN",)
    assert config.cache_dir == ".continuum_cache"


def test_overrides_win_over_the_file_and_accept_snake_case(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    config = load_config(tmp_path, overrides={"ignore": ["CN1"], "cache_dir": "x", "jobs": None})
    assert config.ignore == ("CN1",)
    assert config.cache_dir == "x"
    assert config.jobs == 2  # None means "not given on the command line"


def test_all_problems_are_reported_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.continuum]\nselekt = ['CN1']\nignore = ['CN999', 'E501']\njobs = -1\n"
        "severity = { CN101 = 'fatal', CN777 = 'error' }\ndeterministic = ['no_colon']\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    message = str(info.value)
    assert str(tmp_path / "pyproject.toml") in message
    for fragment in ("selekt", "CN999", "E501", "jobs", "fatal", "CN777", "no_colon"):
        assert fragment in message
    assert len(info.value.problems) == 7


def test_malformed_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.continuum\n")
    with pytest.raises(ConfigError):
        load_config(tmp_path)


def test_cache_key_changes_with_settings_that_change_results() -> None:
    base = Config(root=Path("/p"))
    assert base.cache_key() == Config(root=Path("/p")).cache_key()
    assert base.cache_key() != Config(root=Path("/p"), trusted_modules=("yaml",)).cache_key()
    assert base.cache_key() != Config(root=Path("/p"), select=("CN1",)).cache_key()
    # Where the cache lives and how many processes run do not change results.
    assert base.cache_key() == Config(root=Path("/p"), jobs=4, cache_dir="elsewhere").cache_key()


# --- load_config_file: any TOML file named explicitly (``--config``) ------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("continuum.toml", '[continuum]\nignore = ["CN205"]\nexclude = ["legacy/**"]\n'),
        ("ci.toml", '[tool.continuum]\nignore = ["CN205"]\nexclude = ["legacy/**"]\n'),
        ("pyproject.toml", '[tool.continuum]\nignore = ["CN205"]\nexclude = ["legacy/**"]\n'),
    ],
)
def test_a_named_file_of_any_name_is_read(tmp_path: Path, name: str, text: str) -> None:
    from continuum.analyzer.config import load_config_file

    path = tmp_path / "conf" / name
    path.parent.mkdir()
    path.write_text(text)
    config = load_config_file(path, overrides={"select": ["CN1"]})
    assert config.ignore == ("CN205",)
    assert config.exclude == ("legacy/**",)
    assert config.select == ("CN1",)  # overrides win
    # Relative settings are relative to the file's directory.
    assert config.root == path.parent.resolve()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[tool.ruff]\nline-length = 99\n", "no [tool.continuum] table"),
        ('[continuum]\nignore = ["CN205"]\n[tool.continuum]\n', "both"),
        ("continuum = 3\n", "must be a table"),
        ('[continuum]\nselect = ["XX1"]\n', "unknown code or prefix 'XX1'"),
        ("[continuum\n", "cannot read"),
    ],
)
def test_a_named_file_without_valid_settings_is_a_config_error(
    tmp_path: Path, text: str, problem: str
) -> None:
    from continuum.analyzer.config import load_config_file

    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    assert problem in str(info.value)
    assert info.value.source == path.resolve()


def test_runtime_settings_in_the_same_table_are_accepted(tmp_path: Path) -> None:
    # The runtime reads database-url and schema from [tool.continuum] too: a project
    # configuring both must not make `continuum check` fail with "unknown key".
    (tmp_path / "pyproject.toml").write_text(
        '[tool.continuum]\ndatabase-url = "postgresql://db/app"\nschema = "runs"\n'
        'ignore = ["CN205"]\n'
    )
    config = load_config(tmp_path)
    assert config.ignore == ("CN205",)
    assert config == load_config(tmp_path, overrides={"ignore": ["CN205"]})
