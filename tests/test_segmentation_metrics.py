"""ARI and F-ARI (PROVIDE, IODINE) against sklearn and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from latentvideo.metrics.segmentation import adjusted_rand_index, foreground_ari, frame_scores


def test_ari_equals_sklearn_on_random_labellings():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 300))
        true = rng.integers(0, int(rng.integers(1, 9)), n)
        pred = rng.integers(0, int(rng.integers(1, 9)), n)
        if rng.random() < 0.3:  # a prediction close to the truth, relabelled
            pred = (true * 3 + 1) % 11
            pred[rng.random(n) < 0.1] = 7
        assert adjusted_rand_index(true, pred) == pytest.approx(adjusted_rand_score(true, pred), abs=1e-12)


def test_ari_hand_cases():
    # true {0,1} {2,3}, predicted {0,1,2} {3}: 2 joined pairs, 3 predicted, 1 both, 6 in all; expected 2*3/6 = 1,
    # maximum (2 + 3)/2: (1 - 1) / (2.5 - 1) = 0
    assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 0, 1]) == pytest.approx(0.0, abs=1e-12)
    # true in three pairs, predicted {0,1} {2,3,4,5}: 3 joined, 7 predicted, 3 both, 15 in all;
    # expected 3*7/15 = 1.4, maximum 5: (3 - 1.4) / (5 - 1.4) = 4/9
    assert adjusted_rand_index([0, 0, 1, 1, 2, 2], [5, 5, 9, 9, 9, 9]) == pytest.approx(4 / 9, abs=1e-12)
    assert adjusted_rand_index([3, 3, 1, 1], [0, 0, 2, 2]) == 1.0  # the same partition, other names
    assert adjusted_rand_index(np.zeros((4, 4)), np.arange(16).reshape(4, 4)) == 0.0


def test_foreground_ari_single_object_and_empty_frames():
    truth = np.array([[0, 0, 2, 2], [0, 0, 2, 2]])
    assert foreground_ari(truth, np.array([[0, 1, 3, 3], [1, 0, 3, 3]])) == 1.0  # one object, one slot
    assert foreground_ari(truth, np.array([[0, 0, 3, 4], [0, 0, 3, 4]])) == 0.0  # one object, two slots
    assert foreground_ari(np.zeros((2, 2)), np.array([[0, 1], [2, 3]])) == 1.0  # no foreground: 1 (PROVIDE)
    assert foreground_ari([0, 1], [4, 5]) == 1.0  # a single foreground pixel
    # the background does not count: two objects split perfectly, background assigned anywhere
    two = np.array([0, 0, 1, 1, 2, 2])
    assert foreground_ari(two, np.array([1, 2, 3, 3, 4, 4])) == 1.0
    assert adjusted_rand_index(two, np.array([1, 2, 3, 3, 4, 4])) < 1.0
    rng = np.random.default_rng(1)
    for _ in range(50):
        true, pred = rng.integers(0, 4, 64), rng.integers(0, 5, 64)
        keep = true != 0
        assert foreground_ari(true, pred) == pytest.approx(adjusted_rand_score(true[keep], pred[keep]), abs=1e-12)


def test_frame_scores_take_the_argmax_slot_per_pixel_and_frame():
    ids = np.zeros((2, 4, 4), dtype=np.int64)
    ids[:, :2, :2], ids[:, 2:, 2:] = 1, 2
    masks = np.zeros((2, 3, 4, 4))
    masks[:, 0] = 0.4  # background slot
    masks[0, 1][ids[0] == 1], masks[0, 2][ids[0] == 2] = 0.9, 0.9  # frame 0: perfect
    masks[1, 1][ids[1] > 0] = 0.9  # frame 1: both objects in one slot
    scores = frame_scores(ids, masks)
    assert scores.ari[0] == 1.0 and scores.fari[0] == 1.0
    assert scores.fari[1] == pytest.approx(adjusted_rand_score(ids[1][ids[1] > 0], np.ones(8)), abs=1e-12)
    assert scores.fari[1] == 0.0 and 0 < scores.ari[1] < 1
    with pytest.raises(ValueError, match="expected"):
        frame_scores(ids, masks[:, 0])
