"""Documentation of CN3xx (workflow-API misuse) and CN9xx (files that could not be checked)."""

from __future__ import annotations

from ._model import RuleDoc, doc

DOCS: list[RuleDoc] = [
    doc(
        "CN301",
        "Activity targets a worker cannot import by path: lambdas, nested functions and "
        "bound methods passed to `activity()`.",
        "Workers load activities by their import path (`app.payments:charge`); a lambda or a "
        "nested function has no such path, so the task can never run.",
        "Make the activity a module-level function and pass it by name.",
        """
from continuum import Workflow, activity


class GreetFlow(Workflow, version=1):
    def run(self, name: str) -> str:
        return activity(lambda: f"hello {name}")
""",
        """
from continuum import Workflow, activity
from app import greetings


class GreetFlow(Workflow, version=1):
    def run(self, name: str) -> str:
        return activity(greetings.hello, name)
""",
    ),
    doc(
        "CN302",
        "Workflow effects (`activity`, `await_signal`, `timer`, `now`, `uuid4`, …) called "
        "where no workflow is running, such as at module level.",
        "Effects are journal operations of the current run; outside one they raise "
        "`ContinuumError` at import or call time.",
        "Call effects only from workflow methods and the helpers they call; compute "
        "module-level values without them.",
        """
from continuum import Workflow, activity, today
from app import reports

STARTED = today()


class DailyFlow(Workflow, version=1):
    def run(self) -> None:
        activity(reports.daily, STARTED.isoformat())
""",
        """
from continuum import Workflow, activity, today
from app import reports


class DailyFlow(Workflow, version=1):
    def run(self) -> None:
        activity(reports.daily, today().isoformat())
""",
    ),
    doc(
        "CN303",
        "`await_signal(name)` with a literal name missing from the class's declared "
        "`signals=[...]`.",
        "A signal sent under the declared name would never wake this wait, and a typo would "
        "only show up as a run that waits forever.",
        "Declare the signal in `signals=[...]`, or fix the spelling.",
        """
from continuum import Workflow, await_signal, hours


class ReviewFlow(Workflow, version=1, signals=["approved"]):
    def run(self, doc: str) -> bool:
        return await_signal("approve", timeout=hours(1)) is True
""",
        """
from continuum import Workflow, await_signal, hours


class ReviewFlow(Workflow, version=1, signals=["approved"]):
    def run(self, doc: str) -> bool:
        return await_signal("approved", timeout=hours(1)) is True
""",
    ),
    doc(
        "CN304",
        "`start_child`/`run_child` given something other than a workflow class, such as a "
        "string name or an instance.",
        "A child run is pinned to its class's version; without the class the runtime cannot "
        "tell which generated version to start.",
        "Pass the workflow class itself: `run_child(ShipFlow, order)`.",
        """
from continuum import Workflow, run_child


class ParentFlow(Workflow, version=1):
    def run(self, order: dict) -> dict:
        return run_child("ShipFlow", order)
""",
        """
from continuum import Workflow, run_child
from app.flows.shipping import ShipFlow


class ParentFlow(Workflow, version=1):
    def run(self, order: dict) -> dict:
        return run_child(ShipFlow, order)
""",
    ),
    doc(
        "CN305",
        "`async def` methods or helpers in workflow code.",
        "The runtime drives workflows as synchronous straight-line code; a coroutine is "
        "created but never awaited, so its effects never run.",
        "Write workflow methods as plain `def`; activities may be sync functions.",
        """
from continuum import Workflow, activity
from app import jobs


class BatchFlow(Workflow, version=1):
    async def run(self, batch: str) -> None:
        activity(jobs.process, batch)
""",
        """
from continuum import Workflow, activity
from app import jobs


class BatchFlow(Workflow, version=1):
    def run(self, batch: str) -> None:
        activity(jobs.process, batch)
""",
    ),
    doc(
        "CN901",
        "A file that does not parse as Python.",
        "A module that cannot be parsed cannot be checked or built, and would fail at import "
        "on every worker.",
        "Fix the syntax error at the reported position; the rest of the tree is still checked.",
        """
from continuum import Workflow


class BrokenFlow(Workflow, version=1):
    def run(self, order: dict) -> dict
        return order
""",
        """
from continuum import Workflow


class BrokenFlow(Workflow, version=1):
    def run(self, order: dict) -> dict:
        return order
""",
    ),
    doc(
        "CN902",
        "A file whose bytes are not valid text in its declared encoding (UTF-8 unless a "
        "`# -*- coding: ... -*-` line says otherwise).",
        "The file cannot be read reliably, so it cannot be checked, hashed or built.",
        "Re-save the file as UTF-8, or declare its real encoding in a coding line.",
    ),
    doc(
        "CN903",
        "An internal failure of the analyzer on one file; the message names the exception.",
        "The file was not checked, so its determinism is unknown; the other files are still "
        "checked.",
        "Please report it with the file (or a reduced copy) and the message. Until it is "
        "fixed, `# continuum: ignore-file` or an `exclude` entry lets the rest of the tree pass.",
    ),
]
