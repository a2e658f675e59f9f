"""The client: start runs, signal them, read their results. (Filled in by the runtime.)"""

from __future__ import annotations

from typing import Any

from .errors import ContinuumError


class Client:
    """Talks to the Continuum store in Postgres."""

    def __init__(self, database_url: str | None = None, **options: Any) -> None:
        raise ContinuumError("the runtime client is not available in this build yet")
