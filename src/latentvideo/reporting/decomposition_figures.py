"""PROVIDE Figs. 3-6: decompositions (masks, reconstructions, ground truth) and the scores of simulated frames.

Arrays are those :mod:`latentvideo.evaluation.decomposition` saves; metric frames are tidy
(:mod:`latentvideo.evaluation.tidy`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colormaps

from latentvideo.reporting.figures import frame_rows, frame_strip

SLOT_COLOURS = (np.array(colormaps["tab10"].colors) * 255).round().astype(np.uint8)  # slot k -> colour k % 10


def mask_image(masks: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """``masks: (T, K, H, W)`` uint8 and the frames ``(T, H, W, C)`` -> ``(T, H, W, 3)`` uint8: every pixel in
    the colour of its argmax slot, brighter where the frame is (the balls stand out from the background slot)."""
    colours = SLOT_COLOURS[masks.argmax(axis=1) % len(SLOT_COLOURS)].astype(np.float64)
    light = frames.astype(np.float64).mean(axis=-1, keepdims=True) / 255.0
    return (colours * (0.45 + 0.55 * light)).round().astype(np.uint8)


def _rgb(frames: np.ndarray) -> np.ndarray:
    return np.repeat(frames, 3, axis=-1) if frames.shape[-1] == 1 else frames


def decomposition_grid(panels: list[tuple[str, str, dict[str, np.ndarray]]], video: int, frames: int) -> plt.Figure:
    """PROVIDE Figs. 3-4: per test set (the second item of a panel, e.g. "6-8 balls, K = 9") its ground truth, then
    per model (the first item) its masks (each slot its colour) and reconstructions, of the first ``frames``
    frames of ``video``; the arrays are those the decomposition protocol saves."""
    rows = []
    for test in dict.fromkeys(test for _, test, _ in panels):
        shown = [(label, arrays) for label, t, arrays in panels if t == test]
        truth = shown[0][1]["truth"][video][:frames]
        rows.append((f"{test}\nground truth", _rgb(truth)))
        for label, arrays in shown:
            rows += [(f"{label}: masks\n(argmax slot)", mask_image(arrays["masks"][video][:frames], truth)),
                     (f"{label}:\nreconstruction", _rgb(arrays["reconstruction"][video][:frames]))]
    return frame_rows(rows)


def _curve(ax: plt.Axes, sel: pd.DataFrame, x: np.ndarray, label: str) -> None:
    ax.errorbar(x, sel["value"], yerr=sel["ci95"], marker="o", ms=3.5, capsize=2.5, lw=1.3, label=label)


def simulated_scores(metrics: pd.DataFrame, horizons: list[int], titles: dict[str, str]) -> plt.Figure:
    """PROVIDE Fig. 5: ARI and F-ARI of the first h simulated frames (``<metric>_first_<h>``) against h, one line
    per (model, dataset), mean and 95% CI over test videos."""
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.2))
    for ax, (metric, name) in zip(axes, (("ari", "ARI"), ("fari", "F-ARI"))):
        for (label, dataset), group in metrics.groupby(["label", "dataset"], sort=False):
            sel = pd.concat([group[(group["metric"] == f"{metric}_first_{h}") & (group["t"] == "mean")]
                             for h in horizons])
            if len(sel):
                _curve(ax, sel.groupby("metric", sort=False)[["value", "ci95"]].mean(), np.array(horizons),
                       f"{label}, {titles.get(dataset, dataset)}")
        ax.set_xlabel("simulated frames h (score: mean over the first h)")
        ax.set_ylabel(f"{name} (higher is better)")
        ax.set_xticks(horizons)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=6.5, loc="best")
    fig.tight_layout()
    return fig


def velocity_scores(metrics: pd.DataFrame, observed: int, titles: dict[str, str]) -> plt.Figure:
    """PROVIDE Fig. 6: cosine similarity of predicted and true centroid velocities per simulated frame, one line
    per (model, dataset); each point's mean and 95% CI are over the test videos where an object counted."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    frames = metrics[(metrics["metric"] == "velocity_cosine") & (metrics["t"] != "mean")]
    steps = sorted({int(t) - observed for t in frames["t"]})
    for (label, dataset), group in frames.groupby(["label", "dataset"], sort=False):
        per_t = group.assign(t=group["t"].astype(int)).groupby("t")[["value", "ci95"]].mean()
        x = per_t.index.to_numpy() - observed
        _curve(ax, per_t, x, f"{label}, {titles.get(dataset, dataset)}")
        for step in x[per_t["value"].isna().to_numpy()]:  # no object visible and moving in any test video
            ax.text(step, -0.9, "none\ncounted", ha="center", va="bottom", fontsize=6, color="0.35")
    ax.set_xticks(steps)
    ax.set_xlim(min(steps, default=1) - 0.5, max(steps, default=1) + 0.5)
    ax.set_xlabel(f"simulated frame (after {observed} inferred)")
    ax.set_ylabel("velocity cosine similarity")
    ax.set_ylim(-1.05, 1.05)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig
