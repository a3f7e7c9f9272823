"""R-WAE tables (Han et al. 2021, Tables 2, 3, 4 and 9: judge scores of generated videos; Table 1: TIMIT's EERs),
ours beside the paper's.

``config/paper_numbers/han2021.yaml`` declares each table: its ``columns`` (a dataset, our tidy metric from the
``disentanglement`` protocol or, Table 1, ``speaker_verification``, and how the cell shows it: ``error`` = 100
(1 - accuracy) %, ``accuracy`` = 100 accuracy %, ``percent`` = 100 value % (an EER), ``value`` as stored) and its
``rows`` (a label, our experiments' ``variant`` where we train the method, and the paper's value per column).
Each method we train has our row (mean over seeds; ± the 95% CI over test videos where the metric has one)
directly above the paper's. A cell we could not fill is ``Missing`` with the reason: the budget did not train or
evaluate it (and which budgets do), or the metric was not computed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from latentvideo.reporting.table_output import Missing
from latentvideo.reporting.tables import NOT_IN_PAPER

SHOWN = {"error": (lambda v: 100 * (1 - v), 100, "%"), "accuracy": (lambda v: 100 * v, 100, "%"),
         "percent": (lambda v: 100 * v, 100, "%"), "value": (lambda v: v, 1, "")}
"""``as`` -> (the shown value of a stored one, the factor of its CI half-width, its unit)."""


def _format(value: float, ci: float | None, unit: str) -> str:
    text = f"{value:.2f}{unit}"
    return text if ci is None or not np.isfinite(ci) else f"{text} ± {ci:.2f}{unit}"


def _ours(means: pd.DataFrame, variant: str, column: Mapping[str, Any], not_run: Mapping[tuple[Any, Any], str],
          declared: Collection[tuple[Any, Any]], budgets: str) -> str | Missing:
    if (variant, column["dataset"]) not in declared:
        return Missing(f"latentvideo declares no {variant} experiment on {column['dataset']} (config experiments)")
    sel = means[(means["variant"] == variant) & (means["dataset"] == column["dataset"])]
    if sel.empty:
        return Missing(not_run.get((variant, column["dataset"])) or f"not evaluated at budget {budgets}")
    sel = sel[sel["metric"] == column["metric"]]
    computed = sel[sel["value"].notna()]
    if computed.empty:
        notes = [n for n in sel["note"] if isinstance(n, str) and n]
        return Missing(notes[0] if notes else f"no {column['metric']} in its evaluation (no such judge head)")
    shown, ci_scale, unit = SHOWN[column["as"]]
    cis = computed["ci95"].dropna()
    return _format(shown(computed["value"].mean()), ci_scale * cis.mean() if len(cis) else None, unit)


def judge_table(metrics: pd.DataFrame, spec: Mapping[str, Any], not_run: Mapping[tuple[Any, Any], str],
                declared: Collection[tuple[Any, Any]], titles: Mapping[str, str]) -> pd.DataFrame:
    """One table of ``spec`` (a table of the paper numbers file): rows ``<label> (ours)`` and ``<label>
    (paper)``, one column per declared column, headed by the dataset's title and the column's name.
    ``not_run``: {(variant, dataset): why} (:func:`latentvideo.reporting.inputs.not_run_by_variant`);
    ``declared``: the (variant, dataset) of every experiment the figure declares, run or not."""
    means = metrics[metrics["t"] == "mean"]
    budgets = ", ".join(sorted(means["budget"].unique())) or "this budget"
    keys = [(titles.get(c["dataset"], c["dataset"]), c["name"]) for c in spec["columns"]]
    rows = []
    for ref in spec["rows"]:
        paper = ref.get("paper", [])
        theirs: dict[Any, Any] = {"method": f"{ref['label']} (paper)"}
        mine: dict[Any, Any] = {"method": f"{ref['label']} (ours)"}
        for i, (key, column) in enumerate(zip(keys, spec["columns"])):
            value = paper[i] if i < len(paper) else None
            unit = SHOWN[column["as"]][2]
            theirs[key] = NOT_IN_PAPER if value is None else _format(value, None, unit)
            if "variant" in ref:
                mine[key] = _ours(means, ref["variant"], column, not_run, declared, budgets)
        rows += [mine, theirs] if "variant" in ref else [theirs]
    table = pd.DataFrame(rows).set_index("method")
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["dataset", "score"])
    return table


def judge_note(metrics: pd.DataFrame, titles: Mapping[str, str]) -> str:
    """The judges behind our numbers: per dataset, each factor's accuracy of its judge on the same real test
    videos (``judge_accuracy_<factor>`` rows), as one sentence; "" without runs."""
    means = metrics[(metrics["t"] == "mean") & metrics["metric"].str.startswith("judge_accuracy_")]
    parts = []
    for dataset, rows in means.groupby("dataset", sort=False):
        accuracy = rows.groupby("metric", sort=False)["value"].mean()
        parts.append(f"{titles.get(dataset, dataset)}: " + ", ".join(
            f"{metric.removeprefix('judge_accuracy_')} {100 * value:.1f}%" for metric, value in accuracy.items()))
    return ("Judges (our classifiers, trained on real training videos), accuracy on the real test videos: "
            + "; ".join(parts) + "." if parts else "")


def budget_note(metrics: pd.DataFrame, titles: Mapping[str, str]) -> str:
    """Our runs: per experiment its steps, batch, seed and test videos."""
    means = metrics[metrics["t"] == "mean"].drop_duplicates(["experiment", "seed"])
    if means.empty:
        return "Ours: no R-WAE or DS-VAE experiment ran at this budget."
    parts = dict.fromkeys(f"{r['label']} on {titles.get(r['dataset'], r['dataset'])}: {r['train_steps']} steps x "
                          f"batch {r['batch_size']}, seed {r['seed']}, {r['test_videos']} test videos"
                          for _, r in means.iterrows())
    return f"Ours: budget '{means['budget'].iloc[0]}'; " + "; ".join(parts) + "."
