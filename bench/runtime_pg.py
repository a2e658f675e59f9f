"""Postgres plumbing for the runtime benchmark: databases, commit counters, pgbench.

Each system gets its own database on the same server, so `pg_stat_database` counts
each one's transactions apart. The counters are per database and include every
backend of that database (the worker, the client, DBOS's background threads); they
are read from a connection to the maintenance database, so reading them counts
nowhere.

Postgres ≥ 15 flushes a backend's counters when it goes idle, but at most once a
second: a backend that flushed less than a second ago postpones the next flush by 10
seconds (``PGSTAT_IDLE_INTERVAL``). So a reading that must include everything done
before it waits `STATS_SETTLE` seconds first.
"""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

#: Seconds after the last measured query before `pg_stat_database` surely shows it.
STATS_SETTLE = 11.0


def with_dbname(url: str, dbname: str) -> str:
    """``url`` pointing at database ``dbname`` instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


def answers(url: str) -> bool:
    """Whether a Postgres server accepts a connection at ``url`` within 3 seconds."""
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def recreate_database(maintenance_url: str, name: str) -> str:
    """Drop and create database ``name``; return its URL."""
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_dbname(maintenance_url, name)


def drop_database(maintenance_url: str, name: str) -> None:
    """Drop database ``name`` (its sessions are ended)."""
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def server_version(maintenance_url: str) -> str:
    """``server_version`` of the server (``15.20 (Debian …)``)."""
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else ""


@dataclass(frozen=True)
class Counters:
    """Transaction counters of one database at one moment."""

    commits: int
    rollbacks: int

    @property
    def transactions(self) -> int:
        """Commits plus rollbacks: every statement run outside a transaction block is one."""
        return self.commits + self.rollbacks


class StatsReader:
    """Reads `pg_stat_database` counters through one maintenance connection."""

    def __init__(self, maintenance_url: str) -> None:
        self._conn = psycopg.connect(maintenance_url, autocommit=True)

    def read(self, *databases: str, settle: float = STATS_SETTLE) -> dict[str, Counters]:
        """The counters of ``databases``, after waiting ``settle`` seconds."""
        time.sleep(settle)
        # A fresh snapshot: stats are otherwise cached for the rest of the transaction.
        self._conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = self._conn.execute(
            "SELECT datname, xact_commit, xact_rollback FROM pg_stat_database"
            " WHERE datname = ANY(%s)",
            (list(databases),),
        ).fetchall()
        return {name: Counters(int(commits), int(rollbacks)) for name, commits, rollbacks in rows}

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def find_pgbench() -> str | None:
    """The ``pgbench`` binary on PATH or in Debian's ``/usr/lib/postgresql/*/bin``."""
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)
    return candidates[0] if candidates else None


def pgbench_tps(binary: str, url: str, *, clients: int, seconds: int) -> float:
    """``pgbench -N`` (no updates of the small tables: one commit per transaction) tps."""
    threads = min(clients, 2)
    result = subprocess.run(
        [binary, "-N", "-n", "-c", str(clients), "-j", str(threads), "-T", str(seconds), url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"tps = ([0-9.]+)", result.stdout)
    if match is None:
        raise RuntimeError(f"no tps in pgbench output:\n{result.stdout}\n{result.stderr}")
    return float(match.group(1))


def pgbench_init(binary: str, url: str) -> None:
    """``pgbench -i -s 1``: the standard tables, 100,000 accounts."""
    subprocess.run([binary, "-i", "-q", "-s", "1", url], capture_output=True, check=True)
