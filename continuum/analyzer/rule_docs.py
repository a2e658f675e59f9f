"""Per-code documentation: what each code catches, why it breaks replay, and how to fix it.

This is the single source of ``docs/rules.md`` and of the SARIF rule help text. Every
code of `continuum.analyzer.diagnostics.CODES` has exactly one entry; a test keeps the
two tables in step and checks that each checkable ``bad`` example really reports its
code while the ``good`` one does not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_NO_CONFIG: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class RuleDoc:
    """Documentation of one diagnostic code."""

    #: The code, e.g. ``"CN101"``.
    code: str
    #: What the code catches (Markdown, one paragraph).
    catches: str
    #: Why the caught code breaks replay or durability (Markdown, one paragraph).
    why: str
    #: How to fix it (Markdown, one paragraph).
    fix: str
    #: A complete workflow module that reports ``code`` ("" when no source can show it).
    bad: str = ""
    #: The same module, fixed.
    good: str = ""
    #: ``[tool.continuum]`` overrides needed for the examples (e.g. to select CN202).
    config: Mapping[str, Any] = field(default_factory=lambda: _NO_CONFIG)
    #: Extra overrides under which ``good`` passes (the fix is configuration, e.g. CN205).
    good_config: Mapping[str, Any] = field(default_factory=lambda: _NO_CONFIG)
    #: Whether the examples need ``--strict``.
    strict: bool = False

    @property
    def checkable(self) -> bool:
        """True when ``bad``/``good`` are source examples the analyzer can be run on."""
        return bool(self.bad)


def _doc(
    code: str, catches: str, why: str, fix: str, bad: str = "", good: str = "", **kw: Any
) -> RuleDoc:
    config, good_config = kw.pop("config", None), kw.pop("good_config", None)
    return RuleDoc(
        code,
        catches,
        why,
        fix,
        bad.strip("\n") + "\n" if bad else "",
        good.strip("\n") + "\n" if good else "",
        config=MappingProxyType(dict(config)) if config else _NO_CONFIG,
        good_config=MappingProxyType(dict(good_config)) if good_config else _NO_CONFIG,
        **kw,
    )


_REPLAY = "Continuum replays workflow code against its journal after every crash, deploy or wait; "

_DOCS = [
    _doc(
        "CN101",
        "Reads of the wall clock or a timer: `datetime.now/utcnow/today`, `date.today`, "
        "`time.time`, `time.monotonic`, `time.perf_counter` and their `_ns` forms, and "
        "`time.localtime/gmtime/ctime/strftime` called without an explicit time.",
        _REPLAY + "a clock read returns a different value on each replay, so a branch or an "
        "activity argument computed from it no longer matches what was recorded and the run "
        "fails with a replay drift.",
        "Use `continuum.now()` or `continuum.today()`: the first execution records the value "
        "in the journal and every replay returns the recorded one. Measure elapsed time as "
        "the difference of two `now()` values.",
        """
from datetime import datetime

from continuum import Workflow, activity
from app import billing


class InvoiceFlow(Workflow, version=1):
    def run(self, order: dict) -> str:
        issued = datetime.now()
        return activity(billing.invoice, order["id"], issued.isoformat())
""",
        """
from continuum import Workflow, activity, now
from app import billing


class InvoiceFlow(Workflow, version=1):
    def run(self, order: dict) -> str:
        issued = now()
        return activity(billing.invoice, order["id"], issued.isoformat())
""",
    ),
    _doc(
        "CN102",
        "Randomness the journal cannot reproduce: the `random` module's functions "
        "(`random.random`, `randint`, `choice`, `shuffle`, …), `random.Random()` without a "
        "seed, `random.SystemRandom`, `secrets.*` and `os.urandom`.",
        _REPLAY + "a fresh random draw on replay picks a different branch or argument than "
        "the recorded run did.",
        "Use `continuum.random()`, which returns a `random.Random` seeded from the journal, "
        "or seed `random.Random(seed)` from workflow input. Generate secrets in an activity.",
        """
import random

from continuum import Workflow, activity
from app import mailer


