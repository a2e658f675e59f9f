"""The denylist and the safe allowlist, as data (analyzer.md §3.3–3.4).

Keys are qualified names after alias resolution. An entry matches the name itself and,
when it names a module or class, everything below it (``socket`` matches
``socket.create_connection``); the longest matching key wins, so a narrow entry can
refine a broad one. Values are ``(code, hint)``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

_NOW = "use continuum.now() (elapsed time: the difference of two now() values)"
_TODAY = "use continuum.today() or continuum.now()"
_CLOCK_ARG = "pass an explicit time, e.g. from continuum.now()"
_RANDOM = "use continuum.random(), a journal-seeded random.Random"
_SECRETS = "generate secrets in an activity, or use continuum.random() for non-secret values"
_UUID = "use continuum.uuid4(), or uuid.uuid5(namespace, name) for a deterministic id"
_ID = "use an explicit key (an id from the input, a counter) instead of the object address"
_HASH = "use hashlib.sha256(...) — hash() of str/bytes is salted per process"
_SLEEP = "use continuum.timer(duration) or continuum.sleep(duration): a durable timer"
_ENV = "read it before starting the run and pass it as workflow input, or read it in an activity"
_HOST = "host facts differ between workers: read them in an activity or pass them as input"
_IO = "move the I/O into an activity()"
_PRINT = "use continuum.logger, which is silent during replay"
_NET = "move this call into an activity()"
_CONC = "run it as an activity() or a child workflow (start_child); effects must be sequential"
_GLOBAL = "process-global settings leak between runs: configure them outside workflow code"
_TZ = "configure time zones outside workflow code"

E = Mapping[str, tuple[str, str]]

#: Why each code breaks replay (the start of the message).
REASONS = {
    "CN101": "reads the clock, which differs on replay",
    "CN102": "uses randomness that is not replayed",
    "CN103": "produces an identity that differs per process",
    "CN104": "blocks the worker instead of using a durable timer",
    "CN105": "reads the host environment, which differs between workers",
    "CN106": "does I/O that is repeated on every replay",
    "CN107": "uses the network or an external client from workflow code",
    "CN108": "starts concurrent work whose order is not replayable",
    "CN109": "changes process-global state shared by every run on the worker",
    "CN112": "is forbidden by extra-forbidden in [tool.continuum]",
}

#: Forbidden qualified names and prefixes → (code, hint).
DENYLIST: dict[str, tuple[str, str]] = {
    # A. clocks and timers
    "datetime.datetime.now": ("CN101", _NOW),
    "datetime.datetime.utcnow": ("CN101", _NOW),
    "datetime.datetime.today": ("CN101", _NOW),
    "datetime.date.today": ("CN101", _TODAY),
    **{
        f"time.{fn}": ("CN101", _NOW)
        for fn in (
            "time",
            "time_ns",
            "monotonic",
            "monotonic_ns",
            "perf_counter",
            "perf_counter_ns",
            "process_time",
            "process_time_ns",
            "thread_time",
            "thread_time_ns",
            "clock_gettime",
            "clock_gettime_ns",
            "get_clock_info",
        )
    },
    **{f"time.{fn}": ("CN101", _CLOCK_ARG) for fn in ("localtime", "gmtime", "ctime", "asctime")},
    "time.strftime": ("CN101", _CLOCK_ARG),
    "time.tzset": ("CN101", _TZ),
    "zoneinfo.ZoneInfo.clear_cache": ("CN101", _TZ),
    "zoneinfo.ZoneInfo.from_file": ("CN101", _TZ),
    "zoneinfo.ZoneInfo.reset_tzpath": ("CN101", _TZ),
    "pendulum.now": ("CN101", _NOW),
    "pendulum.today": ("CN101", _TODAY),
    "arrow.now": ("CN101", _NOW),
    "arrow.utcnow": ("CN101", _NOW),
    "dateutil.tz.tzlocal": ("CN101", _TZ),
    "time.sleep": ("CN104", _SLEEP),
    "asyncio.sleep": ("CN104", _SLEEP),
    "threading.Event.wait": ("CN104", _SLEEP),
    "signal.pause": ("CN104", _SLEEP),
    "sched": ("CN104", _SLEEP),
    # B. randomness and identity
    "random": ("CN102", _RANDOM),
    "secrets": ("CN102", _SECRETS),
    "secrets.compare_digest": ("", ""),
    "os.urandom": ("CN102", _RANDOM),
    "os.getrandom": ("CN102", _RANDOM),
    "numpy.random": ("CN102", _RANDOM),
    "uuid.uuid1": ("CN103", _UUID),
    "uuid.uuid4": ("CN103", _UUID),
    "uuid.uuid7": ("CN103", _UUID),
    "builtins.id": ("CN103", _ID),
    "builtins.hash": ("CN103", _HASH),
    # C. environment, host, process
    "os.environ": ("CN105", _ENV),
    "os.environb": ("CN105", _ENV),
    "os.getenv": ("CN105", _ENV),
    "os.getenvb": ("CN105", _ENV),
    "os.putenv": ("CN105", _ENV),
    "os.unsetenv": ("CN105", _ENV),
    "sys.argv": ("CN105", _ENV),
    "sys.orig_argv": ("CN105", _ENV),
    **{
        f"os.{fn}": ("CN105", _HOST)
        for fn in (
            "getpid",
            "getppid",
            "getcwd",
            "getcwdb",
            "cpu_count",
            "process_cpu_count",
            "uname",
            "getlogin",
            "getuid",
            "geteuid",
            "getgid",
            "getegid",
            "getgroups",
            "getloadavg",
            "times",
        )
    },
    "getpass.getuser": ("CN105", _HOST),
    "socket.gethostname": ("CN105", _HOST),
    "socket.getfqdn": ("CN105", _HOST),
    "platform": ("CN105", _HOST),
    "locale": ("CN105", _HOST),
    "sys.exit": ("CN105", "end the workflow by returning or raising; never exit the worker"),
    "os._exit": ("CN105", "end the workflow by returning or raising; never exit the worker"),
    # D. file system and console I/O
    "builtins.open": ("CN106", _IO),
    "builtins.input": ("CN106", _IO),
    "builtins.breakpoint": ("CN106", _IO),
    "builtins.print": ("CN106", _PRINT),
    "io.open": ("CN106", _IO),
    "io.open_code": ("CN106", _IO),
    "codecs.open": ("CN106", _IO),
    "sys.stdout": ("CN106", _PRINT),
    "sys.stderr": ("CN106", _PRINT),
    "sys.stdin": ("CN106", _IO),
    "pprint.pprint": ("CN106", _PRINT),
    "pprint.pp": ("CN106", _PRINT),
    "warnings.warn": ("CN106", _PRINT),
    "logging": ("CN106", _PRINT),
    **{
        f"os.{fn}": ("CN106", _IO)
        for fn in (
            "listdir",
            "scandir",
            "walk",
            "fwalk",
            "stat",
            "lstat",
            "remove",
            "unlink",
            "rename",
            "renames",
            "replace",
            "mkdir",
            "makedirs",
            "rmdir",
            "removedirs",
            "chmod",
            "chown",
            "chdir",
            "open",
            "read",
            "write",
            "truncate",
            "link",
            "symlink",
            "readlink",
            "access",
            "utime",
            "mkfifo",
        )
    },
    **{
        f"os.path.{fn}": ("CN106", _IO)
        for fn in (
            "exists",
            "lexists",
            "isfile",
            "isdir",
            "islink",
            "ismount",
            "getsize",
            "getmtime",
            "getatime",
            "getctime",
            "realpath",
            "abspath",
            "expanduser",
            "expandvars",
            "samefile",
        )
    },
    **{
        f"pathlib.Path.{fn}": ("CN106", _IO)
        for fn in (
            "exists",
            "is_dir",
            "is_file",
            "is_symlink",
            "is_mount",
            "iterdir",
            "glob",
            "rglob",
            "walk",
            "open",
            "read_text",
            "read_bytes",
            "write_text",
            "write_bytes",
            "mkdir",
            "rmdir",
            "unlink",
            "rename",
            "replace",
            "resolve",
            "absolute",
            "stat",
            "lstat",
            "owner",
            "group",
            "chmod",
            "touch",
            "cwd",
            "home",
            "expanduser",
            "samefile",
            "symlink_to",
            "hardlink_to",
            "readlink",
        )
    },
    **{
        mod: ("CN106", _IO)
        for mod in (
            "shutil",
            "tempfile",
            "glob",
            "fileinput",
            "filecmp",
            "shelve",
            "dbm",
            "mmap",
            "gzip.open",
            "bz2.open",
            "lzma.open",
            "tarfile.open",
            "zipfile.ZipFile",
            "marshal.dump",
            "marshal.load",
            "pickle.dump",
            "pickle.load",
        )
    },
    # E. network and external clients
    **{
        mod: ("CN107", _NET)
        for mod in (
            "socket",
            "ssl",
            "select",
            "selectors",
            "http.client",
            "http.server",
            "urllib.request",
            "xmlrpc",
            "ftplib",
            "smtplib",
            "imaplib",
            "poplib",
            "telnetlib",
            "webbrowser",
            "socketserver",
            "sqlite3",
            "requests",
            "httpx",
            "aiohttp",
            "urllib3",
            "grpc",
            "boto3",
            "botocore",
            "psycopg",
            "psycopg2",
            "psycopg_pool",
            "asyncpg",
            "sqlalchemy",
            "redis",
            "pymongo",
            "kafka",
            "confluent_kafka",
            "openai",
            "anthropic",
        )
    },
    # F. concurrency and processes
    **{
        mod: ("CN108", _CONC)
        for mod in (
            "threading",
            "_thread",
            "multiprocessing",
            "concurrent.futures",
            "subprocess",
            "os.system",
            "os.popen",
            "os.fork",
            "os.forkpty",
            "os.kill",
            "os.killpg",
            "pty",
            "signal",
            "asyncio",
        )
    },
    **{
        f"os.{fn}": ("CN108", _CONC)
        for fn in (
            "execl",
            "execle",
            "execlp",
            "execlpe",
            "execv",
            "execve",
            "execvp",
            "execvpe",
            "spawnl",
            "spawnle",
            "spawnlp",
            "spawnlpe",
            "spawnv",
            "spawnve",
            "spawnvp",
            "spawnvpe",
            "posix_spawn",
            "posix_spawnp",
        )
    },
    # H. process-global setters
    "sys.setrecursionlimit": ("CN109", _GLOBAL),
    "sys.setswitchinterval": ("CN109", _GLOBAL),
    "sys.settrace": ("CN109", _GLOBAL),
    "sys.setprofile": ("CN109", _GLOBAL),
    "gc": ("CN109", _GLOBAL),
    "atexit": ("CN109", _GLOBAL),
    "decimal.setcontext": ("CN109", _GLOBAL),
    "builtins.setattr": ("", ""),  # handled by the global-state rule (only on modules)
}

#: Names that are forbidden only when called without an argument (they read the clock).
CLOCK_WHEN_NO_ARG: frozenset[str] = frozenset(
    {"time.localtime", "time.gmtime", "time.ctime", "time.asctime"}
)
#: ``time.strftime(fmt)`` reads the clock; ``time.strftime(fmt, t)`` does not.
CLOCK_WHEN_ONE_ARG: frozenset[str] = frozenset({"time.strftime"})
#: Constructors that are deterministic when given a seed argument.
SEEDABLE: frozenset[str] = frozenset({"random.Random", "numpy.random.default_rng"})
#: Seedable names that are nonetheless always forbidden (OS entropy).
NEVER_SEEDABLE: frozenset[str] = frozenset({"random.SystemRandom"})

#: Dynamic-code builtins and functions (CN203).
DYNAMIC: frozenset[str] = frozenset(
    {
        "builtins.eval",
        "builtins.exec",
        "builtins.compile",
        "builtins.__import__",
        "builtins.globals",
        "importlib.import_module",
        "importlib.__import__",
        "pickle.loads",
        "operator.methodcaller",
    }
)

#: Stdlib modules that are safe to call into: not followed and not flagged (§3.4),
#: except for the members the denylist names explicitly.
SAFE_MODULES: frozenset[str] = frozenset(
    {
        "__future__",
        "math",
        "cmath",
        "itertools",
        "functools",
        "operator",
        "collections",
        "heapq",
        "bisect",
        "array",
        "copy",
        "json",
        "re",
        "string",
        "textwrap",
        "unicodedata",
        "decimal",
        "fractions",
        "numbers",
        "statistics",
        "enum",
        "dataclasses",
        "typing",
        "typing_extensions",
        "abc",
        "types",
        "contextlib",
        "datetime",
        "zoneinfo",
        "calendar",
        "base64",
        "binascii",
        "hashlib",
        "hmac",
        "struct",
        "zlib",
        "uuid",
        "urllib.parse",
        "ipaddress",
        "pprint",
        "difflib",
        "graphlib",
        "keyword",
        "builtins",
        "continuum",
    }
)

#: The standard library's top-level modules (not followed; only denylisted members flagged).
STDLIB_MODULES: frozenset[str] = frozenset(sys.stdlib_module_names) | {"builtins", "__future__"}

#: Effect functions of the public API, by name (``continuum.<name>``).
EFFECTS: frozenset[str] = frozenset(
    {
        "activity",
        "await_signal",
        "timer",
        "sleep",
        "start_child",
        "await_child",
        "run_child",
        "continue_as_new",
        "compensate",
        "compensate_all",
        "patched",
        "now",
        "today",
        "uuid4",
        "random",
        "side_effect",
        "set_attributes",
    }
)

#: Qualified names of the public ``Workflow`` base class.
WORKFLOW_BASES: frozenset[str] = frozenset(
    {"continuum.Workflow", "continuum.runtime.workflow.Workflow"}
)
#: Qualified names of the ``deterministic`` marker.
DETERMINISTIC_MARKERS: frozenset[str] = frozenset(
    {"continuum.deterministic", "continuum.runtime.workflow.deterministic"}
)


def effect_name(qualname: str) -> str | None:
    """The effect's short name when ``qualname`` is a Continuum effect, else None.

    >>> effect_name("continuum.activity"), effect_name("continuum.runtime.effects.timers.timer")
    ('activity', 'timer')
    >>> effect_name("app.activity") is None
    True
    """
    if not qualname.startswith("continuum."):
        return None
    last = qualname.rpartition(".")[2]
    return last if last in EFFECTS else None


def lookup(qualname: str, table: Mapping[str, tuple[str, str]]) -> tuple[str, str, str] | None:
    """The longest entry of ``table`` covering ``qualname``: ``(key, code, hint)`` or None.

    An entry with an empty code is an exemption (e.g. ``secrets.compare_digest``).

    >>> lookup("socket.create_connection", DENYLIST)[:2]
    ('socket', 'CN107')
    >>> lookup("secrets.compare_digest", DENYLIST) is None
    True
    """
    name = qualname
    while name:
        entry = table.get(name)
        if entry is not None:
            code, hint = entry
            return (name, code, hint) if code else None
        name = name.rpartition(".")[0]
    return None
