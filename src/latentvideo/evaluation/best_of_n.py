"""Best-of-N evaluation as SRVP's ``test.py`` does it: for every test video draw N futures and keep, for
each metric separately, the sample that scores best on that metric averaged over the predicted frames.
So best-PSNR and best-SSIM may be different samples of the same video."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import torch

from latentvideo.metrics import psnr, ssim

PSNR_CAP_DB = 100.0
"""A frame predicted exactly (mse = 0, e.g. copy-last on a video that returns to its last conditioning
frame) would make the mean PSNR infinite; its PSNR is capped at 100 dB (an mse of 1e-10)."""

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

    best_frames: ``(n_future, B, C, H, W)`` the best sample w.r.t. the first metric; first_sample_frames:
    sample #1.
    """

    scores: dict[str, torch.Tensor]
    best_frames: torch.Tensor
    first_sample_frames: torch.Tensor


def best_of_n(sampler: Sampler, cond: torch.Tensor, target: torch.Tensor, n_samples: int,
              metrics: Mapping[str, FrameMetric | Score] | None = None, chunk: int = 10) -> BestOfN:
    """Score ``n_samples`` futures of ``cond`` against ``target: (n_future, B, C, H, W)``, in chunks of samples.

    ``metrics`` (default :func:`frame_metrics`) are ``{name: FrameMetric}`` (a bare function: higher is better);
    the scores returned are the metric's own, the frames kept are those of the best sample w.r.t. the first. Metrics are computed on the device the sampler returns (the GPU
    at paper budgets); only the scores and the frames kept for figures come back to the CPU.
    """
    metrics = {name: m if isinstance(m, FrameMetric) else FrameMetric(m)
               for name, m in (metrics or frame_metrics()).items()}
    first_metric = next(iter(metrics))
    n_future, b = target.shape[:2]
    best: dict[str, torch.Tensor] = {}
    best_mean = {name: torch.full((b,), -float("inf"), dtype=torch.float64) for name in metrics}
    best_frames = first = None
    done = 0
    while done < n_samples:
        k = min(chunk, n_samples - done)
        preds = sampler(cond, n_future, k).clamp(0, 1)  # (k, n_future, B, C, H, W)
        tgt = target.to(preds.device).unsqueeze(0).expand_as(preds)
        if first is None:
            first = preds[0].cpu()
        videos = torch.arange(b)
        for name, metric in metrics.items():
            s = metric.score(preds, tgt).double().cpu()  # (k, n_future, B)
            if not metric.higher_is_better:
                s = -s  # compared negated, returned as the metric's own values below
            cand_val, cand_idx = s.mean(dim=1).max(dim=0)  # best sample of this chunk, per video
            better = cand_val > best_mean[name]
            chosen = s[cand_idx, :, videos]  # (B, n_future)
            best[name] = torch.where(better[:, None], chosen, best.get(name, chosen))
            best_mean[name] = torch.where(better, cand_val, best_mean[name])
            if name == first_metric:
                frames = preds[cand_idx.to(preds.device), :, videos.to(preds.device)].transpose(0, 1).cpu()
                best_frames = frames if best_frames is None else torch.where(
                    better[None, :, None, None, None], frames, best_frames)
        done += k
    own = {name: best[name] if m.higher_is_better else -best[name] for name, m in metrics.items()}
    return BestOfN(own, best_frames, first)
