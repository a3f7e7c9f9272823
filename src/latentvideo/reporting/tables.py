"""Comparison tables: our numbers (with their budget) beside the paper's.

The builders return DataFrames of strings and :class:`~latentvideo.reporting.table_output.Missing` cells (with
the reason); :func:`latentvideo.reporting.table_output.write_table` writes them as Markdown, LaTeX and CSV.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from latentvideo.reporting.table_output import Missing

METRIC_NAMES = {"psnr": "PSNR", "ssim": "SSIM", "lpips": "LPIPS", "fvd": "FVD", "elbo_per_video": "ELBO (nats/video)",
                "log_likelihood_per_video": "log-likelihood (nats/video)", "kl_y_per_video": "KL y (nats/video)",
                "kl_z_per_video": "KL z (nats/video)"}
NOT_IN_PAPER = Missing("the paper reports no number for this cell")
PAPER_ONLY = Missing("a method latentvideo does not reimplement: the paper's number only")
NotRun = Mapping[tuple[Any, Any, Any], str]


def _not_run(not_run: NotRun, model: Any, variant: Any, dataset: str, budgets: list[str]) -> Missing:
    """Why our cell of (model, variant) on ``dataset`` is empty: the budget's reason, else a generic one."""
    return Missing(not_run.get((model, variant, dataset))
                   or f"not run at budget {', '.join(budgets) or 'this budget'} (no {model}/{variant} experiment)")


def format_cell(metric: str, mean: float, ci: float | None) -> str:
    """``mean ± ci`` (PSNR and nats with 2 decimals, SSIM, LPIPS and the decomposition scores with 4, FVD as the paper prints it, without
    decimals, but with three significant digits below 10, e.g. from a model trained for a few steps); the mean
    alone where ``ci`` is None (a paper number printed without an interval)."""
    digits = {"ssim": 4, "lpips": 4, "ari": 4, "fari": 4, "mse": 4, "velocity_cosine": 4}.get(metric, 2)
    if metric == "fvd":
        small = abs(mean) < 10
        digits = max(0, 2 - int(np.floor(np.log10(abs(mean))))) if small and mean else 0
    return f"{mean:.{digits}f}" if ci is None else f"{mean:.{digits}f} ± {ci:.{digits}f}"


def ours_cell(sel: pd.DataFrame, metric: str) -> str | Missing | None:
    """Our cell from the ``t = mean`` rows of one method and metric: the mean over seeds of each seed's mean and
    CI, ``Missing`` with the recorded reason where the metric could not be computed, None without rows."""
    computed = sel[sel["value"].notna()]
    if len(computed):
        return format_cell(metric, computed["value"].mean(), computed["ci95"].mean())
    if len(sel):
        notes = [n for n in sel.get("note", pd.Series(dtype=str)) if isinstance(n, str) and n]
        return Missing(notes[0] if notes else "not computed")
    return None


def _run_of(ref: Mapping[str, Any], dataset: str, evaluation: str) -> tuple[Any, Any, Any] | None:
    """The (model, variant, evaluation variant) whose results fill a paper row's cells on ``dataset``: the row's,
    overridden by its dataset entry (SVG is SVG-FP on KTH and SVG-LP elsewhere); None for a method latentvideo
    does not reimplement."""
    entry = ref.get(dataset, {})
    model = entry.get("model", ref.get("model"))
    if model is None:
        return None
    return model, entry.get("variant", ref.get("variant")), entry.get("evaluation", ref.get("evaluation", evaluation))


