"""``continuum build`` as a library: `build` returns a `BuildReport`.

`build` finds the workflow classes under the given paths, refuses those with analyzer
errors, computes each version hash, writes a ``V_<hash16>.py`` module for every
version that has none yet, and regenerates each output directory's registry. With
``check=True`` it writes nothing and reports what a build would change.
"""

from __future__ import annotations

import ast
import logging
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from ..analyzer.config import Config, load_config
from ..analyzer.diagnostics import Diagnostic, Severity
from ..analyzer.project import display_path
from .closure import find_workflow_classes
from .discovery import admit, markers_for, read_all
from .errors import CodegenError
from .project import Project, locate, read_module
from .registry import (
    OutputDir,
    VersionFile,
    default_output,
    explicit_output,
    imported_helpers,
    read_current,
    registry_text,
    scan_helpers,
    scan_versions,
)
from .render import render_package_init
from .version import WorkflowVersion, plan_version
from .writer import write_if_changed, write_new

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: Wraps the list of files being built, e.g. in a progress bar.
Progress = Callable[[Sequence[T]], Iterable[T]]


class Status(StrEnum):
    """What happened to one workflow."""

    CREATED = "created"  #: a new version module was written
    UNCHANGED = "unchanged"  #: its version module already exists
    MISSING = "missing"  #: --check: the current version has no module
    REFUSED = "refused"  #: analyzer errors; nothing written for it


class ProblemKind(StrEnum):
    """Why a build or check failed."""

    MISSING = "missing"  #: the current version has no generated module
    EDITED = "edited"  #: a generated file's content does not match its digest
    REGISTRY = "registry"  #: the registry does not list exactly the modules on disk
    PACKAGE = "package"  #: an ``__init__.py`` of the output tree is missing
    ANALYZER = "analyzer"  #: the workflow has analyzer errors
    ERROR = "error"  #: the workflow cannot be frozen (see message)


@dataclass(frozen=True, slots=True)
class WorkflowResult:
    """One workflow's outcome."""

    #: Logical name ``"pkg.mod:Name"``.
    workflow: str
    #: Source file.
    source: Path
    #: Full version hash of the current source.
    version_hash: str
    #: Import name of its version module.
    module: str
    #: Path of its version module.
    path: Path
    status: Status


@dataclass(frozen=True, slots=True)
class Problem:
    """Something ``--check`` fails on, or a build could not do."""

    kind: ProblemKind
    #: The file concerned.
    path: Path
    #: What is wrong, in one sentence.
    message: str
    #: The command (or action) that fixes it.
    fix: str


@dataclass(frozen=True, slots=True)
class BuildReport:
    """Outcome of `build`."""

    #: Every workflow found, sorted by logical name.
    workflows: tuple[WorkflowResult, ...] = ()
    problems: tuple[Problem, ...] = ()
    #: Analyzer errors that made workflows be refused.
    diagnostics: tuple[Diagnostic, ...] = ()
    #: Files written (never any under ``check``).
    written: tuple[Path, ...] = ()
    #: True for a ``--check`` run.
    check: bool = False

    @property
    def exit_code(self) -> int:
        """0 when everything is built and current, 1 otherwise."""
        return 1 if self.problems else 0


