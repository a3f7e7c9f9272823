"""Figures drawn from tidy metric files and saved sample arrays (PDF and PNG, written atomically)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from latentvideo.atomic import atomic_path  # noqa: E402

STYLE = {"srvp": ("tab:red", "-"), "svg_lp": ("tab:blue", "-"), "svg_fp": ("tab:cyan", "-"),
         "copy_last": ("0.4", "--"), "mean_frame": ("0.6", ":")}


def save(fig: plt.Figure, pdf: str | Path, png: str | Path) -> None:
    for path, kw in ((pdf, {}), (png, {"dpi": 150})):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix[1:], bbox_inches="tight", **kw)


def metric_vs_t(metrics: pd.DataFrame, dataset: str, metric: str, train_length: int, title: str) -> plt.Figure:
    """Mean metric per predicted frame with 95% bands, one line per method (SRVP Fig. 3 layout)."""
    sel = metrics[(metrics["dataset"] == dataset) & (metrics["metric"] == metric) & (metrics["t"] != "mean")]
    fig, ax = plt.subplots(figsize=(6, 4))
    for (label, model), group in sel.groupby(["label", "model"], sort=False):
        g = group.assign(t=group["t"].astype(int)).groupby("t")[["value", "ci95"]].mean().sort_index()
        color, ls = STYLE.get(model, (None, "-"))
        ax.plot(g.index, g["value"], ls, color=color, label=label)
        ax.fill_between(g.index, g["value"] - g["ci95"], g["value"] + g["ci95"], color=color, alpha=0.25)
    ax.axvline(train_length, color="k", lw=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("t")
    ax.set_ylabel(metric.upper())
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def sample_strip(samples: dict[str, dict[str, np.ndarray]], video: int, title: str, max_future: int = 20) -> plt.Figure:
    """Conditioning frames and ground truth, then each method's best-PSNR sample (SRVP Fig. 2 layout).

    ``samples[label]`` holds uint8 arrays ``(N, T, H, W, C)`` under cond / truth / best_psnr.
    """
    first = next(iter(samples.values()))
    cond, truth = first["cond"][video], first["truth"][video][:max_future]
    rows = [("Conditioning / ground truth", np.concatenate([cond, truth]))]
    for label, s in samples.items():
        blank = np.zeros_like(cond)
        rows.append((f"{label} (best PSNR)", np.concatenate([blank, s["best_psnr"][video][:max_future]])))
    n_cols = rows[0][1].shape[0]
    fig, axes = plt.subplots(len(rows), 1, figsize=(n_cols * 0.55, len(rows) * 0.75 + 0.4))
    for ax, (label, frames) in zip(np.atleast_1d(axes), rows):
        ax.imshow(np.concatenate(list(frames[..., 0]), axis=1), cmap="gray", vmin=0, vmax=255)
        ax.set_yticks([])
        ax.set_xticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
    fig.suptitle(title, fontsize=8)
    return fig
