"""Judge classifiers: trained on real labelled videos, scored on the stored test split, reloaded safely."""

import json

import numpy as np
import pytest
import torch

from latentvideo.data.dataset_kinds import LabelledRequest, build_test_set, kind_named, labels_of, split_labels
from latentvideo.data.shards import StoredSplit
from latentvideo.training.judge_training import load_judge, train_judge, video_probabilities

DECLARED = {"kind": "moving_shapes", "frame_size": 16, "train_length": 6, "test_length": 6, "train_seed": 1,
            "test_seed": 2}
SHAPES = {**DECLARED, **kind_named("moving_shapes").derived({}, DECLARED)}  # resolved: with its labels


def test_moving_shapes_test_split_and_labelled_draws_carry_the_five_labels(tmp_path):
    build_test_set("shapes", SHAPES, None, 12, tmp_path / "test")
    split = StoredSplit(tmp_path / "test", verify=True)
    kind = kind_named("moving_shapes")
    labels = labels_of(SHAPES)
    assert list(labels) == ["shape", "size", "colour", "motion", "direction"]
    assert [name for name, label in labels.items() if label.dynamic] == ["motion", "direction"]
    assert labels["colour"].classes == ("white", "red", "green", "blue")
    for name, values in split_labels(SHAPES, split).items():
        assert values.shape == (12,) and values.max() < len(labels[name].classes)
    draw = kind.labelled(LabelledRequest(SHAPES, tmp_path, "train", 5, 6, (0, 3)))
    again = kind.labelled(LabelledRequest(SHAPES, tmp_path, "train", 5, 6, (0, 3)))
    other = kind.labelled(LabelledRequest(SHAPES, tmp_path, "validation", 5, 6, (0, 3)))
    np.testing.assert_array_equal(draw.videos, again.videos)
    assert draw.videos.shape == (5, 6, 16, 16, 3) and not np.array_equal(draw.videos, other.videos)


def test_sm_mnist_labels_one_digit_videos_only(digits, tmp_path):
    kind = kind_named("sm_mnist")
    one = {"kind": "sm_mnist", "deterministic": False, "frame_size": 32, "num_digits": 1, "max_speed": 4}
    assert labels_of(kind.derived({}, one)) == {"digit": (tuple("0123456789"), False, "digit", None)}
    assert labels_of(kind.derived({}, {**one, "num_digits": 2})) == {}
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
    probabilities = video_probabilities(judge.model, StoredSplit(tmp_path / "test").read(64), 32)
    accuracy = (probabilities["colour"].argmax(1) == StoredSplit(tmp_path / "test").label("colour")).mean()
    assert accuracy == pytest.approx(stored["factors"]["colour"]["accuracy"])
    features = judge.model(torch.rand(6, 3, 3, 16, 16)).frame_features
    assert features.shape == (6, 3, 32)
    assert not list(tmp_path.glob("judge/.*tmp"))


def test_sprites_judge_learns_from_the_stored_attributes_and_actions(tmp_path, base_config):
    """Sprites (the raw-format fixture, 2 options per layer): the dataset entry derives its labels from the raw
    dataset's declaration (four static attributes in the columns of ``attributes``, the dynamic action x
    direction), labelled draws carry the labels of the very videos drawn, and a judge trains on them."""
    import copy

    import raw_fixtures as fx

    from latentvideo.data import raw_datasets

    fx.sprites(tmp_path / "raw", options=2)
    raw = copy.deepcopy(base_config["raw_data"]["sprites"])
    raw.update(dir=str(tmp_path / "raw"), acquisition={"kind": "manual"})
    raw["protocol"].update(options=2, train_characters=12)
    raw_datasets.acquire("sprites", raw, tmp_path / "inv.json")
    raw_datasets.preprocess("sprites", raw, tmp_path / "inv.json", tmp_path / "sprites", workers=1)
    declared = {"kind": "raw_video", "raw": "sprites", "train_length": 8}
    kind = kind_named("raw_video")
    entry = {**declared, **kind.derived({"raw_data": {"sprites": raw}}, declared)}
    labels = labels_of(entry)
    assert list(labels) == ["body", "bottomwear", "topwear", "hair", "action"]
    assert labels["hair"] == (("hair 0", "hair 1"), False, "attributes", 3)
    assert labels["action"].dynamic and labels["action"].classes[:2] == ("walk front", "walk left")
    draw = kind.labelled(LabelledRequest(entry, tmp_path / "sprites", "train", 6, 8, (0, 1)))
    train = StoredSplit(tmp_path / "sprites" / "train")
    stored = split_labels(entry, train)
    for i, video in enumerate(draw.videos):  # the fixture draws some layers transparent: look among equal videos
        same = [j for j in range(len(train)) if np.array_equal(train.video(j), video)]
        assert any(all(draw.labels[f][i] == stored[f][j] for f in labels) for j in same), i
    assert draw.videos.shape == (6, 8, 64, 64, 3) and draw.classes["action"] == labels["action"].classes
    record = train_judge({"steps": 2, "batch_size": 4, "lr": 1e-3, "width": 4, "features": 8, "seed": 0,
                          "test_videos": 9, "budget": "test"}, {**entry, "name": "sprites"}, tmp_path / "sprites",
                         tmp_path / "sprites" / "test", tmp_path / "judge", progress="off")
    assert set(record["factors"]) == set(labels) and record["test_videos"] == 9
    with pytest.raises(ValueError, match="carries no labels"):
        train_judge({}, {**declared, "name": "plain"}, tmp_path, tmp_path, tmp_path / "none", progress="off")


