"""PROVIDE Tables 1-3: decomposition scores (ARI, F-ARI, MSE) of ours beside the paper's.

Every table has one row per (dataset, method, source): our row (mean ± 95% CI over test videos, the mean over
seeds of each seed's numbers) directly above the paper's (``config/paper_numbers/provide2021.yaml``; a method we
do not reimplement, R-NEM, has the paper's row only). A cell we could not fill is ``Missing`` with the reason
(the budget did not train the model, the budget's test videos are shorter than the length, the paper prints no
number there).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from latentvideo.reporting.table_output import Missing
from latentvideo.reporting.tables import NOT_IN_PAPER, format_cell, ours_cell

METRICS = (("ari", "ARI ↑"), ("fari", "F-ARI ↑"), ("mse", "MSE ↓"))
NotRun = Mapping[tuple[Any, Any], str]  # (variant, dataset) -> why the budget did not run it
Labels = Mapping[tuple[Any, Any], str]  # (variant, dataset) -> the experiment's label


class _Ours:
    """Our cells: the ``t = mean`` rows of one (variant, dataset, evaluation variant)."""

    def __init__(self, metrics: pd.DataFrame, not_run: NotRun):
        self.means = metrics[metrics["t"] == "mean"]
        self.not_run = not_run
        self.budgets = ", ".join(sorted(self.means["budget"].unique())) or "this budget"

    def cell(self, variant: str, dataset: str, evaluation: str, metric: str, scored: str) -> str | Missing:
        """``metric`` as stored (e.g. ``ari_first_20``) of the models of ``variant`` trained on ``dataset``;
        ``scored`` names what it is for the reason of a gap. An evaluation variant with its own test set
        (Table 2) records that set as the rows' dataset: there the evaluation variant, which belongs to one
        training dataset, identifies the run."""
        own_test = evaluation == "standard"
        run = self.means[(self.means["variant"] == variant) & (self.means["evaluation"] == evaluation)
                         & ((self.means["dataset"] == dataset) | (not own_test))]
        if run.empty:
            return Missing(self.not_run.get((variant, dataset))
                           or f"not evaluated ({evaluation}) at budget {self.budgets}")
        return ours_cell(run[run["metric"] == metric], metric.split("_first_")[0]) or Missing(
            f"not scored at budget {self.budgets}: {scored}")


def _paper(value: float | None) -> str | Missing:
    return NOT_IN_PAPER if value is None else format_cell("ari", value, None)  # 4 decimals, as the paper


def _frame(rows: list[dict[Any, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Rows keyed by ``method``; tuple keys become column levels named ``columns``, plain keys one level."""
    table = pd.DataFrame(rows).set_index("method")
    if len(columns) > 1:
        table.columns = pd.MultiIndex.from_tuples(table.columns, names=list(columns))
    else:
        table.columns.name = columns[0]
    return table


def _method(titles: Mapping[str, str], dataset: str, label: str, source: str) -> str:
    return f"{titles.get(dataset, dataset)}: {label} ({source})"


def _label(ref: Mapping[str, Any], labels: Labels) -> str:
    """A paper row's own label (a method we do not reimplement), else our experiment's."""
    return ref.get("label") or labels.get((ref["variant"], ref["dataset"]), ref["variant"])


def table1(metrics: pd.DataFrame, paper: Mapping[str, Any], not_run: NotRun, titles: Mapping[str, str],
           labels: Labels) -> pd.DataFrame:
    """Table 1: per dataset and method, ARI / F-ARI / MSE over the first L frames (L = the paper's lengths)."""
    spec, ours = paper["table1"], _Ours(metrics, not_run)
    rows = []
    for ref in spec["rows"]:
        ds, label = ref["dataset"], _label(ref, labels)
        mine: dict[Any, Any] = {"method": _method(titles, ds, label, "ours")}
        theirs: dict[Any, Any] = {"method": _method(titles, ds, label, "paper")}
        for metric, name in METRICS:
            for length in spec["lengths"]:
                key = (name, str(length))
                if "variant" in ref:
                    mine[key] = ours.cell(ref["variant"], ds, "standard", f"{metric}_first_{length}",
                                          f"its test videos are shorter than {length} frames")
                theirs[key] = _paper(ref[metric].get(length))
        rows += [mine, theirs] if "variant" in ref else [theirs]  # a method we do not reimplement: the paper's
    return _frame(rows, ("metric", "length"))


