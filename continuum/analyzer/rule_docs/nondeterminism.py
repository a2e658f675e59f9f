"""Documentation of CN1xx: calls whose result differs between the recorded run and a replay."""

from __future__ import annotations

from ._model import REPLAY, RuleDoc, doc

DOCS: list[RuleDoc] = [
    doc(
        "CN101",
        "Reads of the wall clock or a timer: `datetime.now/utcnow/today`, `date.today`, "
        "`time.time`, `time.monotonic`, `time.perf_counter` and their `_ns` forms, and "
        "`time.localtime/gmtime/ctime/strftime` called without an explicit time.",
        REPLAY + "a clock read returns a different value on each replay, so a branch or an "
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
    doc(
        "CN102",
        "Randomness the journal cannot reproduce: the `random` module's functions "
        "(`random.random`, `randint`, `choice`, `shuffle`, …), `random.Random()` without a "
        "seed, `random.SystemRandom`, `secrets.*` and `os.urandom`.",
        REPLAY + "a fresh random draw on replay picks a different branch or argument than "
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
    doc(
        "CN103",
        "Identities that differ per process: `uuid.uuid1/uuid4`, the builtin `id()` (an "
        "object address) and the builtin `hash()` (salted per process for `str`, `bytes` and "
        "`datetime`).",
        REPLAY + "a new UUID or address on replay produces a different idempotency key or "
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
    doc(
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
    doc(
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
    doc(
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
    doc(
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
    doc(
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
    doc(
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
    doc(
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
    doc(
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
    doc(
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
]