def comparison_table(metrics: pd.DataFrame, paper_numbers: dict[str, Any], datasets: list[str],
                     metric_names: tuple[str, ...] = ("psnr", "ssim"), not_run: NotRun | None = None,
                     titles: Mapping[str, str] | None = None, evaluation: str = "standard") -> pd.DataFrame:
    """One row per method (the paper's rows, then ours that no paper row shows, baselines among them); per dataset
    and metric an "ours" and a "paper" column.

    A paper row's cells on a dataset are filled from the results of its (model, variant, evaluation variant)
    (:func:`_run_of`; ``evaluation`` is the default variant, e.g. ``fvd`` for an FVD table); a row without a model
    is a method this project does not reimplement. Cells we could not compute are ``Missing`` with the reason
    (``not_run``: {(model, variant, dataset): reason}, see :func:`latentvideo.reporting.inputs.not_run_reasons`;
    a metric recorded as not computed: its note). ``titles``: readable dataset names for the columns. With
    several seeds, a cell shows the mean over seeds of each seed's mean and of its CI half-width (each CI is over
    test videos)."""
    means = metrics[metrics["t"] == "mean"]
    if "note" not in means:
        means = means.assign(note="")
    rows: list[dict[str, Any]] = []
    budgets = sorted(means["budget"].unique())
    not_run, titles = not_run or {}, titles or {}
    seen = set()
    for ref in paper_numbers["rows"]:
        row = {"method": ref["label"]}
        for ds in datasets:
            run = _run_of(ref, ds, evaluation)
            if run is not None:
                seen.add((*run, ds))
            for m in metric_names:
                if run is None:
                    ours = PAPER_ONLY
                else:
                    model, variant, ev = run
                    sel = means[(means["model"] == model) & (means["variant"] == variant) & (means["evaluation"] == ev)
                                & (means["dataset"] == ds) & (means["metric"] == m)]
                    ours = ours_cell(sel, m) or _not_run(not_run, model, variant, ds, budgets)
                row[(titles.get(ds, ds), METRIC_NAMES[m], "ours")] = ours
                paper = ref.get(ds, {}).get(m)
                row[(titles.get(ds, ds), METRIC_NAMES[m], "paper")] = format_cell(m, *paper) if paper else NOT_IN_PAPER
        rows.append(row)
    keys = zip(means["model"], means["variant"], means["evaluation"], means["dataset"])
    extra = means.loc[np.array([k not in seen for k in keys], dtype=bool)]
    for (label, model, variant), group in extra.groupby(["label", "model", "variant"], sort=False):
        row = {"method": label}
        for ds in datasets:
            for m in metric_names:
                sel = group[(group["dataset"] == ds) & (group["metric"] == m)]
                row[(titles.get(ds, ds), METRIC_NAMES[m], "ours")] = ours_cell(sel, m) or Missing(
                    "not evaluated on this dataset at this budget" + (
                        " (a baseline is evaluated where a model of the budget is)"
                        if (group["paper"] == "reference").all() else ""))
                row[(titles.get(ds, ds), METRIC_NAMES[m], "paper")] = NOT_IN_PAPER
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
                row[(label, METRIC_NAMES[m])] = ours_cell(sel, m) or Missing(
                    not_run.get(label, f"{label} was not evaluated with this setting"))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("test-time setting")
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["trained model", "metric"])
    return table


def budget_note(metrics: pd.DataFrame, titles: Mapping[str, str] | None = None) -> str:
    """The budget(s) behind our numbers, one clause per experiment family (datasets by ``titles``)."""
    titles = titles or {}
    means = metrics[(metrics["t"] == "mean") & (metrics["paper"] != "reference")]
    fvd_only = set(means["metric"]) == {"fvd"}
    means = means.drop_duplicates(["experiment", "seed"])
    if means.empty:
        return "Ours: reference baselines only (no trained model in these metric files)."
    parts = []
    for _, r in means.iterrows():
        parts.append(f"{r['label']} on {titles.get(r['dataset'], r['dataset'])}: {r['train_steps']} steps x batch "
                     f"{r['batch_size']}, seed {r['seed']}")
    first = means.iloc[0]
    protocol = "one random sample per test video and set (FVD)" if fvd_only else f"best of {first['samples']} samples"
    videos = ", ".join(str(n) for n in dict.fromkeys(means["test_videos"]))
    return (f"Ours: budget '{first['budget']}', {protocol} on {videos} test videos (data: "
            f"{', '.join(dict.fromkeys(means['digit_source']))}); " + "; ".join(parts) + ".")


