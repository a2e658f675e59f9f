"""``[tool.continuum]`` configuration: locate → read → validate → a frozen `Config`."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .diagnostics import CODES

#: Directories never analyzed (besides ``exclude``): VCS, virtualenvs, caches, build output,
#: and generated ``_continuum`` version modules.
DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".env",
    "env",
    ".tox",
    ".nox",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".continuum_cache",
    ".continuum",
    "build",
    "dist",
    "site-packages",
    "node_modules",
    "_continuum",
    "*.egg-info",
)

_CODE_OR_PREFIX = re.compile(r"^CN\d{0,3}$")
_SEVERITIES = ("error", "warning", "off")


class ConfigError(Exception):
    """Invalid ``[tool.continuum]`` settings; the message lists every problem and the file."""

    def __init__(self, problems: list[str], source: Path | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        super().__init__(f"invalid [tool.continuum]{where}: " + "; ".join(self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (ConfigError, (self.problems, self.source))


@dataclass(frozen=True, slots=True)
class Config:
    """Resolved analyzer settings. Field names are the TOML keys with ``-`` → ``_``."""

    #: Directory of the pyproject.toml the settings came from (or the working directory).
    root: Path = field(default_factory=Path.cwd)
    #: Module resolution roots (relative to ``root``), like ruff's ``src``.
    src: tuple[str, ...] = (".",)
    #: Glob patterns of paths never analyzed (on top of `DEFAULT_EXCLUDE`, which always applies).
    exclude: tuple[str, ...] = ()
    #: Extra exclusion globs on top of ``exclude``.
    extend_exclude: tuple[str, ...] = ()
    #: Codes or prefixes to report (default: every default-enabled code).
    select: tuple[str, ...] = ("CN",)
    #: Codes or prefixes added to ``select`` (e.g. ``["CN202"]``).
    extend_select: tuple[str, ...] = ()
    #: Codes or prefixes never reported.
    ignore: tuple[str, ...] = ()
    #: Glob (relative to ``root``) → codes or prefixes ignored in matching files.
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Code → "error" | "warning" | "off".
    severity: tuple[tuple[str, str], ...] = ()
    #: Module prefixes that are neither followed nor flagged.
    trusted_modules: tuple[str, ...] = ()
    #: Qualified name or module prefix → hint, reported as CN112.
    extra_forbidden: tuple[tuple[str, str], ...] = ()
    #: ``"module:qualname"`` helpers trusted as deterministic.
    deterministic: tuple[str, ...] = ()
    #: Extra qualified names of base classes that mark a workflow.
    workflow_bases: tuple[str, ...] = ()
    #: Cache directory (relative to ``root`` unless absolute).
    cache_dir: str = ".continuum_cache"
    #: Worker processes; None = CPU count (capped at ceil(files/4)); 0/1 = in-process.
    jobs: int | None = None
    #: Warnings fail the check and unused suppressions are reported (CN290).
    strict: bool = False
    #: Output directory of ``continuum build`` (None = ``_continuum`` next to each package).
    out: str | None = None

    def cache_key(self) -> str:
        """A digest of every setting that changes analysis results."""
        data = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in {"cache_dir", "jobs", "strict", "out"}
        }
        data["root"] = str(self.root)
        blob = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    @property
    def cache_path(self) -> Path:
        """Absolute cache directory."""
        return (self.root / self.cache_dir).resolve()

    @property
    def severity_map(self) -> dict[str, str]:
        """``severity`` as a dict."""
        return dict(self.severity)

    def resolved_src(self) -> tuple[Path, ...]:
        """Absolute module resolution roots."""
        return tuple((self.root / s).resolve() for s in self.src)


def _kebab(name: str) -> str:
    return name.replace("_", "-")


_KEYS = {_kebab(f.name) for f in fields(Config) if f.name != "root"}
#: Keys of the same table read by the runtime (`continuum.runtime.settings`): valid here,
#: and of no concern to the analyzer.
RUNTIME_KEYS = frozenset({"database-url", "schema"})


def locate_config(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.continuum]`` table at or above ``start``."""
    here = (start or Path.cwd()).resolve()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError([f"cannot read: {exc}"], candidate) from exc
            if "continuum" in data.get("tool", {}):
                return candidate
    return None


def read_config(path: Path) -> dict[str, Any]:
    """The raw ``[tool.continuum]`` table of ``path`` (empty when it has none)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    table = data.get("tool", {}).get("continuum", {})
    if not isinstance(table, dict):
        raise ConfigError(["[tool.continuum] must be a table"], path)
    return table


def _settings_table(path: Path) -> dict[str, Any]:
    """The settings table of an explicitly named file: ``[tool.continuum]`` or ``[continuum]``.

    Raises `ConfigError` when the file cannot be read or has neither table.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([f"cannot read: {exc}"], path) from exc
    tool = data.get("tool", {})
    found = [
        (name, table)
        for name, table in (
            ("[tool.continuum]", tool.get("continuum") if isinstance(tool, dict) else None),
            ("[continuum]", data.get("continuum")),
        )
        if table is not None
    ]
    if not found:
        raise ConfigError(["no [tool.continuum] table (nor a top-level [continuum] table)"], path)
    if len(found) > 1:
        raise ConfigError(["both [tool.continuum] and [continuum]: keep one"], path)
    name, table = found[0]
    if not isinstance(table, dict):
        raise ConfigError([f"{name} must be a table"], path)
    return dict(table)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


