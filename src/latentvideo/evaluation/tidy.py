"""The tidy metric-table contract shared by all five papers.

One row per (paper, experiment, model, variant, evaluation variant, dataset, seed, metric, t); ``evaluation``
names the evaluation variant (``standard``: the paper's test protocol; e.g. ``dt_1_2``: test-time Δt = 1/2);
``t`` is the 1-based frame index in the test video, or ``mean`` for the average over predicted frames. Each row carries value,
95% CI half-width over test videos (NaN where none is defined, e.g. a mutual-information estimate), n
(test videos, or sample pairs for mutual information), and the budget and code version that produced it. A
metric that could not be computed (e.g. LPIPS without its weight files) has one ``t = mean`` row with no value
and ``note`` saying why; ``note`` is empty on every computed row.
Units: psnr dB (at most ``PSNR_CAP_DB``), ssim, lpips and fvd unitless; elbo / reconstruction / kl nats per
frame; elbo_per_video, log_likelihood_per_video, kl_y_per_video, kl_z_per_video nats per video; mi_same /
mi_cross bits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from latentvideo.metrics.summary import mean_ci95

PSNR_CAP_DB = 100.0
"""A frame predicted exactly (mse = 0, e.g. copy-last on a video that returns to its last conditioning frame)
would make the mean PSNR infinite; its PSNR is capped at 100 dB (an mse of 1e-10), and figures mark such points."""

COLUMNS = ["paper", "experiment", "label", "model", "variant", "evaluation", "dataset", "seed", "metric", "t", "value", "ci95", "n",
           "budget", "train_steps", "batch_size", "test_videos", "samples", "digit_source", "code_version", "note"]


def mean_rows(meta: dict[str, Any], metric: str, per_video: np.ndarray) -> list[dict[str, Any]]:
    """The ``t = mean`` row of one score per test video ``(n_videos,)``: mean and 95% CI over videos."""
    per_video = np.asarray(per_video, dtype=np.float64)
    mean, ci = mean_ci95(per_video)
    return [{**meta, "metric": metric, "t": "mean", "value": float(mean), "ci95": float(ci), "n": len(per_video)}]


def metric_rows(meta: dict[str, Any], metric: str, per_frame: np.ndarray, first_t: int) -> list[dict[str, Any]]:
    """Rows for ``per_frame: (n_videos, n_future)`` scores whose first column is frame ``first_t``."""
    per_frame = np.asarray(per_frame, dtype=np.float64)
    n = per_frame.shape[0]
    rows = mean_rows(meta, metric, per_frame.mean(axis=1))
    means, cis = mean_ci95(per_frame, axis=0)
    for j, (m, c) in enumerate(zip(means, cis)):
        rows.append({**meta, "metric": metric, "t": str(first_t + j), "value": float(m), "ci95": float(c), "n": n})
    return rows


def scalar_row(meta: dict[str, Any], metric: str, value: float, n: int) -> dict[str, Any]:
    """The ``t = mean`` row of a score defined on the whole set only (no per-video value, so no CI): an
    Inception Score, an entropy of the marginal, a Fréchet distance; ``n`` counts what it was computed on."""
    return {**meta, "metric": metric, "t": "mean", "value": float(value), "ci95": float("nan"), "n": int(n)}


def not_computed_rows(meta: dict[str, Any], metric: str, reason: str) -> list[dict[str, Any]]:
    """The single ``t = mean`` row of a metric that could not be computed: no value, ``note`` says why."""
    return [{**meta, "metric": metric, "t": "mean", "value": float("nan"), "ci95": float("nan"), "n": 0,
             "note": reason}]


def to_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame([{"note": "", **row} for row in rows])
    missing = set(COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"tidy rows miss columns {sorted(missing)}")
    return frame[COLUMNS]