def short_budget(metrics: pd.DataFrame, dataset: str) -> str:
    """One line for a figure caption: the budget, each method's training steps and seed, the evaluation protocol."""
    sel = metrics[(metrics["t"] == "mean") & (metrics["dataset"] == dataset) & (metrics["paper"] != "reference")]
    sel = sel.drop_duplicates(["experiment", "seed"])
    if sel.empty:
        return "reference baselines only"
    trained = ", ".join(f"{r['label']} {r['train_steps']} steps x batch {r['batch_size']}, seed {r['seed']}"
                        for _, r in sel.iterrows())
    first = sel.iloc[0]
    return (f"Ours, budget '{first['budget']}': {trained}; best of {first['samples']} samples, "
            f"{first['test_videos']} test videos, data {first['digit_source']}")


def load_paper_numbers(path: str | Path) -> dict[str, Any]:
    with open(path) as fh:
        return yaml.safe_load(fh)


FACTOR_COLUMNS = (("mi_same", "MI same (bits)"), ("mi_cross", "MI cross (bits)"), ("elbo", "ELBO (nats/frame)"),
                  ("reconstruction", "log p(x|z) (nats/frame)"), ("kl", "KL (nats/frame)"))


def _fmt_factor(metric: str, sel: pd.DataFrame) -> str:
    if metric.startswith("mi_"):
        return f"{sel['value'].mean():.2f} (n={int(sel['n'].iloc[0])})"
    return f"{sel['value'].mean():.1f} ± {sel['ci95'].mean():.1f}"


def factor_table(metrics: pd.DataFrame, paper_numbers: dict[str, Any], not_run: NotRun | None = None) -> pd.DataFrame:
    """Whitney & Fergus Table 2: one row per (dataset, factored / entangled), ours beside the paper's.

    MI cells show the estimate and the number of (z_t, z_t+1) pairs; ELBO, reconstruction and KL the mean and
    95% CI over test videos. With several seeds a cell shows the mean over seeds.
    """
    means = metrics[metrics["t"] == "mean"]
    budgets = sorted(means["budget"].unique())
    not_run = not_run or {}
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
            row[(name, "ours")] = (_fmt_factor(metric, sel) if len(sel) else
                                   _not_run(not_run, ref.get("model", "factored_vae"), variant, dataset, budgets))
            paper = ref.get(metric)
            row[(name, "paper")] = f"{paper:g}" if paper is not None else NOT_IN_PAPER
        rows.append(row)
    table = pd.DataFrame(rows).set_index("model")
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["metric", "source"])
    return table


def factor_budget_note(metrics: pd.DataFrame, titles: Mapping[str, str] | None = None) -> str:
    """The budget, data and sample sizes behind each of our Whitney & Fergus numbers (datasets by ``titles``)."""
    titles = titles or {}
    means = metrics[metrics["t"] == "mean"]
    parts = []
    for (exp, seed), group in means.groupby(["experiment", "seed"], sort=False):
        r = group.iloc[0]
        pairs = group.loc[group["metric"] == "mi_same", "n"]
        parts.append(f"{r['label']} on {titles.get(r['dataset'], r['dataset'])} (data: {r['digit_source']}): "
                     f"{r['train_steps']} steps x batch "
                     f"{r['batch_size']}, seed {seed}, {r['test_videos']} test videos"
                     + (f", MI from {int(pairs.iloc[0])} pairs" if len(pairs) else ""))
    if not parts:
        return "Ours: no Whitney & Fergus experiment in these metric files."
    return f"Ours: budget '{means['budget'].iloc[0]}'; " + "; ".join(parts) + "."
