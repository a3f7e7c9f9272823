"""Provenance recorded beside every output: code version, library versions, host facts."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import latentvideo

LIBRARIES = ("torch", "numpy", "pandas", "snakemake", "dvc", "papermill", "mlxtend")


def code_version() -> str:
    """``git describe --always --dirty`` of the checkout when there is one, else the package version."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=Path(latentvideo.__file__).parent,
                             capture_output=True, text=True, timeout=10, check=True)
        return out.stdout.strip() or latentvideo.__version__
    except (OSError, subprocess.SubprocessError):
        return latentvideo.__version__


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def collect() -> dict[str, Any]:
    return {
        "code_version": code_version(),
        "latentvideo": latentvideo.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": library_versions(),
    }
