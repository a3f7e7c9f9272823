"""Fréchet video distance (Unterthiner et al. 2018) as SRVP computes it (``metrics/fvd``, Table 1).

Each video (conditioning frames followed by the true or a predicted future) is embedded by the I3D
network (:mod:`latentvideo.metrics.i3d`): grey frames repeated to RGB, every frame resized to 224x224 by
TensorFlow 1's ``resize_bilinear`` (no half-pixel centres; the reference's resize), values mapped to
[-1, 1], and the 400 Kinetics logits averaged over time. The FVD is the Fréchet distance between Gaussians
fitted to the embeddings of the real and of the generated videos (means, covariances with n - 1). SRVP
computes one FVD from one random sample per test video; the paper's interval (Table 1) comes from several
such sets of samples: :func:`fvd_over_sets` reports their mean and 1.96 * std / sqrt(sets).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch

from latentvideo.metrics.frechet import frechet_distance, gaussian
from latentvideo.metrics.i3d import INPUT_SIZE, I3D
from latentvideo.metrics.summary import mean_ci95


def tf1_bilinear_matrix(n_in: int, n_out: int) -> torch.Tensor:
    """``(n_out, n_in)`` weights of TensorFlow 1 ``resize_bilinear`` along one axis (``align_corners=False``,
    no half-pixel centres): output ``i`` samples the input at ``i * n_in / n_out``."""
    src = torch.arange(n_out, dtype=torch.float64) * (n_in / n_out)
    lo = src.floor().long().clamp(max=n_in - 1)
    hi = (lo + 1).clamp(max=n_in - 1)
    frac = src - lo.double()
    weights = torch.zeros(n_out, n_in, dtype=torch.float64)
    weights[torch.arange(n_out), lo] += 1 - frac
    weights[torch.arange(n_out), hi] += frac
    return weights


def resize_tf1(frames: torch.Tensor, size: int = INPUT_SIZE) -> torch.Tensor:
    """``(..., H, W)`` -> ``(..., size, size)``, bilinear as TensorFlow 1."""
    rows = tf1_bilinear_matrix(frames.shape[-2], size).to(frames)
    cols = tf1_bilinear_matrix(frames.shape[-1], size).to(frames)
    return torch.einsum("ih,...hw,jw->...ij", rows, frames, cols)


def i3d_input(videos: torch.Tensor) -> torch.Tensor:
    """``(N, T, C, H, W)`` float in [0, 1] (C = 1 or 3) -> I3D's ``(N, 3, T, 224, 224)`` in [-1, 1]."""
    if videos.shape[2] == 1:
        videos = videos.expand(-1, -1, 3, -1, -1)
    return (2 * resize_tf1(videos) - 1).permute(0, 2, 1, 3, 4).contiguous()


def embed(model: I3D, videos: Iterable[torch.Tensor], batch_size: int = 16) -> np.ndarray:
    """I3D logits ``(N, 400)`` float64 of videos given in batches of ``(n, T, C, H, W)`` float in [0, 1]; each
    batch is cut into chunks of ``batch_size`` (the reference's 16), so memory is bounded by the chunk."""
    device = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for batch in videos:
            for start in range(0, len(batch), batch_size):
                chunk = i3d_input(batch[start : start + batch_size].to(device))
                out.append(model(chunk).double().cpu().numpy())
    return np.concatenate(out) if out else np.empty((0, 400))


def fvd(real: np.ndarray, fake: np.ndarray) -> float:
    """The FVD between two sets of I3D embeddings ``(N, 400)``."""
    return frechet_distance(*gaussian(real), *gaussian(fake))


def fvd_over_sets(real: np.ndarray, fakes: Sequence[np.ndarray]) -> tuple[float, float]:
    """Mean FVD over several generated sets (one sample per test video each) and its 95% half-width."""
    values = np.array([fvd(real, fake) for fake in fakes])
    mean, ci = mean_ci95(values)
    return float(mean), float(ci)
