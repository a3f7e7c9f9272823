"""Kind ``object_video``: videos of objects with per-pixel ground-truth ids (PROVIDE: Bouncing Balls, CLEVRER).

A dataset of this kind reads two splits of a preprocessed raw dataset (``raw_data.<raw>``): training clips from
``train_split`` and the test videos of ``test_split``, which must hold the ``masks`` stream (object id per
pixel, 0 = background) that the decomposition metrics score against. ``stream`` picks what the models see:
Bouncing Balls stores ``frames`` (binary, one channel) and ``colour`` (painted from the ids, RGB); CLEVRER
``frames`` (RGB). ``rgb: true`` repeats a one-channel stream to three, as PROVIDE's loader reads the binary
balls (PNG frames opened as RGB), which triples the likelihood's weight against the KL.

Several datasets may share one raw dataset and differ in their test split (4 balls, 6-8 balls, 4 colours): an
evaluation variant names the one it is scored on. The validation batch is a fixed draw of training clips (the
raw files hold no validation group), said so in the training log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from latentvideo.atomic import sha256_file
from latentvideo.data.clip_sampling import ClipSampling, draw_clips, eligible_videos
from latentvideo.data.dataset_kinds import DatasetKind, TestSplit, TrainingData, TrainingRequest
from latentvideo.data.kinds.raw_video import processed, raw_declaration, raw_reference_problems
from latentvideo.data.shards import StoredSplit, read_manifest
from latentvideo.data.training_stream import StoredClipSteps

VALIDATION_STREAM = 3  # default_rng([seed, 3]) draws the validation clips


def stream_channels(cfg: Mapping[str, Any], entry: Mapping[str, Any]) -> int:
    """Channels of the stored ``stream`` (before ``rgb``)."""
    return raw_declaration(cfg, entry).streams()[entry["stream"]]


def channels(cfg: Mapping[str, Any], entry: Mapping[str, Any]) -> int:
    """Channels the models see: the stream's, or 3 where ``rgb`` repeats a grey stream."""
    return 3 if entry.get("rgb", False) else stream_channels(cfg, entry)


def as_model_channels(videos: np.ndarray, entry: Mapping[str, Any]) -> np.ndarray:
    """uint8 ``(..., H, W, C)`` of the stored stream -> the channels the models see (``rgb``: C 1 -> 3)."""
    if entry.get("rgb", False) and videos.shape[-1] == 1:
        return np.repeat(videos, 3, axis=-1)
    return videos


class _StreamSteps(Dataset):
    """Training clips of one stream of the stored split, in the channels the models see."""

    def __init__(self, steps: StoredClipSteps, entry: Mapping[str, Any]):
        self.steps, self.entry = steps, dict(entry)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.from_numpy(as_model_channels(self.steps[i].numpy(), self.entry))


def _open_training(request: TrainingRequest) -> TrainingData:
    entry, data_dir = request.dataset, request.data_dir
    split = StoredSplit(data_dir / entry["train_split"], verify=True)
    sampling, length, stream = ClipSampling(), entry["train_length"], entry["stream"]
    rng = np.random.default_rng([request.seed, VALIDATION_STREAM])
    eligible = eligible_videos(split, length)
    validation = draw_clips(split, sampling, eligible[rng.integers(0, len(eligible), size=request.val_videos)],
                            length, rng, stream=stream)

    def steps(start: int) -> Dataset:
        return _StreamSteps(StoredClipSteps(split, sampling, request.batch_size, length, request.seed, start,
                                            request.stop, stream=stream), entry)

    top = read_manifest(data_dir)
    return TrainingData(
        steps=steps, validation=as_model_channels(validation, entry),
        validation_source=(f"fixed batch of training clips of {entry['train_split']} (no validation split; "
                           f"{len(split)} videos): {sampling.describe(length)}, stream {stream}"),
        source=f"{top['dataset']}:{top['acquisition']}",
        sha256=sha256_file(data_dir / entry["train_split"] / "manifest.json"),
        manifest_sha256=sha256_file(data_dir / "manifest.json"))


def problems(cfg: Mapping[str, Any], name: str, entry: Mapping[str, Any]) -> list[str]:
    unusable = raw_reference_problems(cfg, name, entry)
    if unusable:
        return unusable
    raw, spec, out = entry["raw"], raw_declaration(cfg, entry), []
    streams = spec.streams()
    if entry["stream"] not in streams:
        out.append(f"datasets.{name}.stream: {entry['stream']!r} is not a stream of {spec.name} "
                   f"(its streams: {sorted(streams)})")
    splits = spec.splits(cfg["raw_data"][raw]["protocol"])
    for key in ("train_split", "test_split"):
        if splits is not None and entry[key] not in splits:
            out.append(f"datasets.{name}.{key}: {entry[key]!r} is not a split of raw_data.{raw} (its splits: "
                       f"{sorted(splits)})")
    return out


def test_split(cfg: Mapping[str, Any], name: str, entry: Mapping[str, Any]) -> TestSplit:
    target = processed(entry["raw"])
    return TestSplit(target, f"{target}/{entry['test_split']}")


KINDS = {
    "object_video": DatasetKind(
        description="videos of objects with per-pixel ground-truth ids from a preprocessed raw dataset",
        channels=channels,
        sources=lambda cfg, entry: [processed(entry["raw"])],
        test_split=test_split,
        open_training=_open_training,
        derived=lambda cfg, entry: {"channels": channels(cfg, entry)},
        problems=problems,
        raw_inputs=lambda entry: [entry["raw"]],
    ),
}
