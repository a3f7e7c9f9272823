"""What R-WAE's disentanglement evaluations generate and how a judge scores it (Tables 2, 3 and 9; Fig. 2).

For test videos ``x: (T, B, C, H, W)`` in [0, 1] and a model with a :class:`SequenceCoder` (``model.coder``):

* **fixed content** (Table 2's SM-MNIST and "content" columns): z^c is the posterior mean of each test video,
  z^m_1:T (and a) are drawn from the priors; a judge should still find the video's static labels;
* **fixed motion** (the "actions" columns, Table 9's dynamic factors): z^m_1:T (and a) are the test video's
  posterior samples, z^c is drawn from N(0, I); a judge should still find its dynamic labels;
* **swaps** (Fig. 2): the content of video i with the motion of video j and the reverse.

:func:`factor_scores` turns the judge's probabilities on such videos into accuracy on the labels of the
held-fixed factor, IS, H(y|x) and H(y) (:mod:`latentvideo.metrics.judge_scores`); the frame-level FID compares
the judge's per-frame features of generated and real frames (:mod:`latentvideo.metrics.frechet`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import torch

from latentvideo.metrics.frechet import frechet_distance, gaussian
from latentvideo.metrics.judge_scores import JudgeScores, judge_scores
from latentvideo.models.judge import VideoJudge
from latentvideo.models.sequence_disentangling import SequenceCoder

HELD = ("content", "motion")


class Swaps(NamedTuple):
    """Fig. 2 for pairs (a, b) of test videos, each ``(T, P, C, H, W)`` in [0, 1]: the originals, z^c of a with
    the motion of b, and z^c of b with the motion of a."""

    first: torch.Tensor
    second: torch.Tensor
    content_first_motion_second: torch.Tensor
    content_second_motion_first: torch.Tensor


@torch.no_grad()
def generate_holding(coder: SequenceCoder, x: torch.Tensor, held: str) -> torch.Tensor:
    """Videos ``(T, B, C, H, W)`` that keep the ``held`` code (``content`` or ``motion``) of ``x`` and draw the
    other from its prior (module docstring)."""
    if held not in HELD:
        raise ValueError(f"held must be one of {HELD}, got {held!r}")
    steps, batch = x.shape[:2]
    code = coder.encode(x)
    prior = coder.prior_code(steps, batch, x.device)
    if held == "content":
        return coder.frames(code.content_q.mean, prior.motion, prior.action)
    return coder.frames(prior.content, code.motion, code.action)


@torch.no_grad()
def swaps(coder: SequenceCoder, first: torch.Tensor, second: torch.Tensor) -> Swaps:
    """Exchange the motion of paired videos ``first`` and ``second`` (both ``(T, P, C, H, W)``)."""
    a, b = coder.encode(first), coder.encode(second)
    return Swaps(first, second, coder.frames(a.content_q.mean, b.motion, b.action),
                 coder.frames(b.content_q.mean, a.motion, a.action))


@torch.no_grad()
def judge_outputs(judge: VideoJudge, videos: torch.Tensor) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The judge's ``{factor: (B, K)}`` probabilities and its per-frame features ``(T * B, F)`` of ``videos``."""
    out = judge(videos)
    return ({name: p.cpu().numpy() for name, p in out.probabilities().items()},
            out.frame_features.flatten(0, 1).cpu().numpy())


def factor_scores(probabilities: Mapping[str, np.ndarray], labels: Mapping[str, np.ndarray],
                  factors: tuple[str, ...]) -> dict[str, JudgeScores]:
    """Scores of the held-fixed ``factors``: each factor's probabilities ``(N, K)`` against its labels ``(N,)``."""
    missing = [f for f in factors if f not in probabilities or f not in labels]
    if missing:
        raise ValueError(f"factors {missing} have no judge head or no test labels (judge: {sorted(probabilities)}, "
                         f"labels: {sorted(labels)})")
    return {f: judge_scores(probabilities[f], labels[f]) for f in factors}


def frame_fid(real_features: np.ndarray, generated_features: np.ndarray) -> float:
    """The Fréchet distance of Gaussians fitted to the judge's per-frame features ``(N, F)`` of real and of
    generated frames (R-WAE's "frame-level FID"; the paper does not say which network: here the judge's)."""
    return frechet_distance(*gaussian(real_features), *gaussian(generated_features))
