"""Protocol ``fvd`` (SRVP Table 1 and Table 10): the Fréchet video distance of predicted videos.

As SRVP's ``test.py --fvd``: each test video's real version is its conditioning frames followed by the ground
truth, its generated version the same conditioning frames followed by one random sample of the model, and
the FVD (:mod:`latentvideo.metrics.fvd`) compares the I3D embeddings of the two sets. The paper reports the
mean and a 95% interval over five such sets of samples (Table 1); here ``budgets.<b>.evaluation.fvd_sets``
sets (default 5), each a fresh sample per video. An evaluation variant may pass keyword arguments to the
model's ``sample`` (``sample: {dt: 0.25}``: Table 1's "Ours - Δt/2"). The budget's ``predicted_frames`` and
``test_videos`` apply as for best-of-N. The I3D weights are the user's (``metric_weights.i3d``): without
them FVD is recorded as not computed, with the reason.

Files: ``metrics.csv`` (one ``fvd`` row, ``t = mean``: mean over sets, 95% half-width over sets, n = test
videos per set), ``samples.npz`` with ``fvd_per_set`` ``(sets,)`` and uint8 ``(V, T, H, W, C)`` ``cond``,
``truth`` and ``sample`` (set 1) of the first ``saved_videos`` videos.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from latentvideo.data.shards import to_model_layout
from latentvideo.evaluation.frame_prediction import EVAL_SEED, sampler_of, scored_windows, to_uint8
from latentvideo.evaluation.perceptual import load_networks
from latentvideo.evaluation.protocols import EvaluationJob, ProtocolResult, ProtocolSpec, trained_at, write_results
from latentvideo.evaluation.tidy import mean_rows, not_computed_rows
from latentvideo.metrics.fvd import embed, fvd
from latentvideo.progress import Progress

DEFAULT_SETS = 5  # SRVP Table 1: five sets of samples


def _videos(cond: torch.Tensor, future: torch.Tensor) -> torch.Tensor:
    """``cond (Tc, B, C, H, W)`` and ``future (Tf, B, C, H, W)`` -> whole videos ``(B, Tc + Tf, C, H, W)``."""
    return torch.cat([cond, future.to(cond.device)]).transpose(0, 1)


def run(job: EvaluationJob) -> ProtocolResult:
    evaluation, sets = job.evaluation, job.evaluation.get("fvd_sets", DEFAULT_SETS)
    split, n_videos, cond_frames, horizon = scored_windows(job)
    meta = {**job.meta, "samples": 1, "test_videos": n_videos}
    variant = "" if job.variant == "fvd" else f", evaluation {job.variant}"
    statement = (f"{trained_at(meta)}, FVD over {sets} sets of one sample per test video, {n_videos} test videos of "
                 f"{cond_frames} conditioning + {horizon} predicted frames{variant}")
    loaded = load_networks(["fvd"], job.metric_weights, job.device)
    if "fvd" not in loaded.networks:
        summary = write_results(job.out_dir, not_computed_rows(meta, "fvd", loaded.not_computed["fvd"]),
                                {"fvd_per_set": np.empty(0)})
        return ProtocolResult(summary, statement, not_computed=loaded.not_computed, record={"test_videos": n_videos})
    i3d, sampler = loaded.networks["fvd"], sampler_of(job)
    real, fakes = [], [[] for _ in range(sets)]
    saved: dict[str, list[np.ndarray]] = {"cond": [], "truth": [], "sample": []}
    progress = Progress(f"FVD {job.meta['experiment']} ({job.variant}), {sets} sets", n_videos, unit="video")
    for batch_index, batch in enumerate(split.batches(evaluation["batch_size"], limit=n_videos)):
        start = batch_index * evaluation["batch_size"]
        torch.manual_seed(EVAL_SEED + start)
        x = torch.from_numpy(to_model_layout(batch))
        cond, target = x[:cond_frames].to(job.device), x[cond_frames : cond_frames + horizon]
        real.append(embed(i3d, [_videos(cond, target)]))
        for k in range(sets):
            sample = sampler(cond, horizon, 1)[0].clamp(0, 1)  # (horizon, B, C, H, W)
            fakes[k].append(embed(i3d, [_videos(cond, sample)]))
            keep = max(0, min(evaluation["saved_videos"] - sum(len(v) for v in saved["cond"]), x.shape[1]))
            if k == 0 and keep:
                saved["cond"].append(to_uint8(x[:cond_frames, :keep]))
                saved["truth"].append(to_uint8(target[:, :keep]))
                saved["sample"].append(to_uint8(sample[:, :keep]))
        progress.update(start + len(batch))
    progress.close()
    real_embeddings = np.concatenate(real)
    per_set = np.array([fvd(real_embeddings, np.concatenate(f)) for f in fakes])
    rows = mean_rows(meta, "fvd", per_set)
    rows[0]["n"] = n_videos  # the interval is over sets; each set compares n_videos videos with as many real ones
    arrays = {"fvd_per_set": per_set, **{k: np.concatenate(v) if v else np.empty(0, np.uint8) for k, v in saved.items()}}
    summary = write_results(job.out_dir, rows, arrays)
    return ProtocolResult(summary, statement, record={"metric_weights": loaded.weights, "fvd_per_set": per_set.tolist(),
                                                      "test_videos": n_videos})


SETTINGS: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
PROTOCOLS = {"fvd": ProtocolSpec(
    run=run, settings_schema=SETTINGS, variant_keys=frozenset({"sample"}), requires=("sample",),
    perceptual_metrics=lambda dataset: ["fvd"],
    description="Fréchet video distance of one random sample per test video, over several sets (SRVP Table 1)")}