class RaffleFlow(Workflow, version=1):
    def run(self, entrants: list[str]) -> str:
        winner = random.choice(entrants)
        activity(mailer.congratulate, winner)
        return winner
""",
        """
import continuum
from continuum import Workflow, activity
from app import mailer


class RaffleFlow(Workflow, version=1):
    def run(self, entrants: list[str]) -> str:
        winner = continuum.random().choice(entrants)
        activity(mailer.congratulate, winner)
        return winner
""",
    ),
    _doc(
        "CN103",
        "Identities that differ per process: `uuid.uuid1/uuid4`, the builtin `id()` (an "
        "object address) and the builtin `hash()` (salted per process for `str`, `bytes` and "
        "`datetime`).",
        _REPLAY + "a new UUID or address on replay produces a different idempotency key or "
        "argument than the recorded one; `hash()` of a string differs between two workers.",
        "Use `continuum.uuid4()` (recorded once, replayed), `uuid.uuid5(namespace, name)` "
        "for a key derived from input, or `hashlib` for a stable digest.",
        """
import uuid

from continuum import Workflow, activity
from app import payments


class PayFlow(Workflow, version=1):
    def run(self, order: dict) -> dict:
        key = str(uuid.uuid4())
        return activity(payments.charge, order["id"], idempotency_key=key)
""",
        """
import continuum
from continuum import Workflow, activity
from app import payments


class PayFlow(Workflow, version=1):
    def run(self, order: dict) -> dict:
        key = str(continuum.uuid4())
        return activity(payments.charge, order["id"], idempotency_key=key)
""",
    ),
    _doc(
        "CN104",
        "Blocking waits: `time.sleep`, `asyncio.sleep`, `threading.Event.wait`, `signal.pause`.",
        "A real sleep is not durable: it holds a worker for the whole wait, is lost when the "
        "worker restarts, and is repeated on every replay.",
        "Use `continuum.timer(duration)` (alias `continuum.sleep`): the run suspends, the "
        "worker is freed, and a durable timer resumes it.",
        """
import time

from continuum import Workflow, activity
from app import reminders


class ReminderFlow(Workflow, version=1):
    def run(self, user: str) -> None:
        time.sleep(3600)
        activity(reminders.send, user)
""",
        """
from continuum import Workflow, activity, hours, timer
from app import reminders


class ReminderFlow(Workflow, version=1):
    def run(self, user: str) -> None:
        timer(hours(1))
        activity(reminders.send, user)
""",
    ),
    _doc(
        "CN105",
        "Reads of the host and process: `os.environ`, `os.getenv`, `sys.argv`, "
        "`os.getpid`, `socket.gethostname`, `platform.*`, `locale.*`.",
        "Workers run on different hosts with different environments; a replay on another "
        "worker (or after a redeploy with new settings) reads a different value than the "
        "recorded run did.",
        "Read the setting once when starting the run and pass it as workflow input, or read "
        "it inside an activity so the value is journaled.",
        """
import os

from continuum import Workflow, activity
from app import shipping


class ShipFlow(Workflow, version=1):
    def run(self, order: dict) -> str:
        carrier = os.environ.get("CARRIER", "dhl")
        return activity(shipping.book, order["id"], carrier)
""",
        """
from continuum import Workflow, activity
from app import shipping


class ShipFlow(Workflow, version=1):
    def run(self, order: dict) -> str:
        carrier = order.get("carrier", "dhl")
        return activity(shipping.book, order["id"], carrier)
""",
    ),
    _doc(
        "CN106",
        "File, console and logging I/O: `open`, `input`, `print`, the `logging` module, "
        "`os` file-system functions, `pathlib.Path` I/O methods, `shutil`, `tempfile`, "
        "`glob`.",
        "Workflow code runs again on every replay: output is duplicated each time, and a "
        "file's content may have changed since the recorded run read it.",
        "Do I/O in an activity. For log lines use `continuum.logger`, which stays silent "
        "while a run is replaying.",
        """
from continuum import Workflow, activity
from app import payments


class RefundFlow(Workflow, version=1):
    def run(self, order: dict) -> dict:
        print("refunding", order["id"])
        return activity(payments.refund, order["id"])
""",
        """
from continuum import Workflow, activity, logger
from app import payments


