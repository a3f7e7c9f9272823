"""The Moving Shapes generator: every stored label is what the frames show."""

import numpy as np
import pytest

from latentvideo.data.moving_shapes import COLOURS, DIRECTIONS, FACTORS, MovingShapesSpec, split_seeds


def _centroids(video):
    mass = video.astype(np.float64).sum(-1)
    rows, cols = np.indices(mass.shape[1:])
    total = mass.sum(axis=(1, 2))
    return np.stack([(mass * rows).sum(axis=(1, 2)) / total, (mass * cols).sum(axis=(1, 2)) / total], axis=1)


@pytest.fixture(scope="module")
def shapes():
    spec = MovingShapesSpec(frame_size=32)
    videos, labels = spec.videos(split_seeds(0, 2, np.arange(120)), 8)
    return spec, videos, labels


def test_labels_cover_every_value_and_videos_are_reproducible(shapes):
    spec, videos, labels = shapes
    assert videos.shape == (120, 8, 32, 32, 3) and videos.dtype == np.uint8
    for name, values in FACTORS.items():
        assert set(labels[name]) == set(range(len(values))), name
    again, _ = spec.videos(split_seeds(0, 2, [5]), 8)
    np.testing.assert_array_equal(again[0], videos[5])


def test_the_shape_stays_whole_in_the_frame(shapes):
    _, videos, _ = shapes
    mass = videos.astype(np.float64).sum(axis=(2, 3, 4))
    assert (mass.min(axis=1) > 0.85 * mass.max(axis=1)).all()  # sub-pixel positions change the coverage a little


def test_colour_size_and_shape_labels_match_the_pixels(shapes):
    spec, videos, labels = shapes
    for v in range(len(videos)):
        first = videos[v, 0].astype(np.float64)
        rgb = first.reshape(-1, 3).sum(0)
        assert np.argmax([rgb @ np.array(c) / np.linalg.norm(c) for c in COLOURS.values()]) == labels["colour"][v]
        area = (first.max(-1) / 255).sum() / 32 ** 2  # anti-aliased coverage, in frame units
        side = (spec.size_small, spec.size_large)[labels["size"][v]]
        fill = {"square": 1.0, "circle": np.pi / 4, "triangle": 0.5}[FACTORS["shape"][labels["shape"][v]]]
        assert area == pytest.approx(fill * side ** 2, rel=0.08), (v, FACTORS["shape"][labels["shape"][v]])


def test_motion_and_direction_labels_match_the_trajectory(shapes):
    spec, videos, labels = shapes
    for v in range(len(videos)):
        motion = FACTORS["motion"][labels["motion"][v]]
        step = np.array(DIRECTIONS[motion][labels["direction"][v]], dtype=np.float64)
        c = _centroids(videos[v])
        travel = c[-1] - c[0]
        along = travel @ step / (step @ step)
        assert along == pytest.approx(spec.speed * 32 * 7, rel=0.15), (v, motion, travel)
        across = (c - c[0]) @ np.array([step[1], -step[0]]) / np.linalg.norm(step)
        swing = np.ptp(across)
        if motion == "zigzag":
            assert swing > spec.zigzag_amplitude * 32, (v, swing)
        else:
            assert swing < 0.5, (v, motion, swing)


def test_a_path_that_cannot_fit_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        MovingShapesSpec(speed=0.2).videos([[0]], 8)
