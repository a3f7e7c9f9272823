"""Judge classifiers: trained on real labelled videos, scored on the stored test split, reloaded safely."""

import json

import numpy as np
import pytest
import torch

from latentvideo.data.dataset_kinds import LabelledRequest, build_test_set, kind_named
from latentvideo.data.shards import StoredSplit
from latentvideo.training.judge_training import load_judge, split_probabilities, train_judge

SHAPES = {"kind": "moving_shapes", "frame_size": 16, "train_length": 6, "test_length": 6, "train_seed": 1,
          "test_seed": 2}


def test_moving_shapes_test_split_and_labelled_draws_carry_the_five_labels(tmp_path):
    build_test_set("shapes", SHAPES, None, 12, tmp_path / "test")
    split = StoredSplit(tmp_path / "test", verify=True)
    kind = kind_named("moving_shapes")
    assert set(kind.factors({}, SHAPES)) == {"shape", "size", "colour", "motion", "direction"}
    for name in kind.factors({}, SHAPES):
        assert split.label(name).shape == (12,)
    draw = kind.labelled(LabelledRequest(SHAPES, tmp_path, "train", 5, 6, (0, 3)))
    again = kind.labelled(LabelledRequest(SHAPES, tmp_path, "train", 5, 6, (0, 3)))
    other = kind.labelled(LabelledRequest(SHAPES, tmp_path, "validation", 5, 6, (0, 3)))
    np.testing.assert_array_equal(draw.videos, again.videos)
    assert draw.videos.shape == (5, 6, 16, 16, 3) and not np.array_equal(draw.videos, other.videos)


def test_sm_mnist_labels_one_digit_videos_only(digits, tmp_path):
    kind = kind_named("sm_mnist")
    one = {"kind": "sm_mnist", "deterministic": False, "frame_size": 32, "num_digits": 1, "max_speed": 4}
    assert kind.factors({}, one) == {"digit": tuple("0123456789")}
    assert kind.factors({}, {**one, "num_digits": 2}) == {}
    draw = kind.labelled(LabelledRequest(one, digits, "train", 4, 5, (0,)))
    assert draw.videos.shape == (4, 5, 32, 32, 1) and draw.labels["digit"].shape == (4,)
    with pytest.raises(ValueError, match="one digit"):
        kind.labelled(LabelledRequest({**one, "num_digits": 2}, digits, "train", 4, 5, (0,)))


def test_a_trained_judge_beats_chance_on_static_factors_and_reloads(tmp_path):
    build_test_set("shapes", SHAPES, None, 64, tmp_path / "test")
    settings = {"steps": 60, "batch_size": 16, "lr": 2e-3, "width": 16, "features": 32, "seed": 0, "test_videos": 64,
                "budget": "test"}
    record = train_judge(settings, SHAPES, tmp_path, tmp_path / "test", tmp_path / "judge", progress="off")
    stored = json.loads((tmp_path / "judge" / "judge.json").read_text())
    assert stored == record and stored["test_videos"] == 64 and "budget test" in stored["statement"]
    assert stored["factors"]["colour"]["accuracy"] > 0.6  # chance: 0.25
    assert stored["factors"]["size"]["accuracy"] > 0.75  # chance: 0.5
    assert 1 <= stored["factors"]["colour"]["inception_score"] <= 4
    judge = load_judge(tmp_path / "judge" / "judge.pt")
    assert not judge.model.training and judge.classes["shape"] == ("square", "triangle", "circle")
    probabilities = split_probabilities(judge.model, StoredSplit(tmp_path / "test"), 64, 32)
    accuracy = (probabilities["colour"].argmax(1) == StoredSplit(tmp_path / "test").label("colour")).mean()
    assert accuracy == pytest.approx(stored["factors"]["colour"]["accuracy"])
    features = judge.model(torch.rand(6, 3, 3, 16, 16)).frame_features
    assert features.shape == (6, 3, 32)
    assert not list(tmp_path.glob("judge/.*tmp"))