class RefundFlow(Workflow, version=1):
    def run(self, order: dict) -> dict:
        logger.info("refunding %s", order["id"])
        return activity(payments.refund, order["id"])
""",
    ),
    _doc(
        "CN107",
        "Network and external clients: `socket`, `urllib.request`, `http.client`, `smtplib`, "
        "and third-party clients such as `requests`, `httpx`, `aiohttp`, `boto3`, database "
        "drivers and ORMs.",
        "A remote call's answer can change between the recorded run and a replay, and the "
        "call itself (a charge, an email) is repeated on every replay.",
        "Move the call into an activity: its result is journaled, retried by policy, and "
        "never repeated on replay.",
        """
import requests

from continuum import Workflow


class RatesFlow(Workflow, version=1):
    def run(self, currency: str) -> float:
        reply = requests.get(f"https://rates.example/{currency}", timeout=5)
        return reply.json()["rate"]
""",
        """
from continuum import Workflow, activity
from app import rates


class RatesFlow(Workflow, version=1):
    def run(self, currency: str) -> float:
        return activity(rates.fetch, currency)
""",
    ),
    _doc(
        "CN108",
        "Threads, processes and async tasks: `threading`, `multiprocessing`, "
        "`concurrent.futures`, `subprocess`, `os.system`, `asyncio.create_task/gather/run`.",
        "The order in which concurrent work finishes is not recorded, so a replay can "
        "interleave differently; a spawned process is a side effect repeated on replay.",
        "Run the work as activities (one after the other, or as child workflows with "
        "`start_child`/`await_child` for parallelism); run processes inside an activity.",
        """
import subprocess

from continuum import Workflow


class ReportFlow(Workflow, version=1):
    def run(self, month: str) -> int:
        return subprocess.call(["make-report", month])
""",
        """
from continuum import Workflow, activity
from app import reports


class ReportFlow(Workflow, version=1):
    def run(self, month: str) -> int:
        return activity(reports.make, month)
""",
    ),
    _doc(
        "CN109",
        "Writes to state that outlives the run: `global`/`nonlocal` assignments, mutation "
        "of module-level containers (`CACHE[k] = v`, `ITEMS.append(x)`), attribute writes "
        "on imported modules, and process-global setters such as `random.seed` or "
        "`decimal.setcontext`.",
        "Module state survives between replays inside one worker but not across workers, so "
        "a replay sees a different cache than the recorded run did.",
        "Keep state in local variables or on `self`, and let activities return what you need: "
        "their results are journaled, so there is nothing to cache.",
        """
from continuum import Workflow, activity
from app import pricing

_quotes: dict[str, str] = {}


class QuoteFlow(Workflow, version=1):
    def run(self, sku: str) -> str:
        if sku not in _quotes:
            _quotes[sku] = activity(pricing.quote, sku)
        return _quotes[sku]
""",
        """
from continuum import Workflow, activity
from app import pricing


class QuoteFlow(Workflow, version=1):
    def run(self, sku: str) -> str:
        return activity(pricing.quote, sku)
""",
    ),
    _doc(
        "CN110",
        "A module-level value computed at import by a forbidden call (`REGION = "
        'os.environ["REGION"]`, `STARTED = time.time()`) and read by workflow code.',
        "A workflow module is imported once per worker, so each worker computes its own "
        "value; a run replayed on another worker sees a different one.",
        "Pass the value as workflow input, or read it in an activity.",
        """
import os

from continuum import Workflow, activity
from app import shipping

REGION = os.environ.get("REGION", "eu")


class ShipFlow(Workflow, version=1):
    def run(self, order: dict) -> str:
        return activity(shipping.book, order["id"], REGION)
""",
        """
from continuum import Workflow, activity
from app import shipping


class ShipFlow(Workflow, version=1):
    def run(self, order: dict) -> str:
        return activity(shipping.book, order["id"], order["region"])
""",
    ),
    _doc(
        "CN111",
        "`from <module> import *` of a module that has forbidden names, such as `time`, "
        "`random`, `os` or `datetime`.",
        "A star import hides which names come from where, so the analyzer can no longer "
        "prove that `time()` in workflow code is not `time.time`.",
        "Import the names you need explicitly; use `continuum.now()` for the clock.",
        """