@dataclass(slots=True)
class _Plan:
    """Working state of one build."""

    config: Config
    out: OutputDir | None
    check: bool
    command: str
    versions: list[tuple[WorkflowVersion, Project, OutputDir]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    results: list[WorkflowResult] = field(default_factory=list)
    projects: dict[Path, Project] = field(default_factory=dict)
    #: Directories whose ``__init__.py`` chain up to the output directory is in place.
    packaged: set[Path] = field(default_factory=set)


def fix_command(paths: Sequence[str | Path], out: Path | None) -> str:
    """The ``continuum build`` command line that regenerates what ``--check`` reports."""
    parts = ["continuum", "build"]
    if out is not None:
        parts += ["--out", _quote(str(out))]
    parts += [_quote(str(p)) for p in paths]
    return " ".join(parts)


def _quote(text: str) -> str:
    return shlex.quote(text)


def build(
    paths: Sequence[str | Path],
    *,
    config: Config | None = None,
    out: Path | None = None,
    check: bool = False,
    progress: Progress[Path] | None = None,
) -> BuildReport:
    """Build (or with ``check=True``, verify) the generated modules of workflows in ``paths``.

    ``out`` overrides ``config.out`` and the default output directories. Nothing is
    written for a workflow with analyzer errors; an existing version module is never
    rewritten. Raises `ConfigError` only through `load_config` when no config is given.
    """
    config = config or load_config()
    paths = list(paths) or ["."]
    out_dir = _output_override(config, out)
    plan = _Plan(config, out_dir, check, fix_command(paths, out))
    pending = read_all(paths, config)
    markers = markers_for(config)
    while pending:
        admitted, pending = admit(pending, markers)
        if not admitted:
            break
        files = [path for path, _ in admitted]
        for path in progress(files) if progress else files:
            _plan_file(plan, path)
        # A class deriving from a workflow found so far may live in a file that never
        # mentions continuum: admit files naming one, until nothing new qualifies.
        found = {v.class_name.encode() for v, *_ in plan.versions}
        if found <= markers:
            break
        markers |= found
    _refuse_duplicate_names(plan)
    _refuse_analyzer_errors(plan)
    for out_tree in sorted({o.path: o for *_, o in plan.versions}.values(), key=lambda o: o.path):
        _process_output(plan, out_tree)
    return BuildReport(
        workflows=tuple(sorted(plan.results, key=lambda r: (r.workflow, str(r.source)))),
        problems=tuple(plan.problems),
        diagnostics=tuple(plan.diagnostics),
        written=tuple(plan.written),
        check=check,
    )


def _output_override(config: Config, out: Path | None) -> OutputDir | None:
    if out is not None:
        return explicit_output(out)
    if config.out:
        return explicit_output(config.root / config.out)
    return None


def _plan_file(plan: _Plan, path: Path) -> None:
    try:
        # Named as the analyzer names it, so its findings are matched to this workflow.
        name, root = locate(path, plan.config.resolved_src())
    except CodegenError:
        # Scripts and notebooks exported as .py cannot hold a workflow a worker could
        # import; they only matter when they (appear to) define one.
        if _mentions_workflow_class(path):
            plan.problems.append(
                Problem(
                    ProblemKind.ERROR,
                    path,
                    "defines a workflow but is not importable as a module (rename the file)",
                    "rename it to a valid module name, then run: " + plan.command,
                )
            )
        return
    # One project per import root: helper modules are parsed once per build.
    project = plan.projects.setdefault(root, Project(root))
    try:
        source = read_module(path, root, name=name)
        bases = _dotted_bases(plan.config.workflow_bases)
        classes = find_workflow_classes(project, source, extra_bases=bases)
        for class_name in classes:
            version = plan_version(project, source, class_name, extra_bases=bases)
            out = plan.out or default_output(root, source.name)
            plan.versions.append((version, project, out))
    except CodegenError as exc:
        plan.problems.append(
            Problem(ProblemKind.ERROR, path, str(exc), "fix the source, then run: " + plan.command)
        )
    except Exception as exc:  # a bug here must not hide the other workflows' results
        logger.info("continuum build failed on %s", path, exc_info=True)
        plan.problems.append(
            Problem(
                ProblemKind.ERROR,
                path,
                f"internal error ({type(exc).__name__}: {exc}); please report it",
                "run with -v for the traceback",
            )
        )


def _dotted_bases(names: Sequence[str]) -> list[str]:
    # The setting may spell a base "pkg.mod:Class" or "pkg.mod.Class".
    return [name.replace(":", ".") for name in names]


def _refuse_duplicate_names(plan: _Plan) -> None:
    """Two classes claiming one logical name would share runs: build neither."""
    claims: dict[str, list[WorkflowVersion]] = {}
    for version, *_ in plan.versions:
        claims.setdefault(version.workflow, []).append(version)
    clashes = {name for name, versions in claims.items() if len(versions) > 1}
    for name in sorted(clashes):
        where = ", ".join(f"{v.source.name}:{v.class_name}" for v in claims[name])
        plan.problems.append(
            Problem(
                ProblemKind.ERROR,
                claims[name][0].source.path,
                f"{where} all claim the workflow name {name!r}; give each its own workflow=",
                "fix the source, then run: " + plan.command,
            )
        )
    plan.versions = [entry for entry in plan.versions if entry[0].workflow not in clashes]


def _mentions_workflow_class(path: Path) -> bool:
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, OSError):
        return False
    return any(
        isinstance(node, ast.ClassDef)
        and any(ast.unparse(base).endswith("Workflow") for base in node.bases)
        for node in ast.walk(tree)
    )


