"""File layout of the DAG and the targets each figure or table needs (used by the Snakefile).

Keeping these here (not in the rule files) keeps the workflow lint-clean and lets tests reason about
the DAG without Snakemake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DIGITS = "data/processed/digits"
MNIST_RAW = "data/raw/mnist"


def testset_input(cfg: Mapping[str, Any], dataset: str) -> str:
    """The DAG target holding ``dataset``'s test split: a generated test set, or a preprocessed raw dataset."""
    entry = cfg["datasets"][dataset]
    return processed(entry["raw"]) if entry["kind"] == "raw_video" else f"data/processed/{dataset}/test"


def testset(cfg: Mapping[str, Any], dataset: str) -> str:
    """The directory of ``dataset``'s test split (what the evaluate command reads): for a raw dataset, the
    ``test`` split inside :func:`testset_input`; for a generated one, :func:`testset_input` itself."""
    target = testset_input(cfg, dataset)
    return f"{target}/test" if cfg["datasets"][dataset]["kind"] == "raw_video" else target


def training_input(cfg: Mapping[str, Any], experiment: str) -> str:
    """What an experiment trains on: the digit pools, or a preprocessed raw dataset."""
    entry = cfg["datasets"][cfg["experiments"][experiment]["dataset"]]
    return processed(entry["raw"]) if entry["kind"] == "raw_video" else DIGITS


def generated_datasets(cfg: Mapping[str, Any]) -> list[str]:
    """Datasets whose test set the ``make_testset`` rule generates from digits."""
    return [name for name, entry in cfg["datasets"].items() if entry["kind"] != "raw_video"]


def run_dir(experiment: str, seed: int | str) -> str:
    return f"results/runs/{experiment}/seed{seed}"


def eval_dir(experiment: str, seed: int | str) -> str:
    return f"results/eval/{experiment}/seed{seed}"


def baseline_dir(baseline: str, dataset: str) -> str:
    return f"results/baselines/{baseline}/{dataset}"


def budget_experiments(cfg: Mapping[str, Any], paper: str | None = None, dataset: str | None = None,
                       variant: str | None = None) -> list[str]:
    """The active budget's experiments, optionally only those of one paper / dataset / variant."""
    exps = cfg["experiments"]
    return [e for e in cfg["budgets"][cfg["budget"]]["experiments"]
            if (paper is None or exps[e]["paper"] == paper) and (dataset is None or exps[e]["dataset"] == dataset)
            and (variant is None or exps[e]["variant"] == variant)]


def _protocol(cfg: Mapping[str, Any], experiment: str) -> str:
    return cfg["models"][cfg["experiments"][experiment]["model"]]["evaluation"]["protocol"]


def datasets(cfg: Mapping[str, Any], protocol: str = "best_of_n") -> list[str]:
    """Datasets of the budget's experiments evaluated with ``protocol`` (best_of_n: prediction, with baselines)."""
    return sorted({cfg["experiments"][e]["dataset"] for e in budget_experiments(cfg) if _protocol(cfg, e) == protocol})


def experiment_metrics(cfg: Mapping[str, Any], dataset: str | None = None, paper: str | None = None) -> list[str]:
    return [f"{eval_dir(e, s)}/metrics.csv" for e in budget_experiments(cfg, paper, dataset) for s in cfg["seeds"]]


def experiment_samples(cfg: Mapping[str, Any], dataset: str, paper: str | None = None,
                       variant: str | None = None) -> list[str]:
    seed = cfg["seeds"][0]
    return [f"{eval_dir(e, seed)}/samples.npz" for e in budget_experiments(cfg, paper, dataset, variant)]


def experiment_labels(cfg: Mapping[str, Any], dataset: str, paper: str | None = None,
                      variant: str | None = None) -> list[str]:
    return [cfg["experiments"][e]["label"] for e in budget_experiments(cfg, paper, dataset, variant)]


def baseline_metrics(cfg: Mapping[str, Any], dataset: str | None = None) -> list[str]:
    return [f"{baseline_dir(b, d)}/metrics.csv" for b in cfg["baselines"] for d in datasets(cfg)
            if dataset is None or d == dataset]


def fig3(dataset: str) -> dict[str, str]:
    return {"pdf": f"results/figures/srvp2020_fig3_psnr_{dataset}.pdf",
            "png": f"results/figures/srvp2020_fig3_psnr_{dataset}.png"}


FIG2 = {"pdf": "results/figures/srvp2020_fig2_samples.pdf", "png": "results/figures/srvp2020_fig2_samples.png"}
TABLE2 = {"md": "results/tables/srvp2020_table2.md", "tex": "results/tables/srvp2020_table2.tex",
          "csv": "results/tables/srvp2020_table2.csv"}


def whitney_fig2(dataset: str) -> dict[str, str]:
    return {"pdf": f"results/figures/whitney2017_fig2_correlation_{dataset}.pdf",
            "png": f"results/figures/whitney2017_fig2_correlation_{dataset}.png"}


def whitney_fig3(dataset: str) -> dict[str, str]:
    return {"pdf": f"results/figures/whitney2017_fig3_generations_{dataset}.pdf",
            "png": f"results/figures/whitney2017_fig3_generations_{dataset}.png"}


WHITNEY_TABLE2 = {"md": "results/tables/whitney2017_table2.md", "tex": "results/tables/whitney2017_table2.tex",
                  "csv": "results/tables/whitney2017_table2.csv"}


def raw_inventory(name: str) -> str:
    return f"data/raw/{name}.inventory.json"


def processed(name: str) -> str:
    return f"data/processed/{name}"


def raw_targets(cfg: Mapping[str, Any]) -> list[str]:
    """The processed directory of every enabled raw dataset."""
    return [processed(n) for n, entry in cfg["raw_data"].items() if entry["enabled"]]


def final_targets(cfg: Mapping[str, Any]) -> list[str]:
    """Everything ``snakemake`` builds by default for the configured budget."""
    out = [*raw_targets(cfg)]
    if budget_experiments(cfg, paper="srvp2020"):
        out += [*FIG2.values(), *TABLE2.values()]
        for d in datasets(cfg):
            out += fig3(d).values()
    if budget_experiments(cfg, paper="whitney2017"):
        out += WHITNEY_TABLE2.values()
        for d in datasets(cfg, "factor_analysis"):
            out += [*whitney_fig2(d).values(), *whitney_fig3(d).values()]
    return out


def csv_list(paths: list[str]) -> str:
    """Papermill receives lists as one comma-separated string parameter."""
    return ",".join(paths)
