"""The connection pool, schema-qualified names, and psycopg errors turned into ours.

This module is the only place where psycopg exceptions become `StoreError` /
`LeaseLostError`; every other module of the Postgres store runs its SQL through
`Database.run`, `Database.step_transaction` or `translated` and lets this module do
the mapping.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from ...errors import LeaseLostError, StoreError

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Errors after which the transaction was rolled back by the server, so retrying is safe.
_RETRYABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)
_ATTEMPTS = 3


@contextmanager
def translated(op: str) -> Iterator[None]:
    """Turn psycopg errors raised in the block into `StoreError` naming ``op``."""
    try:
        yield
    except StoreError:
        raise
    except PoolTimeout as exc:
        raise StoreError(op, "pool_timeout", str(exc)) from exc
    except PoolClosed as exc:
        raise StoreError(op, "closed", "the store was closed") from exc
    except pg_errors.UndefinedTable as exc:
        raise StoreError(
            op, "not_migrated", "the schema has no Continuum tables: run `continuum db migrate`"
        ) from exc
    except pg_errors.UniqueViolation as exc:
        raise StoreError(op, "conflict", exc.diag.constraint_name or str(exc)) from exc
    except pg_errors.IntegrityError as exc:
        raise StoreError(op, "integrity", str(exc).strip()) from exc
    except psycopg.OperationalError as exc:
        raise StoreError(op, "unavailable", str(exc).strip()) from exc
    except psycopg.Error as exc:
        raise StoreError(op, "database_error", f"{exc.sqlstate}: {str(exc).strip()}") from exc


def lease_lost(op: str, detail: str) -> LeaseLostError:
    """The error every fenced write raises when its token or owner is stale."""
    return LeaseLostError(op, "lease_lost", detail)


class Database:
    """A psycopg pool bound to one Continuum schema."""

    def __init__(
        self, url: str, *, schema: str, min_size: int = 1, max_size: int = 10, timeout: float = 30.0
    ) -> None:
        self.url = url
        self.schema = schema
        self.pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max(min_size, max_size),
            timeout=timeout,
            open=False,
            name=f"continuum-{schema}",
            # Single statements run as their own implicit transaction (one round trip);
            # multi-statement operations open an explicit `conn.transaction()`.
            kwargs={"autocommit": True},
        )
        try:
            # Fail fast on a wrong URL or a down server instead of at the first call.
            self.pool.open(wait=True, timeout=timeout)
        except psycopg.Error as exc:
            self.pool.close()
            raise StoreError(
                "connect",
                "unavailable",
                f"no connection to {describe(url)} within {timeout:g}s: check the URL and "
                "that the server is running",
            ) from exc

    def table(self, name: str) -> sql.Identifier:
        """The schema-qualified name of a Continuum table or sequence."""
        return sql.Identifier(self.schema, name)

    @contextmanager
    def step_transaction(self, op: str) -> Iterator[psycopg.Connection]:
        """A pooled connection inside one transaction, in pipeline mode, for a fenced step.

        Statements whose results nobody reads (event inserts, COMMIT) travel together,
        so a step costs two round trips; a duplicate journal position surfacing at
        COMMIT still becomes `LeaseLostError`.
        """
        with (
            translated(op),
            self.pool.connection() as conn,
            self.unique_is_lease_lost(op, "a journal position was written concurrently"),
            conn.pipeline(),
            conn.transaction(),
        ):
            yield conn

    @contextmanager
    def unique_is_lease_lost(self, op: str, detail: str) -> Iterator[None]:
        """Inside a fenced step a duplicate key means another writer got there first."""
        try:
            yield
        except pg_errors.UniqueViolation as exc:
            raise lease_lost(op, detail) from exc

    def run(
        self,
        op: str,
        body: Callable[[psycopg.Connection], T],
        *,
        read_only: bool = False,
        single: bool = False,
    ) -> T:
        """Run ``body`` in one transaction, retrying deadlocks and serialization failures.

        ``single=True`` says the body issues one statement, which is its own transaction
        (no BEGIN/COMMIT round trips). A read-only body is also retried when its
        connection broke; a write is not, because a failed COMMIT leaves its outcome
        unknown.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.pool.connection() as conn:
                    if single:
                        return body(conn)
                    with conn.transaction():
                        return body(conn)
            except StoreError:
                raise
            except (PoolTimeout, PoolClosed):
                with translated(op):  # waiting again would only double the wait
                    raise
            except _RETRYABLE as exc:
                if attempt == _ATTEMPTS:
                    with translated(op):
                        raise
                logger.info("%s: retrying after %s", op, type(exc).__name__)
            except psycopg.OperationalError:
                if not read_only or attempt == _ATTEMPTS:
                    with translated(op):
                        raise
                logger.info("%s: connection lost, retrying", op)
            except Exception:
                with translated(op):
                    raise
            time.sleep(0.01 * attempt)

    def close(self) -> None:
        """Close every pooled connection."""
        self.pool.close()


def describe(url: str) -> str:
    """``"dbname on host:port"`` for messages: never the password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the configured database"
    host = info.get("host") or "localhost"
    port = info.get("port") or 5432
    return f"{info.get('dbname') or info.get('user') or '?'} on {host}:{port}"
