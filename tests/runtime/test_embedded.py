"""The embedded Postgres: starts for real, is reused, survives a crash, runs unprivileged."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from continuum.runtime.store.embedded import (
    ensure_database,
    ensure_embedded_server,
    read_server_state,
    stop_embedded_server,
    with_dbname,
)
from tests.conftest import make_shared_tmp

# A real server (init ~1 s, start ~0.1 s) shared by the tests of this module.


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    base = make_shared_tmp()
    path = base / "pg"
    yield path
    stop_embedded_server(path)
    shutil.rmtree(base, ignore_errors=True)


def _query(url: str, query: str) -> object:
    with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def test_first_call_initialises_and_starts_a_server_on_loopback(data_dir: Path) -> None:
    url = ensure_embedded_server(data_dir)
    assert url.startswith("postgresql://postgres@127.0.0.1:")
    assert url.endswith("/postgres")
    assert _query(url, "SELECT 1") == 1
    assert _query(url, "SELECT current_setting('data_directory')") == str(
        data_dir.resolve() / "data"
    )
    assert str(_query(url, "SELECT inet_server_addr()")) == "127.0.0.1"
    assert int(str(_query(url, "SHOW server_version_num"))) >= 140000


def test_second_call_reuses_the_running_server(data_dir: Path) -> None:
    url = ensure_embedded_server(data_dir)
    pid = _query(url, "SELECT pg_postmaster_start_time()")
    assert ensure_embedded_server(data_dir) == url
    assert _query(url, "SELECT pg_postmaster_start_time()") == pid


def test_state_file_records_the_live_postmaster(data_dir: Path) -> None:
    url = ensure_embedded_server(data_dir)
    state = read_server_state(data_dir)
    assert state is not None
    assert state.url == url
    postmaster_pid = int((data_dir / "data" / "postmaster.pid").read_text().split()[0])
    assert state.pid == postmaster_pid
    assert json.loads((data_dir / "server.json").read_text())["port"] == state.port


@pytest.mark.skipif(os.geteuid() != 0, reason="only root needs the service account")
def test_as_root_the_server_runs_as_an_unprivileged_user(data_dir: Path) -> None:
    ensure_embedded_server(data_dir)
    state = read_server_state(data_dir)
    assert state is not None
    uid_line = next(
        line
        for line in Path(f"/proc/{state.pid}/status").read_text().splitlines()
        if line.startswith("Uid:")
    )
    assert int(uid_line.split()[1]) != 0
    assert (data_dir / "data").stat().st_uid != 0


def test_a_running_server_without_its_state_file_is_adopted_not_duplicated(data_dir: Path) -> None:
    ensure_embedded_server(data_dir)
    before = read_server_state(data_dir)
    assert before is not None
    (data_dir / "server.json").unlink()
    assert ensure_embedded_server(data_dir) == before.url
    assert read_server_state(data_dir) == before


def test_stop_then_ensure_restarts_with_the_data_kept(data_dir: Path) -> None:
    url = ensure_embedded_server(data_dir)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS kept; CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)"
        )
    stop_embedded_server(data_dir)
    assert read_server_state(data_dir) is None
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
    stop_embedded_server(data_dir)  # stopping a stopped server is a no-op
    again = ensure_embedded_server(data_dir)
    assert _query(again, "SELECT v FROM kept") == 7


def test_a_killed_server_is_started_again(data_dir: Path) -> None:
    # Self-contained: under xdist the tests of this module may run on different workers.
    url = ensure_embedded_server(data_dir)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS survives; CREATE TABLE survives (v int);"
            " INSERT INTO survives VALUES (11)"
        )
    state = read_server_state(data_dir)
    assert state is not None
    os.kill(state.pid, signal.SIGKILL)
    _wait_gone(state.pid)
    url = ensure_embedded_server(data_dir)
    assert _query(url, "SELECT v FROM survives") == 11  # committed data survives the kill


def test_ensure_database_creates_once_and_returns_its_url(data_dir: Path) -> None:
    url = ensure_embedded_server(data_dir)
    first = ensure_database(url, "app_db")
    assert ensure_database(url, "app_db") == first
    assert first.endswith("/app_db")
    assert _query(first, "SELECT current_database()") == "app_db"


def test_concurrent_first_calls_share_one_server(shared_tmp_path: Path) -> None:
    # Two processes racing on a fresh directory: the lock makes one initialise and
    # start, the other reuse what it started.
    target = shared_tmp_path / "pg"
    code = (
        "import sys; from pathlib import Path; "
        "from continuum.runtime.store.embedded import ensure_embedded_server; "
        "print(ensure_embedded_server(Path(sys.argv[1])))"
    )
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        urls = [proc.communicate(timeout=120)[0].strip() for proc in procs]
        assert [proc.returncode for proc in procs] == [0, 0]
        assert urls[0] == urls[1]
        assert _query(urls[0], "SELECT 1") == 1
    finally:
        stop_embedded_server(target)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:5555/postgres",
            "postgresql://postgres@127.0.0.1:5555/app",
        ),
        ("postgresql://u:p@h/postgres?sslmode=disable", "postgresql://u:p@h/app?sslmode=disable"),
        ("host=h port=1 dbname=postgres", "dbname=app host=h port=1"),
    ],
)
def test_with_dbname_keeps_everything_else(url: str, expected: str) -> None:
    assert with_dbname(url, "app") == expected


def _wait_gone(pid: int) -> None:
    # The postmaster is not our child (pg_ctl daemonised it), so poll instead of wait().
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
