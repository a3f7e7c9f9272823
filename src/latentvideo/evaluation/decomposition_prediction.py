"""Protocol ``decomposition_prediction`` (PROVIDE Figs. 5 and 6): decompositions of frames the model simulates.

The model decomposes the first ``observed`` frames of each test video (Fig. 5: 20, Fig. 6: 10), then simulates
``predicted`` more from its latent dynamics alone (``model.predict``; PROVIDE's conditional prior and
generation, Section 3.2.3). Scored against the ground truth of those future frames:

* ARI and F-ARI of the simulated frames' argmax masks (:mod:`latentvideo.metrics.segmentation`), per predicted
  frame, and ``<metric>_first_<h>``, the mean over the first h simulated frames, for each of the variant's
  ``horizons`` (Fig. 5: "the (F-)ARI for 3, 5, 7 and 10 simulated frames"; the paper does not say whether a
  point is the mean up to h or the score at h: ours is the mean, the per-frame rows give the other);
* ``velocity_cosine`` (Fig. 6, :mod:`latentvideo.metrics.object_motion`): objects matched to slots at the last
  observed frame; the cosine between predicted and true bounding-box-centroid velocities, per simulated
  frame (its velocity from the frame before), averaged over the objects that count; a frame none counts in
  is left out of the mean over videos and its row says over how many videos it is (``n``).

Files: ``metrics.csv`` (tidy; ``t`` = frame index in the video, ``observed + 1`` ...), ``samples.npz`` with the
first ``saved_videos`` videos as :mod:`latentvideo.evaluation.decomposition` saves them (observed and
simulated frames) and ``observed`` (the count).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from latentvideo.evaluation.decomposition import SavedVideos, per_frame_scores, squeezenet_note, test_batches
from latentvideo.evaluation.frame_prediction import EVAL_SEED
from latentvideo.evaluation.protocols import EvaluationJob, ProtocolResult, ProtocolSpec, trained_at, write_results
from latentvideo.evaluation.tidy import mean_rows, metric_rows, not_computed_rows
from latentvideo.metrics.object_motion import match_slots, velocity_cosine
from latentvideo.metrics.summary import mean_ci95


def velocity_rows(meta: dict[str, Any], cosines: np.ndarray, first_t: int) -> list[dict[str, Any]]:
    """``cosines: (videos, frames)`` with NaN where no object counted: per frame the mean over the videos that
    have a value (``n`` of them), and the mean over videos of each video's mean over its counted frames."""
    counted = cosines[~np.isnan(cosines).all(axis=1)]
    if not len(counted):
        return not_computed_rows(meta, "velocity_cosine", "no object was visible and moving in any simulated frame")
    rows = mean_rows(meta, "velocity_cosine", np.array([np.nanmean(video) for video in counted]))
    for j in range(cosines.shape[1]):
        values = cosines[:, j][~np.isnan(cosines[:, j])]
        mean, ci = mean_ci95(values) if len(values) else (float("nan"), float("nan"))
        rows.append({**meta, "metric": "velocity_cosine", "t": str(first_t + j), "value": float(mean),
                     "ci95": float(ci), "n": len(values),
                     **({} if len(values) else {"note": "no object was visible and moving in this frame"})})
    return rows


def run(job: EvaluationJob) -> ProtocolResult:
    missing = [k for k in ("observed", "predicted") if k not in job.variant_settings]
    if missing:
        raise ValueError(f"evaluation variant {job.variant}: protocol decomposition_prediction needs {missing} "
                         f"(frames inferred, frames simulated)")
    observed, predicted = job.variant_settings["observed"], job.variant_settings["predicted"]
    horizons = [h for h in job.variant_settings.get("horizons", [predicted]) if h <= predicted]
    scores: dict[str, list[np.ndarray]] = {"ari": [], "fari": [], "velocity_cosine": []}
    saved = SavedVideos(job.evaluation["saved_videos"])
    for batch in test_batches(job, observed + predicted):
        torch.manual_seed(EVAL_SEED)
        out = job.model.predict(batch.x[:observed], predicted)
        future_ids = batch.ids[:, observed:]
        for metric, values in per_frame_scores(future_ids, out.masks[observed:]).items():
            scores[metric].append(values)
        slots = out.masks.argmax(dim=2).transpose(0, 1).cpu().numpy()  # (B, T, H, W)
        for b in range(len(batch.ids)):
            matching = match_slots(batch.ids[b, observed - 1], slots[b, observed - 1])
            scores["velocity_cosine"].append(
                velocity_cosine(batch.ids[b, observed - 1:], slots[b, observed - 1:], matching).cosine[None])
        saved.add(batch.x, batch.ids, out)
    table = {m: np.concatenate(v) for m, v in scores.items()}
    meta = {**job.meta, "samples": 1, "test_videos": len(table["ari"])}
    rows = [row for m in ("ari", "fari") for row in metric_rows(meta, m, table[m], observed + 1)]
    rows += [row for h in horizons for m in ("ari", "fari")
             for row in mean_rows(meta, f"{m}_first_{h}", table[m][:, :h].mean(axis=1))]
    rows += velocity_rows(meta, table["velocity_cosine"], observed + 1)
    summary = write_results(job.out_dir, rows, {"observed": np.int64(observed), **saved.collected()})
    statement = (f"{trained_at(meta)}, {len(table['ari'])} test videos: {observed} frames inferred, {predicted} "
                 f"simulated, K = {job.model.cfg.slots} slots, {squeezenet_note(job)}")
    return ProtocolResult(summary, statement, record={"observed": observed, "predicted": predicted,
                                                      "test_videos": meta["test_videos"]})


PROTOCOLS = {"decomposition_prediction": ProtocolSpec(
    run=run, variant_keys=frozenset({"observed", "predicted", "horizons"}), requires=("predict",),
    description="PROVIDE Figs. 5-6: (F-)ARI and velocity cosine of frames simulated after inference")}