def test_mug_takes_are_judged_on_their_centre_window(tmp_path, base_config):
    """MUG's takes are ragged and start neutral: its entry places the labelled windows (the judge's training draws,
    its test videos and the judged protocol's) at the centre of each take, and carries the expression as the
    dynamic factor (what R-WAE's action variable describes)."""
    import copy

    import raw_fixtures as fx

    from latentvideo.data import raw_datasets
    from latentvideo.data.dataset_kinds import judged_test_videos, window_start

    fx.mug(tmp_path / "raw", takes=5, frames=28)  # 14 stored frames per take (stride 2)
    raw = copy.deepcopy(base_config["raw_data"]["mug"])
    raw.update(dir=str(tmp_path / "raw"))
    raw_datasets.acquire("mug", raw, tmp_path / "inv.json")
    raw_datasets.preprocess("mug", raw, tmp_path / "inv.json", tmp_path / "mug", workers=1)
    declared = dict(base_config["datasets"]["mug"])
    assert declared["labelled_window"] == "centre" and declared["train_length"] == 8
    kind = kind_named("raw_video")
    entry = {**declared, **kind.derived({"raw_data": {"mug": raw}}, declared)}
    assert labels_of(entry) == {"expression": (("anger", "disgust", "fear", "happiness", "sadness", "surprise"), True,
                                               "expression", None)}
    train, test = StoredSplit(tmp_path / "mug" / "train"), StoredSplit(tmp_path / "mug" / "test")
    assert train.ragged and window_start(14, 8, "centre") == 3
    draw = kind.labelled(LabelledRequest(entry, tmp_path / "mug", "train", 6, 8, (0, 1)))
    stored = split_labels(entry, train)
    for i, video in enumerate(draw.videos):  # the fixture's takes repeat: look among equal windows
        match = [j for j in range(len(train)) if np.array_equal(train.video(j)[3:11], video)]
        assert any(stored["expression"][j] == draw.labels["expression"][i] for j in match), i
        assert not any(np.array_equal(train.video(j)[:8], video) and not np.array_equal(train.video(j)[3:11], video)
                       for j in range(len(train))), i  # the centre, not the first frames
    tested = judged_test_videos(entry, test, 10)
    assert tested.shape == (len(test), 8, 64, 64, 3) and np.array_equal(tested[0], test.video(0)[3:11])
    record = train_judge({"steps": 2, "batch_size": 4, "lr": 1e-3, "width": 4, "features": 8, "seed": 0,
                          "test_videos": 10, "budget": "test"}, {**entry, "name": "mug"}, tmp_path / "mug",
                         tmp_path / "mug" / "test", tmp_path / "judge", progress="off")
    assert list(record["factors"]) == ["expression"] and record["test_videos"] == len(test)
    with pytest.raises(ValueError, match=r"mug/test: video 0: a window of 20 frames does not fit in a video of 14"):
        judged_test_videos({**entry, "test_length": 20}, test, 10)  # a take too short names itself


@pytest.mark.parametrize("where,expected", [("start", 0), ("centre", 2), ("end", 5)])
def test_window_start(where, expected):
    from latentvideo.data.dataset_kinds import window_start

    assert window_start(13, 8, where) == expected
    with pytest.raises(ValueError, match="does not fit"):
        window_start(7, 8, where)
