"""The outputs a budget leaves unrendered (``budgets.<b>.not_run_outputs: list``), listed in
``results/not_run.md`` instead: each with why none of its rows ran at this budget and how to get it.

An output none of whose rows runs at a budget would render as panels and cells that only say so; a laptop
budget spends a kernel start and a few seconds on each. Listing them keeps the same information in one file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from latentvideo import targets


def not_run_outputs(cfg: Mapping[str, Any]) -> dict[str, targets.FigureInstance]:
    """The active budget's outputs that read none of its runs, by stem (declaration order)."""
    return {stem: inst for stem, inst in targets.budget_instances(cfg).items() if not targets.reads_a_run(inst)}


def _reasons(cfg: Mapping[str, Any], inst: targets.FigureInstance) -> dict[str, list[str]]:
    """``{reason: [row, ...]}``: each distinct reason with the rows (model label and dataset title) it holds for."""
    titles = cfg.get("dataset_titles", {})
    out: dict[str, list[str]] = {}
    for record in inst.inputs:
        row = f"{record['label']} ({titles.get(record['dataset'], record['dataset'])})"
        rows = out.setdefault(record["reason"], [])
        if row not in rows:
            rows.append(row)
    return out


def not_run_markdown(cfg: Mapping[str, Any], left: Mapping[str, targets.FigureInstance]) -> str:
    """The Markdown of ``results/not_run.md`` for the active budget, listing ``left`` (its
    :func:`not_run_outputs`, computed once by the caller: building every figure instance takes seconds)."""
    budget = cfg["budget"]
    lines = [f"# Outputs not rendered at budget `{budget}`", "",
             f"Budget `{budget}`: {' '.join(cfg['budgets'][budget]['description'].split())}", "",
             f"None of these outputs reads a run of this budget (`budgets.{budget}.not_run_outputs: list`), so "
             f"`snakemake` does not render them by default. Each still renders when asked for by name "
             f"(`snakemake <path>`), every row and panel saying what is written here.", ""]
    if not left:
        lines.append("Every output of this budget reads at least one of its runs.")
    for stem, inst in left.items():
        first = next(iter(inst.outputs.values()))
        lines.append(f"- **{stem}** ({inst.kind}, `{first}`; notebook `{inst.notebook}`)")
        lines += [f"  - {', '.join(rows)}: {reason}" for reason, rows in _reasons(cfg, inst).items()]
    return "\n".join(lines) + "\n"
