"""Test sets and training batches of moving-digit videos, for any generator that follows :class:`VideoSpec`.

SM-MNIST (:mod:`latentvideo.data.sm_mnist`) and two-colour moving MNIST (:mod:`latentvideo.data.color_mnist`)
differ only in how one video is drawn from its digits; how digits are picked is shared and lives here.
Every random draw goes through an explicit ``numpy.random.Generator``: video ``i`` of a stored test set uses
``default_rng([seed, 1, i])``, so any prefix of a set is identical whatever its total size.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class VideoSpec(Protocol):
    """A moving-digit generator: ``num_digits`` digits per video, ``sequence`` draws one video."""

    num_digits: int

    def sequence(self, digits: list[np.ndarray], seq_len: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(video (T, H, W, C) uint8, trajectories (num_digits, T, ...) int64)``."""
        ...


def make_test_set(pool: np.ndarray, n: int, seq_len: int, spec: VideoSpec, seed: int):
    """A fixed test set: ``n`` videos ``(n, T, H, W, C)`` uint8, trajectories ``(n, D, T, ...)`` and digit indices.

    Digits are drawn without reuse from a seeded permutation of ``pool`` (as SRVP's ``make_test_set.py``),
    so ``n * num_digits <= len(pool)``. Video i depends only on (seed, i): prefixes are stable.
    """
    need = n * spec.num_digits
    if need > len(pool):
        raise ValueError(
            f"a test set of {n} videos needs {need} distinct digits but the test pool holds {len(pool)}; "
            f"lower the budget's test_videos or acquire the full MNIST (config key digits.source)"
        )
    order = np.random.default_rng([seed, 0]).permutation(len(pool))[:need].reshape(n, spec.num_digits)
    videos, trajs = [], []
    for i in range(n):
        rng = np.random.default_rng([seed, 1, i])
        video, traj = spec.sequence([pool[j] for j in order[i]], seq_len, rng)
        videos.append(video)
        trajs.append(traj)
    return np.stack(videos), np.stack(trajs), order


def make_batch(pool: np.ndarray, batch: int, seq_len: int, spec: VideoSpec, rng: np.random.Generator) -> np.ndarray:
    """``batch`` training videos ``(B, T, H, W, C)`` uint8, digits drawn uniformly (with replacement) from ``pool``."""
    out = []
    for _ in range(batch):
        idx = rng.integers(0, len(pool), size=spec.num_digits)
        out.append(spec.sequence([pool[j] for j in idx], seq_len, rng)[0])
    return np.stack(out)
