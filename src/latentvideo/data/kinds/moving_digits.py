"""Kinds ``sm_mnist`` and ``color_mnist``: moving-digit videos generated from the digit pools.

Training batches are generated per step from the training digits; the validation batch from the
validation digits; the test set, once, from the test digits (``make_testset``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from latentvideo.atomic import sha256_file
from latentvideo.data import color_mnist, sm_mnist
from latentvideo.data.color_mnist import ColorMovingMNISTSpec
from latentvideo.data.dataset_kinds import (DatasetKind, LabelledRequest, LabelledVideos, StoredLabel, TestSetRequest,
                                           TrainingData, TrainingRequest, generated_test_split, labels_entry)
from latentvideo.data.digit_videos import make_batch, make_test_set
from latentvideo.data.digits import load_splits
from latentvideo.data.shards import write_shards
from latentvideo.data.sm_mnist import MovingMNISTSpec
from latentvideo.data.training_stream import DigitVideoSteps

DIGITS = "data/processed/digits"  # the digit pools (rule prepare_digits)
VALIDATION_STREAM = 3  # default_rng([seed, 3]) draws the validation batch; [seed, 2, step] the training batches


def sm_mnist_spec(dataset: Mapping[str, Any]) -> MovingMNISTSpec:
    weights = dataset.get("velocity_weights")
    return MovingMNISTSpec(frame_size=dataset["frame_size"], num_digits=dataset["num_digits"],
                           max_speed=dataset["max_speed"], deterministic=dataset["deterministic"],
                           velocity_weights=tuple(weights) if weights is not None else None)


def color_mnist_spec(dataset: Mapping[str, Any]) -> ColorMovingMNISTSpec:
    return ColorMovingMNISTSpec(frame_size=dataset["frame_size"], num_digits=dataset["num_digits"],
                                step_length=dataset["step_length"])


def _open_training(spec_of, request: TrainingRequest) -> TrainingData:
    dataset, data_dir = request.dataset, request.data_dir
    digits = load_splits(data_dir / "digits.npz")
    manifest = json.loads((data_dir / "manifest.json").read_text())
    spec, length = spec_of(dataset), dataset["train_length"]
    val_rng = np.random.default_rng([request.seed, VALIDATION_STREAM])
    return TrainingData(
        steps=lambda start: DigitVideoSteps(digits.train, spec, request.batch_size, length, request.seed, start,
                                            request.stop),
        validation=make_batch(digits.val, request.val_videos, length, spec, val_rng),
        validation_source="validation digits", source=digits.source, sha256=manifest["sha256"],
        manifest_sha256=sha256_file(data_dir / "manifest.json"))


def _build_test_set(spec_of, generator: str, request: TestSetRequest) -> dict[str, Any]:
    if request.digits_dir is None:
        raise ValueError(f"dataset {request.name!r} (kind {request.dataset['kind']}) is generated from digits: "
                         f"pass --digits")
    dataset = request.dataset
    digits = load_splits(request.digits_dir / "digits.npz")
    videos, trajectories, digit_idx = make_test_set(digits.test, request.n_videos, dataset["test_length"],
                                                    spec_of(dataset), dataset["test_seed"])
    return write_shards(
        request.out_dir, videos, request.shard_size,
        provenance={"dataset": request.name, "generator": generator, "seed": dataset["test_seed"],
                    "digit_source": digits.source, "digit_pool": "test",
                    "digits_manifest_sha256": sha256_file(request.digits_dir / "manifest.json"), "spec": dict(dataset)},
        extras={"trajectories": trajectories, "digit_indices": digit_idx, "labels": digits.test_labels[digit_idx],
                **({"digit": digits.test_labels[digit_idx][:, 0]} if spec_of(dataset).num_digits == 1 else {})},
    )


DIGIT_CLASSES = tuple(str(d) for d in range(10))


def digit_labels(cfg: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """One-digit videos are labelled with their digit (R-WAE's SM-MNIST); two digits carry no single label."""
    return labels_entry({"digit": StoredLabel(DIGIT_CLASSES)} if entry["num_digits"] == 1 else {})


def _labelled(spec_of, request: LabelledRequest) -> LabelledVideos:
    if request.dataset["num_digits"] != 1:
        raise ValueError(f"labelled videos need one digit per video; the dataset has {request.dataset['num_digits']}")
    digits = load_splits(request.data_dir / "digits.npz")
    pool, labels = {"train": (digits.train, digits.train_labels), "validation": (digits.val, digits.val_labels)}[
        request.split]
    rng = np.random.default_rng([*request.seed, 4])
    idx = rng.integers(0, len(pool), size=request.n_videos)
    spec = spec_of(request.dataset)
    videos = np.stack([spec.sequence([pool[j]], request.length, rng)[0] for j in idx])
    return LabelledVideos(videos, {"digit": labels[idx].astype(np.int64)}, {"digit": DIGIT_CLASSES})


def velocity_problems(cfg: Mapping[str, Any], name: str, entry: Mapping[str, Any]) -> list[str]:
    """SM-MNIST's ``velocity_weights``: one per integer velocity component, not all zero."""
    weights = entry.get("velocity_weights")
    if weights is not None and (len(weights) != 2 * entry["max_speed"] + 1 or sum(weights) <= 0):
        return [f"datasets.{name}.velocity_weights: needs {2 * entry['max_speed'] + 1} weights (one per integer in "
                f"[-{entry['max_speed']}, {entry['max_speed']}]), not all zero; got {weights}"]
    return []


def _kind(description: str, channels, spec_of, generator: str, problems=None, labelled: bool = False) -> DatasetKind:
    extra = {"problems": problems} if problems else {}
    labelled = ({"derived": digit_labels, "labelled": lambda request: _labelled(spec_of, request)} if labelled
                else {})
    return DatasetKind(
        description=description,
        channels=channels,
        sources=lambda cfg, entry: [DIGITS],
        test_split=generated_test_split,
        open_training=lambda request: _open_training(spec_of, request),
        build_test_set=lambda request: _build_test_set(spec_of, generator, request),
        **extra,
        **labelled,
    )


KINDS = {
    "sm_mnist": _kind("Stochastic / deterministic moving MNIST (Denton & Fergus 2018), grey",
                      lambda cfg, entry: 1, sm_mnist_spec, sm_mnist.GENERATOR_VERSION, velocity_problems,
                      labelled=True),
    "color_mnist": _kind("two-colour moving MNIST (Whitney & Fergus 2017, Appendix C), digit n in channel n",
                         lambda cfg, entry: 3, color_mnist_spec, color_mnist.GENERATOR_VERSION),
}
