"""Protocol ``decomposition`` (PROVIDE Tables 1-3, Figs. 3-4): how well a slot model splits test videos into
their objects.

Every test video (its first ``test_length`` frames, the stream the model was trained on) is decomposed with
``model.decompose`` (K slots as trained, or the evaluation variant's ``slots``: PROVIDE's test-time K = 9 on
6-8 balls). Per frame, against the ground-truth ids of the ``masks`` stream
(:mod:`latentvideo.metrics.segmentation`): ARI and F-ARI of the argmax masks, and the MSE of the
reconstruction (mean over pixels and channels, frames in [0, 1]). The models infer causally (frame t's
decomposition depends on frames 1..t only), so the scores of a sequence of length L are the first L frames'
scores: ``<metric>_first_<L>`` for each of the protocol's ``lengths`` (PROVIDE Table 1: 10, 20, 30, 40) that the
test videos reach, besides the per-frame rows and their mean.

Files: ``metrics.csv`` (tidy: ``ari``, ``fari``, ``mse`` per frame and ``t = mean``; ``ari_first_<L>``,
``fari_first_<L>``, ``mse_first_<L>`` with ``t = mean``), ``samples.npz`` with the first ``saved_videos``
videos: ``truth`` and ``reconstruction`` uint8 ``(V, T, H, W, C)``, ``ids`` uint8 ``(V, T, H, W)`` (ground
truth), ``masks`` uint8 ``(V, T, K, H, W)`` (x 255) and ``slot_means`` uint8 ``(V, T, K, H, W, C)``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import torch

from latentvideo.data.kinds.object_video import as_model_channels
from latentvideo.data.shards import StoredSplit, to_model_layout
from latentvideo.evaluation.frame_prediction import EVAL_SEED, to_uint8
from latentvideo.evaluation.protocols import EvaluationJob, ProtocolResult, ProtocolSpec, trained_at, write_results
from latentvideo.evaluation.tidy import mean_rows, metric_rows
from latentvideo.metrics.segmentation import frame_scores

METRICS = ("ari", "fari", "mse")


class TestBatch(NamedTuple):
    """x: float (T, B, C, H, W) in [0, 1] (the channels the model sees); ids: int (B, T, H, W) object ids."""

    x: torch.Tensor
    ids: np.ndarray


def test_batches(job: EvaluationJob, frames: int) -> Iterator[TestBatch]:
    """The budget's ``test_videos`` (at most the split's) of the job's test split, ``batch_size`` at a time, cut
    to ``frames`` frames."""
    split = StoredSplit(job.testset, verify=True)
    n, stream = min(job.evaluation["test_videos"], len(split)), job.test_dataset["stream"]
    if "masks" not in split.streams:
        raise ValueError(f"{job.testset}: no masks stream (stored: {split.streams}): the decomposition metrics need "
                         f"the ground-truth object ids")
    for start in range(0, n, job.evaluation["batch_size"]):
        stop = min(n, start + job.evaluation["batch_size"])
        videos = np.stack([split.window(i, 0, frames, stream=stream) for i in range(start, stop)])
        ids = np.stack([split.window(i, 0, frames, stream="masks")[..., 0] for i in range(start, stop)])
        x = torch.from_numpy(to_model_layout(as_model_channels(videos, job.test_dataset)))
        yield TestBatch(x.to(job.device), ids.astype(np.int64))
        print(f"[latentvideo] decomposed {stop}/{n} test videos", file=sys.stderr)


def per_frame_scores(ids: np.ndarray, masks: torch.Tensor) -> dict[str, np.ndarray]:
    """``ids: (B, T, H, W)``, ``masks: (T, B, K, H, W)`` -> ``{"ari", "fari"}: (B, T)``."""
    scores = [frame_scores(ids[b], masks[:, b].float().cpu().numpy()) for b in range(ids.shape[0])]
    return {"ari": np.stack([s.ari for s in scores]), "fari": np.stack([s.fari for s in scores])}


def slot_arrays(x: torch.Tensor, ids: np.ndarray, decomposition: Any) -> dict[str, np.ndarray]:
    """What ``samples.npz`` keeps of a batch (module docstring), videos first."""
    masks = decomposition.masks.clamp(0, 1).mul(255).round().byte().permute(1, 0, 2, 3, 4).cpu().numpy()
    means = decomposition.means.clamp(0, 1).mul(255).round().byte().permute(1, 0, 2, 4, 5, 3).cpu().numpy()
    return {"truth": to_uint8(x), "reconstruction": to_uint8(decomposition.reconstruction()),
            "ids": ids.astype(np.uint8), "masks": masks, "slot_means": means}


class SavedVideos:
    """The arrays ``samples.npz`` keeps (:func:`slot_arrays`) of the first ``limit`` test videos, batch by batch."""

    def __init__(self, limit: int):
        self.limit, self.kept, self.arrays = limit, 0, {}

    def add(self, x: torch.Tensor, ids: np.ndarray, decomposition: Any) -> None:
        keep = min(self.limit - self.kept, x.shape[1])
        if keep <= 0:
            return
        first = type(decomposition)(*(t[:, :keep] for t in decomposition))
        for key, value in slot_arrays(x[:, :keep], ids[:keep], first).items():
            self.arrays.setdefault(key, []).append(value)
        self.kept += keep

    def collected(self) -> dict[str, np.ndarray]:
        return {key: np.concatenate(parts) for key, parts in self.arrays.items()}


def squeezenet_note(job: EvaluationJob) -> str:
    """Which refinement inputs the model had: with or without the frozen SqueezeNet features."""
    used = job.settings.get("hyperparameters", {}).get("squeezenet", False)
    return "SqueezeNet features in the refinement inputs" if used else "without SqueezeNet features"


def run(job: EvaluationJob) -> ProtocolResult:
    frames = job.test_dataset["test_length"]
    slots = job.variant_settings.get("slots")
    per_video: dict[str, list[np.ndarray]] = {m: [] for m in METRICS}
    saved = SavedVideos(job.evaluation["saved_videos"])
    for batch in test_batches(job, frames):
        torch.manual_seed(EVAL_SEED)
        decomposition = job.model.decompose(batch.x, slots=slots)
        for metric, values in per_frame_scores(batch.ids, decomposition.masks).items():
            per_video[metric].append(values)
        error = (decomposition.reconstruction() - batch.x) ** 2
        per_video["mse"].append(error.mean(dim=(2, 3, 4)).transpose(0, 1).double().cpu().numpy())
        saved.add(batch.x, batch.ids, decomposition)
    scores = {m: np.concatenate(v) for m, v in per_video.items()}
    meta = {**job.meta, "samples": 1, "test_videos": len(scores["ari"])}
    rows = [row for m in METRICS for row in metric_rows(meta, m, scores[m], 1)]
    lengths = [n for n in job.protocol.get("lengths", []) if n <= frames]
    rows += [row for n in lengths for m in METRICS for row in mean_rows(meta, f"{m}_first_{n}",
                                                                           scores[m][:, :n].mean(axis=1))]
    summary = write_results(job.out_dir, rows, saved.collected())
    k = slots or job.model.cfg.slots
    statement = (f"{trained_at(meta)}, {meta['test_videos']} test videos of {frames} frames, K = {k} slots, "
                 f"{squeezenet_note(job)}")
    return ProtocolResult(summary, statement, record={"slots": k, "lengths": lengths,
                                                      "test_videos": meta["test_videos"]})


SETTINGS: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {
    "lengths": {"type": "array", "items": {"type": "integer", "minimum": 1}, "uniqueItems": True,
                "description": "sequence lengths L whose scores (first L frames) are reported"}}}
PROTOCOLS = {"decomposition": ProtocolSpec(
    run=run, settings_schema=SETTINGS, variant_keys=frozenset({"slots"}), requires=("decompose",),
    description="PROVIDE: ARI, F-ARI and MSE of a slot model's decomposition of test videos")}
