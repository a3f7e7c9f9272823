"""Cluster scheduling on a real local Slurm (tests/local_slurm.py): throughput and per-job executor overhead.

1. Throughput: a DAG of N independent trivial jobs (one `echo` each), submitted by Snakemake's Slurm executor,
   in jobs per minute of wall-clock time; with the plugin's default first status poll (40 s after a
   submission, as the `slurm` profile runs) and with a 2 s first poll. For scale, the same N trivial jobs
   submitted with plain `sbatch --wrap` (Slurm alone, no Snakemake).
2. Overhead per training job: one smoke training job (srvp-smmnist_stochastic, digits prepared beforehand)
   run by `snakemake --cores all` locally and by `snakemake --cores all --profile slurm`; the difference is
   what the executor adds (sbatch, status polling, two nested Snakemake start-ups in the job, srun).

    python benchmarks/bench_slurm.py [--jobs 24]     # needs root and slurm-wlm + munge; prints a table
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import local_slurm  # noqa: E402
from conftest import clean_checkout, tool_env  # noqa: E402

TRIVIAL = """
rule all:
    input:
        expand("out/{{i}}.txt", i=range({n})),


rule trivial:
    output:
        "out/{{i}}.txt",
    log:
        "logs/{{i}}.log",
    shell:
        "echo {{wildcards.i}} > {{output}} 2> {{log}}"
"""


def client_env(cluster: local_slurm.LocalSlurm) -> dict[str, str]:
    return {**tool_env(), "SLURM_CONF": str(cluster.conf)}


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def trivial_dag(cluster: local_slurm.LocalSlurm, n: int, first_poll: int | None, work: Path) -> float:
    d = work / f"trivial-{first_poll}"
    d.mkdir()
    (d / "Snakefile").write_text(TRIVIAL.format(n=n))
    cmd = ["snakemake", "--cores", "all", "--executor", "slurm", "--jobs", "100", "--slurm-status-command",
           "squeue", "--default-resources", "mem_mb=100", "runtime=5"]
    if first_poll is not None:
        cmd += ["--slurm-init-seconds-before-status-checks", str(first_poll)]
    return timed(cmd, d, client_env(cluster))


def plain_sbatch(cluster: local_slurm.LocalSlurm, n: int) -> float:
    start = time.perf_counter()
    ids = [cluster.run("sbatch", "--parsable", "--mem=100", "-t", "5", "-o", "/dev/null", "--wrap", "true").stdout.strip()
           for _ in range(n)]
    while any(j["id"] in ids and j["state"] in ("PENDING", "RUNNING", "COMPLETING") for j in cluster.jobs()):
        time.sleep(0.05)
    return time.perf_counter() - start


TRAINING_MODES = {
    "snakemake --cores all (local)": [],
    "snakemake --cores all --profile slurm": ["--profile", "slurm"],
    "the same, first poll 2 s": ["--profile", "slurm", "--slurm-init-seconds-before-status-checks", "2"],
}


def training_walls(cluster: local_slurm.LocalSlurm, work: Path) -> dict[str, float]:
    target = "results/runs/srvp-smmnist_stochastic/seed0/model.pt"
    env = client_env(cluster)
    walls = {}
    for i, (name, extra) in enumerate(TRAINING_MODES.items()):
        checkout = clean_checkout(work / f"train-{i}")
        timed(["snakemake", "data/processed/digits", "--cores", "all", "--config", "budget=smoke"], checkout, env)
        walls[name] = timed(["snakemake", target, "--cores", "all", *extra, "--config", "budget=smoke"], checkout, env)
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=24, help="trivial jobs in the throughput DAG")
    args = parser.parse_args()
    reason = local_slurm.why_unavailable()
    if reason:
        raise SystemExit(f"cannot run: {reason}")
    n = args.jobs
    with tempfile.TemporaryDirectory(prefix="lv-bench-slurm-") as tmp:
        work = Path(tmp)
        with local_slurm.LocalSlurm(work / "cluster") as cluster:
            print(f"local Slurm: 1 node, {cluster.cpus} CPUs, {cluster.gpus} fake GPUs; {os.cpu_count()} CPUs here")
            sbatch_s = plain_sbatch(cluster, n)
            default_s = trivial_dag(cluster, n, None, work)
            fast_s = trivial_dag(cluster, n, 2, work)
            train = training_walls(cluster, work)
    print(f"\n| measurement ({n} trivial jobs) | wall s | jobs / min |")
    print("|---|---|---|")
    for name, wall in (("plain sbatch --wrap true (Slurm alone)", sbatch_s),
                       ("Snakemake + slurm executor, first poll 40 s (profile default)", default_s),
                       ("Snakemake + slurm executor, first poll 2 s", fast_s)):
        print(f"| {name} | {wall:.1f} | {n / wall * 60:.1f} |")
    local = train["snakemake --cores all (local)"]
    print("\n| one smoke training job (srvp-smmnist_stochastic, 3 steps) | wall s | executor overhead s |")
    print("|---|---|---|")
    for name, wall in train.items():
        print(f"| {name} | {wall:.1f} | {wall - local:.1f} |")


if __name__ == "__main__":
    main()
