"""The Fréchet distance between Gaussians fitted to two sets of embeddings (FVD, frame-level FID).

Both sides are summarised by their mean and covariance (n - 1 normalisation); the distance is
``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))`` (Heusel et al. 2017). The embeddings are the caller's: I3D
logits for FVD (:mod:`latentvideo.metrics.fvd`), a judge classifier's penultimate features for R-WAE's
frame-level FID (:mod:`latentvideo.metrics.judge_scores`).
"""

from __future__ import annotations

import numpy as np


def gaussian(embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(D,)`` and covariance ``(D, D)`` (n - 1 normalisation) of embeddings ``(N, D)``."""
    x = np.asarray(embeddings, dtype=np.float64)
    if len(x) < 2:
        raise ValueError(f"a Fréchet distance needs at least 2 embeddings per side, got {len(x)}")
    return x.mean(axis=0), np.cov(x, rowvar=False, ddof=1)


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))``, with the trace of the square root from the symmetric
    ``S1^(1/2) S2 S1^(1/2)`` (its eigenvalues), which is exact for covariance matrices and stable when they are
    singular (fewer videos than dimensions)."""
    root = _sqrt_psd(sigma1)
    inner = np.linalg.eigvalsh(root @ sigma2 @ root)
    trace_sqrt = float(np.sqrt(np.clip(inner, 0, None)).sum())
    diff = np.asarray(mu1, np.float64) - np.asarray(mu2, np.float64)
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt)
