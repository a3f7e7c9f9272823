"""Velocity cosine similarity from bounding-box centroids (PROVIDE Fig. 6): hand-built moving squares."""

from __future__ import annotations

import numpy as np
import pytest

from latentvideo.metrics.object_motion import box_centres, match_slots, velocity_cosine


def squares(moves, frames=4, size=32, start=((4, 4), (20, 4))):
    """``(frames, size, size)`` ids: object k + 1 a 4x4 square starting at ``start[k]`` (row, col), moving by
    ``moves[k]`` (rows, cols) per frame; a move of None hides the object after frame 0."""
    ids = np.zeros((frames, size, size), dtype=np.int64)
    for k, ((r, c), move) in enumerate(zip(start, moves)):
        for t in range(frames):
            if move is None and t > 0:
                continue
            dr, dc = move if move is not None else (0, 0)
            ids[t, r + t * dr : r + t * dr + 4, c + t * dc : c + t * dc + 4] = k + 1
    return ids


def test_box_centres_are_bounding_box_centres():
    ids = squares([(0, 2), (1, 0)])
    np.testing.assert_allclose(box_centres(ids, 1), [[5.5, 5.5], [5.5, 7.5], [5.5, 9.5], [5.5, 11.5]])
    assert np.isnan(box_centres(ids, 3)).all()


def test_perfect_opposite_and_perpendicular_predictions():
    truth = squares([(0, 2), (1, 0)])
    relabelled = np.where(truth == 1, 7, np.where(truth == 2, 3, 0))
    matching = match_slots(truth[0], relabelled[0])
    assert matching == {1: 7, 2: 3}
    scores = velocity_cosine(truth, relabelled, matching)
    np.testing.assert_allclose(scores.cosine, 1.0)
    np.testing.assert_array_equal(scores.objects, 2)
    backwards = squares([(0, -2), (-1, 0)], start=((4, 20), (20, 20)))
    # object 1 moves right, its slot left; object 2 moves down, its slot up: cosine -1 for both
    backwards_matched = {1: 1, 2: 2}
    np.testing.assert_allclose(velocity_cosine(truth, backwards, backwards_matched).cosine, -1.0)
    across = squares([(2, 0), (0, 1)])  # each slot moves at a right angle to its object
    np.testing.assert_allclose(velocity_cosine(truth, across, {1: 1, 2: 2}).cosine, 0.0, atol=1e-12)


def test_hidden_or_still_objects_do_not_count_and_an_empty_frame_is_nan():
    truth = squares([(0, 2), None])  # object 2 disappears after frame 0
    scores = velocity_cosine(truth, truth, {1: 1, 2: 2})
    np.testing.assert_array_equal(scores.objects, 1)
    np.testing.assert_allclose(scores.cosine, 1.0)
    still = squares([(0, 0), (0, 0)])
    scores = velocity_cosine(still, still, {1: 1, 2: 2})
    assert np.isnan(scores.cosine).all() and (scores.objects == 0).all()
    assert match_slots(np.zeros((4, 4), int), np.zeros((4, 4), int)) == {}
    with pytest.raises(ValueError, match="expected"):
        velocity_cosine(truth, truth[0], {})


def test_matching_maximises_the_total_overlap_not_greedily():
    truth = np.zeros((1, 9), dtype=np.int64)
    slots = np.zeros((1, 9), dtype=np.int64)
    truth[0, :5], truth[0, 5:9] = 1, 2
    # object 1 shares 3 pixels with slot 10 and 2 with slot 20; object 2 shares 4 with slot 10 and none with 20:
    # greedy (object 1 -> 10) gives 3, the assignment 1 -> 20, 2 -> 10 gives 6
    slots[0, :3], slots[0, 3:5], slots[0, 5:9] = 10, 20, 10
    assert match_slots(truth, slots) == {1: 20, 2: 10}
