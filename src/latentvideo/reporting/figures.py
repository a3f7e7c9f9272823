"""Figures drawn from tidy metric files and saved sample arrays; :func:`latentvideo.reporting.figure_style.save`
titles, captions and writes them (the house style).

No backend is chosen here: notebooks run under papermill use the kernel's inline backend, and scripts without
a display fall back to Agg by themselves (set ``MPLBACKEND`` to choose).
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from latentvideo.reporting import figure_style

STYLE = {"srvp": ("tab:red", "-"), "svg_lp": ("tab:blue", "-"), "svg_fp": ("tab:cyan", "-"),
         "copy_last": ("0.4", "--"), "mean_frame": ("0.6", ":")}
METRIC_AXES = {"psnr": "PSNR (dB)", "ssim": "SSIM", "lpips": "LPIPS (lower is better)"}


def not_run_figure(reason: str) -> plt.Figure:
    """A figure whose models the budget did not train: in place of the plot, why and how to get it (never an
    empty or silently missing file)."""
    fig, ax = plt.subplots(figsize=(7, 1.8))
    ax.axis("off")
    ax.text(0.5, 0.5, textwrap.fill(reason, 100), ha="center", va="center", fontsize=8, transform=ax.transAxes)
    return fig


def frame_strip(frames: np.ndarray) -> np.ndarray:
    """uint8 ``(T, H, W, C)`` -> one image ``(H, T * W)`` (grey) or ``(H, T * W, C)``."""
    strip = np.concatenate(list(frames), axis=1)
    return strip[..., 0] if strip.shape[-1] == 1 else strip


def frame_rows(rows: list[tuple[str, np.ndarray]]) -> plt.Figure:
    """One labelled row of frames per ``(label, frames (T, H, W, C) uint8)``, all of the same length, frames left
    to right with ``t=`` ticks above the first row; grey frames (C = 1) are drawn grey."""
    n_cols = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), 1, figsize=(n_cols * 0.8 + 2.0, len(rows) * 0.85 + 0.5), squeeze=False)
    for i, (ax, (label, images)) in enumerate(zip(axes[:, 0], rows)):
        width = images.shape[2]
        ax.imshow(frame_strip(images), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=6.5)
        if i == 0:
            ax.set_xticks([(j + 0.5) * width for j in range(n_cols)])
            ax.set_xticklabels([f"t={j + 1}" for j in range(n_cols)], fontsize=6)
            ax.xaxis.tick_top()
        else:
            ax.set_xticks([])
    return fig


def frame_rate_strip(cond: np.ndarray, truth: np.ndarray, frames: np.ndarray, substeps: int,
                     max_future: int = 10) -> plt.Figure:
    """SRVP Fig. 10: the conditioning frames, then a sample at ``substeps`` times the frame rate with every
    intermediate frame marked by a red dashed bar beneath it; above it the ground truth at its own frame rate
    (blank where the sample has an intermediate frame).

    ``cond (Tc, H, W, C)``, ``truth (T, H, W, C)``, ``frames (T * substeps, H, W, C)`` uint8.
    """
    frames = frames[: max_future * substeps]
    truth = truth[:max_future]
    h, w = frames.shape[1:3]
    spaced = np.zeros((len(frames), *truth.shape[1:]), np.uint8)
    spaced[substeps - 1 :: substeps] = truth
    rows = [("ground truth", np.concatenate([cond, spaced])),
            (f"generated at {substeps}x the frame rate", np.concatenate([cond, frames]))]
    n = len(cond) + len(frames)
    fig, axes = plt.subplots(2, 1, figsize=(n * 0.5, 1.9))
    for ax, (label, strip) in zip(axes, rows):
        ax.imshow(frame_strip(strip), cmap="gray", vmin=0, vmax=255)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
    for ax in axes:
        ax.axvline(len(cond) * w - 0.5, color="tab:green", lw=1.5)  # end of the conditioning frames
    for j in range(len(frames)):
        if (j + 1) % substeps:  # an intermediate frame: between two frames of the data
            x0 = (len(cond) + j) * w
            axes[1].plot([x0 + 4, x0 + w - 4], [h - 6, h - 6], "r--", lw=1.5)
    return fig


def _metric_lines(ax: plt.Axes, metrics: pd.DataFrame, dataset: str, metric: str, train_length: int,
                  cap_db: float | None) -> list[str]:
    """Draw the mean of ``metric`` per predicted frame with its 95% band, one line per method (the ``line``
    column where the frame has one, else the label), on ``ax``; returns the caption's notes."""
    sel = metrics[(metrics["dataset"] == dataset) & (metrics["metric"] == metric) & (metrics["t"] != "mean")]
    sel = sel[sel["value"].notna()].assign(line=sel["line"] if "line" in sel else sel["label"])
    curves, scale, styled = [], [], set()
    for (line_label, model), group in sel.groupby(["line", "model"], sort=False):
        g = group.assign(t=group["t"].astype(int)).groupby("t")[["value", "ci95"]].mean().sort_index()
        # a model's first line in its house colour, its variants (GRU, MLP, another Δt) in the next free ones
        color, ls = STYLE.get(model, (None, "-")) if model not in styled else (None, "-.")
        styled.add(model)
        (line,) = ax.plot(g.index, g["value"], ls, color=color, label=line_label)
        ax.fill_between(g.index, g["value"] - g["ci95"], g["value"] + g["ci95"], color=line.get_color(), alpha=0.25)
        curves.append((line_label, g, line.get_color()))
        scale += [*(g["value"] - g["ci95"]), *(g["value"] + g["ci95"])]
    notes = []
    if metric == "psnr" and cap_db is not None and scale:
        below = [g[g["value"] < cap_db - 1e-6] for _, g, _ in curves]  # capped points do not set the scale
        uncapped = np.concatenate([np.r_[b["value"] - b["ci95"], b["value"] + b["ci95"]] for b in below])
        figure_style.psnr_axes(ax, uncapped if uncapped.size else np.array(scale), cap_db)
        notes = [n for label, g, color in curves
                 if (n := figure_style.note_capped(ax, g.index.to_numpy(), g["value"].to_numpy(), label, cap_db, color))]
    ax.axvline(train_length, color="k", lw=0.8, ls="--", label=f"training length ({train_length} frames)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("t (frame)")
    ax.set_ylabel(METRIC_AXES.get(metric, metric))
    if curves:
        ax.legend(fontsize=7, loc="best")
    else:
        ax.text(0.5, 0.5, f"no {METRIC_AXES.get(metric, metric)} computed", ha="center", va="center",
                transform=ax.transAxes, fontsize=8)
    return notes


def metric_vs_t(metrics: pd.DataFrame, dataset: str, metric: str, train_length: int,
                cap_db: float | None = None) -> tuple[plt.Figure, list[str]]:
    """Mean metric per predicted frame with 95% bands, one line per method (SRVP Fig. 3 layout); a labelled
    line at the training length. For PSNR, ``cap_db`` (the PSNR of an exact prediction) keeps capped points
    from setting the scale (:func:`figure_style.psnr_axes`). Returns the figure and the caption's notes."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    notes = _metric_lines(ax, metrics, dataset, metric, train_length, cap_db)
    fig.tight_layout()
    return fig, notes


def metric_panels(metrics: pd.DataFrame, dataset: str, names: list[str], train_length: int,
                  cap_db: float | None = None) -> tuple[plt.Figure, list[str]]:
    """One :func:`metric_vs_t` panel per metric of ``names``, side by side (SRVP Figs. 5, 7, 8 and 12)."""
    fig, axes = plt.subplots(1, len(names), figsize=(5.2 * len(names), 4), squeeze=False)
    notes = [n for ax, name in zip(axes[0], names) for n in _metric_lines(ax, metrics, dataset, name, train_length,
                                                                          cap_db)]
    fig.tight_layout()
    return fig, notes


def prediction_rows(cond: np.ndarray, truth: np.ndarray, rows: list[tuple[str, np.ndarray]],
                    max_predicted: int = 15) -> plt.Figure:
    """SRVP Figs. 4 and 6: the conditioning frames and the ground truth, then one row per sample (a label and its
    predicted frames), grey or colour. ``cond (Tc, H, W, C)``, ``truth`` and each row ``(T, H, W, C)`` uint8;
    at most ``max_predicted`` predicted frames are shown, evenly spaced, each column headed by its frame t."""
    tc, t = len(cond), len(truth)
    shown = np.unique(np.linspace(0, t - 1, min(t, max_predicted)).round().astype(int))
    blank = np.zeros_like(cond)
    strips = [("conditioning | ground truth", np.concatenate([cond, truth[shown]])),
              *((label, np.concatenate([blank, frames[shown]])) for label, frames in rows)]
    n_cols = tc + len(shown)
    h, w = cond.shape[1:3]
    fig, axes = plt.subplots(len(strips), 1, figsize=(n_cols * 0.55 + 1.5, len(strips) * 0.72 + 0.6), squeeze=False)
    for i, (ax, (label, frames)) in enumerate(zip(axes[:, 0], strips)):
        ax.imshow(frame_strip(frames), cmap="gray", vmin=0, vmax=255)
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
        ax.axvline(tc * w - 0.5, color="tab:green", lw=1.5)  # end of the conditioning frames
        if i == 0:
            ax.set_xticks([(j + 0.5) * w for j in range(n_cols)])
            ax.set_xticklabels([str(j + 1) for j in range(tc)] + [str(tc + int(k) + 1) for k in shown], fontsize=5)
            ax.xaxis.tick_top()
        else:
            ax.set_xticks([])
    return fig


def sample_strip(samples: dict[str, dict[str, np.ndarray]], video: int, max_future: int = 20) -> plt.Figure:
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
    return fig


def correlation_heatmaps(panels: list[tuple[str, np.ndarray, int, float | None]]) -> plt.Figure:
    """Whitney & Fergus Fig. 2: |corr(unit of Z_t, unit of Z_{t+1})| per model, side by side, on one colour
    scale from 0 to the largest correlation shown (a fixed 0-1 scale hid weak structure).

    ``panels``: (label, correlation ``(D, D)`` with rows = Z_t and columns = Z_{t+1}, block size, KL per frame
    in nats or None); lines outline the blocks of ``block`` units (the factors of a factored model); a panel
    whose KL is about 0 says its latents are unused.
    """
    vmin, vmax = figure_style.robust_limits(np.concatenate([np.abs(c).ravel() for _, c, _, _ in panels]), quantile=1.0)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 0.8, 4.4), squeeze=False)
    for ax, (label, corr, block, kl) in zip(axes[0], panels):
        image = ax.imshow(np.abs(corr), cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest")
        for edge in range(block, corr.shape[0], block):
            ax.axhline(edge - 0.5, color="w", lw=0.8)
            ax.axvline(edge - 0.5, color="w", lw=0.8)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("unit of $Z_{t+1}$")
        figure_style.note_unused_latents(ax, kl)
    axes[0][0].set_ylabel("unit of $Z_t$")
    fig.colorbar(image, ax=list(axes[0]), shrink=0.8, label=f"|correlation| (scale 0 to {vmax:.2f})")
    return fig


def generation_grid(generations: np.ndarray, truth: np.ndarray, kl_per_frame: float | None = None) -> plt.Figure:
    """Whitney & Fergus Fig. 3: ground truth, reconstruction, then one row per factor varied alone; a note
    across the generated rows when ``kl_per_frame`` (nats) says the latents are unused.

    ``generations``: uint8 ``(1 + factors, T, H, W, C)``; ``truth``: uint8 ``(T, H, W, C)``.
    """
    rows = [("input", truth), ("all factors", generations[0])]
    rows += [(f"factor {i + 1} only", g) for i, g in enumerate(generations[1:])]
    n_cols = truth.shape[0]
    fig, axes = plt.subplots(len(rows), 1, figsize=(n_cols * 0.6 + 1.2, len(rows) * 0.68 + 0.5))
    for ax, (label, frames) in zip(np.atleast_1d(axes), rows):
        strip = np.concatenate(list(frames), axis=1)
        ax.imshow(strip[..., 0] if strip.shape[-1] == 1 else strip, cmap="gray", vmin=0, vmax=255)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
    figure_style.note_unused_latents(np.atleast_1d(axes)[min(1, len(rows) - 1)], kl_per_frame)
    return fig


def trajectory_image(frames: np.ndarray) -> np.ndarray:
    """SRVP Fig. 9's rendering of a trajectory in one image: frame t in grey level (t + 1) / T, later frames on
    top. ``frames (T, H, W, 1)`` uint8 -> ``(H, W)`` float in [0, 1]."""
    t = frames.shape[0]
    weights = (np.arange(1, t + 1) / t)[:, None, None]
    return (frames[..., 0].astype(np.float64) / 255 * weights).max(axis=0)


def interpolation_grid(arrays: dict[str, np.ndarray], max_pairs: int = 4) -> plt.Figure:
    """SRVP Fig. 9: per pair of videos, x^s, its reconstruction, the trajectories from interpolated y_1, the
    reconstruction of x^t and x^t, each trajectory drawn in one image (:func:`trajectory_image`)."""
    pairs = min(max_pairs, len(arrays["source"]))
    steps = arrays["trajectories"].shape[1]
    cols = 4 + steps
    fig, axes = plt.subplots(pairs, cols, figsize=(cols * 0.9, pairs * 0.95 + 1.0), squeeze=False)
    heads = ["$x^s$", "$\\hat{x}^s$", *[f"{a:.2f}" for a in np.linspace(0, 1, steps)], "$\\hat{x}^t$", "$x^t$"]
    for p in range(pairs):
        images = [arrays["source"][p], arrays["source_reconstruction"][p], *arrays["trajectories"][p],
                  arrays["target_reconstruction"][p], arrays["target"][p]]
        for ax, frames, head in zip(axes[p], images, heads):
            ax.imshow(trajectory_image(frames), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if p == 0:
                ax.set_title(head, fontsize=7)
    return fig


def content_swap_grid(arrays: dict[str, np.ndarray], pair: int, max_frames: int = 15) -> plt.Figure:
    """SRVP Fig. 11: the dynamics video (top), the content video's conditioning frames, then the video generated
    from the dynamics of the first and the content of the second (bottom)."""
    cond = int(arrays["cond_frames"])
    dynamics, content, swapped = (arrays[k][pair][:max_frames] for k in ("dynamics", "content", "swapped"))
    blank = np.zeros_like(content[:1])
    rows = [("dynamics video (y, z)", dynamics),
            ("content frames (w) | generated", np.concatenate([content[:cond], blank, swapped[cond:]])[:max_frames])]
    fig, axes = plt.subplots(len(rows), 1, figsize=(max_frames * 0.55, 1.8))
    for ax, (label, frames) in zip(axes, rows):
        ax.imshow(frame_strip(frames), cmap="gray", vmin=0, vmax=255)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
    return fig


def trajectory_histograms(arrays: dict[str, np.ndarray], videos: list[int], label: str,
                          max_future: int = 12) -> plt.Figure:
    """SVG supp. Fig. 4: per predicted frame, the (Δx, Δy) distribution of the digit, ``label`` above the
    ground truth, for each of ``videos``; the conditioning trajectory on the left, the true collision marked.
    Each panel spans Δx (horizontal) and Δy (vertical) in [-R, R] pixels, scaled to its own maximum.

    ``arrays``: ``generated`` / ``truth`` ``(V, T, 2R+1, 2R+1)``, ``cond`` uint8 ``(V, Tc, H, W, C)``,
    ``collision (V,)``, ``max_delta``.
    """
    r = int(arrays["max_delta"])
    steps = min(max_future, arrays["truth"].shape[1])
    fig, axes = plt.subplots(2 * len(videos), steps + 1, figsize=((steps + 1) * 0.8, 2 * len(videos) * 0.85 + 0.8),
                             squeeze=False)
    for i, v in enumerate(videos):
        for j, (name, key) in enumerate(((label, "generated"), ("ground truth", "truth"))):
            row = axes[2 * i + j]
            if j == 0:
                row[0].imshow(trajectory_image(arrays["cond"][v]), cmap="gray", vmin=0, vmax=1)
            else:
                row[0].axis("off")
            row[1].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=7, labelpad=48)
            for t in range(steps):
                ax = row[t + 1]
                panel = arrays[key][v, t]
                ax.imshow(panel, cmap="magma", vmin=0, vmax=max(float(panel.max()), 1e-9),
                          extent=(-r - 0.5, r + 0.5, r + 0.5, -r - 0.5))
                if int(arrays["collision"][v]) == t + 1:
                    for side in ax.spines.values():
                        side.set_color("tab:green")
                        side.set_linewidth(2)
                if i == 0 and j == 0:
                    ax.set_title(f"t+{t + 1}", fontsize=6)
            for ax in row:
                ax.set_xticks([])
                ax.set_yticks([])
    return fig
