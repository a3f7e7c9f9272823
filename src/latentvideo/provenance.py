"""Provenance recorded beside every output: code version, library versions, host facts."""

from __future__ import annotations

import os
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


SLURM_KEYS = {"SLURM_JOB_ID": "job_id", "SLURM_RESTART_COUNT": "restart_count", "SLURM_JOB_GPUS": "job_gpus",
              "SLURM_STEP_GPUS": "step_gpus", "SLURM_GPUS_ON_NODE": "gpus_on_node",
              "SLURM_JOB_PARTITION": "partition", "SLURMD_NODENAME": "node", "SLURM_CPUS_PER_TASK": "cpus_per_task",
              "SLURM_CPUS_PER_GPU": "cpus_per_gpu", "CUDA_VISIBLE_DEVICES": "cuda_visible_devices"}


def scheduler_job() -> dict[str, str] | None:
    """The Slurm job this process runs in (id, restart count, granted GPUs, node), or None outside Slurm."""
    if "SLURM_JOB_ID" not in os.environ:
        return None
    return {"scheduler": "slurm", **{name: os.environ[key] for key, name in SLURM_KEYS.items() if key in os.environ}}


def collect() -> dict[str, Any]:
    return {
        "code_version": code_version(),
        "latentvideo": latentvideo.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "host": platform.node(),
        "libraries": library_versions(),
        "scheduler_job": scheduler_job(),
    }
