"""Protocol ``trajectory_distribution`` (SVG supplementary Figure 4): the distribution of a digit's motion.

For each of the first test videos of a single-digit SM-MNIST test set, the model draws ``samples`` futures
from the conditioning frames; the ground truth is as many continuations of the *generator* from the digit's
exact state at the last conditioning frame (its trajectory regenerated from the test set's seed, checked
against the stored one), each with its own random bounces. Per predicted frame, the distribution of the
digit's displacement (Δx, Δy) in pixels — the centre of mass of the frame for the model's samples, the
drawn (rounded) position for the generator's, which coincide for a lone digit that never leaves the
frame — is histogrammed on the integer grid [-2 max_speed, 2 max_speed]².

Files: ``metrics.csv`` with ``delta_tv`` per predicted frame and its mean: the total-variation distance
between the generated and the ground-truth (Δx, Δy) distributions (0: the same, 1: disjoint), mean and 95%
CI over videos; ``samples.npz`` with ``generated`` and ``truth`` histograms ``(V, n_future, 2R+1, 2R+1)``
(rows Δy, columns Δx, probabilities), ``cond`` uint8 ``(V, Tc, H, W, C)``, ``collision`` (the first
predicted frame, 1-based, whose true velocity differs from the last conditioning frame's; 0: none) and
``max_delta`` (R).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from latentvideo.data import sm_mnist
from latentvideo.data.shards import StoredSplit, to_model_layout
from latentvideo.data.kinds.moving_digits import sm_mnist_spec
from latentvideo.evaluation.frame_prediction import EVAL_SEED, to_uint8
from latentvideo.evaluation.protocols import EvaluationJob, ProtocolResult, ProtocolSpec, write_results, trained_at
from latentvideo.evaluation.tidy import metric_rows

DIGIT_SIZE = 28
DEFAULT_SAMPLES = 50


def centre_of_mass(frames: torch.Tensor) -> torch.Tensor:
    """``(..., C, H, W)`` intensities -> ``(..., 2)`` (row, column) centre of mass in pixels (frame centre if
    a frame is black)."""
    grey = frames.sum(-3)
    h, w = grey.shape[-2:]
    total = grey.sum((-2, -1))
    rows = (grey.sum(-1) * torch.arange(h, dtype=grey.dtype)).sum(-1)
    cols = (grey.sum(-2) * torch.arange(w, dtype=grey.dtype)).sum(-1)
    safe = total.clamp_min(1e-8)
    centre = torch.stack([rows / safe, cols / safe], -1)
    return torch.where((total > 1e-8)[..., None], centre, torch.tensor([(h - 1) / 2, (w - 1) / 2]))


def histograms(deltas: np.ndarray, radius: int) -> np.ndarray:
    """``(K, T, 2)`` (row, column) displacements -> ``(T, 2R+1, 2R+1)`` probabilities, rows Δy, columns Δx."""
    idx = np.clip(np.rint(deltas).astype(np.int64), -radius, radius) + radius
    out = np.zeros((deltas.shape[1], 2 * radius + 1, 2 * radius + 1))
    for t in range(deltas.shape[1]):
        np.add.at(out[t], (idx[:, t, 0], idx[:, t, 1]), 1.0)
    return out / deltas.shape[0]


def true_continuations(dataset: dict[str, Any], video: int, stored: np.ndarray, cond_frames: int, n_future: int,
                       samples: int) -> tuple[np.ndarray, int]:
    """``samples`` generator continuations of test video ``video`` (the positions ``(K, 1 + n_future, 2)`` from
    its last conditioning frame on) and the first predicted frame where its stored velocity changes."""
    spec = sm_mnist_spec(dataset)
    rng = np.random.default_rng([dataset["test_seed"], 1, video])  # as digit_videos.make_test_set draws it
    rows, state = sm_mnist.advance(sm_mnist.initial_state(DIGIT_SIZE, spec, rng), cond_frames, DIGIT_SIZE, spec, rng)
    if not np.array_equal(rows, stored[:cond_frames]):
        raise ValueError(f"test video {video}: the regenerated trajectory differs from the stored one (the test "
                         "set was made by another generator version or digit size)")
    out = np.empty((samples, 1 + n_future, 2))
    for k in range(samples):
        future, _ = sm_mnist.advance(state, n_future, DIGIT_SIZE, spec, np.random.default_rng([dataset["test_seed"],
                                                                                              2, video, k]))
        out[k, 0], out[k, 1:] = rows[-1, :2], future[:, :2]
    changed = np.nonzero(np.any(stored[cond_frames:, 2:] != stored[cond_frames - 1, 2:], axis=1))[0]
    return out, int(changed[0]) + 1 if len(changed) else 0


def run(job: EvaluationJob) -> ProtocolResult:
    dataset = dict(job.test_dataset)
    if dataset.get("kind") != "sm_mnist" or dataset.get("num_digits") != 1:
        raise ValueError("trajectory_distribution needs a single-digit sm_mnist test set (the motion of one digit)")
    cond_frames, samples = dataset["cond_frames"], job.variant_settings.get("samples", DEFAULT_SAMPLES)
    radius = 2 * dataset["max_speed"]
    split = StoredSplit(job.testset, verify=True)
    videos = split.read(job.evaluation["test_videos"])
    stored = split.label("trajectories")[: len(videos), 0]
    n_future = videos.shape[1] - cond_frames
    generated, truth, tv, collisions, conds = [], [], [], [], []
    for start in range(0, len(videos), job.evaluation["batch_size"]):
        torch.manual_seed(EVAL_SEED + start)
        x = torch.from_numpy(to_model_layout(videos[start : start + job.evaluation["batch_size"]]))
        cond = x[:cond_frames]
        futures = job.model.sample(cond.to(job.device), n_future, samples).cpu()  # (K, n_future, B, C, H, W)
        last = centre_of_mass(cond[-1])  # (B, 2)
        path = torch.cat([last.expand(samples, 1, *last.shape), centre_of_mass(futures)], 1)  # (K, 1+T, B, 2)
        model_deltas = (path[:, 1:] - path[:, :-1]).numpy()
        for b in range(x.shape[1]):
            video = start + b
            continuations, collision = true_continuations(dataset, video, stored[video], cond_frames, n_future,
                                                          samples)
            g = histograms(model_deltas[:, :, b], radius)
            t = histograms(np.diff(continuations, axis=1), radius)
            generated.append(g)
            truth.append(t)
            tv.append(0.5 * np.abs(g - t).sum((1, 2)))
            collisions.append(collision)
        conds.append(to_uint8(cond))
    meta = {**job.meta, "samples": samples, "test_videos": len(videos)}
    rows = metric_rows(meta, "delta_tv", np.stack(tv), cond_frames + 1)
    keep = job.evaluation["saved_videos"] or len(videos)
    summary = write_results(job.out_dir, rows, {
        "generated": np.stack(generated)[:keep].astype(np.float32), "truth": np.stack(truth)[:keep].astype(np.float32),
        "cond": np.concatenate(conds)[:keep], "collision": np.asarray(collisions[:keep]), "max_delta": np.int64(radius)})
    statement = (f"{trained_at(meta)}, {len(videos)} "
                 f"test videos x {samples} samples and {samples} generator continuations each")
    return ProtocolResult(summary, statement)


SETTINGS: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
PROTOCOLS = {"trajectory_distribution": ProtocolSpec(
    run=run, settings_schema=SETTINGS, variant_keys=frozenset({"samples"}),
    description="SVG supp. Fig. 4: per-step (Δx, Δy) distribution of a digit, generated vs the generator's")}