from time import *

from continuum import Workflow, activity
from app import jobs


class BatchFlow(Workflow, version=1):
    def run(self, batch: str) -> None:
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
    _doc(
        "CN112",
        "Calls to names your project forbids in workflow code, listed under "
        "`extra-forbidden` in `[tool.continuum]` with the hint to show.",
        "Your own code may read state that changes at run time (feature flags, caches, "
        "clients); the analyzer cannot know that unless you tell it.",
        "Follow the hint you configured, usually: call it from an activity.",
        """
from continuum import Workflow, activity
from app import flags, checkout


class CheckoutFlow(Workflow, version=1):
    def run(self, cart: dict) -> dict:
        if flags.enabled("new-checkout"):
            return activity(checkout.v2, cart)
        return activity(checkout.v1, cart)
""",
        """
from continuum import Workflow, activity
from app import flags, checkout


class CheckoutFlow(Workflow, version=1):
    def run(self, cart: dict) -> dict:
        if activity(flags.enabled, "new-checkout"):
            return activity(checkout.v2, cart)
        return activity(checkout.v1, cart)
""",
        config={
            "extra-forbidden": {
                "app.flags.enabled": "Flags change at run time; read them in an activity."
            }
        },
    ),
    _doc(
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
    _doc(
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
    _doc(
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
    _doc(
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
    _doc(
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
    _doc(
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
    _doc(
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
    _doc(
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
    _doc(
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
    _doc(
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
    _doc(
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
    _doc(
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
    _doc(
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
    _doc(
        "CN902",
        "A file whose bytes are not valid text in its declared encoding (UTF-8 unless a "
        "`# -*- coding: ... -*-` line says otherwise).",
        "The file cannot be read reliably, so it cannot be checked, hashed or built.",
        "Re-save the file as UTF-8, or declare its real encoding in a coding line.",
    ),
    _doc(
        "CN903",
        "An internal failure of the analyzer on one file; the message names the exception.",
        "The file was not checked, so its determinism is unknown; the other files are still "
        "checked.",
        "Please report it with the file (or a reduced copy) and the message. Until it is "
        "fixed, `# continuum: ignore-file` or an `exclude` entry lets the rest of the tree pass.",
    ),
]

#: code → RuleDoc, in code order.
RULE_DOCS: dict[str, RuleDoc] = {doc.code: doc for doc in _DOCS}


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


def _toml(config: Mapping[str, Any]) -> str:
    lines = ["[tool.continuum]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in config.items()]
    return "\n".join(lines) + "\n"


def rule_help_markdown(code: str) -> str:
    """The Markdown help for ``code``: what, why, fix, and the two examples.

    Used for SARIF ``help.markdown`` and for each section of ``docs/rules.md``.
    Raises `KeyError` for an unknown code.
    """
    doc = RULE_DOCS[code]
    parts = [
        f"**What it catches.** {doc.catches}",
        f"**Why it breaks replay.** {doc.why}",
        f"**How to fix it.** {doc.fix}",
    ]
    if doc.config:
        parts.append(f"Both examples are checked with:\n\n```toml\n{_toml(doc.config)}```")
    if doc.strict:
        parts.append("Reported only with `continuum check --strict`.")
    if doc.bad:
        parts.append(f"Bad:\n\n```python\n{doc.bad}```")
        parts.append(f"Good:\n\n```python\n{doc.good}```")
    if doc.good_config:
        parts.append(f"The good example passes with this configuration:\n\n```toml\n{_toml(doc.good_config)}```")
    return "\n\n".join(parts) + "\n"


def plain(markdown: str) -> str:
    """``markdown`` without inline-code backticks, for plain-text fields.

    >>> plain("Use `continuum.now()`.")
    'Use continuum.now().'
    """
    return markdown.replace("`", "")


def rule_help_text(code: str) -> str:
    """The plain-text help for ``code`` (SARIF ``help.text``): what, why and fix."""
    doc = RULE_DOCS[code]
    return plain(f"{doc.catches}\n\nWhy: {doc.why}\n\nFix: {doc.fix}")
