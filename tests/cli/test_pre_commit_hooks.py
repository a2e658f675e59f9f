""".pre-commit-hooks.yaml: valid for pre-commit, and its entry commands do the right thing."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pre_commit.clientlib import load_manifest

from continuum.cli import cli

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / ".pre-commit-hooks.yaml"

BAD_FLOW = """\
import time

from continuum import Workflow


class F(Workflow, version=1):
    def run(self):
        return time.time()
"""


def hooks() -> dict[str, dict]:
    # load_manifest validates against pre-commit's own schema and raises when invalid.
    return {hook["id"]: hook for hook in load_manifest(MANIFEST)}


def test_manifest_declares_both_hooks() -> None:
    declared = hooks()
    assert set(declared) == {"continuum-check", "continuum-build-check"}
    check = declared["continuum-check"]
    assert check["language"] == "python"
    assert check["require_serial"] is True
    assert "python" in check["types"]
    # Helpers in other files can break a workflow: the hook checks the whole project.
    assert check["pass_filenames"] is False
    build = declared["continuum-build-check"]
    assert build["entry"] == "continuum build --check"
    assert build["pass_filenames"] is False


def entry_args(hook_id: str) -> list[str]:
    program, *args = shlex.split(hooks()[hook_id]["entry"])
    assert program == "continuum"
    return args


def test_check_entry_fails_a_bad_tree_with_concise_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.continuum]\nexclude = ["vendor/**"]\n')
    (tmp_path / "app").mkdir()
    (tmp_path / "app/flows.py").write_text(BAD_FLOW)
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor/old.py").write_text(BAD_FLOW)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [*entry_args("continuum-check"), "--no-cache"])
    assert result.exit_code == 1
    finding, summary = result.stdout.splitlines()  # vendor/old.py is excluded by the config
    assert finding.startswith("app/flows.py:8:16: CN101 [nondeterministic-clock] ")
    assert summary == "Found 1 error in 1 file."
    (tmp_path / "app/flows.py").write_text(BAD_FLOW.replace("time.time()", "None"))
    assert CliRunner().invoke(cli, entry_args("continuum-check")).exit_code == 0


def test_try_repo(tmp_path: Path) -> None:
    """``pre-commit try-repo`` against a committed copy of this repository.

    pre-commit builds the hook's virtualenv with pip from the package index (PyPI is
    reachable wherever this project is built, as for ``make test``'s own install).
    """
    git = shutil.which("git")
    assert git
    hook_repo = tmp_path / "hook-repo"
    hook_repo.mkdir()
    for name in ("continuum", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, hook_repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, hook_repo / name)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
    }
    subprocess.run([git, "init", "-q"], cwd=hook_repo, check=True, env=env)
    subprocess.run([git, "add", "-A"], cwd=hook_repo, check=True, env=env)
    subprocess.run([git, "commit", "-qm", "hooks"], cwd=hook_repo, check=True, env=env)
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.continuum]\n")
    (project / "app/flows.py").write_text(BAD_FLOW)
    subprocess.run([git, "init", "-q"], cwd=project, check=True, env=env)
    subprocess.run([git, "add", "-A"], cwd=project, check=True, env=env)
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "continuum-check"]
    done = subprocess.run(
        [*command, "--all-files"], cwd=project, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "app/flows.py:8:16: CN101 [nondeterministic-clock]" in done.stdout
