"""What a budget builds: its figures and tables, the experiments and evaluation variants they read.

A budget names the figures it renders (``budgets.<b>.figures``: ``all`` or a list); each figure's declaration
selects experiments by their fields (``figures.<f>.experiments``) with its evaluation variants
(``evaluations``, default ``standard``), and may add further selections with their own variants (``also``:
e.g. SRVP's residual model at test-time Δt = 1/4 beside every model at the standard protocol); the budget may
narrow the experiments (``budgets.<b>.experiments``) and the evaluation variants (``budgets.<b>.evaluations``).
An experiment whose dataset is preprocessed from a raw
dataset that is not enabled (``raw_data.<raw>.enabled``) is declared but not run, and the figures say why. So
an experiment is declared once, and a budget trains exactly what its figures need. Pure functions of the
configuration mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from latentvideo.data.dataset_kinds import budget_entry, kind_named

SELECTOR_FIELDS = ("paper", "model", "dataset", "variant")


def _budget(cfg: Mapping[str, Any], budget: str | None) -> Mapping[str, Any]:
    return cfg["budgets"][budget or cfg["budget"]]


def budget_figures(cfg: Mapping[str, Any], budget: str | None = None) -> list[str]:
    """Names of the figures and tables the budget renders, in declaration order."""
    chosen = _budget(cfg, budget)["figures"]
    return list(cfg["figures"]) if chosen == "all" else [f for f in cfg["figures"] if f in chosen]


def matches(experiment: Mapping[str, Any], selector: Mapping[str, Any]) -> bool:
    """Whether an experiment's fields match a figure's selector (a value or a list of values per field)."""
    for key, wanted in selector.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        if experiment[key] not in values:
            return False
    return True


def figure_selections(cfg: Mapping[str, Any], figure: str) -> list[tuple[Mapping[str, Any], list[str]]]:
    """A figure's (selector, evaluation variants) pairs: its own, then those of ``also``."""
    decl = cfg["figures"][figure]
    return [(decl["experiments"], list(decl.get("evaluations", ["standard"]))),
            *((extra["experiments"], list(extra["evaluations"])) for extra in decl.get("also", []))]


def figure_pairs(cfg: Mapping[str, Any], figure: str) -> list[tuple[str, str]]:
    """Every (experiment, evaluation variant) a figure's declaration reads, whatever the budget: experiments in
    config order, each with its variants in declaration order."""
    pairs: dict[tuple[str, str], None] = {}
    for name, exp in cfg["experiments"].items():
        for selector, evaluations in figure_selections(cfg, figure):
            if matches(exp, selector):
                pairs.update(dict.fromkeys((name, v) for v in evaluations))
    return list(pairs)


def declared_experiments(cfg: Mapping[str, Any], figure: str) -> list[str]:
    """Every experiment a figure's declaration selects, whatever the budget (config order)."""
    return list(dict.fromkeys(e for e, _ in figure_pairs(cfg, figure)))


def disabled_raw_data(cfg: Mapping[str, Any], experiment: str) -> list[str]:
    """The ``raw_data`` entries an experiment's dataset is preprocessed from that are not enabled."""
    entry = budget_entry(cfg, cfg["experiments"][experiment]["dataset"])
    return [raw for raw in kind_named(entry["kind"]).raw_inputs(entry)
            if not cfg["raw_data"].get(raw, {}).get("enabled", False)]


def budget_narrows(cfg: Mapping[str, Any], experiment: str, budget: str | None = None) -> bool:
    """Whether the budget's ``experiments`` list leaves ``experiment`` out."""
    narrowed = _budget(cfg, budget).get("experiments")
    return narrowed is not None and experiment not in narrowed


def figure_experiments(cfg: Mapping[str, Any], figure: str, budget: str | None = None) -> list[str]:
    """The experiments a figure reads under the budget: those it selects that the budget runs and whose raw
    data is enabled."""
    return [e for e in declared_experiments(cfg, figure)
            if not budget_narrows(cfg, e, budget) and not disabled_raw_data(cfg, e)]


def budget_experiments(cfg: Mapping[str, Any], budget: str | None = None, enabled_only: bool = True) -> list[str]:
    """Experiments the budget trains: those read by any of its figures (config order). ``enabled_only=False``
    also lists those it would train once their raw data is enabled (what its settings must be valid for)."""
    wanted = {e for f in budget_figures(cfg, budget) for e in declared_experiments(cfg, f)
              if not budget_narrows(cfg, e, budget) and not (enabled_only and disabled_raw_data(cfg, e))}
    return [e for e in cfg["experiments"] if e in wanted]


def budgets_running(cfg: Mapping[str, Any], figure: str, experiment: str) -> list[str]:
    """The budgets whose ``experiments`` list lets ``figure`` read ``experiment`` (where to go for a row a budget
    leaves out; whether its raw data is enabled is a separate matter, :func:`disabled_raw_data`)."""
    return [b for b in cfg["budgets"]
            if figure in budget_figures(cfg, b) and experiment in declared_experiments(cfg, figure)
            and not budget_narrows(cfg, experiment, b)]


def figure_evaluations(cfg: Mapping[str, Any], figure: str) -> list[str]:
    """Every evaluation variant a figure's declaration names (its own and those of ``also``)."""
    return list(dict.fromkeys(v for _, evaluations in figure_selections(cfg, figure) for v in evaluations))


def budget_skips_evaluation(cfg: Mapping[str, Any], evaluation: str, budget: str | None = None) -> bool:
    """Whether the budget's ``evaluations`` list leaves the evaluation variant ``evaluation`` out (the smoke
    budget runs one Δt of each sweep: the others take the same code path)."""
    chosen = _budget(cfg, budget).get("evaluations")
    return chosen is not None and evaluation not in chosen


def budgets_evaluating(cfg: Mapping[str, Any], evaluation: str) -> list[str]:
    """The budgets that run the evaluation variant ``evaluation`` where their figures read it."""
    return [b for b in cfg["budgets"] if not budget_skips_evaluation(cfg, evaluation, b)]


def evaluation_jobs(cfg: Mapping[str, Any], budget: str | None = None, enabled_only: bool = True
                    ) -> list[tuple[str, str]]:
    """(experiment, evaluation variant) pairs the budget's figures read and its ``evaluations`` keep, in a stable
    order (``enabled_only``: as :func:`budget_experiments`)."""
    run = set(budget_experiments(cfg, budget, enabled_only))
    pairs = set()
    for figure in budget_figures(cfg, budget):
        pairs.update(p for p in figure_pairs(cfg, figure)
                     if p[0] in run and not budget_skips_evaluation(cfg, p[1], budget))
    order = {e: i for i, e in enumerate(cfg["experiments"])}
    variants = {v: i for i, v in enumerate(cfg["evaluation_variants"])}
    return sorted(pairs, key=lambda p: (order[p[0]], variants.get(p[1], len(variants))))


def experiment_seeds(cfg: Mapping[str, Any], experiment: str) -> list[int]:
    return list(cfg["experiments"][experiment].get("seeds", cfg["seeds"]))
