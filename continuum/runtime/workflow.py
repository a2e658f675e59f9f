"""The `Workflow` base class and the `deterministic` marker."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, ClassVar, TypeVar

from .durations import days, to_seconds

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_RETENTION = days(30)


def _validate_name(name: str) -> str:
    module, sep, qualname = name.partition(":")
    parts = [*module.split("."), *qualname.split(".")]
    if not sep or not all(p.isidentifier() for p in parts):
        raise ValueError(f"workflow name must look like 'package.module:ClassName', got {name!r}")
    return name


class Workflow:
    """Base class of every durable workflow.

    Subclass it and define ``run(self, input)``; everything ``run`` reaches must be
    deterministic (``continuum check`` proves it before deploy). Class keywords:

    - ``version``: a number for humans; dispatch uses the version hash, not this.
    - ``retention``: how long a finished run and its journal are kept (default 30 days).
    - ``snapshot_threshold``: events after which a run's replay state is compacted.
    - ``signals``: the signal names ``await_signal`` may wait for (None = any).
    - ``workflow``: the logical name ``"pkg.mod:Name"``; defaults to where the class is
      defined. Set it to keep a renamed or copied class on its old identity.

    >>> class Greet(Workflow, version=2, workflow="app.flows:Greet"):
    ...     def run(self, name):
    ...         return f"hello {name}"
    >>> Greet.__continuum_name__, Greet.__continuum_version__
    ('app.flows:Greet', 2)
    """

    __continuum_name__: ClassVar[str]
    __continuum_version__: ClassVar[int] = 1
    __continuum_retention__: ClassVar[float | None] = DEFAULT_RETENTION.total_seconds()
    __continuum_snapshot_threshold__: ClassVar[int | None] = None
    __continuum_signals__: ClassVar[tuple[str, ...] | None] = None

    def __init_subclass__(
        cls,
        *,
        version: int = 1,
        retention: timedelta | float | None = DEFAULT_RETENTION,
        snapshot_threshold: int | None = None,
        signals: Iterable[str] | None = None,
        workflow: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if isinstance(version, bool) or not isinstance(version, int):
            raise TypeError(f"{cls.__qualname__}: version must be an int, got {version!r}")
        if snapshot_threshold is not None and snapshot_threshold < 1:
            raise ValueError(f"{cls.__qualname__}: snapshot_threshold must be positive")
        # Only an explicit name is validated: a class defined in a function has a
        # "<locals>" qualname, which is fine until something tries to import it.
        cls.__continuum_name__ = (
            _validate_name(workflow) if workflow else f"{cls.__module__}:{cls.__qualname__}"
        )
        cls.__continuum_version__ = version
        cls.__continuum_retention__ = to_seconds(retention)
        cls.__continuum_snapshot_threshold__ = snapshot_threshold
        cls.__continuum_signals__ = None if signals is None else tuple(signals)

    def run(self, input: Any) -> Any:
        """The workflow body. Override it."""
        raise NotImplementedError(f"{type(self).__qualname__} must define run(self, input)")


def deterministic(fn: F | None = None, *, allow: Iterable[str] = ()) -> Any:
    """Mark a helper as deterministic so ``continuum check`` trusts it.

    A no-op at run time. ``allow`` names the denylisted calls the helper may make
    (``@deterministic(allow=["time.perf_counter"])``); anything else it calls is
    still reported. Usable bare (``@deterministic``) or with arguments.
    """

    def mark(target: F) -> F:
        target.__continuum_deterministic__ = tuple(allow)  # type: ignore[attr-defined]
        return target

    if fn is not None:
        return mark(fn)
    return mark
