"""Best-of-N picks the best sample per metric and per video; baselines and tidy rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from latentvideo.evaluation.baselines import copy_last, mean_frame
from latentvideo.evaluation.best_of_n import FrameMetric, best_of_n, frame_metrics
from latentvideo.evaluation.tidy import COLUMNS, metric_rows, to_frame
from latentvideo.metrics.psnr import psnr
from latentvideo.metrics.ssim import ssim


@pytest.mark.parametrize("chunk", [1, 2])
def test_best_sample_is_chosen_per_metric_and_per_video(chunk):
    torch.manual_seed(0)
    target = torch.rand(3, 2, 1, 32, 32)  # (T, B, C, H, W)
    # sample 0: small uniform noise on video 0 (good PSNR), sample 1: contrast-preserving shift
    s0 = target + 0.05 * torch.randn_like(target)
    s1 = target.clone()
    s1[:, 0] = target[:, 0] * 0.5 + 0.25  # video 0: poor PSNR, decent structure
    s1[:, 1] = target[:, 1] + 0.01  # video 1: near-perfect
    s0[:, 1] = 1 - target[:, 1]  # video 1: terrible
    candidates = torch.stack([s0, s1]).clamp(0, 1)  # (S, T, B, C, H, W)

    drawn = []

    def sampler(cond, n_future, n):  # hands out the candidates in order, n at a time
        start = sum(drawn)
        drawn.append(n)
        return candidates[start : start + n]

    result = best_of_n(sampler, target[:1], target, n_samples=2, chunk=chunk)
    scores_p = psnr(candidates, target.expand_as(candidates)).mean(1)  # (S, B)
    scores_s = ssim(candidates, target.expand_as(candidates)).mean(1)
    for b in range(2):
        best_p, best_s = int(scores_p[:, b].argmax()), int(scores_s[:, b].argmax())
        assert torch.allclose(result.scores["psnr"][b], psnr(candidates[best_p, :, b], target[:, b]).double())
        assert torch.allclose(result.scores["ssim"][b], ssim(candidates[best_s, :, b], target[:, b]).double())
        assert torch.equal(result.best_frames["psnr"][:, b], candidates[best_p, :, b])
        assert torch.equal(result.best_frames["ssim"][:, b], candidates[best_s, :, b])
        worst_p = int(scores_p[:, b].argmin())
        assert torch.equal(result.worst_frames["psnr"][:, b], candidates[worst_p, :, b])
    assert torch.equal(result.first_sample_frames, candidates[0])
    kept = best_of_n(lambda c, n, k: candidates[:k], target[:1], target, n_samples=2, keep=1)
    assert kept.best_frames["psnr"].shape[1] == kept.first_sample_frames.shape[1] == 1
    assert torch.equal(kept.best_frames["psnr"][:, 0], result.best_frames["psnr"][:, 0])


def test_best_of_n_takes_any_metric_functions():
    """A new metric (here: negative L1) plugs in without touching best_of_n; its best and worst frames are kept."""
    target = torch.rand(2, 1, 1, 8, 8)
    near, far = (target + 0.01).clamp(0, 1), (1 - target)
    candidates = torch.stack([far, near])
    result = best_of_n(lambda c, n, k: candidates[:k], target[:1], target, n_samples=2,
                       metrics={"neg_l1": lambda p, t: -(p - t).abs().mean((-3, -2, -1))})
    assert set(result.scores) == {"neg_l1"}
    assert torch.equal(result.best_frames["neg_l1"], near) and torch.equal(result.worst_frames["neg_l1"], far)


def test_a_lower_is_better_metric_keeps_its_smallest_sample_and_its_own_values():
    target = torch.rand(2, 3, 1, 8, 8)
    near, far = (target + 0.01).clamp(0, 1), (1 - target)
    l1 = lambda p, t: (p - t).abs().mean((-3, -2, -1))  # noqa: E731
    result = best_of_n(lambda c, n, k: torch.stack([far, near])[:k], target[:1], target, n_samples=2,
                       metrics={"l1": FrameMetric(l1, higher_is_better=False), "psnr": frame_metrics()["psnr"]})
    assert torch.allclose(result.scores["l1"], l1(near, target).T.double())  # (B, T), positive
    assert torch.equal(result.best_frames["l1"], near) and torch.equal(result.worst_frames["l1"], far)


def test_baselines_repeat_last_or_mean_frame():
    cond = torch.rand(5, 2, 1, 8, 8)
    out = copy_last(cond, 4, 3)
    assert out.shape == (3, 4, 2, 1, 8, 8) and torch.equal(out[2, 3], cond[-1])
    assert torch.allclose(mean_frame(cond, 4, 1)[0, 0], cond.mean(0))


def test_tidy_rows_have_mean_and_per_t_with_ci():
    meta = {c: "x" for c in COLUMNS if c not in ("metric", "t", "value", "ci95", "n")}
    per_frame = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    frame = to_frame(metric_rows(meta, "psnr", per_frame, first_t=6))
    assert list(frame.columns) == COLUMNS
    assert frame["t"].tolist() == ["mean", "6", "7"]
    mean_row = frame[frame["t"] == "mean"].iloc[0]
    assert mean_row["value"] == 3.5 and mean_row["n"] == 3
    assert np.isclose(mean_row["ci95"], 1.96 * np.std([1.5, 3.5, 5.5]) / np.sqrt(3))
    assert isinstance(frame, pd.DataFrame)
