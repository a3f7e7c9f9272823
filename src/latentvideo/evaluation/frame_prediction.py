"""Protocol ``best_of_n`` (SRVP, SVG and the reference predictors): best-of-N frame metrics of predicted futures.

For every test video: condition on its first ``cond_frames`` frames, draw N futures, score each metric per
predicted frame and keep, per metric, the sample that is best on average (:mod:`best_of_n`). The metrics are
PSNR and SSIM, plus the dataset's ``perceptual_metrics`` (LPIPS on real video, from the user's weight files:
without them LPIPS is recorded as not computed, with the reason). An evaluation variant may pass keyword
arguments to the model's ``sample`` (``sample: {dt: 0.5}``: SRVP's test-time Euler step), change N
(``samples``), and keep the first sample's intermediate frames (``save_intermediate``). A budget's
``evaluation.predicted_frames`` scores (and predicts) only the first frames of each test video's future, and its
``test_videos`` takes at most that many videos of the test split (a raw dataset's split has its own size).

Files: ``metrics.csv`` (tidy, one row per metric and predicted frame, plus ``t = mean``), ``samples.npz`` with
uint8 ``(V, T, H, W, C)`` arrays of the first ``saved_videos`` videos: ``cond``, ``truth``, per computed metric
``best_<metric>`` and ``worst_<metric>`` (the samples best and worst on average w.r.t. it, as SRVP's ``test.py``
saves them), ``first_sample`` (a random sample), and with ``save_intermediate`` ``intermediate``
``(V, n_future * S, H, W, C)`` (every Euler sub-step of one sample) and ``substeps`` (S).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from latentvideo.data.shards import StoredSplit, to_model_layout
from latentvideo.evaluation.best_of_n import Sampler, best_of_n, frame_metrics
from latentvideo.evaluation.perceptual import load_networks, perceptual_frame_metrics
from latentvideo.evaluation.protocols import EvaluationJob, ProtocolResult, ProtocolSpec, trained_at, write_results
from latentvideo.evaluation.tidy import metric_rows, not_computed_rows
from latentvideo.progress import Progress

EVAL_SEED = 1  # SRVP's --test_seed


def to_uint8(frames: torch.Tensor) -> np.ndarray:
    """float ``(T, B, C, H, W)`` in [0, 1] -> uint8 ``(B, T, H, W, C)``."""
    return (frames.clamp(0, 1) * 255).round().byte().permute(1, 0, 3, 4, 2).cpu().numpy()


def sampler_of(job: EvaluationJob) -> Sampler:
    """The job's model's ``sample`` (or a baseline's function) with the variant's ``sample`` arguments bound."""
    options = dict(job.variant_settings.get("sample", {}))
    sample = job.model.sample if hasattr(job.model, "sample") else job.model
    return functools.partial(sample, **options) if options else sample


def _intermediate(job: EvaluationJob, cond: torch.Tensor, n_future: int) -> np.ndarray:
    """One sample with every Euler sub-step decoded (Figure 10), for the videos of ``cond``."""
    with torch.random.fork_rng(devices=[job.device] if job.device.type == "cuda" else []):
        torch.manual_seed(EVAL_SEED)
        frames = job.model.sample(cond, n_future, 1, intermediate=True, **job.variant_settings.get("sample", {}))
    return to_uint8(frames[0])


def perceptual_metrics(dataset: Mapping[str, Any]) -> list[str]:
    """The perceptual metrics best-of-N scores on a dataset besides PSNR and SSIM (its ``perceptual_metrics``)."""
    return list(dataset.get("perceptual_metrics", []))


def scored_windows(job: EvaluationJob) -> tuple[StoredSplit, int, int, int]:
    """The test split (verified), how many of its videos the budget scores, the conditioning frames and the
    number of predicted frames scored (``evaluation.predicted_frames``, at most the future the split holds)."""
    split = StoredSplit(job.testset, verify=True)
    n_videos = min(job.evaluation["test_videos"], len(split))
    cond_frames = job.test_dataset["cond_frames"]
    future = int(split.lengths[0]) - cond_frames
    return split, n_videos, cond_frames, min(job.evaluation.get("predicted_frames") or future, future)


def run(job: EvaluationJob) -> ProtocolResult:
    evaluation = job.evaluation
    n_samples = job.variant_settings.get("samples", evaluation["samples"])
    split, n_videos, cond_frames, horizon = scored_windows(job)
    future = int(split.lengths[0]) - cond_frames
    perceptual = load_networks(perceptual_metrics(job.test_dataset), job.metric_weights, job.device)
    metrics = {**frame_metrics(), **perceptual_frame_metrics(perceptual)}
    scores: dict[str, list[np.ndarray]] = {name: [] for name in metrics}
    chosen = [f"{which}_{name}" for name in metrics for which in ("best", "worst")]
    saved: dict[str, list[np.ndarray]] = {key: [] for key in ("cond", "truth", *chosen, "first_sample")}
    if job.variant_settings.get("save_intermediate"):
        saved["intermediate"] = []
    sampler = sampler_of(job)
    n_saved = 0
    progress = Progress(f"evaluate {job.meta['experiment']} ({job.variant}), best of {n_samples}", n_videos,
                        unit="video")
    # test videos are read one batch at a time and samples are scored chunk by chunk (best_of_n): memory is
    # bounded by a batch, whatever the number of test videos and samples
    for batch_index, batch in enumerate(split.batches(evaluation["batch_size"], limit=n_videos)):
        start = batch_index * evaluation["batch_size"]
        torch.manual_seed(EVAL_SEED + start)
        x = torch.from_numpy(to_model_layout(batch))
        cond, target = x[:cond_frames].to(job.device), x[cond_frames : cond_frames + horizon]
        keep = max(0, min(evaluation["saved_videos"] - n_saved, x.shape[1]))
        result = best_of_n(sampler, cond, target, n_samples, metrics, keep=keep)
        for name in metrics:
            scores[name].append(result.scores[name].numpy())
        if keep:
            saved["cond"].append(to_uint8(x[:cond_frames, :keep]))
            saved["truth"].append(to_uint8(target[:, :keep]))
            for name in metrics:
                saved[f"best_{name}"].append(to_uint8(result.best_frames[name]))
                saved[f"worst_{name}"].append(to_uint8(result.worst_frames[name]))
            saved["first_sample"].append(to_uint8(result.first_sample_frames))
            if "intermediate" in saved:
                saved["intermediate"].append(_intermediate(job, cond[:, :keep], target.shape[0]))
            n_saved += keep
        progress.update(start + len(batch), {
            f"best {name}": sum(float(a.sum()) for a in scores[name]) / sum(a.size for a in scores[name])
            for name in metrics})
    progress.close()
    meta = {**job.meta, "samples": n_samples, "test_videos": n_videos}
    rows = [row for name in metrics for row in metric_rows(meta, name, np.concatenate(scores[name]), cond_frames + 1)]
    rows += [row for name, why in perceptual.not_computed.items() for row in not_computed_rows(meta, name, why)]
    arrays = {k: np.concatenate(v) if v else np.empty(0, np.uint8) for k, v in saved.items()}
    if "intermediate" in saved:
        arrays["substeps"] = np.int64(arrays["intermediate"].shape[1] // max(1, arrays["truth"].shape[1]))
    summary = write_results(job.out_dir, rows, arrays)
    head = f"budget {meta['budget']}:" if meta["paper"] == "reference" else f"{trained_at(meta)},"
    variant = "" if job.variant == "standard" else f", evaluation {job.variant}"
    scored = f", the first {horizon} of {future} predicted frames scored" if horizon < future else ""
    statement = (f"{head} {n_videos} test videos, best of {n_samples}, "
                 f"data {meta['digit_source']}{scored}{variant}")
    return ProtocolResult(summary, statement, record={"metric_weights": perceptual.weights, "test_videos": n_videos},
                          not_computed=perceptual.not_computed)


SETTINGS: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
PROTOCOLS = {"best_of_n": ProtocolSpec(
    run=run, settings_schema=SETTINGS, variant_keys=frozenset({"sample", "samples", "save_intermediate"}),
    perceptual_metrics=perceptual_metrics,
    description="best-of-N PSNR / SSIM per predicted frame (SRVP's test.py)")}
