"""What a budget builds: its figures and tables, the experiments and evaluation variants they read.

A budget names the figures it renders (``budgets.<b>.figures``: ``all`` or a list); each figure's declaration
selects experiments by their fields (``figures.<f>.experiments``) and evaluation variants; the budget may
narrow the experiments (``budgets.<b>.experiments``). So an experiment is declared once, and a budget trains
exactly what its figures need. Pure functions of the configuration mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def declared_experiments(cfg: Mapping[str, Any], figure: str) -> list[str]:
    """Every experiment a figure's declaration selects, whatever the budget (config order)."""
    selector = cfg["figures"][figure]["experiments"]
    return [name for name, exp in cfg["experiments"].items() if matches(exp, selector)]


def figure_experiments(cfg: Mapping[str, Any], figure: str, budget: str | None = None) -> list[str]:
    """The experiments a figure reads under the budget: those it selects that the budget runs."""
    narrowed = _budget(cfg, budget).get("experiments")
    return [e for e in declared_experiments(cfg, figure) if narrowed is None or e in narrowed]


def budget_experiments(cfg: Mapping[str, Any], budget: str | None = None) -> list[str]:
    """Experiments the budget trains: those read by any of its figures (config order)."""
    wanted = {e for f in budget_figures(cfg, budget) for e in figure_experiments(cfg, f, budget)}
    return [e for e in cfg["experiments"] if e in wanted]


def budgets_running(cfg: Mapping[str, Any], figure: str, experiment: str) -> list[str]:
    """The budgets under which ``figure`` reads ``experiment`` (where to go for a row a budget leaves out)."""
    return [b for b in cfg["budgets"]
            if figure in budget_figures(cfg, b) and experiment in figure_experiments(cfg, figure, b)]


def figure_evaluations(cfg: Mapping[str, Any], figure: str) -> list[str]:
    return list(cfg["figures"][figure].get("evaluations", ["standard"]))


def evaluation_jobs(cfg: Mapping[str, Any], budget: str | None = None) -> list[tuple[str, str]]:
    """(experiment, evaluation variant) pairs the budget's figures read, in a stable order."""
    pairs = {(e, v) for f in budget_figures(cfg, budget) for e in figure_experiments(cfg, f, budget)
             for v in figure_evaluations(cfg, f)}
    order = {e: i for i, e in enumerate(cfg["experiments"])}
    variants = {v: i for i, v in enumerate(cfg["evaluation_variants"])}
    return sorted(pairs, key=lambda p: (order[p[0]], variants.get(p[1], len(variants))))


def experiment_seeds(cfg: Mapping[str, Any], experiment: str) -> list[int]:
    return list(cfg["experiments"][experiment].get("seeds", cfg["seeds"]))
