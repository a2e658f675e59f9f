"""The library entry points: `check_source` → `check_paths`, returning a `CheckReport`.

The pipeline: discover files and prefilter them; reuse cached results whose content and
closure hashes match; summarize the rest (in worker processes when there are many);
walk from every workflow class into what it reaches; apply selection, severities and
suppressions; sort. Nothing here raises for a bad file: CN901–CN903 report it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import ResultCache
from .config import Config, load_config
from .diagnostics import CODES, ChainHop, Diagnostic, Severity
from .discovery import iter_python_files
from .discovery import prefilter as marker_prefilter
from .project import ProjectIndex, SourceFiles, content_hash, display_path
from .selection import Selection

if TYPE_CHECKING:
    from .reach import Project, RawDiagnostic
    from .resolve import Settings
    from .summary import FileSummary, Suppression

# Kept out of the imports above on purpose: a warm run answered from the cache never
# needs summaries, suppression matching or the resolution tables, and importing them
# was a visible share of its time.

#: Below this many files to summarize, worker processes cost more than they save.
PARALLEL_THRESHOLD = 8


@dataclass(slots=True)
class CheckReport:
    """The outcome of a check run."""

    #: Sorted, final diagnostics (selection, severities and suppressions applied).
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Python files discovered (including those the prefilter skipped).
    files_checked: int = 0
    #: ``"module:QualName"`` of every workflow class found, sorted.
    workflows: list[str] = field(default_factory=list)
    #: Files summarized (parsed) in this run; 0 on a fully warm cache.
    files_parsed: int = 0

    def exit_code(self, *, strict: bool = False) -> int:
        """0 when clean or only warnings, 1 on errors (or on warnings when ``strict``)."""
        if any(d.severity is Severity.ERROR for d in self.diagnostics):
            return 1
        if strict and self.diagnostics:
            return 1
        return 0


@dataclass(frozen=True, slots=True)
class FileResult:
    """What one checked file contributes; cached as JSON."""

    diagnostics: tuple[Diagnostic, ...] = ()
    workflows: tuple[str, ...] = ()
    #: Suppression comments of every file the analysis read: (path, comment).
    suppressions: tuple[tuple[str, Suppression], ...] = ()
    #: (path, line, code) of the comments that suppressed something.
    used: tuple[tuple[str, int, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The cache payload; empty fields are left out, so a clean file's is ``{}``."""
        data = {
            "diagnostics": [_diag_to_json(d) for d in self.diagnostics],
            "workflows": list(self.workflows),
            "suppressions": [
                [p, s.line, list(s.codes), s.own_line, s.kind] for p, s in self.suppressions
            ],
            "used": [list(u) for u in self.used],
        }
        return {key: value for key, value in data.items() if value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FileResult:
        """The inverse of `to_json` (raises KeyError/TypeError/ValueError on a bad payload)."""
        if not data:
            return _CLEAN
        comments: tuple[tuple[str, Suppression], ...] = ()
        if data.get("suppressions"):
            from .summary import Suppression

            comments = tuple(
                (p, Suppression(line, tuple(codes), own, kind))
                for p, line, codes, own, kind in data["suppressions"]
            )
        return cls(
            diagnostics=tuple(_diag_from_json(d) for d in data.get("diagnostics", ())),
            workflows=tuple(data.get("workflows", ())),
            suppressions=comments,
            used=tuple((p, line, code) for p, line, code in data.get("used", ())),
        )


#: The result of a file that reports nothing and names no workflow (most files).
_CLEAN = FileResult()


def _diag_to_json(d: Diagnostic) -> dict[str, Any]:
    return {
        "path": d.path,
        "line": d.line,
        "column": d.column,
        "code": d.code,
        "message": d.message,
        "severity": d.severity.value,
        "hint": d.hint,
        "chain": [[h.label, h.path, h.line] for h in d.chain],
        "end_line": d.end_line,
        "end_column": d.end_column,
        "workflow": d.workflow,
    }


def _diag_from_json(data: Mapping[str, Any]) -> Diagnostic:
    return Diagnostic(
        path=data["path"],
        line=data["line"],
        column=data["column"],
        code=data["code"],
        message=data["message"],
        severity=Severity(data["severity"]),
        hint=data["hint"],
        chain=tuple(ChainHop(label, path, line) for label, path, line in data["chain"]),
        end_line=data["end_line"],
        end_column=data["end_column"],
        workflow=data["workflow"],
    )


class _Run:
    """State of one check run over a fixed set of files."""

    def __init__(
        self,
        files: SourceFiles,
        config: Config,
        *,
        strict: bool,
        use_cache: bool,
        jobs: int | None,
    ) -> None:
        self.files = files
        self.config = config
        self.strict = strict
        self.jobs = config.jobs if jobs is None else jobs
        self._settings: Settings | None = None
        self.index = ProjectIndex(files)
        self.selection = Selection(config, strict)
        self.use_cache = use_cache
        self.cache: ResultCache | None = None
        self.parsed = 0
        self._hashes: dict[Path, str | None] = {}
        #: The same by ``str(path)``: cache entries name closure files as strings.
        self._hashes_by_name: dict[str, str | None] = {}
        #: Summaries and absolute paths by display path.
        self._by_path: dict[str, FileSummary] = {}
        self._abs: dict[str, Path] = {}
        #: Absent module candidates already probed for `project.on_missing`.
        self._noted: set[Path] = set()
        self._project: Project | None = None

    @property
    def settings(self) -> Settings:
        """The resolution settings, built on first use (a warm run never needs them)."""
        if self._settings is None:
            from .resolve import Settings

            self._settings = Settings.from_config(self.config)
        return self._settings

    @property
    def project(self) -> Project:
        """The reachability state, built on first use: a run answered entirely from the
        cache never imports the reachability pass."""
        if self._project is None:
            from .reach import Project

            self._project = Project(self.index, self.settings, self._load_module, self._reload)
        return self._project

    # -- file access ---------------------------------------------------------------------
    def read(self, path: Path) -> bytes | None:
        """The file's bytes (None when unreadable), remembering its content hash."""
        try:
            data = self.files.read_bytes(path)
        except OSError as exc:
            # An absent file hashes as None, like the absent candidates of a module a
            # cache entry looked for in vain; a present but unreadable one differs, since
            # the module lookup counts it as found.
            absent = isinstance(exc, FileNotFoundError | NotADirectoryError | IsADirectoryError)
            self._hashes[path] = self._hashes_by_name[str(path)] = None if absent else "?"
            return None
        self._hashes[path] = self._hashes_by_name[str(path)] = content_hash(data)
        return data

    def hash_of(self, path: Path) -> str | None:
        """Content hash of ``path`` (read once per run): None when absent, "?" when
        present but unreadable."""
        if path not in self._hashes:
            self.read(path)
        return self._hashes[path]

    def hash_of_name(self, name: str) -> str | None:
        """`hash_of` for a path given as a string, without building a `Path` when known."""
        if name in self._hashes_by_name:
            return self._hashes_by_name[name]
        return self.hash_of(Path(name))

    def _summarize(self, path: Path, data: bytes) -> FileSummary:
        summary = self._cached_summary(path)
        if summary is None:
            self.parsed += 1
            summary = _engine().summarize(path, data, settings=self.settings, index=self.index)
            if self.cache is not None:
                self.cache.store_summary(path, summary)
        self._register(path, summary)
        return summary

    def _reload(self, summary: FileSummary) -> FileSummary:
        """``summary``'s file analyzed again, with positions (for a reported chain)."""
        path = self._abs[summary.path]
        data = self.read(path)
        if data is None:
            return summary
        self.parsed += 1
        fresh = _engine().summarize(
            path, data, settings=self.settings, index=self.index, positions=True
        )
        if self.cache is not None:
            self.cache.store_summary(path, fresh)
        self._by_path[fresh.path] = fresh
        return fresh

    def _cached_summary(self, path: Path) -> FileSummary | None:
        if self.cache is None:
            return None
        return self.cache.load_summary(path, self._hashes.get(path) or "", self.index.find_module)

    def _register(self, path: Path, summary: FileSummary) -> None:
        self._by_path[summary.path] = summary
        self._abs[summary.path] = path
        self.project.add(summary)

    def _load_module(self, module: str) -> FileSummary | None:
        path = self.index.find_module(module)
        if path is None:
            return None
        shown = display_path(path)
        if shown in self._by_path:
            return self._by_path[shown]
        data = self.read(path)
        if data is None:
            return None
        return self._summarize(path, data)

    # -- the pipeline --------------------------------------------------------------------
    def run(self, paths: Sequence[Path], *, prefilter: bool = True) -> CheckReport:
        """Check ``paths`` (absolute files); ``prefilter=False`` analyzes each of them."""
        self.index.add_roots(
            self.config.resolved_src()
            if self.files.memory is None
            else [self.config.root / s for s in self.config.src]
        )
        # A file's import root depends on its directory only: one lookup per directory.
        by_directory = {p.parent: p for p in paths}
        self.index.add_roots(self.index.module_for_path(p)[1] for p in by_directory.values())
        cache = None
        if self.use_cache and self.files.memory is None:
            # Results hold paths relative to the working directory and depend on the roots.
            scope = "|".join([str(Path.cwd()), *(str(r) for r in self.index.roots)])
            cache = ResultCache.for_config(self.config, scope)
        self.cache = cache
        results: list[FileResult] = []
        pending: list[tuple[Path, bytes]] = []
        for path in paths:
            data = self.read(path)
            if data is None:
                results.append(self._unreadable(path))
            else:
                pending.append((path, data))
        # The prefilter admits files that mention continuum or a workflow base class; a
        # class deriving from a project base found in this run admits more files, so
        # repeat until no new file qualifies.
        markers = [
            b"continuum",
            *(b.rpartition(".")[2].encode() for b in self.config.workflow_bases),
        ]
        if not prefilter:
            results.extend(self._check_batch(pending, cache))
            pending = []
        while pending:
            worth = marker_prefilter(tuple(markers))
            admitted: list[tuple[Path, bytes]] = []
            rest: list[tuple[Path, bytes]] = []
            for item in pending:
                (admitted if worth(item[1]) else rest).append(item)
            if not admitted:
                break
            pending = rest
            batch = self._check_batch(admitted, cache)
            results.extend(batch)
            names = {w.rpartition(":")[2].rpartition(".")[2] for r in batch for w in r.workflows}
            markers = [n.encode() for n in sorted(names)]
        if cache is not None:
            cache.flush()
        return self._merge(results, len(paths))

    def _check_batch(
        self, items: list[tuple[Path, bytes]], cache: ResultCache | None
    ) -> list[FileResult]:
        results: list[FileResult] = []
        misses: list[tuple[Path, bytes]] = []
        for path, data in items:
            cached = self._cached_result(cache, path) if cache else None
            if cached is not None:
                results.append(cached)
            else:
                misses.append((path, data))
        self._summarize_all(misses)
        index = self.index
        for path, _data in misses:
            self.project.touched = set()
            summary = self._by_path[display_path(path)]
            index.missing = set()
            try:
                result = self._check_file(summary)
            finally:
                missing, index.missing = index.missing, None
            results.append(result)
            if cache is not None:
                touched = self.project.touched | {summary.path}
                for shown in touched:
                    missing.update(self._by_path[shown].missing)
                # Every file a missing module could appear as, recorded as absent: creating
                # one changes the closure digest (its name may now be project code).
                absent = [c for module in missing for c in index.candidates(module)]
                self._note_absent(absent)
                closure = dict.fromkeys(map(str, absent), "")
                closure.update(
                    (str(self._abs[p]), self.hash_of(self._abs[p]) or "") for p in touched
                )
                cache.store(path, summary.content_hash, sorted(closure.items()), result.to_json())
        return results

    def _note_absent(self, paths: Iterable[Path]) -> None:
        """Probe paths a summary from a worker process found absent, once per run, so
        that `project.on_missing` (the warm replay's record) sees them too."""
        from . import project

        if project.on_missing is None:
            return
        for path in paths:
            if path not in self._noted:
                self._noted.add(path)
                self.files.is_file(path)

    def _cached_result(self, cache: ResultCache, path: Path) -> FileResult | None:
        payload = cache.load(path, self._hashes[path] or "", self.hash_of_name)
        if payload is None:
            return None
        try:
            return FileResult.from_json(payload)
        except (KeyError, TypeError, ValueError):  # a damaged entry is a miss
            return None

    def _summarize_all(self, items: list[tuple[Path, bytes]]) -> None:
        todo: list[tuple[Path, bytes]] = []
        for path, data in items:
            cached = self._cached_summary(path)
            if cached is not None:
                self._register(path, cached)
            else:
                todo.append((path, data))
        items = todo
        workers = worker_count(len(items), self.jobs)
        if len(items) < PARALLEL_THRESHOLD or workers <= 1 or self.files.memory is not None:
            for path, data in items:
                self._summarize(path, data)
            return
        from .parallel import summarize_many

        summaries = summarize_many(items, settings=self.settings, index=self.index, workers=workers)
        self.parsed += len(summaries)
        for (path, _), summary in zip(items, summaries, strict=True):
            if self.cache is not None:
                self.cache.store_summary(path, summary)
            self._register(path, summary)

    def _unreadable(self, path: Path) -> FileResult:
        shown = display_path(path)
        diagnostic = Diagnostic(shown, 1, 1, "CN902", "cannot read file", CODES["CN902"].severity)
        return FileResult(
            diagnostics=(diagnostic,) if self.selection.applies("CN902", shown) else ()
        )

    def _check_file(self, summary: FileSummary) -> FileResult:
        from .reach import RawDiagnostic, WorkflowChecker

        raw: list[RawDiagnostic] = [RawDiagnostic(d, _pos_of(d)) for d in summary.errors]
        workflows: list[str] = []
        checker = WorkflowChecker(self.project, frozenset(self.config.deterministic))
        reached_modules: set[str] = set()
        for qualname in summary.classes:
            key = (summary.module, qualname)
            if not self.project.is_workflow(key):
                continue
            workflows.append(f"{summary.module}:{qualname}")
            raw.extend(checker.check_workflow(key))
        reached_modules = {module for module, _ in checker.reached}
        for finding in summary.module_findings:
            if finding.code == "CN302" or workflows:
                raw.append(_module_raw(summary, finding))
        for module in sorted(reached_modules - {summary.module}):
            other = self.project.get(module)
            for finding in other.module_findings if other else ():
                if finding.code == "CN111":
                    raw.append(_module_raw(other, finding))
        return self._finish(raw, workflows)

    def _finish(self, raw: list[RawDiagnostic], workflows: list[str]) -> FileResult:
        kept: list[Diagnostic] = []
        used: set[tuple[str, int, str]] = set()
        for item in raw:
            d = item.diagnostic
            if not self.selection.applies(d.code, d.path):
                continue
            hit = self._suppressed(d.path, d.code, item.pos)
            if hit is None and item.origin_path:
                hit = self._suppressed(item.origin_path, d.code, item.origin_pos)
            if hit is not None:
                used.add(hit)
                continue
            kept.append(self.selection.severity(d))
        touched = sorted(self.project.touched)
        comments = tuple((p, s) for p in touched for s in self._by_path[p].suppressions)
        return FileResult(
            diagnostics=tuple(sorted(set(kept))),
            workflows=tuple(workflows),
            suppressions=comments,
            used=tuple(sorted(used)),
        )

    def _suppressed(self, path: str, code: str, pos: Any) -> tuple[str, int, str] | None:
        summary = self._by_path.get(path)
        if summary is None:
            return None
        from .suppressions import matching

        sup = matching(summary.suppressions, code, pos)
        if sup is None:
            return None
        return (path, sup.line, code if sup.codes else "*")

    def _merge(self, results: list[FileResult], discovered: int) -> CheckReport:
        diagnostics: set[Diagnostic] = set()
        workflows: set[str] = set()
        comments: dict[tuple[str, int], Suppression] = {}
        used: set[tuple[str, int, str]] = set()
        for result in results:
            diagnostics.update(result.diagnostics)
            workflows.update(result.workflows)
            comments.update({(p, s.line): s for p, s in result.suppressions})
            used.update(result.used)
        if self.strict:
            diagnostics.update(self._unused(comments, used))
        return CheckReport(
            diagnostics=_dedupe(sorted(diagnostics)),
            files_checked=discovered,
            workflows=sorted(workflows),
            files_parsed=self.parsed,
        )

    def _unused(
        self, comments: Mapping[tuple[str, int], Suppression], used: set[tuple[str, int, str]]
    ) -> Iterable[Diagnostic]:
        used_at: dict[tuple[str, int], set[str]] = {}
        for path, line, code in used:
            used_at.setdefault((path, line), set()).add(code)
        for (path, line), sup in sorted(comments.items()):
            if not self.selection.applies("CN290", path):
                continue
            hits = used_at.get((path, line), set())
            if not sup.codes:
                if sup.kind == "noqa" or hits:
                    continue
                unused = "blanket suppression"
            else:
                stale = [c for c in sup.codes if c not in hits]
                if not stale:
                    continue
                unused = ", ".join(stale)
            yield Diagnostic(
                path=path,
                line=line,
                column=1,
                code="CN290",
                message=f"unused suppression ({unused}): nothing is reported here",
                severity=CODES["CN290"].severity,
                hint="remove the comment (or the stale codes from it)",
            )


def _engine() -> Any:
    # LibCST is imported only when a file must really be parsed: a warm run never does.
    from . import engine

    return engine


def worker_count(files: int, jobs: int | None) -> int:
    """Processes to use: ``jobs`` (default: CPU count) capped at ceil(files / 4).

    >>> worker_count(3, 8), worker_count(40, 8), worker_count(40, 0)
    (1, 8, 1)
    """
    wanted = jobs if jobs is not None else (os.cpu_count() or 1)
    return max(1, min(wanted, math.ceil(files / 4)))


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Drop repeats: the same finding at the same place, reached through the same hops.

    An inherited method is an entry of the base workflow and of each subclass; its
    findings differ only in the entry label, so the first (sorted) one is kept.
    """
    out: list[Diagnostic] = []
    seen: set[tuple[object, ...]] = set()
    for d in diagnostics:
        hops = tuple(d.chain[1:]) if d.chain else d.message
        key = (d.path, d.line, d.column, d.code, hops)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _pos_of(d: Diagnostic) -> Any:
    from .summary import Pos

    return Pos(d.line, d.column, d.end_line, d.end_column, d.line)


def _module_raw(summary: FileSummary, finding: Any) -> RawDiagnostic:
    from .reach import RawDiagnostic

    diagnostic = Diagnostic(
        path=summary.path,
        line=finding.pos.line,
        column=finding.pos.column,
        code=finding.code,
        message=finding.message,
        severity=CODES[finding.code].severity,
        hint=finding.hint,
        end_line=finding.pos.end_line,
        end_column=finding.pos.end_column,
    )
    return RawDiagnostic(diagnostic, finding.pos)


def check_paths(
    paths: Sequence[str | Path],
    *,
    config: Config | None = None,
    strict: bool = False,
    use_cache: bool = True,
    jobs: int | None = None,
    force_exclude: bool = False,
) -> CheckReport:
    """Check every Python file under ``paths``.

    ``config`` defaults to the nearest ``[tool.continuum]`` above the first path (raises
    `ConfigError` when it is invalid). ``strict`` (or ``strict = true`` in the config)
    reports unused suppressions (CN290); use ``report.exit_code(strict=True)`` to fail on
    warnings. Results are cached under the config's cache directory unless ``use_cache``
    is false. Excludes apply below each named path, and to the named paths themselves
    only with ``force_exclude``. Never raises for a bad source file.
    """
    if config is None:
        config = load_config(Path(paths[0]) if paths else None)
    strict = strict or config.strict
    files = list(iter_python_files(paths, config, force_exclude=force_exclude))
    run = _Run(SourceFiles(), config, strict=strict, use_cache=use_cache, jobs=jobs)
    return run.run(files)


def check_source(
    source: str,
    *,
    path: str = "workflow.py",
    config: Config | None = None,
    strict: bool = False,
    extra_files: Mapping[str, str] | None = None,
) -> list[Diagnostic]:
    """Check one module's source text; other project modules may be given in ``extra_files``.

    Paths are relative to ``config.root`` (default: the working directory); nothing is
    read from or written to disk. Returns the sorted, final diagnostics.

    >>> [d.code for d in check_source(
    ...     "import time\\nfrom continuum import Workflow\\n"
    ...     "class F(Workflow):\\n    def run(self, x):\\n        return time.time()\\n")]
    ['CN101']
    """
    config = config or Config()
    root = config.root
    memory = {root / path: source.encode()}
    for rel, text in (extra_files or {}).items():
        memory[root / rel] = text.encode()
    run = _Run(SourceFiles(memory), config, strict=strict or config.strict, use_cache=False, jobs=0)
    return run.run([root / path], prefilter=False).diagnostics
