"""How training clips are drawn from a stored split, as each dataset's official loader draws them.

A clip of ``length`` frames taken every ``step`` frames spans ``(length - 1) * step + 1`` stored frames.
Only videos at least that long are drawn (SRVP's loaders redraw until the video is long enough, which is
the same as drawing uniformly among those), and the first frame is uniform over every start that fits, so
any phase of a subsampled video appears (SRVP's Human3.6M loader: 50 Hz video, one frame in 8).

Two orders of videos:

- ``uniform``: each clip's video is drawn uniformly with replacement (SRVP's KTH and Human3.6M datasets
  ignore the loader's index and draw a random video every time);
- ``epochs``: the videos are visited in a fresh random permutation every epoch, ``batch_size`` at a time,
  the incomplete last batch dropped (a shuffled ``DataLoader`` with ``drop_last=True``: SRVP's BAIR).

Every draw is a pure function of ``(seed, step)``, so a resumed run sees the batches an uninterrupted one
would have seen, for any number of loader workers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentvideo.data.shards import StoredSplit

ORDERS = ("uniform", "epochs")
EPOCH_STREAM = 5  # default_rng([seed, 5, epoch]) permutes the videos of an epoch


@dataclass(frozen=True)
class ClipSampling:
    """``step``: keep one stored frame in ``step``; ``order``: ``uniform`` or ``epochs`` (see the module)."""

    step: int = 1
    order: str = "uniform"

    def __post_init__(self) -> None:
        if self.step < 1 or self.order not in ORDERS:
            raise ValueError(f"clip sampling needs step >= 1 and order in {ORDERS}, got {self.step}, {self.order!r}")

    def span(self, length: int) -> int:
        """Stored frames a clip of ``length`` frames covers."""
        return (length - 1) * self.step + 1

    def describe(self, length: int) -> str:
        every = f", one frame in {self.step} at a random phase" if self.step > 1 else ""
        order = "a random permutation of the videos per epoch" if self.order == "epochs" else "random videos"
        return f"{length}-frame windows at random starts of {order}{every}"


def eligible_videos(split: StoredSplit, span: int) -> np.ndarray:
    """Indices of the videos of ``split`` with at least ``span`` frames; an error names the longest if none."""
    eligible = np.flatnonzero(split.lengths >= span)
    if not len(eligible):
        raise ValueError(f"{split.path}: no video has the {span} frames a training clip spans (longest: "
                         f"{int(split.lengths.max())}); shorten train_length")
    return eligible


def draw_clips(split: StoredSplit, sampling: ClipSampling, videos: np.ndarray, length: int,
               rng: np.random.Generator, stream: str = "frames") -> np.ndarray:
    """One clip per entry of ``videos`` (indices into ``split``), each at a random start drawn from ``rng``:
    uint8 ``(len(videos), length, H, W, C)`` of ``stream``."""
    span = sampling.span(length)
    starts = rng.integers(0, split.lengths[videos] - span + 1)
    return np.stack([split.window(int(v), int(s), length, sampling.step, stream) for v, s in zip(videos, starts)])


def step_videos(eligible: np.ndarray, sampling: ClipSampling, batch_size: int, seed: int, step: int,
                rng: np.random.Generator) -> np.ndarray:
    """The videos of training step ``step`` (``rng``: that step's generator, for the ``uniform`` order)."""
    if sampling.order == "uniform":
        return eligible[rng.integers(0, len(eligible), size=batch_size)]
    per_epoch = len(eligible) // batch_size
    if per_epoch == 0:
        raise ValueError(f"{len(eligible)} training videos cannot fill one batch of {batch_size} (the epoch "
                         f"order drops incomplete batches)")
    epoch, position = divmod(step, per_epoch)
    order = np.random.default_rng([seed, EPOCH_STREAM, epoch]).permutation(len(eligible))
    return eligible[order[position * batch_size : (position + 1) * batch_size]]
