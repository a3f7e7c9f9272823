"""Kind ``pendulum``: SRVP Table 6's noisy pendulum, generated from seeds alone (no stored training data)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from latentvideo.data import pendulum
from latentvideo.data.dataset_kinds import (DatasetKind, TestSetRequest, TrainingData, TrainingRequest,
                                           generated_test_split)
from latentvideo.data.pendulum import PendulumSpec, pool_seeds
from latentvideo.data.shards import write_shards
from latentvideo.data.training_stream import PendulumSteps


def _open_training(request: TrainingRequest) -> TrainingData:
    dataset = dict(request.dataset)
    spec = PendulumSpec.from_config(dataset)
    validation = spec.videos(pool_seeds(dataset, pendulum.VALIDATION_STREAM, np.arange(request.val_videos)),
                             dataset["train_length"])[0]
    identity = json.dumps({"generator": pendulum.GENERATOR_VERSION, "dataset": dataset}, sort_keys=True)
    return TrainingData(
        steps=lambda start: PendulumSteps(dataset, request.batch_size, request.seed, start, request.stop),
        validation=validation,
        validation_source=f"{request.val_videos} validation sequences (seed stream {pendulum.VALIDATION_STREAM})",
        source=pendulum.GENERATOR_VERSION, sha256=hashlib.sha256(identity.encode()).hexdigest(), manifest_sha256=None)


def _build_test_set(request: TestSetRequest) -> dict[str, Any]:
    videos, angles = pendulum.make_test_set(request.dataset, request.n_videos)
    return write_shards(request.out_dir, videos, request.shard_size, provenance={
        "dataset": request.name, "generator": pendulum.GENERATOR_VERSION, "seed": request.dataset["test_seed"],
        "digit_source": "none (generated pendulum)", "spec": dict(request.dataset)}, extras={"angles": angles})


KINDS = {
    "pendulum": DatasetKind(
        description="a noisy pendulum rendered from simulated angles (SRVP Table 6), grey",
        channels=lambda cfg, entry: 1,
        sources=lambda cfg, entry: [],
        test_split=generated_test_split,
        open_training=_open_training,
        build_test_set=_build_test_set,
    ),
}
