"""Cluster execution on a real Slurm: the smoke DAG through `--profile slurm`, and a requeued training job.

The cluster is a real single-node Slurm (Debian slurm-wlm + munge, two fake GPUs as GRES) started by
``local_slurm.LocalSlurm`` for this module and torn down after it. `.ci/run` installs Slurm; these tests are
skipped, with the reason, only where it is not installed or cannot run.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

import local_slurm
from conftest import clean_checkout, run, tool_env
from latentvideo.training import checkpoint

# The status poll starts 40 s after a submission by default; a 2 s start keeps the tests short. Everything
# else comes from the profile exactly as a user runs it.
FAST_POLL = ["--slurm-init-seconds-before-status-checks", "2"]
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.")


def test_paper_dry_run_requests_gpus_exactly_for_training_and_evaluation(tmp_path):
    """`snakemake -n --profile slurm --config budget=paper`: every train / evaluate / train_judge job asks for one
    GPU and CPUs per GPU, and carries the paper budget's memory and time; no other job asks for a GPU."""
    checkout = clean_checkout(tmp_path)
    out = run(["snakemake", "-n", "--profile", "slurm", "--config", "budget=paper"], checkout, timeout=300)
    jobs = re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", out.stdout, flags=re.M)
    assert jobs, out.stdout[-2000:]
    by_rule: dict[str, list[dict[str, str]]] = {}
    for rule, res in jobs:
        by_rule.setdefault(rule, []).append(dict(kv.split("=", 1) for kv in res.split(", ")))
    assert len(by_rule["train"]) == 31 and len(by_rule["evaluate"]) == 55  # test_workflow explains the counts
    assert len(by_rule["train_judge"]) == 2
    cfg = yaml.safe_load((checkout / "config" / "config.yaml").read_text())["budgets"]["paper"]["resources"]
    for rule, resources in by_rule.items():
        if rule == "all":  # no command: runs inside Snakemake, never submitted
            continue
        for res in resources:
            if rule in ("train", "evaluate", "train_judge"):
                assert res["gpu"] == "1" and "cpus_per_gpu" in res, (rule, res)
                assert res["runtime"] == str(cfg[rule]["runtime"]) and res["mem_mb"] == str(cfg[rule]["mem_mb"])
            else:
                assert "gpu" not in res and "gpu_model" not in res, (rule, res)
                assert res["runtime"] == str(cfg.get(rule, cfg["default"])["runtime"]), (rule, res)


