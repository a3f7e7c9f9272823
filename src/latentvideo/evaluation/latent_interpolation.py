"""Protocol ``latent_interpolation`` (SRVP Figure 9): interpolate the initial latent state between two videos.

Test videos are paired in order (0 with 1, 2 with 3, ...). For each pair the model infers y_1 of both from
their first k frames, decodes trajectories from ``steps`` initial states linearly interpolated between them
(``model.interpolate_initial_state``), and reconstructs both videos. SRVP's figure uses single-digit
deterministic Moving MNIST: an evaluation variant names that test set (``dataset``).

Files: ``metrics.csv`` with ``reconstruction_psnr`` (dB, per frame and mean: the end videos against their
reconstructions, the quality the interpolation rests on); ``samples.npz`` with uint8 ``(P, T, H, W, C)``
``source``, ``target``, ``source_reconstruction``, ``target_reconstruction`` and ``(P, steps, T, H, W, C)``
``trajectories`` for the first ``saved_videos`` pairs.
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

DEFAULT_STEPS = 6


def run(job: EvaluationJob) -> ProtocolResult:
    steps = job.variant_settings.get("steps", DEFAULT_STEPS)
    videos = StoredSplit(job.testset, verify=True).read(job.evaluation["test_videos"])
    pairs = len(videos) // 2
    if pairs == 0:
        raise ValueError(f"{job.testset}: latent interpolation needs two test videos, it holds {len(videos)}")
    torch.manual_seed(EVAL_SEED)
    x = torch.from_numpy(to_model_layout(videos[: 2 * pairs])).to(job.device)  # (T, 2P, C, H, W)
    scores, kept = [], {k: [] for k in ("source", "target", "source_reconstruction", "target_reconstruction",
                                        "trajectories")}
    batch = job.evaluation["batch_size"]
    for start in range(0, pairs, batch):
        src, tgt = x[:, 2 * start : 2 * (start + batch) : 2], x[:, 2 * start + 1 : 2 * (start + batch) : 2]
        result = job.model.interpolate_initial_state(src, tgt, n_frames=x.shape[0], steps=steps)
        ends = torch.cat([result.source_reconstruction, result.target_reconstruction], 1).clamp(0, 1)
        scores.append(psnr(ends.cpu(), torch.cat([src, tgt], 1).cpu()).transpose(0, 1).double().numpy())
        keep = max(0, min(job.evaluation["saved_videos"] - sum(len(k) for k in kept["source"]), src.shape[1]))
        if keep:
            kept["source"].append(to_uint8(src[:, :keep]))
            kept["target"].append(to_uint8(tgt[:, :keep]))
            kept["source_reconstruction"].append(to_uint8(result.source_reconstruction[:, :keep]))
            kept["target_reconstruction"].append(to_uint8(result.target_reconstruction[:, :keep]))
            kept["trajectories"].append(np.stack([to_uint8(tr[:, :keep]) for tr in result.trajectories], 1))
    per_frame = np.concatenate(scores)  # (2P, T)
    meta = {**job.meta, "samples": 1, "test_videos": 2 * pairs}
    rows = metric_rows(meta, "reconstruction_psnr", per_frame, 1)
    summary = write_results(job.out_dir, rows, {"steps": np.int64(steps),
                                                **{k: np.concatenate(v) for k, v in kept.items()}})
    statement = (f"{trained_at(meta)}, {pairs} pairs "
                 f"of {meta['dataset']} test videos, {steps} interpolation steps")
    return ProtocolResult(summary, statement)


SETTINGS: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
PROTOCOLS = {"latent_interpolation": ProtocolSpec(
    run=run, settings_schema=SETTINGS, variant_keys=frozenset({"steps"}),
    requires=("interpolate_initial_state",),
    description="SRVP Fig. 9: trajectories from initial latent states interpolated between two videos")}
