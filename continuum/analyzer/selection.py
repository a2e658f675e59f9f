"""Which codes are reported where, and at what severity (select/ignore/per-file/severity)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import Config
from .diagnostics import CODES, Diagnostic, Severity


def _longest(code: str, prefixes: tuple[str, ...]) -> int:
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


@dataclass(slots=True)
class Selection:
    """Applies the selection settings of a `Config` to diagnostics."""

    config: Config
    strict: bool = False
    _cache: dict[tuple[str, str], bool] = field(default_factory=dict)

    def enabled(self, code: str) -> bool:
        """Whether ``code`` is selected at all (before per-file ignores).

        The most specific matching entry wins, ``ignore`` on ties. Codes off by default
        (CN202, CN290) need their exact code selected; CN290 is also on under strict.
        """
        config = self.config
        chosen = (*config.select, *config.extend_select)
        selected = _longest(code, chosen)
        ignored = _longest(code, config.ignore)
        if not CODES[code].default_enabled:
            explicit = code in chosen or (code == "CN290" and self.strict)
            selected = len(code) if explicit else -1
        if selected < 0 or ignored >= selected:
            return False
        return config.severity_map.get(code) != "off"

    def applies(self, code: str, path: str) -> bool:
        """``enabled`` plus the per-file ignores for ``path`` (relative to the cwd)."""
        key = (code, path)
        if key not in self._cache:
            self._cache[key] = self.enabled(code) and not self._file_ignored(code, path)
        return self._cache[key]

    def _file_ignored(self, code: str, path: str) -> bool:
        if not self.config.per_file_ignores:
            return False
        absolute = Path(path).resolve()
        try:
            rel = absolute.relative_to(self.config.root).as_posix()
        except ValueError:
            rel = Path(path).as_posix()
        for pattern, codes in self.config.per_file_ignores:
            matched = fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(
                Path(rel).name, pattern
            )
            if matched and any(code.startswith(c) for c in codes):
                return True
        return False

    def severity(self, diagnostic: Diagnostic) -> Diagnostic:
        """The diagnostic with its configured severity."""
        level = self.config.severity_map.get(diagnostic.code)
        if level in {"error", "warning"} and level != diagnostic.severity:
            return replace(diagnostic, severity=Severity(level))
        return diagnostic
