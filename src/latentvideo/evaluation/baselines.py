"""Reference predictors evaluated exactly like the models (deterministic, so N samples are identical)."""

from __future__ import annotations

import torch


def copy_last(cond: torch.Tensor, n_future: int, n_samples: int) -> torch.Tensor:
    """Repeat the last conditioning frame. cond ``(Tc, B, C, H, W)`` -> ``(n_samples, n_future, B, C, H, W)``."""
    return cond[-1].expand(n_samples, n_future, *cond.shape[1:]).clone()


def mean_frame(cond: torch.Tensor, n_future: int, n_samples: int) -> torch.Tensor:
    """Repeat the pixel-wise mean of the conditioning frames (a blurry, motion-free prediction)."""
    return cond.mean(0).expand(n_samples, n_future, *cond.shape[1:]).clone()


BASELINES = {"copy_last": copy_last, "mean_frame": mean_frame}
BASELINE_LABELS = {"copy_last": "Copy last frame", "mean_frame": "Mean conditioning frame"}
