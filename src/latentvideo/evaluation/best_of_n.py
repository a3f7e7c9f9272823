"""Best-of-N evaluation as SRVP's ``test.py`` does it: for every test video draw N futures and keep, for
each metric separately, the sample that scores best on that metric averaged over the predicted frames.
So best-PSNR and best-SSIM may be different samples of the same video."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import torch

from latentvideo.evaluation.tidy import PSNR_CAP_DB
from latentvideo.metrics.psnr import psnr
from latentvideo.metrics.ssim import ssim

Sampler = Callable[[torch.Tensor, int, int], torch.Tensor]
"""(cond (Tc, B, C, H, W), n_future, n_samples) -> (n_samples, n_future, B, C, H, W) in [0, 1]."""

Score = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""(prediction, target), both ``(..., C, H, W)`` in [0, 1] -> one score per frame ``(...)``."""


class FrameMetric(NamedTuple):
    """A frame metric and which way is better (PSNR, SSIM: higher; LPIPS: lower). A plain :data:`Score` given to
    :func:`best_of_n` counts as higher-is-better."""

    score: Score
    higher_is_better: bool = True


def frame_metrics() -> dict[str, FrameMetric]:
    """SRVP's and SVG's frame metrics: PSNR in dB (capped, see ``PSNR_CAP_DB``) and SSIM."""
    return {"psnr": FrameMetric(lambda pred, target: psnr(pred, target, max_db=PSNR_CAP_DB)),
            "ssim": FrameMetric(ssim)}


def lpips_metric(model: torch.nn.Module, chunk: int = 256) -> FrameMetric:
    """LPIPS (:mod:`latentvideo.metrics.lpips`) with ``model`` (loaded from the user's weight files); lower is
    better, so best-of-N keeps the sample of the smallest mean distance."""
    from latentvideo.metrics.lpips import lpips_distance

    return FrameMetric(lambda pred, target: lpips_distance(model, pred, target, chunk), higher_is_better=False)


class BestOfN(NamedTuple):
    """Per-frame scores of the best sample per metric, ``{metric: (B, n_future)}``, plus frames for figures.

    best_frames / worst_frames: ``{metric: (n_future, K, C, H, W)}``, the frames of the sample that is best /
    worst on average w.r.t. each metric, for the first K videos of the batch (``keep``); first_sample_frames:
    sample #1 (a random sample) of those videos.
    """

    scores: dict[str, torch.Tensor]
    best_frames: dict[str, torch.Tensor]
    worst_frames: dict[str, torch.Tensor]
    first_sample_frames: torch.Tensor


def _pick(frames: torch.Tensor, picked: torch.Tensor, replace: torch.Tensor, current: torch.Tensor | None
          ) -> torch.Tensor:
    """Frames ``(n_future, K, ...)`` of sample ``picked[v]`` of ``frames (k, n_future, K, ...)`` for video v,
    where ``replace[v]``; ``current`` elsewhere."""
    videos = torch.arange(frames.shape[2], device=frames.device)
    chosen = frames[picked.to(frames.device), :, videos].transpose(0, 1).cpu()
    if current is None:
        return chosen
    return torch.where(replace[None, :, None, None, None], chosen, current)


def best_of_n(sampler: Sampler, cond: torch.Tensor, target: torch.Tensor, n_samples: int,
              metrics: Mapping[str, FrameMetric | Score] | None = None, chunk: int = 10,
              keep: int | None = None) -> BestOfN:
    """Score ``n_samples`` futures of ``cond`` against ``target: (n_future, B, C, H, W)``, in chunks of samples.

    ``metrics`` (default :func:`frame_metrics`) are ``{name: FrameMetric}`` (a bare function: higher is better);
    the scores returned are the metric's own. For the first ``keep`` videos (default all) the frames of the
    best and of the worst sample w.r.t. each metric are kept (SRVP's ``test.py`` saves both), and those of the
    first sample. Metrics are computed on the device the sampler returns (the GPU at paper budgets); only the
    scores and the kept frames come back to the CPU, so memory is bounded by one chunk of samples.
    """
    metrics = {name: m if isinstance(m, FrameMetric) else FrameMetric(m)
               for name, m in (metrics or frame_metrics()).items()}
    n_future, b = target.shape[:2]
    keep = b if keep is None else min(keep, b)
    best: dict[str, torch.Tensor] = {}
    best_mean = {name: torch.full((b,), -float("inf"), dtype=torch.float64) for name in metrics}
    worst_mean = {name: torch.full((b,), float("inf"), dtype=torch.float64) for name in metrics}
    best_frames: dict[str, torch.Tensor] = {}
    worst_frames: dict[str, torch.Tensor] = {}
    first = None
    done = 0
    while done < n_samples:
        k = min(chunk, n_samples - done)
        preds = sampler(cond, n_future, k).clamp(0, 1)  # (k, n_future, B, C, H, W)
        tgt = target.to(preds.device).unsqueeze(0).expand_as(preds)
        if first is None:
            first = preds[0, :, :keep].cpu()
        videos = torch.arange(b)
        for name, metric in metrics.items():
            s = metric.score(preds, tgt).double().cpu()  # (k, n_future, B)
            if not metric.higher_is_better:
                s = -s  # compared negated, returned as the metric's own values below
            per_sample = s.mean(dim=1)  # (k, B)
            cand_val, cand_idx = per_sample.max(dim=0)  # best sample of this chunk, per video
            better = cand_val > best_mean[name]
            chosen = s[cand_idx, :, videos]  # (B, n_future)
            best[name] = torch.where(better[:, None], chosen, best.get(name, chosen))
            best_mean[name] = torch.where(better, cand_val, best_mean[name])
            low_val, low_idx = per_sample.min(dim=0)
            worse = low_val < worst_mean[name]
            worst_mean[name] = torch.where(worse, low_val, worst_mean[name])
            if keep:
                kept = preds[:, :, :keep]
                best_frames[name] = _pick(kept, cand_idx[:keep], better[:keep], best_frames.get(name))
                worst_frames[name] = _pick(kept, low_idx[:keep], worse[:keep], worst_frames.get(name))
        done += k
    own = {name: best[name] if m.higher_is_better else -best[name] for name, m in metrics.items()}
    if not keep:
        empty = target.new_zeros(n_future, 0, *target.shape[2:]).cpu()
        best_frames = worst_frames = {name: empty for name in metrics}
    return BestOfN(own, best_frames, worst_frames, first)
