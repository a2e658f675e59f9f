"""The public surface of `continuum` and its behaviour outside a running workflow."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

import continuum
from continuum import ContinuumError, Retry, Workflow

EFFECTS = [
    ("activity", (print, 1)),
    ("await_signal", ("x",)),
    ("timer", (1,)),
    ("sleep", (1,)),
    ("start_child", (object, {})),
    ("await_child", (object(),)),
    ("run_child", (object, {})),
    ("continue_as_new", ({},)),
    ("compensate", (object(),)),
    ("compensate_all", ()),
    ("patched", ("change",)),
    ("now", ()),
    ("today", ()),
    ("uuid4", ()),
    ("random", ()),
    ("side_effect", (lambda: 1,)),
    ("set_attributes", ()),
]


@pytest.mark.parametrize(("name", "args"), EFFECTS)
def test_effect_outside_a_run_raises_a_clear_error(name: str, args: tuple) -> None:
    with pytest.raises(ContinuumError, match=rf"continuum\.{name}\(\).*inside a running workflow"):
        getattr(continuum, name)(*args)


def test_every_public_name_is_exported() -> None:
    for name in continuum.__all__:
        if name != "Client":
            assert hasattr(continuum, name), name


def test_workflow_class_keywords_are_recorded() -> None:
    class Flow(
        Workflow, version=3, retention=continuum.days(2), signals=["go"], snapshot_threshold=50
    ):
        def run(self, x):
            return x

    assert (
        Flow.__continuum_name__
        == f"{__name__}:test_workflow_class_keywords_are_recorded.<locals>.Flow"
    )
    assert Flow.__continuum_version__ == 3
    assert Flow.__continuum_retention__ == 2 * 86400
    assert Flow.__continuum_signals__ == ("go",)
    assert Flow.__continuum_snapshot_threshold__ == 50


def test_workflow_logical_name_override_and_validation() -> None:
    class Renamed(Workflow, workflow="app.flows.orders:OrderFlow"):
        pass

    assert Renamed.__continuum_name__ == "app.flows.orders:OrderFlow"
    with pytest.raises(ValueError, match=r"package\.module:ClassName"):

        class Bad(Workflow, workflow="no colon here"):
            pass


def test_durations() -> None:
    assert continuum.seconds(5) == timedelta(seconds=5)
    assert continuum.minutes(2) == timedelta(minutes=2)
    assert continuum.hours(1) == timedelta(hours=1)
    assert continuum.days(30) == timedelta(days=30)


def test_retry_backoff_shapes() -> None:
    assert [Retry(initial=1, maximum=5).delay(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert [Retry(backoff="linear", initial=2).delay(n) for n in (1, 2, 3)] == [2.0, 4.0, 6.0]
    assert Retry(backoff="constant", initial=timedelta(seconds=3)).delay(7) == 3.0
    with pytest.raises(ValueError):
        Retry(max_attempts=0)
    with pytest.raises(ValueError):
        Retry(backoff="random")  # type: ignore[arg-type]


def test_retry_non_retryable_by_class_and_name() -> None:
    policy = Retry(non_retryable=(KeyError, "ValueError"))
    assert not policy.is_retryable(KeyError("x"))
    assert not policy.is_retryable(ValueError("x"))
    assert policy.is_retryable(RuntimeError("x"))


def test_timeout_is_a_falsy_singleton() -> None:
    assert not continuum.TIMEOUT
    assert repr(continuum.TIMEOUT) == "continuum.TIMEOUT"


def test_deterministic_marker_is_a_no_op() -> None:
    @continuum.deterministic
    def helper(x):
        return x + 1

    @continuum.deterministic(allow=["time.perf_counter"])
    def other():
        return 2

    assert helper(1) == 2 and other() == 2
    assert other.__continuum_deterministic__ == ("time.perf_counter",)


def test_importing_the_runtime_does_not_load_the_toolchain() -> None:
    code = (
        "import sys, continuum, continuum.runtime\n"
        "bad = [m for m in ('libcst', 'jinja2', 'click') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_effect_is_exported_lazily_from_its_home() -> None:
    # `continuum` lists its names by hand so that `import continuum` stays cheap; this
    # keeps that list in step with the effects the runtime defines.
    from continuum.runtime import effects

    assert set(effects.__all__) <= set(continuum.__all__)
    for name in effects.__all__:
        assert getattr(continuum, name) is getattr(effects, name), name