def table2(metrics: pd.DataFrame, paper: Mapping[str, Any], not_run: NotRun, titles: Mapping[str, str],
           labels: Labels, evaluation_titles: Mapping[str, str]) -> pd.DataFrame:
    """Table 2: generalisation to more objects (test-time K), per training dataset, test variant and method."""
    ours = _Ours(metrics, not_run)
    rows = []
    for ref in paper["table2"]["rows"]:
        ds, ev, label = ref["dataset"], ref["evaluation"], _label(ref, labels)
        test = evaluation_titles.get(ev, ev)
        mine: dict[Any, Any] = {"method": f"{_method(titles, ds, label, 'ours')}, tested on {test}"}
        theirs: dict[Any, Any] = {"method": f"{_method(titles, ds, label, 'paper')}, tested on {test}"}
        for metric, name in METRICS:
            if "variant" in ref:
                mine[name] = ours.cell(ref["variant"], ds, ev, metric, "no such metric")
            theirs[name] = _paper(ref.get(metric))
        rows += [mine, theirs] if "variant" in ref else [theirs]
    return _frame(rows, ("metric",))


def table3(metrics: pd.DataFrame, paper: Mapping[str, Any], not_run: NotRun, titles: Mapping[str, str],
           labels: Labels) -> pd.DataFrame:
    """Table 3: the ablation, per dataset, ablated model and scored sequence length."""
    ours = _Ours(metrics, not_run)
    rows = []
    for ref in paper["table3"]["rows"]:
        ds, length, label = ref["dataset"], ref["length"], _label(ref, labels)
        mine: dict[Any, Any] = {"method": f"{_method(titles, ds, label, 'ours')}, length {length}"}
        theirs: dict[Any, Any] = {"method": f"{_method(titles, ds, label, 'paper')}, length {length}"}
        for metric, name in METRICS:
            mine[name] = ours.cell(ref["variant"], ds, "standard", f"{metric}_first_{length}",
                                   f"its test videos are shorter than {length} frames")
            theirs[name] = _paper(ref.get(metric))
        rows += [mine, theirs]
    return _frame(rows, ("metric",))


def squeezenet_use(inputs: list[Mapping[str, Any]]) -> str:
    """Which of our runs had the frozen SqueezeNet features in their refinement inputs (from each evaluation's
    ``eval.json`` statement), as one sentence; "" without runs."""
    used = {}
    for record in inputs:
        if record["kind"] == "experiment" and "metrics" in record:
            statement = json.loads((Path(record["metrics"]).parent / "eval.json").read_text())["statement"]
            used[record["label"]] = "SqueezeNet features in the refinement inputs" in statement
    if not used:
        return ""
    if not any(used.values()):
        return "No model of ours used the SqueezeNet features (model_weights.squeezenet1_1 not read)."
    return "SqueezeNet features used by: " + ", ".join(sorted(label for label, on in used.items() if on)) + "."


def budget_note(metrics: pd.DataFrame, titles: Mapping[str, str], inputs: list[Mapping[str, Any]] = ()) -> str:
    """The budget behind our numbers: per experiment its steps, batch, seed and test videos, and which runs had
    the SqueezeNet features (``inputs``: the render records)."""
    means = metrics[metrics["t"] == "mean"].drop_duplicates(["experiment", "evaluation", "seed"])
    if means.empty:
        return "Ours: no PROVIDE experiment ran at this budget."
    parts = dict.fromkeys(f"{r['label']} on {titles.get(r['dataset'], r['dataset'])}: {r['train_steps']} steps x "
                          f"batch {r['batch_size']}, seed {r['seed']}, {r['test_videos']} test videos"
                          for _, r in means.iterrows())
    features = squeezenet_use(list(inputs))
    return f"Ours: budget '{means['budget'].iloc[0]}'; " + "; ".join(parts) + "." + (f" {features}" if features else "")