def _refuse_analyzer_errors(plan: _Plan) -> None:
    """Drop the workflows whose files have analyzer errors (recording why)."""
    if not plan.versions:
        return
    files = sorted({version.source.path for version, *_ in plan.versions})
    errors = _analyzer_errors(files, plan.config)
    if not errors:
        return
    kept = []
    for version, project, out in plan.versions:
        found = [d for d in errors if _belongs_to(d, version, plan.config)]
        if not found:
            kept.append((version, project, out))
            continue
        path = out.version_path(version.source.name, version.module_file)
        plan.results.append(
            WorkflowResult(
                version.workflow,
                version.source.path,
                version.version_hash,
                out.dotted(path),
                path,
                Status.REFUSED,
            )
        )
        plan.diagnostics.extend(found)
        plan.problems.append(
            Problem(
                ProblemKind.ANALYZER,
                version.source.path,
                f"{version.workflow}: {len(found)} analyzer error(s); nothing generated for it",
                f"fix what `continuum check` reports, then run: {plan.command}",
            )
        )
    plan.versions = kept


def _analyzer_errors(files: list[Path], config: Config) -> list[Diagnostic]:
    from ..analyzer.api import check_paths  # heavy (LibCST metadata): only when building

    report = check_paths([str(f) for f in files], config=config)
    return [d for d in report.diagnostics if d.severity == Severity.ERROR]


def _belongs_to(diagnostic: Diagnostic, version: WorkflowVersion, config: Config) -> bool:
    """Whether an analyzer error stops ``version`` from being built.

    A finding attributed to a workflow stops that workflow only; a finding in the
    workflow's file that belongs to no workflow (module level) stops all of its
    workflows.
    """
    path = Path(diagnostic.path)
    # The analyzer reports paths relative to the working directory (or its root).
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, config.root / path]
    in_file = any(c.resolve() == version.source.path for c in candidates)
    if diagnostic.workflow:
        defined_at = f"{version.source.name}:{version.class_name}"
        if diagnostic.workflow in (defined_at, version.workflow):
            return True
        # Names agree by construction (both come from the analyzer's `ProjectIndex`);
        # the file and class still identify the workflow should they ever drift apart.
        return in_file and diagnostic.workflow.rpartition(":")[2] == version.class_name
    return in_file


def _process_output(plan: _Plan, out: OutputDir) -> None:
    """Write (or check) the version modules, packages and registry of one output tree."""
    mine = [(v, p) for v, p, o in plan.versions if o.path == out.path]
    for version, project in mine:
        _process_version(plan, out, version, project)
    # Scanned once (each file read, hashed and parsed once) for both uses below.
    versions = scan_versions(out)
    _check_edits(plan, out, versions)
    current = read_current(out)
    for version, _ in mine:
        current[version.workflow] = version.version_hash
    text = registry_text(versions, current)
    if plan.check:
        existing = (
            out.registry_path.read_text(encoding="utf-8") if out.registry_path.exists() else ""
        )
        if existing != text:
            plan.problems.append(
                Problem(
                    ProblemKind.REGISTRY,
                    out.registry_path,
                    "the registry does not list exactly the generated modules and current versions",
                    plan.command,
                )
            )
    elif write_if_changed(out.registry_path, text):
        plan.written.append(out.registry_path)


