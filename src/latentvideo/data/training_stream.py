"""On-the-fly training batches: the batch of step s is a pure function of (seed, s).

That makes training reproducible for any number of data-loader workers and makes a resumed run see
exactly the batches an uninterrupted run would have seen.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from latentvideo.data.sm_mnist import MovingMNISTSpec, make_batch


class MovingMNISTSteps(Dataset):
    """Map-style dataset over steps ``[start, stop)``; item s is a uint8 tensor ``(B, T, H, W)``."""

    def __init__(self, pool: np.ndarray, spec: MovingMNISTSpec, batch_size: int, seq_len: int, seed: int,
                 start: int, stop: int):
        self.pool, self.spec, self.batch_size, self.seq_len, self.seed = pool, spec, batch_size, seq_len, seed
        self.start, self.stop = start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, i: int) -> torch.Tensor:
        step = self.start + i
        rng = np.random.default_rng([self.seed, 2, step])
        return torch.from_numpy(make_batch(self.pool, self.batch_size, self.seq_len, self.spec, rng))


def to_float_video(batch: torch.Tensor) -> torch.Tensor:
    """uint8 ``(B, T, H, W)`` -> float ``(T, B, 1, H, W)`` in [0, 1]."""
    return batch.permute(1, 0, 2, 3).unsqueeze(2).float().div_(255.0)
