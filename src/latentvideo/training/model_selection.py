"""Model selection on a validation set (SRVP on KTH and Human3.6M: the official ``model_best.pt``).

Every ``select_every`` steps (and at the last one) the trainer scores the model on fixed validation windows:
condition on the dataset's conditioning frames, draw ``select_samples`` futures per window and keep the best
PSNR over the predicted frames (:func:`latentvideo.evaluation.best_of_n.best_of_n`, the test protocol), then
average over windows. The checkpoint of the best score is kept as ``checkpoints/best.pt`` and becomes
``model.pt``. The draws use their own random stream, so selecting never changes the training run itself.

Deviations from the official ``train.py`` (recorded in the README): its validation draws fresh random windows
each time and picks each window's best sample by the PSNR over all frames (the re-encoded conditioning frames
included); here the windows are drawn once (a reproducible choice) and the best sample is the test protocol's,
by the PSNR of the predicted frames.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from latentvideo.data.shards import to_model_layout
from latentvideo.evaluation.best_of_n import best_of_n, frame_metrics

SELECTION_SEED = 7  # the random stream of the validation samples (forked: training's stream is untouched)
WINDOWS_PER_BATCH = 16  # SRVP's --batch_size_test


class Selected(NamedTuple):
    """The best validation score so far and the step that reached it (resumable state of the run)."""

    step: int
    value: float


@torch.no_grad()
def validation_psnr(model: torch.nn.Module, windows: np.ndarray, cond_frames: int, samples: int,
                    device: torch.device) -> float:
    """Mean over ``windows`` (uint8 ``(V, L, H, W, C)``) of the best-of-``samples`` PSNR (dB) of the frames
    after the first ``cond_frames``, with ``model`` in eval mode; the model's mode is restored afterwards."""
    was_training = model.training
    scores = []
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(SELECTION_SEED)
        model.eval()
        try:
            for start in range(0, len(windows), WINDOWS_PER_BATCH):
                x = torch.from_numpy(to_model_layout(windows[start : start + WINDOWS_PER_BATCH]))
                result = best_of_n(model.sample, x[:cond_frames].to(device), x[cond_frames:], samples,
                                   {"psnr": frame_metrics()["psnr"]}, keep=0)
                scores.append(result.scores["psnr"].mean(dim=1).numpy())
        finally:
            model.train(was_training)
    return float(np.concatenate(scores).mean())


def improves(score: float, best: Selected | None) -> bool:
    """Whether ``score`` (higher is better) beats the best so far (the first score always does)."""
    return best is None or score > best.value