def _check_codes(key: str, values: Any, problems: list[str], *, exact: bool = False) -> None:
    if not _is_str_list(values):
        problems.append(f"{key}: expected a list of codes, got {values!r}")
        return
    for value in values:
        if exact and value not in CODES:
            problems.append(f"{key}: unknown code {value!r}")
        elif not exact and not (
            _CODE_OR_PREFIX.match(value) and any(c.startswith(value) for c in CODES)
        ):
            problems.append(f"{key}: unknown code or prefix {value!r}")


def validate_config(table: Mapping[str, Any]) -> list[str]:
    """Every problem in a raw ``[tool.continuum]`` table (empty when valid)."""
    problems: list[str] = []
    for key in sorted(table):
        if key not in _KEYS and key not in RUNTIME_KEYS:
            problems.append(f"unknown key {key!r} (known: {', '.join(sorted(_KEYS))})")
    for key in ("src", "exclude", "extend-exclude", "trusted-modules", "workflow-bases"):
        if key in table and not _is_str_list(table[key]):
            problems.append(f"{key}: expected a list of strings, got {table[key]!r}")
    for key in ("select", "extend-select", "ignore"):
        if key in table:
            _check_codes(key, table[key], problems)
    if "per-file-ignores" in table:
        value = table["per-file-ignores"]
        if not isinstance(value, Mapping):
            problems.append("per-file-ignores: expected a table of glob = [codes]")
        else:
            for glob, codes in value.items():
                _check_codes(f"per-file-ignores.{glob!r}", codes, problems)
    if "severity" in table:
        value = table["severity"]
        if not isinstance(value, Mapping):
            problems.append('severity: expected a table of code = "error"|"warning"|"off"')
        else:
            for code, level in value.items():
                if code not in CODES:
                    problems.append(f"severity: unknown code {code!r}")
                if level not in _SEVERITIES:
                    problems.append(
                        f"severity.{code}: expected error, warning or off, got {level!r}"
                    )
    if "extra-forbidden" in table:
        value = table["extra-forbidden"]
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            problems.append("extra-forbidden: expected a table of qualified name = hint string")
    if "deterministic" in table:
        value = table["deterministic"]
        if not _is_str_list(value):
            problems.append("deterministic: expected a list of 'module:qualname' strings")
        else:
            for item in value:
                module, sep, qual = item.partition(":")
                if not sep or not module or not qual:
                    problems.append(f"deterministic: {item!r} must look like 'module:qualname'")
    for key in ("cache-dir", "out"):
        if key in table and not isinstance(table[key], str):
            problems.append(f"{key}: expected a string path")
    if "jobs" in table and (
        isinstance(table["jobs"], bool) or not isinstance(table["jobs"], int) or table["jobs"] < 0
    ):
        problems.append(f"jobs: expected a non-negative integer, got {table['jobs']!r}")
    if "strict" in table and not isinstance(table["strict"], bool):
        problems.append(f"strict: expected true or false, got {table['strict']!r}")
    return problems


def _to_config(table: Mapping[str, Any], root: Path) -> Config:
    values: dict[str, Any] = {"root": root}
    for key, value in table.items():
        if key in RUNTIME_KEYS:
            continue
        name = key.replace("-", "_")
        if name in {"per_file_ignores"}:
            value = tuple(sorted((g, tuple(c)) for g, c in value.items()))
        elif name == "severity" or name == "extra_forbidden":
            value = tuple(sorted(value.items()))
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return Config(**values)


def load_config(start: Path | None = None, *, overrides: Mapping[str, Any] | None = None) -> Config:
    """Settings from the nearest ``pyproject.toml`` with ``[tool.continuum]``, plus overrides.

    ``overrides`` uses the TOML key names (kebab- or snake-case) and wins over the file,
    as command-line options do. Without any config file the defaults apply and ``root`` is
    the working directory. Raises `ConfigError` listing every problem.
    """
    path = locate_config(start)
    table: dict[str, Any] = {}
    root = Path.cwd().resolve()
    if path is not None:
        root = path.parent
        try:
            table = dict(read_config(path))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([str(exc)], path) from exc
    return _finish(table, root, path, overrides)


def load_config_file(path: Path, *, overrides: Mapping[str, Any] | None = None) -> Config:
    """Settings from one named TOML file (``continuum check --config FILE``), plus overrides.

    Any file name works. The settings are its ``[tool.continuum]`` table (as in
    ``pyproject.toml``) or, for a file of its own such as ``continuum.toml``, a top-level
    ``[continuum]`` table; a file with both is an error. Relative paths in it (``src``,
    ``exclude``, ``cache-dir``, ``out``) are relative to the file's directory, which
    becomes ``root``. Raises `ConfigError` when the file is unreadable, has no such
    table, or has invalid settings.
    """
    path = Path(path).resolve()
    return _finish(_settings_table(path), path.parent, path, overrides)


def _finish(
    table: dict[str, Any],
    root: Path,
    source: Path | None,
    overrides: Mapping[str, Any] | None,
) -> Config:
    if overrides:
        table.update({_kebab(k): v for k, v in overrides.items() if v is not None})
    problems = validate_config(table)
    if problems:
        raise ConfigError(problems, source)
    return _to_config(table, root)


def with_overrides(config: Config, **changes: Any) -> Config:
    """A copy of ``config`` with some fields replaced (snake-case names)."""
    return replace(config, **changes)
