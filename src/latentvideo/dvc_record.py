"""Bring DVC in step after Snakemake built the DAG: ``dvc.lock`` records what Snakemake produced.

Snakemake is the engine and writes no ``dvc.lock``; without one ``dvc status`` calls every stage changed and
``dvc push`` has nothing to upload. :func:`record` checks that ``dvc.yaml`` describes the budget that ran (it
is generated from the same DAG, :mod:`latentvideo.dvc_export`), then runs ``dvc commit --force``: DVC hashes
every stage's dependencies, parameters and outputs as they are, caches the outputs and writes ``dvc.lock``
without running anything. DVC touches every output as it commits it; the files get their modification times
back, so Snakemake (whose rerun trigger compares them) still sees the DAG as done. Afterwards ``dvc status``
must report the pipeline up to date (checked), ``dvc repro`` runs nothing, and ``dvc push`` uploads the
results.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import yaml

from latentvideo.dvc_export import export_dvc_yaml


class DvcRecordError(RuntimeError):
    """dvc.yaml does not describe the budget that ran, a DVC command failed, or the status is not clean."""


def _dvc(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(["dvc", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise DvcRecordError(f"`dvc {' '.join(args)}` failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    return proc


def _output_files(dvc_yaml: str, repo: Path) -> Iterator[Path]:
    """Every file under the outputs, metrics and plots of the stages of ``dvc_yaml``."""
    for stage in yaml.safe_load(dvc_yaml)["stages"].values():
        for entry in (*stage.get("outs", []), *stage.get("metrics", []), *stage.get("plots", [])):
            path = repo / (entry if isinstance(entry, str) else next(iter(entry)))
            yield from (p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def record(budget: str, repo: str | Path = ".", snakefile: str = "Snakefile") -> int:
    """Commit the outputs of ``budget``'s DAG to DVC (``dvc.lock`` and the cache); returns the stage count."""
    repo = Path(repo)
    expected = export_dvc_yaml(budget, repo / snakefile)
    current = (repo / "dvc.yaml").read_text() if (repo / "dvc.yaml").exists() else ""
    if current != expected:
        raise DvcRecordError(f"{repo / 'dvc.yaml'} does not describe the DAG of budget {budget!r} (another budget, or "
                             f"stale): run `latentvideo export-dvc --budget {budget}` first")
    times = {p: (st.st_atime_ns, st.st_mtime_ns)
             for p, st in ((p, p.stat()) for p in _output_files(expected, repo) if p.exists())}
    try:
        _dvc(["commit", "--force", "--quiet"], repo)
    finally:
        for path, ns in times.items():
            if path.exists():
                os.utime(path, ns=ns)
    status = json.loads(_dvc(["status", "--json"], repo).stdout or "{}")
    if status:
        raise DvcRecordError("after `dvc commit` these stages still differ: " + ", ".join(sorted(status)))
    return expected.count("\n    cmd: ")
