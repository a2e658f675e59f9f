"""Diagnostics and the single table of codes. Codes are never reused."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How a diagnostic affects the exit code."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One row of the code table."""

    #: Stable code, e.g. ``"CN101"``.
    code: str
    #: Stable kebab-case name, e.g. ``"nondeterministic-clock"``.
    name: str
    #: Severity before configuration.
    severity: Severity
    #: One-line summary used by docs and SARIF.
    summary: str
    #: False for codes that are off unless selected (CN202, CN290 outside --strict).
    default_enabled: bool = True


E, W = Severity.ERROR, Severity.WARNING

_TABLE = [
    CodeInfo("CN101", "nondeterministic-clock", E, "Reads the wall clock or a timer."),
    CodeInfo("CN102", "nondeterministic-random", E, "Uses unseeded or OS randomness."),
    CodeInfo("CN103", "nondeterministic-identity", E, "Uses a random UUID, id() or hash()."),
    CodeInfo("CN104", "blocking-sleep", E, "Sleeps or blocks instead of a durable timer."),
    CodeInfo("CN105", "host-environment", E, "Reads environment variables or host facts."),
    CodeInfo("CN106", "io-in-workflow", E, "Does file, console or logging I/O."),
    CodeInfo("CN107", "network-or-client", E, "Uses the network or a database/cloud client."),
    CodeInfo("CN108", "concurrency-or-process", E, "Starts threads, processes or async tasks."),
    CodeInfo("CN109", "global-state-mutation", E, "Mutates module-level or process-global state."),
    CodeInfo(
        "CN110",
        "import-time-nondeterminism",
        E,
        "Reads a module-level value computed by a non-deterministic call at import.",
    ),
    CodeInfo("CN111", "star-import-of-forbidden", E, "Star-imports a module with forbidden names."),
    CodeInfo("CN112", "user-forbidden", E, "Calls a name listed in extra-forbidden."),
    CodeInfo(
        "CN201",
        "suspend-swallowing-except",
        W,
        "Can swallow the runtime's Suspend (bare except, BaseException, jump out of finally).",
    ),
    CodeInfo(
        "CN202",
        "broad-except-exception",
        W,
        "Catches Exception (style only).",
        default_enabled=False,
    ),
    CodeInfo("CN203", "dynamic-call", W, "Calls code the analyzer cannot see (eval, getattr…)."),
    CodeInfo(
        "CN204", "uncompensated-activity", W, "Activity not covered by the saga's compensation."
    ),
    CodeInfo(
        "CN205",
        "unscannable-call",
        W,
        "Calls third-party code that is neither trusted nor scanned.",
    ),
    CodeInfo(
        "CN206", "set-iteration-order", W, "Iterates a set, whose order differs across processes."
    ),
    CodeInfo(
        "CN290",
        "unused-suppression",
        W,
        "A suppression comment suppresses nothing (--strict only).",
        default_enabled=False,
    ),
    CodeInfo("CN301", "unimportable-activity", E, "Activity target a worker cannot import."),
    CodeInfo("CN302", "effect-outside-workflow", E, "Effect called outside workflow code."),
    CodeInfo("CN303", "undeclared-signal", E, "await_signal name not in the declared signals."),
    CodeInfo("CN304", "bad-child-shape", E, "start_child/run_child not given a workflow class."),
    CodeInfo("CN305", "async-workflow", E, "async def in workflow code is not supported yet."),
    CodeInfo("CN901", "syntax-error", E, "The file does not parse."),
    CodeInfo("CN902", "undecodable-file", E, "The file is not valid text in its encoding."),
    CodeInfo("CN903", "analyzer-crash", E, "The analyzer failed on this file."),
]

#: code → CodeInfo, in code order.
CODES: dict[str, CodeInfo] = {info.code: info for info in _TABLE}
#: kebab-case name → code.
CODES_BY_NAME: dict[str, str] = {info.name: info.code for info in _TABLE}


@dataclass(frozen=True, slots=True)
class ChainHop:
    """One step of the call chain from a workflow to the offending call."""

    #: What is called at this hop, e.g. ``"app.pricing.quote"`` or ``"time.time()"``.
    label: str
    #: Where that callee (or the final call) lives, relative path; "" when unknown.
    path: str = ""
    #: 1-based line, 0 when unknown.
    line: int = 0

    def __str__(self) -> str:
        return f"{self.label} ({self.path}:{self.line})" if self.path else self.label


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """One finding. Sorted by path, line, column, code, message."""

    #: Relative POSIX path of the primary location (the workflow's call site for chains).
    path: str
    #: 1-based line.
    line: int
    #: 1-based column.
    column: int
    #: Stable code, e.g. ``"CN101"``.
    code: str
    #: Human message; includes the chain for transitive findings.
    message: str
    #: Effective severity after configuration.
    severity: Severity = field(default=Severity.ERROR, compare=False)
    #: How to fix it ("" when there is nothing specific to say).
    hint: str = field(default="", compare=False)
    #: Hops from the workflow entry to the bad call; empty for direct findings.
    chain: tuple[ChainHop, ...] = field(default=(), compare=False)
    #: End position (1-based), 0 when unknown.
    end_line: int = field(default=0, compare=False)
    end_column: int = field(default=0, compare=False)
    #: Qualified name of the workflow (or function) the finding belongs to, "" if none.
    workflow: str = field(default="", compare=False)

    @property
    def name(self) -> str:
        """The code's kebab-case name."""
        return CODES[self.code].name
