"""Aggregation over test videos: mean and the half-width of a 95% normal interval, 1.96 * std / sqrt(n)."""

from __future__ import annotations

import numpy as np


def mean_ci95(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 95% CI half-width of ``values`` over ``axis`` (SRVP's convention: population std, ddof=0)."""
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[axis]
    return values.mean(axis=axis), 1.96 * values.std(axis=axis) / np.sqrt(n)
