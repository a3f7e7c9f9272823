"""Comparison tables: our numbers (with their budget) beside the paper's, as Markdown, LaTeX and CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from latentvideo.atomic import atomic_path

METRIC_NAMES = {"psnr": "PSNR", "ssim": "SSIM", "lpips": "LPIPS", "elbo_per_video": "ELBO (nats/video)",
                "log_likelihood_per_video": "log-likelihood (nats/video)", "kl_y_per_video": "KL y (nats/video)",
                "kl_z_per_video": "KL z (nats/video)"}
NOT_IN_PAPER = "—"
NOT_IN_PAPER_NOTE = "—: the paper reports no number for this cell."
PAPER_ONLY = "not reimplemented here (the paper's number only)"


def format_cell(metric: str, mean: float, ci: float | None) -> str:
    """``mean ± ci`` (PSNR and nats with 2 decimals, SSIM and LPIPS with 4); the mean alone where ``ci`` is None
    (a paper number printed without an interval)."""
    digits = 4 if metric in ("ssim", "lpips") else 2
    return f"{mean:.{digits}f}" if ci is None else f"{mean:.{digits}f} ± {ci:.{digits}f}"


def comparison_table(metrics: pd.DataFrame, paper_numbers: dict[str, Any], datasets: list[str],
                     metric_names: tuple[str, ...] = ("psnr", "ssim")) -> pd.DataFrame:
    """One row per method (ours, the paper's rows, baselines); per dataset and metric an "ours" and a
    "paper" column. Cells we could not compute say why; a paper row without ``model`` is a method this project
    does not reimplement (its "ours" cells say so). With several seeds, a cell shows the mean over seeds
    of each seed's mean and of its CI half-width (each CI is over test videos)."""
    means = metrics[metrics["t"] == "mean"]
    rows: list[dict[str, Any]] = []
    budgets = sorted(means["budget"].unique())
    seen = set()
    for ref in paper_numbers["rows"]:
        row = {"method": ref["label"]}
        if "model" in ref:
            seen.add((ref["model"], ref["variant"]))
        for ds in datasets:
            for m in metric_names:
                if "model" not in ref:
                    ours = PAPER_ONLY
                else:
                    sel = means[(means["model"] == ref["model"]) & (means["variant"] == ref["variant"])
                                & (means["dataset"] == ds) & (means["metric"] == m)]
                    ours = (format_cell(m, sel["value"].mean(), sel["ci95"].mean()) if len(sel)
                            else f"not run (no {ref['model']}/{ref['variant']} experiment in "
                                 f"{'budget ' + ', '.join(budgets) if budgets else 'this budget'})")
                row[(ds, METRIC_NAMES[m], "ours")] = ours
                paper = ref.get(ds, {}).get(m)
                row[(ds, METRIC_NAMES[m], "paper")] = format_cell(m, *paper) if paper else NOT_IN_PAPER
        rows.append(row)
    extra = means.loc[np.array([(m, v) not in seen for m, v in zip(means["model"], means["variant"])], dtype=bool)]
    for (label, model, variant), group in extra.groupby(["label", "model", "variant"], sort=False):
        row = {"method": label}
        for ds in datasets:
            for m in metric_names:
                sel = group[(group["dataset"] == ds) & (group["metric"] == m)]
                row[(ds, METRIC_NAMES[m], "ours")] = (
                    format_cell(m, sel["value"].mean(), sel["ci95"].mean()) if len(sel) else "not run for this dataset")
                row[(ds, METRIC_NAMES[m], "paper")] = NOT_IN_PAPER
        rows.append(row)
    table = pd.DataFrame(rows).set_index("method")
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["dataset", "metric", "source"])
    return table


def variant_table(metrics: pd.DataFrame, variants: dict[str, str], not_run: dict[str, str],
                  metric_names: tuple[str, ...] = ("psnr", "ssim")) -> pd.DataFrame:
    """SRVP Tables 7-9 in form: one row per evaluation variant (e.g. test-time Δt), one column group per
    trained model (its label) and metric. ``variants``: {name: row label}, in row order; ``not_run``: {label:
    why} for declared models the budget did not train. A cell is the mean and 95% CI over test videos."""
    means = metrics[metrics["t"] == "mean"]
    labels = list(dict.fromkeys([*means["label"], *not_run]))
    rows = []
    for variant, row_label in variants.items():
        row: dict[Any, str] = {"test-time setting": row_label}
        for label in labels:
            for m in metric_names:
                sel = means[(means["label"] == label) & (means["evaluation"] == variant) & (means["metric"] == m)]
                row[(label, METRIC_NAMES[m])] = (
                    format_cell(m, sel["value"].mean(), sel["ci95"].mean()) if len(sel)
                    else not_run.get(label, "not evaluated"))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("test-time setting")
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["trained model", "metric"])
    return table


