"""CN101–CN108, CN112 (and CN109 process-global setters): uses of denylisted names.

Driven by the data in ``denylist.py``; names are matched after alias resolution, and value
references (``key=time.time``, ``f = t.time``) count as uses.
"""

from __future__ import annotations

import libcst as cst

from .. import denylist
from ..cst_helpers import code_of
from ..denylist import REASONS
from ..rule import Invalid, Rule, Valid, workflow


def _is_constant_or_type(name: str) -> bool:
    last = name.rpartition(".")[2]
    return last[:1].isupper() or last.startswith("_")


def _positional(call: cst.Call) -> int:
    return sum(1 for a in call.args if a.keyword is None)


class DenylistedCalls(Rule):
    """Flags calls and value references of denylisted names."""

    CODES = ("CN101", "CN102", "CN103", "CN104", "CN105", "CN106", "CN107", "CN108", "CN112")

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        if ctx.frame is None:
            return
        names = ctx.resolver.names(node.func)
        if not names:
            return
        if names == ["builtins.getattr"]:
            self._literal_getattr(node)
        args = _positional(node) + sum(1 for a in node.args if a.keyword is not None)
        for name in names:
            if (
                (name in denylist.SEEDABLE and args > 0)
                or (name in denylist.CLOCK_WHEN_NO_ARG and _positional(node) >= 1)
                or (name in denylist.CLOCK_WHEN_ONE_ARG and _positional(node) >= 2)
            ):
                ctx.cleared.add(id(node.func))

    def _literal_getattr(self, node: cst.Call) -> None:
        """``getattr(time, "time")`` names ``time.time`` as surely as ``time.time`` does."""
        args = [a.value for a in node.args if a.keyword is None]
        if len(args) < 2 or not isinstance(args[1], cst.SimpleString):
            return
        attr = args[1].evaluated_value
        if not isinstance(attr, str):
            return
        for base in self.ctx.resolver.names(args[0]):
            name = f"{base}.{attr}"
            hit = self.ctx.resolver.settings.denied(name)
            if hit is not None:
                label = code_of(node)
                message = f"`{label}` is `{name}`, which {REASONS.get(hit[1], 'is forbidden')}"
                self.report(node, hit[1], label, message, hint=hit[2], target=name)
                return

    def visit_Name(self, node: cst.Name) -> None:
        self._check(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._check(node)

    def _check(self, node: cst.Name | cst.Attribute) -> None:
        ctx = self.ctx
        if ctx.frame is None or id(node) in ctx.not_refs or id(node) in ctx.cleared:
            return
        for name in self._candidates(node):
            hit = ctx.resolver.settings.denied(name)
            if hit is None:
                continue
            key, code, hint = hit
            if not ctx.is_callee(node) and (
                "." not in name or (key != name and _is_constant_or_type(name))
            ):
                # A module-wide ban (``logging``, ``socket``) is about using the module:
                # naming the module object, one of its constants or classes
                # (``logging.INFO``, ``socket.AF_INET``, an ``isinstance`` check) does
                # nothing by itself.
                continue
            label = code_of(node)
            shown = f"{label}()" if ctx.is_callee(node) else label
            target = name
            message = f"`{shown}` {REASONS.get(code, 'is forbidden in workflow code')}"
            if label != name and name != f"builtins.{label}":
                message += f" (`{label}` is `{name}`)"
            self.report(node, code, shown, message, hint=hint, target=target)
            if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Call):
                # ``threading.Event().wait()`` is one problem, reported as the more
                # specific method; the constructor call inside is not reported again.
                ctx.cleared.add(id(node.value.func))
            return

    def _candidates(self, node: cst.Name | cst.Attribute) -> list[str]:
        names = self.ctx.resolver.names(node)
        if names or not isinstance(node, cst.Attribute) or not isinstance(node.value, cst.Call):
            return names
        # A method on a freshly built object: ``Path(p).read_text()``, ``Event().wait()``.
        # Only an entry naming the method itself counts, so ``datetime.now().isoformat()``
        # is not reported a second time.
        out = []
        for func in self.ctx.resolver.names(node.value.func):
            method = f"{func}.{node.attr.value}"
            hit = self.ctx.resolver.settings.denied(method)
            if hit is not None and len(hit[0]) > len(func):
                out.append(method)
        return out

    VALID = (
        Valid(workflow("return continuum.now()", "import continuum")),
        Valid(workflow("rng = random.Random(42)\nreturn rng.random()", "import random")),
        Valid(workflow("return time.strftime('%Y', time.gmtime(0))", "import time")),
        Valid(workflow("return time.localtime(order['ts'])", "import time")),
        Valid(workflow("return uuid.uuid5(uuid.NAMESPACE_URL, order['id'])", "import uuid")),
        Valid(
            "from continuum import Workflow\n\n\nclass Flow(Workflow):\n"
            "    def run(self, random, time):\n        return random.random() + time.time()\n"
        ),
        Valid(workflow("return os.path.join('a', order['id'])", "import os")),
        Valid(
            workflow(
                "return datetime(2020, 1, 1) + timedelta(days=1)",
                "from datetime import datetime, timedelta",
            )
        ),
        Valid(workflow("return secrets.compare_digest(order['a'], order['b'])", "import secrets")),
        Valid(workflow("x: time.struct_time = order['t']\nreturn x", "import time")),
        Valid(workflow("return activity(time.sleep, 5)", "import time")),
        Valid(workflow("return order['level'] >= logging.INFO", "import logging")),
        Valid(workflow("return isinstance(order, threading.Thread)", "import threading")),
        Valid(workflow("return continuum.side_effect(time.time)", "import continuum, time")),
        Valid(
            workflow(
                "return continuum.side_effect(lambda: random.random())", "import continuum, random"
            )
        ),
    )
    INVALID = (
        Invalid(workflow("return time.time()", "import time"), "CN101", line=7),
        Invalid(
            workflow("return t.monotonic()", "import time as t"), "CN101", message="time.monotonic"
        ),
        Invalid(workflow("return dt.now()", "from datetime import datetime as dt"), "CN101"),
        Invalid(workflow("return date.today()", "from datetime import date"), "CN101"),
        Invalid(workflow("f = t.time\nreturn f()", "import time as t"), "CN101"),
        Invalid(workflow("return sorted(order, key=time.time)", "import time"), "CN101"),
        Invalid(workflow("return time.localtime()", "import time"), "CN101"),
        Invalid(workflow("return time.strftime('%Y')", "import time"), "CN101"),
        Invalid(workflow("return random.randint(1, 6)", "import random"), "CN102"),
        Invalid(workflow("return sorted(order, key=random.random)", "import random"), "CN102"),
        Invalid(workflow("return threading.Lock()", "import threading"), "CN108"),
        Invalid(workflow("return getattr(t, 'time')()", "import time as t"), "CN101"),
        Invalid(workflow("return choice(order)", "from random import choice"), "CN102"),
        Invalid(workflow("return random.Random().random()", "import random"), "CN102"),
        Invalid(workflow("return secrets.token_hex(8)", "import secrets"), "CN102"),
        Invalid(workflow("return os.urandom(8)", "import os"), "CN102"),
        Invalid(workflow("return u4()", "from uuid import uuid4 as u4"), "CN103"),
        Invalid(workflow("return id(order)"), "CN103"),
        Invalid(workflow("return hash(order['id'])"), "CN103"),
        Invalid(workflow("time.sleep(1)", "import time"), "CN104"),
        Invalid(workflow("return os.environ['REGION']", "import os"), "CN105"),
        Invalid(workflow("return os.environ.get('REGION')", "import os"), "CN105"),
        Invalid(workflow("return os.getenv('REGION')", "import os"), "CN105"),
        Invalid(workflow("return sys.argv[1]", "import sys"), "CN105"),
        Invalid(workflow("return platform.node()", "import platform"), "CN105"),
        Invalid(workflow("print(order)"), "CN106"),
        Invalid(workflow("return open('x').read()"), "CN106"),
        Invalid(workflow("logging.info('x')", "import logging"), "CN106"),
        Invalid(workflow("return Path('x').read_text()", "from pathlib import Path"), "CN106"),
        Invalid(workflow("return requests.get('http://x')", "import requests"), "CN107"),
        Invalid(
            workflow("return urlopen('http://x')", "from urllib.request import urlopen"), "CN107"
        ),
        Invalid(workflow("threading.Thread(target=print).start()", "import threading"), "CN108"),
        Invalid(workflow("subprocess.run(['ls'])", "import subprocess"), "CN108"),
        Invalid(workflow("asyncio.gather()", "import asyncio"), "CN108"),
        Invalid(workflow("sys.setrecursionlimit(10)", "import sys"), "CN109"),
        Invalid(
            workflow("return flags.lookup(order)", "from shop import flags"),
            "CN112",
            message="extra-forbidden",
            files={"shop/__init__.py": "", "shop/flags.py": "def lookup(o):\n    return o\n"},
            config={"extra_forbidden": (("shop.flags", "read flags in an activity"),)},
        ),
        Invalid(
            workflow("return stripe.Charge.create(order)", "import stripe"),
            "CN112",
            config={"extra_forbidden": (("stripe", "charge in an activity"),)},
        ),
    )
