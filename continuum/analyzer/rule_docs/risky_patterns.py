"""Documentation of CN2xx: patterns that can break durability or hide code from the analyzer."""

from __future__ import annotations

from ._model import RuleDoc, doc

DOCS: list[RuleDoc] = [
    doc(
        "CN201",
        "Handlers that can catch the runtime's `Suspend`: a bare `except:`, `except "
        "BaseException` without a bare `raise`, `contextlib.suppress(BaseException)`, and "
        "`return`/`break`/`continue` inside `finally`.",
        "When a run must wait (a timer, a signal, an activity in flight) the runtime raises "
        "`Suspend`, a `BaseException`. Swallowing it makes the workflow run on as if the "
        "effect had returned, recording steps the real run never took.",
        "Catch the exceptions you mean (`except ActivityError:`), or re-raise with a bare "
        "`raise`. Do not leave a `finally` block with `return`, `break` or `continue`.",
        """
from continuum import Workflow, activity
from app import payments


class ChargeFlow(Workflow, version=1):
    def run(self, order: dict) -> dict:
        try:
            return activity(payments.charge, order["id"])
        except:
            return {"status": "failed"}
""",
        """
from continuum import ActivityError, Workflow, activity
from app import payments


class ChargeFlow(Workflow, version=1):
    def run(self, order: dict) -> dict:
        try:
            return activity(payments.charge, order["id"])
        except ActivityError:
            return {"status": "failed"}
""",
    ),
    doc(
        "CN202",
        "`except Exception:` in workflow code. Off by default; select it with "
        '`extend-select = ["CN202"]`.',
        "It cannot catch `Suspend`, so it does not break replay; it is a style rule for "
        "teams that want workflow handlers to name the failures they expect.",
        "Catch `continuum.ActivityError` or the specific exception you handle.",
        """
from continuum import Workflow, activity
from app import payments


class ChargeFlow(Workflow, version=1):
    def run(self, order: dict) -> dict:
        try:
            return activity(payments.charge, order["id"])
        except Exception:
            return {"status": "failed"}
""",
        """
from continuum import ActivityError, Workflow, activity
from app import payments


class ChargeFlow(Workflow, version=1):
    def run(self, order: dict) -> dict:
        try:
            return activity(payments.charge, order["id"])
        except ActivityError:
            return {"status": "failed"}
""",
        config={"extend-select": ["CN202"]},
    ),
    doc(
        "CN203",
        "Calls the analyzer cannot see through: `eval`, `exec`, `compile`, `__import__`, "
        "`importlib.import_module`, `getattr(obj, name)(…)` with a computed name, and calling "
        "a subscript or a call result (`handlers[kind](x)`).",
        "The called code is chosen at run time, so it was never checked for determinism and "
        "may do anything on replay.",
        "Dispatch explicitly (`if`/`match` on the kind), or run the dynamic part in an activity.",
        """
from continuum import Workflow, activity
from app import handlers


class EventFlow(Workflow, version=1):
    def run(self, event: dict) -> str:
        return getattr(self, "on_" + event["kind"])(event)

    def on_signup(self, event: dict) -> str:
        return activity(handlers.signup, event)
""",
        """
from continuum import Workflow, activity
from app import handlers


class EventFlow(Workflow, version=1):
    def run(self, event: dict) -> str:
        if event["kind"] == "signup":
            return self.on_signup(event)
        raise ValueError(event["kind"])

    def on_signup(self, event: dict) -> str:
        return activity(handlers.signup, event)
""",
    ),
    doc(
        "CN204",
        "Saga gaps: a workflow calls `compensate_all()` but some activity has neither "
        "`compensate=` nor an explicit `compensate=None`; or an activity has a compensation "
        "that no `compensate`/`compensate_all` call can ever reach.",
        "On failure the saga undoes only the steps that registered a compensation; a step "
        "without one is silently left done (money charged, stock reserved).",
        "Give each side-effecting activity a `compensate=` function, and mark read-only ones "
        "with `compensate=None` to say that nothing needs undoing.",
        """
from continuum import ActivityError, Workflow, activity, compensate_all
from app import payments, stock


class OrderFlow(Workflow, version=1):
    def run(self, order: dict) -> str:
        try:
            activity(stock.reserve, order["items"])
            activity(payments.charge, order["id"], compensate=payments.refund)
        except ActivityError:
            compensate_all()
            return "failed"
        return "done"
""",
        """
from continuum import ActivityError, Workflow, activity, compensate_all
from app import payments, stock


class OrderFlow(Workflow, version=1):
    def run(self, order: dict) -> str:
        try:
            activity(stock.reserve, order["items"], compensate=stock.release)
            activity(payments.charge, order["id"], compensate=payments.refund)
        except ActivityError:
            compensate_all()
            return "failed"
        return "done"
""",
    ),
    doc(
        "CN205",
        "Calls into third-party code that is neither part of your project nor listed in "
        "`trusted-modules`. Reported once per module, not per call.",
        "The analyzer follows helpers only inside your project; what an installed library "
        "does on each call (clock reads, caches, I/O) is unknown to it.",
        "If the library is deterministic, add it to `trusted-modules`; otherwise call it from "
        "an activity.",
        """
import yaml

from continuum import Workflow, activity
from app import archive


class ExportFlow(Workflow, version=1):
    def run(self, order: dict) -> None:
        activity(archive.store, yaml.safe_dump(order))
""",
        """
import yaml

from continuum import Workflow, activity
from app import archive


class ExportFlow(Workflow, version=1):
    def run(self, order: dict) -> None:
        activity(archive.store, yaml.safe_dump(order))
""",
        good_config={"trusted-modules": ["yaml"]},
    ),
    doc(
        "CN206",
        "Iteration over a `set` or `frozenset` (a literal, a `set(...)` call or a name bound "
        "only to one) in `for` loops, comprehensions, `list()`, `tuple()`, `join()`.",
        "Set order depends on element hashes, and `str` hashes are salted per process: two "
        "workers iterate the same set in different orders and issue activities in a "
        "different sequence than the journal recorded.",
        "Iterate `sorted(the_set)`.",
        """
from continuum import Workflow, activity
from app import mailer


class NotifyFlow(Workflow, version=1):
    def run(self, emails: list[str]) -> None:
        for email in set(emails):
            activity(mailer.send, email)
""",
        """
from continuum import Workflow, activity
from app import mailer


class NotifyFlow(Workflow, version=1):
    def run(self, emails: list[str]) -> None:
        for email in sorted(set(emails)):
            activity(mailer.send, email)
""",
    ),
    doc(
        "CN290",
        "A `# continuum: ignore[...]` or `# noqa: CN...` comment that suppresses nothing. "
        "Reported only with `--strict`.",
        "A stale suppression does not break replay, but it will silently hide a real finding "
        "if one is later introduced on that line.",
        "Delete the comment, or narrow it to the codes still reported there.",
        """
from continuum import Workflow, activity
from app import jobs


class BatchFlow(Workflow, version=1):
    def run(self, batch: str) -> None:
        activity(jobs.process, batch)  # continuum: ignore[CN101]
""",
        """
from continuum import Workflow, activity
from app import jobs


class BatchFlow(Workflow, version=1):
    def run(self, batch: str) -> None:
        activity(jobs.process, batch)
""",
        strict=True,
    ),
]