def budget_note(metrics: pd.DataFrame) -> str:
    """The budget(s) behind our numbers, one clause per experiment family."""
    means = metrics[(metrics["t"] == "mean") & (metrics["paper"] != "reference")].drop_duplicates(["experiment", "seed"])
    if means.empty:
        return "Ours: reference baselines only (no trained model in these metric files)."
    parts = []
    for _, r in means.iterrows():
        parts.append(f"{r['label']} on {r['dataset']}: {r['train_steps']} steps x batch {r['batch_size']}, "
                     f"seed {r['seed']}")
    first = means.iloc[0]
    return (f"Ours: budget '{first['budget']}', best of {first['samples']} samples on {first['test_videos']} test "
            f"videos (digits: {first['digit_source']}); " + "; ".join(parts) + ".")


def short_budget(metrics: pd.DataFrame, dataset: str) -> str:
    """One line for a figure title: the budget, each method's training steps, and the evaluation protocol."""
    sel = metrics[(metrics["t"] == "mean") & (metrics["dataset"] == dataset) & (metrics["paper"] != "reference")]
    sel = sel.drop_duplicates(["experiment", "seed"])
    if sel.empty:
        return "reference baselines only"
    trained = ", ".join(f"{r['label']} {r['train_steps']} steps x batch {r['batch_size']}" for _, r in sel.iterrows())
    first = sel.iloc[0]
    return (f"Ours, budget '{first['budget']}': {trained}; best of {first['samples']} samples, "
            f"{first['test_videos']} test videos, {first['digit_source']} digits")


def write_table(table: pd.DataFrame, note: str, out_md: str | Path, out_tex: str | Path, out_csv: str | Path) -> None:
    flat = table.copy()
    flat.columns = [" / ".join(c) for c in table.columns]
    with atomic_path(out_csv) as tmp:
        flat.to_csv(tmp)
    with atomic_path(out_md) as tmp:
        tmp.write_text(flat.to_markdown() + f"\n\n{note}\n")
    with atomic_path(out_tex) as tmp:
        latex = table.to_latex(multicolumn=True, multicolumn_format="c", escape=True)
        tmp.write_text(f"% {note}\n" + latex.replace("±", r"$\pm$"))


def load_paper_numbers(path: str | Path) -> dict[str, Any]:
    with open(path) as fh:
        return yaml.safe_load(fh)


FACTOR_COLUMNS = (("mi_same", "MI same (bits)"), ("mi_cross", "MI cross (bits)"), ("elbo", "ELBO (nats/frame)"),
                  ("reconstruction", "log p(x|z) (nats/frame)"), ("kl", "KL (nats/frame)"))


def _fmt_factor(metric: str, sel: pd.DataFrame) -> str:
    if metric.startswith("mi_"):
        return f"{sel['value'].mean():.2f} (n={int(sel['n'].iloc[0])})"
    return f"{sel['value'].mean():.1f} ± {sel['ci95'].mean():.1f}"


def factor_table(metrics: pd.DataFrame, paper_numbers: dict[str, Any]) -> pd.DataFrame:
    """Whitney & Fergus Table 2: one row per (dataset, factored / entangled), ours beside the paper's.

    MI cells show the estimate and the number of (z_t, z_t+1) pairs; ELBO, reconstruction and KL the mean and
    95% CI over test videos. With several seeds a cell shows the mean over seeds.
    """
    means = metrics[metrics["t"] == "mean"]
    budgets = ", ".join(sorted(means["budget"].unique())) or "?"
    keys = [(r["dataset"], r["variant"]) for r in paper_numbers["rows"]]
    keys += [k for k in means[["dataset", "variant"]].drop_duplicates().itertuples(index=False, name=None)
             if k not in keys]
    rows = []
    for dataset, variant in keys:
        ref = next((r for r in paper_numbers["rows"] if (r["dataset"], r["variant"]) == (dataset, variant)), {})
        ours = means[(means["dataset"] == dataset) & (means["variant"] == variant)]
        label = ref.get("label") or f"{dataset}, {ours['label'].iloc[0]}"
        row: dict[Any, str] = {"model": label}
        for metric, name in FACTOR_COLUMNS:
            sel = ours[ours["metric"] == metric]
            row[(name, "ours")] = (_fmt_factor(metric, sel) if len(sel)
                                   else f"not run (no {variant} experiment on {dataset} in budget {budgets})")
            paper = ref.get(metric)
            row[(name, "paper")] = f"{paper:g}" if paper is not None else NOT_IN_PAPER
        rows.append(row)
    table = pd.DataFrame(rows).set_index("model")
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["metric", "source"])
    return table


def factor_budget_note(metrics: pd.DataFrame) -> str:
    """The budget, data and sample sizes behind each of our Whitney & Fergus numbers."""
    means = metrics[metrics["t"] == "mean"]
    parts = []
    for (exp, seed), group in means.groupby(["experiment", "seed"], sort=False):
        r = group.iloc[0]
        pairs = group.loc[group["metric"] == "mi_same", "n"]
        parts.append(f"{r['label']} on {r['dataset']} ({r['digit_source']}): {r['train_steps']} steps x batch "
                     f"{r['batch_size']}, seed {seed}, {r['test_videos']} test videos"
                     + (f", MI from {int(pairs.iloc[0])} pairs" if len(pairs) else ""))
    if not parts:
        return "Ours: no Whitney & Fergus experiment in these metric files."
    return f"Ours: budget '{means['budget'].iloc[0]}'; " + "; ".join(parts) + "."
