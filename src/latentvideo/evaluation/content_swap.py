"""Protocol ``content_swap`` (SRVP Figure 11): content from one video, dynamics from another.

Test videos are paired in order (0 with 1, ...): the model takes its content variable w (and skips) from the
conditioning frames of the first and y, z from the second (``model.swap_content``), re-decodes the second's
conditioning frames and predicts its future with the first's content.

Files: ``metrics.csv`` with ``self_swap_psnr`` (dB, per frame and mean: ``swap_content(x, x)`` against x over
the conditioning frames, i.e. how well content and dynamics recombine when they come from the same video; no
ground truth exists for a swap); ``samples.npz`` with uint8 ``(P, T, H, W, C)`` ``content`` (the content
video), ``dynamics`` (the dynamics video) and ``swapped`` for the first ``saved_videos`` pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from latentvideo.data.shards import StoredSplit, to_model_layout
from latentvideo.evaluation.frame_prediction import EVAL_SEED, to_uint8
from latentvideo.evaluation.protocols import EvaluationJob, ProtocolResult, ProtocolSpec, write_results, trained_at
from latentvideo.evaluation.tidy import metric_rows
from latentvideo.metrics.psnr import psnr


def run(job: EvaluationJob) -> ProtocolResult:
    cond_frames = job.test_dataset["cond_frames"]
    videos = StoredSplit(job.testset, verify=True).read(job.evaluation["test_videos"])
    pairs = len(videos) // 2
    if pairs == 0:
        raise ValueError(f"{job.testset}: a content swap needs two test videos, it holds {len(videos)}")
    torch.manual_seed(EVAL_SEED)
    x = torch.from_numpy(to_model_layout(videos[: 2 * pairs]))
    n_future = x.shape[0] - cond_frames
    scores, kept, batch = [], {"content": [], "dynamics": [], "swapped": []}, job.evaluation["batch_size"]
    for start in range(0, pairs, batch):
        content = x[:cond_frames, 2 * start : 2 * (start + batch) : 2].to(job.device)
        dynamics = x[:cond_frames, 2 * start + 1 : 2 * (start + batch) : 2].to(job.device)
        swapped = job.model.swap_content(content, dynamics, n_future).clamp(0, 1)
        itself = job.model.swap_content(dynamics, dynamics, 0).clamp(0, 1)
        scores.append(psnr(itself.cpu(), dynamics.cpu()).transpose(0, 1).double().numpy())
        keep = max(0, min(job.evaluation["saved_videos"] - sum(len(k) for k in kept["swapped"]), content.shape[1]))
        if keep:
            kept["content"].append(to_uint8(x[:, 2 * start : 2 * (start + keep) : 2]))
            kept["dynamics"].append(to_uint8(x[:, 2 * start + 1 : 2 * (start + keep) : 2]))
            kept["swapped"].append(to_uint8(swapped[:, :keep]))
    meta = {**job.meta, "samples": 1, "test_videos": 2 * pairs}
    rows = metric_rows(meta, "self_swap_psnr", np.concatenate(scores), 1)
    summary = write_results(job.out_dir, rows, {"cond_frames": np.int64(cond_frames),
                                                **{k: np.concatenate(v) for k, v in kept.items()}})
    statement = (f"{trained_at(meta)}, {pairs} pairs "
                 f"of {meta['dataset']} test videos")
    return ProtocolResult(summary, statement)


SETTINGS: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
PROTOCOLS = {"content_swap": ProtocolSpec(
    run=run, settings_schema=SETTINGS, requires=("swap_content",),
    description="SRVP Fig. 11: content variable from one video, dynamics from another")}