def _process_version(
    plan: _Plan, out: OutputDir, version: WorkflowVersion, project: Project
) -> None:
    path = out.version_path(version.source.name, version.module_file)
    status = Status.UNCHANGED if path.exists() else Status.MISSING
    if status is Status.MISSING and plan.check:
        plan.problems.append(
            Problem(
                ProblemKind.MISSING,
                path,
                f"{version.workflow}: version {version.short_hash} of "
                f"{version.source_relpath} has no generated module",
                plan.command,
            )
        )
    elif status is Status.MISSING:
        # Imported here: freezing needs libcst and jinja2, whose imports cost more than
        # a whole warm build that has nothing to write.
        from .freeze import freeze_version

        try:
            rendered = freeze_version(version, project, out)
        except CodegenError as exc:
            plan.problems.append(
                Problem(
                    ProblemKind.ERROR,
                    version.source.path,
                    f"{version.workflow}: {exc.message}",
                    "fix the source, then run: " + plan.command,
                )
            )
            return
        # Helpers first: the version module imports them. Content-addressed, so one
        # that exists already is the same file.
        for generated in rendered.helpers:
            _ensure_packages(plan, out, generated.path.parent)
            if write_new(generated.path, generated.text):
                plan.written.append(generated.path)
        # False only when a concurrent build created it meanwhile: theirs stands.
        created = write_new(path, rendered.version.text)
        if created:
            plan.written.append(path)
            logger.info("wrote %s", path)
        status = Status.CREATED if created else Status.UNCHANGED
    _ensure_packages(plan, out, path.parent)
    plan.results.append(
        WorkflowResult(
            version.workflow,
            version.source.path,
            version.version_hash,
            out.dotted(path),
            path,
            status,
        )
    )


def _ensure_packages(plan: _Plan, out: OutputDir, directory: Path) -> None:
    """``__init__.py`` in every directory between ``out`` and ``directory`` (not ``out``)."""
    text: str | None = None
    while directory != out.path:
        if directory in plan.packaged:
            return  # this one and every parent up to ``out`` are done already
        plan.packaged.add(directory)
        init = directory / "__init__.py"
        if plan.check:
            # A missing directory means a missing version module, reported already.
            if directory.exists() and not init.exists():
                plan.problems.append(
                    Problem(ProblemKind.PACKAGE, init, "missing package __init__.py", plan.command)
                )
        elif not init.exists():
            if text is None:
                text = render_package_init()
            if write_new(init, text):
                plan.written.append(init)
        directory = directory.parent


def _check_helpers(plan: _Plan, out: OutputDir, versions: list[VersionFile]) -> None:
    """Helper modules: intact, named after their content, and present where imported."""
    for found in scan_helpers(out):
        if not found.intact:
            plan.problems.append(
                Problem(
                    ProblemKind.EDITED,
                    found.path,
                    "generated helper module was edited by hand (its name or digest does "
                    "not match its content)",
                    f"restore it (git checkout -- {_quote(display_path(found.path))}); "
                    "generated modules are never rewritten",
                )
            )
    for version_file, helper in imported_helpers(out, versions):
        plan.problems.append(
            Problem(
                ProblemKind.MISSING,
                helper,
                f"{display_path(version_file)} imports this generated helper module, "
                "which is missing",
                f"restore it (git checkout -- {_quote(display_path(helper))})",
            )
        )


def _check_edits(plan: _Plan, out: OutputDir, versions: list[VersionFile]) -> None:
    _check_helpers(plan, out, versions)
    for found in versions:
        if found.intact and not found.well_named:
            plan.problems.append(
                Problem(
                    ProblemKind.EDITED,
                    found.path,
                    f"file name does not match the version hash it declares "
                    f"({found.version_hash[:16] or 'none'})",
                    f"delete it (or restore it from version control), then run: {plan.command}",
                )
            )
        elif not found.intact:
            plan.problems.append(
                Problem(
                    ProblemKind.EDITED,
                    found.path,
                    "generated module was edited by hand (its content digest does not match)",
                    f"restore it (git checkout -- {_quote(display_path(found.path))}); "
                    "generated modules are never rewritten",
                )
            )
