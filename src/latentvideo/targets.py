"""File layout of the DAG and the targets each figure or table needs (used by the Snakefile).

Keeping these here (not in the rule files) keeps the workflow lint-clean and lets tests reason about
the DAG without Snakemake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DIGITS = "data/processed/digits"
MNIST_RAW = "data/raw/mnist"


def testset(dataset: str) -> str:
    return f"data/processed/{dataset}/test"


def run_dir(experiment: str, seed: int | str) -> str:
    return f"results/runs/{experiment}/seed{seed}"


def eval_dir(experiment: str, seed: int | str) -> str:
    return f"results/eval/{experiment}/seed{seed}"


def baseline_dir(baseline: str, dataset: str) -> str:
    return f"results/baselines/{baseline}/{dataset}"


def budget_experiments(cfg: Mapping[str, Any]) -> list[str]:
    return list(cfg["budgets"][cfg["budget"]]["experiments"])


def datasets(cfg: Mapping[str, Any]) -> list[str]:
    return sorted({cfg["experiments"][e]["dataset"] for e in budget_experiments(cfg)})


def experiment_metrics(cfg: Mapping[str, Any], dataset: str | None = None) -> list[str]:
    return [f"{eval_dir(e, s)}/metrics.csv" for e in budget_experiments(cfg) for s in cfg["seeds"]
            if dataset is None or cfg["experiments"][e]["dataset"] == dataset]


def experiment_samples(cfg: Mapping[str, Any], dataset: str) -> list[str]:
    seed = cfg["seeds"][0]
    return [f"{eval_dir(e, seed)}/samples.npz" for e in budget_experiments(cfg)
            if cfg["experiments"][e]["dataset"] == dataset]


def experiment_labels(cfg: Mapping[str, Any], dataset: str) -> list[str]:
    return [cfg["experiments"][e]["label"] for e in budget_experiments(cfg)
            if cfg["experiments"][e]["dataset"] == dataset]


def baseline_metrics(cfg: Mapping[str, Any], dataset: str | None = None) -> list[str]:
    return [f"{baseline_dir(b, d)}/metrics.csv" for b in cfg["baselines"] for d in datasets(cfg)
            if dataset is None or d == dataset]


def fig3(dataset: str) -> dict[str, str]:
    return {"pdf": f"results/figures/srvp2020_fig3_psnr_{dataset}.pdf",
            "png": f"results/figures/srvp2020_fig3_psnr_{dataset}.png"}


FIG2 = {"pdf": "results/figures/srvp2020_fig2_samples.pdf", "png": "results/figures/srvp2020_fig2_samples.png"}
TABLE2 = {"md": "results/tables/srvp2020_table2.md", "tex": "results/tables/srvp2020_table2.tex",
          "csv": "results/tables/srvp2020_table2.csv"}


def raw_inventory(name: str) -> str:
    return f"data/raw/{name}.inventory.json"


def processed(name: str) -> str:
    return f"data/processed/{name}"


def raw_targets(cfg: Mapping[str, Any]) -> list[str]:
    """The processed directory of every enabled raw dataset."""
    return [processed(n) for n, entry in cfg["raw_data"].items() if entry["enabled"]]


def final_targets(cfg: Mapping[str, Any]) -> list[str]:
    """Everything ``snakemake`` builds by default for the configured budget."""
    out = [*FIG2.values(), *TABLE2.values(), *raw_targets(cfg)]
    for d in datasets(cfg):
        out += fig3(d).values()
    return out


def csv_list(paths: list[str]) -> str:
    """Papermill receives lists as one comma-separated string parameter."""
    return ",".join(paths)