def test_resource_table_names_only_rules_of_the_workflow(repo):
    """The schema's list of rules a budget may give resources to matches the workflow's rules."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, ResourceSettings, WorkflowSettings

    from latentvideo.config import load_schema

    allowed = set(load_schema()["properties"]["budgets"]["additionalProperties"]["properties"]["resources"]
                  ["propertyNames"]["enum"]) - {"default"}
    with SnakemakeApi() as api:
        wf = api.workflow(resource_settings=ResourceSettings(), config_settings=ConfigSettings(),
                          workflow_settings=WorkflowSettings(), snakefile=repo / "Snakefile", workdir=repo)
        rules = {r.name for r in wf._workflow.rules if r.shellcmd}
    assert allowed == rules


needs_slurm = pytest.mark.skipif(local_slurm.why_unavailable() is not None,
                                 reason=str(local_slurm.why_unavailable()))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with local_slurm.LocalSlurm(tmp_path_factory.mktemp("slurm")) as c:
        yield c


def slurm_env(cluster: local_slurm.LocalSlurm) -> dict[str, str]:
    """What a Snakemake process talking to ``cluster`` needs on top of ``tool_env()``."""
    return {"SLURM_CONF": str(cluster.conf)}


def numbers(path: Path) -> pd.DataFrame:
    """The numeric content of a tidy metrics file (provenance columns such as code_version dropped)."""
    df = pd.read_csv(path)
    return df[[c for c in ("experiment", "seed", "metric", "t", "value", "ci_halfwidth", "n") if c in df]]


@needs_slurm
@pytest.mark.e2e
def test_smoke_dag_runs_as_slurm_jobs_with_gpus_and_matches_the_local_run(cluster, smoke_checkout, tmp_path):
    """Every kind of job (data, raw data, train, evaluate, baseline, render_figure, render_table) runs as a Slurm
    job with a GPU asked for; two targets of the smoke DAG cover them all in half of its jobs."""
    checkout = clean_checkout(tmp_path / "repo")
    targets = ["results/tables/srvp2020_table2.md", "results/figures/whitney2017_fig2_correlation_fifth_ave.pdf"]
    out = run(["snakemake", "--cores", "all", "--profile", "slurm", "--config", "budget=smoke", *FAST_POLL, "--",
               *targets], checkout, timeout=1200, env=slurm_env(cluster))
    log = out.stdout + out.stderr
    submitted = SUBMITTED.findall(log)
    dry = run(["snakemake", "-n", "--forceall", "--config", "budget=smoke", "--", *targets], checkout)
    planned = dry.stdout + dry.stderr
    n_jobs = int(re.search(r"^total\s+(\d+)", planned, flags=re.M).group(1))
    assert len(submitted) == n_jobs, log[-3000:]
    kinds = {"prepare_digits", "make_testset", "acquire_raw", "preprocess_raw", "train", "evaluate", "baseline",
             "render_figure", "render_table"}
    assert kinds <= set(re.findall(r"^rule (\w+):", planned, flags=re.M))
    for _, slurm_id, slurm_log in submitted:  # every job ran under Slurm and kept its Slurm log
        assert slurm_id.isdigit() and Path(slurm_log).is_file() and "Finished jobid: 0" in Path(slurm_log).read_text()

    experiments = sorted(p.parent.parent.parent.name for p in (checkout / "results" / "eval").rglob("eval.json"))
    assert len(experiments) == 6  # SRVP and SVG on both SM-MNIST; the two 5th Avenue models
    for experiment in experiments:
        run_json = json.loads((checkout / "results" / "runs" / experiment / "seed0" / "run.json").read_text())
        eval_json = json.loads((checkout / "results" / "eval" / experiment / "standard" / "seed0" / "eval.json")
                               .read_text())
        for info in (run_json, eval_json):  # a GPU was allocated to the job (torch here is a CPU build)
            job = info["provenance"]["scheduler_job"]
            assert job["scheduler"] == "slurm" and job["job_id"] in {s for _, s, _ in submitted}
            assert job["cuda_visible_devices"] in {"0", "1"} and info["device"]["cuda_visible_devices"] is not None
        # same weights and the same numbers as the local run of the same DAG
        a = checkpoint.load(smoke_checkout / "results" / "runs" / experiment / "seed0" / "model.pt")
        b = checkpoint.load(checkout / "results" / "runs" / experiment / "seed0" / "model.pt")
        assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"]), experiment
        rel = Path("results") / "eval" / experiment / "standard" / "seed0" / "metrics.csv"
        pd.testing.assert_frame_equal(numbers(smoke_checkout / rel), numbers(checkout / rel))
    for rel in sorted((checkout / "results" / "baselines").rglob("metrics.csv")):
        pd.testing.assert_frame_equal(numbers(rel), numbers(smoke_checkout / rel.relative_to(checkout)))
    local_table = pd.read_csv(smoke_checkout / "results" / "tables" / "srvp2020_table2.csv")
    slurm_table = pd.read_csv(checkout / "results" / "tables" / "srvp2020_table2.csv")
    pd.testing.assert_frame_equal(local_table, slurm_table)
    assert not [j for j in cluster.jobs() if j["state"] in ("PENDING", "RUNNING")]


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None, poll: float = 0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"snakemake ended ({proc.returncode}) while waiting for {what}:\n"
                                 f"{proc.communicate()[0][-4000:]}")
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@needs_slurm
@pytest.mark.e2e
def test_requeued_training_job_resumes_from_its_checkpoint_and_ends_identical(cluster, tmp_path):
    checkout = clean_checkout(tmp_path / "repo")
    experiment, steps = "srvp-smmnist_stochastic", 60
    cfg_path = checkout / "config" / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["budgets"]["smoke"]["training"][experiment] = {"steps": steps, "checkpoint_every": 5, "lr_decay_steps": 10}
    cfg["budgets"]["smoke"]["resources"]["train"]["threads"] = 2  # a real training: both cores
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    run_dir = checkout / "results" / "runs" / experiment / "seed0"
    target = str((run_dir / "model.pt").relative_to(checkout))

    proc = subprocess.Popen(["snakemake", "--cores", "all", "--profile", "slurm", "--config", "budget=smoke",
                             *FAST_POLL, target], cwd=checkout, env={**tool_env(), **slurm_env(cluster)},
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        ckpt = run_dir / "checkpoints" / "last.pt"
        _wait(lambda: ckpt.exists() and checkpoint.load(ckpt)["step"] >= 5, 300, "a first checkpoint", proc)
        train_job = _wait(lambda: next((j for j in cluster.jobs() if "rule_train" in j["comment"]
                                        and j["state"] == "RUNNING"), None), 30, "the running train job", proc)
        cluster.run("scontrol", "requeue", train_job["id"])
        # Slurm holds a requeued job back (BeginTime, about two minutes); release it now.
        _wait(lambda: cluster.show_job(train_job["id"])["JobState"] == "PENDING", 60, "the requeue", proc)
        cluster.run("scontrol", "update", f"jobid={train_job['id']}", "StartTime=now")
        output, _ = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output[-4000:]

    run_json = json.loads((run_dir / "run.json").read_text())
    assert 5 <= run_json["resumed_from"] < steps  # resumed, never from step 0
    job = run_json["provenance"]["scheduler_job"]
    assert job["job_id"] == train_job["id"]  # the same Slurm job, run a second time
    assert cluster.show_job(train_job["id"])["Restarts"] == "1"
    slurm_log = Path(next(p for _, s, p in SUBMITTED.findall(output) if s == train_job["id"])).read_text()
    assert "DUE TO JOB REQUEUE" in slurm_log and slurm_log.count("rule train:") >= 2  # both runs, one log
    assert f"resuming {experiment} seed 0 from step {run_json['resumed_from']}" in \
        (checkout / "results" / "logs" / "train" / f"{experiment}-seed0.log").read_text()

    # an uninterrupted local run of the same job ends with the same weights and the same training log
    run(["latentvideo", "train", "--config", str(cfg_path), "--budget", "smoke", "--experiment", experiment,
         "--seed", "0", "--data", str(checkout / "data" / "processed" / "digits"),
         "--threads", str(run_json["device"]["threads"]), "--progress", "off", "--out", str(tmp_path / "local")],
        checkout)
    a, b = checkpoint.load(tmp_path / "local" / "model.pt"), checkpoint.load(run_dir / "model.pt")
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert (tmp_path / "local" / "train_log.jsonl").read_text() == (run_dir / "train_log.jsonl").read_text()
