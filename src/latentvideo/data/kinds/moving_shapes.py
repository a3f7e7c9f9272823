"""Kind ``moving_shapes``: R-WAE's Moving Shapes (Table 9), generated from seeds alone; its labels are stored.

Training batches are drawn per step (video seeds ``[train_seed, TRAIN_STREAM, seed, step, b]``: an endless
stream, each video with fresh labels), validation videos from their own stream, the test set once with every
video's five labels as per-video arrays of the split (``StoredSplit.label("shape")`` ...).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

import numpy as np

from latentvideo.data import moving_shapes
from latentvideo.data.dataset_kinds import (DatasetKind, LabelledRequest, LabelledVideos, StoredLabel, TestSetRequest,
                                           TrainingData, TrainingRequest, generated_test_split, labels_entry)
from latentvideo.data.moving_shapes import MovingShapesSpec
from latentvideo.data.shards import write_shards
from latentvideo.data.training_stream import ShapeSteps


def _labelled(request: LabelledRequest) -> LabelledVideos:
    stream = {"train": moving_shapes.TRAIN_STREAM, "validation": moving_shapes.VALIDATION_STREAM}[request.split]
    spec = MovingShapesSpec.from_config(request.dataset)
    seeds = [[request.dataset["train_seed"], stream, *request.seed, i] for i in range(request.n_videos)]
    videos, labels = spec.videos(seeds, request.length)
    return LabelledVideos(videos, labels, dict(moving_shapes.FACTORS))


def _open_training(request: TrainingRequest) -> TrainingData:
    dataset = dict(request.dataset)
    validation = _labelled(LabelledRequest(dataset, request.data_dir, "validation", request.val_videos,
                                           dataset["train_length"], ())).videos
    identity = json.dumps({"generator": moving_shapes.GENERATOR_VERSION, "dataset": dataset}, sort_keys=True)
    return TrainingData(
        steps=lambda start: ShapeSteps(dataset, request.batch_size, request.seed, start, request.stop),
        validation=validation,
        validation_source=f"{request.val_videos} validation videos (seed stream {moving_shapes.VALIDATION_STREAM})",
        source=moving_shapes.GENERATOR_VERSION, sha256=hashlib.sha256(identity.encode()).hexdigest(),
        manifest_sha256=None)


def _build_test_set(request: TestSetRequest) -> dict[str, Any]:
    dataset = request.dataset
    spec = MovingShapesSpec.from_config(dataset)
    seeds = moving_shapes.split_seeds(dataset["test_seed"], moving_shapes.TEST_STREAM, np.arange(request.n_videos))
    videos, labels = spec.videos(seeds, dataset["test_length"])
    return write_shards(request.out_dir, videos, request.shard_size, provenance={
        "dataset": request.name, "generator": moving_shapes.GENERATOR_VERSION, "seed": dataset["test_seed"],
        "digit_source": "none (generated shapes)", "spec": dict(dataset),
        "factors": {name: list(values) for name, values in moving_shapes.FACTORS.items()}}, extras=labels)


def _problems(cfg: Mapping[str, Any], name: str, entry: Mapping[str, Any]) -> list[str]:
    spec = MovingShapesSpec.from_config(entry)
    try:
        spec.check(max(entry["train_length"], entry["test_length"]))
    except ValueError as error:
        return [f"datasets.{name}: {error}"]
    return []


KINDS = {
    "moving_shapes": DatasetKind(
        description="one coloured shape moving on black with five labelled controls (R-WAE Table 9), RGB",
        channels=lambda cfg, entry: 3,
        sources=lambda cfg, entry: [],
        test_split=generated_test_split,
        open_training=_open_training,
        build_test_set=_build_test_set,
        problems=_problems,
        derived=lambda cfg, entry: labels_entry({name: StoredLabel(classes, name in moving_shapes.DYNAMIC_FACTORS)
                                                 for name, classes in moving_shapes.FACTORS.items()}),
        labelled=_labelled,
    ),
}
