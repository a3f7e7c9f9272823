"""Training curves of one run: every loss term of ``train_log.jsonl`` against the optimisation step.

One panel per term (training at every logged step, validation where it was computed, in the same panel as
its training term), the learning rates in the last panel; a panel whose values span more than two decades
(all positive) is drawn on a log scale.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from latentvideo.reporting import figure_style


def read_log(path: str | Path) -> list[dict[str, float]]:
    """The records of a ``train_log.jsonl``."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def curves_figure(records: list[dict[str, float]]) -> plt.Figure:
    """``records``: one dict per logged step (``step``, ``lr...``, terms, ``val_<term>`` on validation steps)."""
    keys = list(dict.fromkeys(k for r in records for k in r))
    terms = [k for k in keys if k != "step" and not k.startswith(("lr", "val_"))]
    rates = [k for k in keys if k.startswith("lr")]
    panels = [*terms, *(["learning rate"] if rates else [])]
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.0 * cols, 2.8 * rows), squeeze=False)
    for ax, name in zip(axes.flat, panels):
        series = [(k, f"{k} (train)") for k in ([name] if name in terms else rates)]
        if name in terms and f"val_{name}" in keys:
            series.append((f"val_{name}", f"{name} (validation)"))
        shown = []
        for key, label in series:
            pts = [(r["step"], r[key]) for r in records if key in r]
            x, y = np.array(pts, dtype=float).T
            ax.plot(x, y, "o-" if key.startswith("val_") else "-", ms=3, lw=1.2, label=label)
            shown.append(y)
        values = np.concatenate(shown)
        if values.size and (values > 0).all() and values.max() / values.min() > 100:
            ax.set_yscale("log")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("step")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(series) > 1:
            ax.legend(fontsize=7)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def plot_run(run_dir: str | Path, out_png: str | Path) -> None:
    """Training curves of the run in ``run_dir`` (its train_log.jsonl and run.json) as a PNG in the house style."""
    run_dir = Path(run_dir)
    info = json.loads((run_dir / "run.json").read_text())
    settings = info["settings"]
    fig = curves_figure(read_log(run_dir / "train_log.jsonl"))
    figure_style.save(fig, None, out_png,
                      title=f"Training curves: {settings['experiment']}, seed {info['seed']} (loss terms per step)",
                      caption=f"{info['budget']}; data: {info['data_source']}; device: {info['device']['summary']}; "
                              f"validation on {settings['training']['val_videos']} held-out videos every "
                              f"{settings['training']['val_every']} steps.")
    plt.close(fig)
