"""Seeded splits and test-window draws shared by the dataset protocols."""

from __future__ import annotations

import numpy as np


def holdout(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split ``range(n)`` into (kept, held out) sorted index arrays; ``round(fraction * n)`` held out
    (at least 1 when ``0 < fraction`` and ``n > 1``), chosen by ``default_rng(seed).permutation``."""
    perm = np.random.default_rng(seed).permutation(n)
    k = int(round(fraction * n))
    if fraction > 0 and n > 1:
        k = max(k, 1)
    return np.sort(perm[k:]), np.sort(perm[:k])


def draw_windows(lengths: np.ndarray, n: int, span: int, seed: int) -> list[tuple[int, int]]:
    """``n`` draws of (video index, start frame) with ``start + span <= length``; videos uniform among
    those long enough, start uniform. Draw ``i`` uses ``default_rng([seed, i])`` (prefix-stable)."""
    eligible = np.flatnonzero(np.asarray(lengths) >= span)
    if not len(eligible):
        raise ValueError(f"no video has the {span} frames a test window needs")
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        v = int(eligible[rng.integers(len(eligible))])
        out.append((v, int(rng.integers(lengths[v] - span + 1))))
    return out
