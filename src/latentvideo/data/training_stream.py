"""On-the-fly training batches: the batch of step s is a pure function of (seed, s).

That makes training reproducible for any number of data-loader workers and makes a resumed run see
exactly the batches an uninterrupted run would have seen.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from latentvideo.data.clip_sampling import ClipSampling, draw_clips, eligible_videos, step_videos
from latentvideo.data import moving_shapes
from latentvideo.data.digit_videos import VideoSpec, make_batch
from latentvideo.data.moving_shapes import MovingShapesSpec
from latentvideo.data.pendulum import TRAIN_STREAM, PendulumSpec, pool_seeds
from latentvideo.data.shards import StoredSplit


class _Steps(Dataset):
    """Map-style dataset over steps ``[start, stop)``; item i is the batch of step ``start + i``."""

    def __init__(self, seed: int, start: int, stop: int):
        self.seed, self.start, self.stop = seed, start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.from_numpy(self.batch_at(self.start + i))

    def batch_at(self, step: int) -> np.ndarray:
        """The uint8 batch of ``step``: by default :meth:`batch` drawn with ``default_rng([seed, 2, step])``."""
        return self.batch(np.random.default_rng([self.seed, 2, step]))

    def batch(self, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError


class DigitVideoSteps(_Steps):
    """Freshly generated moving-digit videos; item s is a uint8 tensor ``(B, T, H, W, C)``."""

    def __init__(self, pool: np.ndarray, spec: VideoSpec, batch_size: int, seq_len: int, seed: int,
                 start: int, stop: int):
        super().__init__(seed, start, stop)
        self.pool, self.spec, self.batch_size, self.seq_len = pool, spec, batch_size, seq_len

    def batch(self, rng: np.random.Generator) -> np.ndarray:
        return make_batch(self.pool, self.batch_size, self.seq_len, self.spec, rng)


class PendulumSteps(_Steps):
    """Pendulum videos drawn uniformly (with replacement) from the fixed pool of ``dataset["train_videos"]``
    training sequences, each regenerated from its own seed; item s is uint8 ``(B, T, H, W, 1)``."""

    def __init__(self, dataset: dict, batch_size: int, seed: int, start: int, stop: int):
        super().__init__(seed, start, stop)
        self.dataset, self.spec, self.batch_size = dataset, PendulumSpec.from_config(dataset), batch_size

    def batch(self, rng: np.random.Generator) -> np.ndarray:
        idx = rng.integers(0, self.dataset["train_videos"], size=self.batch_size)
        return self.spec.videos(pool_seeds(self.dataset, TRAIN_STREAM, idx), self.dataset["train_length"])[0]


class ShapeSteps(_Steps):
    """Moving Shapes videos, each from its own seed ``[train_seed, TRAIN_STREAM, seed, step, b]`` (fresh labels every
    video); item s is uint8 ``(B, T, H, W, 3)``."""

    def __init__(self, dataset: dict, batch_size: int, seed: int, start: int, stop: int):
        super().__init__(seed, start, stop)
        self.dataset, self.spec, self.batch_size = dataset, MovingShapesSpec.from_config(dataset), batch_size

    def batch_at(self, step: int) -> np.ndarray:
        seeds = [[self.dataset["train_seed"], moving_shapes.TRAIN_STREAM, self.seed, step, b]
                 for b in range(self.batch_size)]
        return self.spec.videos(seeds, self.dataset["train_length"])[0]


class StoredClipSteps(_Steps):
    """Training clips from a stored split, drawn as :mod:`latentvideo.data.clip_sampling` says; item s is
    uint8 ``(B, seq_len, H, W, C)`` of ``stream``. Reads only the clips' frames (memory-mapped shards)."""

    def __init__(self, split: StoredSplit, sampling: ClipSampling, batch_size: int, seq_len: int, seed: int,
                 start: int, stop: int, stream: str = "frames"):
        super().__init__(seed, start, stop)
        self.split, self.sampling, self.batch_size, self.seq_len = split, sampling, batch_size, seq_len
        self.stream = stream
        self.eligible = eligible_videos(split, sampling.span(seq_len))

    def batch_at(self, step: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, 2, step])
        videos = step_videos(self.eligible, self.sampling, self.batch_size, self.seed, step, rng)
        return draw_clips(self.split, self.sampling, videos, self.seq_len, rng, self.stream)


def to_float_video(batch: torch.Tensor) -> torch.Tensor:
    """uint8 ``(B, T, H, W, C)`` -> float ``(T, B, C, H, W)`` in [0, 1]; stored float frames (TIMIT's log
    spectra) keep their values."""
    out = batch.permute(1, 0, 4, 2, 3).float()
    return out.div_(255.0) if batch.dtype == torch.uint8 else out
