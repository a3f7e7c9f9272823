"""Protocol ``test_elbo`` (SRVP Table 6, Pendulum): the evidence lower bound of each whole test video.

For every test video (all its frames observed): the model's ``elbo`` (``log p(x | y) - KL(q(y_1) || p) -
sum_t KL(q(z_t) || p(z_t | y_{t-1}))``, weights 1, no residual penalty), averaged over ``posterior_samples``
draws of the posterior, in nats per video. Reported with its log-likelihood and KL terms, mean and 95% CI
over test videos.

Files: ``metrics.csv`` (tidy: metrics ``elbo_per_video``, ``log_likelihood_per_video``, ``kl_y_per_video``,
``kl_z_per_video``; ``t = mean``), and
``samples.npz`` with the first ``saved_videos`` test videos (``truth``) and their reconstructions
(``reconstruction``), uint8 ``(V, T, H, W, C)``.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import torch

from latentvideo.data.shards import StoredSplit, to_model_layout
from latentvideo.evaluation.frame_prediction import EVAL_SEED, to_uint8
from latentvideo.evaluation.protocols import EvaluationJob, ProtocolResult, ProtocolSpec, trained_at, write_results
from latentvideo.evaluation.tidy import mean_rows

TERMS = ("elbo", "log_likelihood", "kl_y", "kl_z")


@torch.no_grad()
def run(job: EvaluationJob) -> ProtocolResult:
    evaluation, meta = job.evaluation, job.meta
    draws = job.protocol.get("posterior_samples", 1)
    videos = StoredSplit(job.testset, verify=True).read(evaluation["test_videos"])
    if len(videos) < evaluation["test_videos"]:
        raise ValueError(f"{job.testset} holds {len(videos)} videos, the budget asks for {evaluation['test_videos']}")
    per_video: dict[str, list[np.ndarray]] = {term: [] for term in TERMS}
    saved: dict[str, list[np.ndarray]] = {"truth": [], "reconstruction": []}
    for start in range(0, len(videos), evaluation["batch_size"]):
        torch.manual_seed(EVAL_SEED + start)
        x = torch.from_numpy(to_model_layout(videos[start : start + evaluation["batch_size"]])).to(job.device)
        terms = [job.model.elbo(x) for _ in range(draws)]
        for term in TERMS:
            per_video[term].append(torch.stack([getattr(t, term) for t in terms]).mean(0).cpu().numpy())
        keep = max(0, min(evaluation["saved_videos"] - sum(len(v) for v in saved["truth"]), x.shape[1]))
        if keep:
            saved["truth"].append(to_uint8(x[:, :keep]))
            saved["reconstruction"].append(to_uint8(job.model(x[:, :keep]).recon))
        print(f"[latentvideo] ELBO of {min(start + evaluation['batch_size'], len(videos))}/{len(videos)} videos",
              file=sys.stderr)
    rows = [row for term in TERMS for row in mean_rows(meta, f"{term}_per_video", np.concatenate(per_video[term]))]
    summary = write_results(job.out_dir, rows, {k: np.concatenate(v) for k, v in saved.items()})
    statement = (f"{trained_at(meta)}, {len(videos)} test videos of {videos.shape[1]} frames, nats per video, "
                 f"{draws} posterior sample(s) per video")
    return ProtocolResult(summary, statement)


SETTINGS: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {
    "posterior_samples": {"type": "integer", "minimum": 1, "description": "posterior draws averaged per video"}}}
PROTOCOLS = {"test_elbo": ProtocolSpec(
    run=run, settings_schema=SETTINGS, requires=("elbo",),
    description="ELBO of whole test videos, nats per video (SRVP Table 6)")}
