"""Atomic writes; a version module is never replaced."""

from __future__ import annotations

from pathlib import Path

from continuum.codegen.writer import write_if_changed, write_new


def test_write_new_creates_once(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "V_x.py"
    assert write_new(target, "first\n") is True
    assert write_new(target, "second\n") is False
    assert target.read_text() == "first\n"
    assert [p.name for p in target.parent.iterdir()] == ["V_x.py"]  # no temp files left


def test_write_if_changed_only_writes_differences(tmp_path: Path) -> None:
    target = tmp_path / "__init__.py"
    assert write_if_changed(target, "a\n") is True
    before = target.stat().st_mtime_ns
    assert write_if_changed(target, "a\n") is False
    assert target.stat().st_mtime_ns == before
    assert write_if_changed(target, "b\n") is True and target.read_text() == "b\n"


def test_write_new_without_hard_links(tmp_path: Path, monkeypatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr("os.link", no_links)
    target = tmp_path / "V_y.py"
    assert write_new(target, "one\n") is True
    assert write_new(target, "two\n") is False
    assert target.read_text() == "one\n"
    assert [p.name for p in tmp_path.iterdir()] == ["V_y.py"]
