"""Invariants of the SM-MNIST generator: digits, bounds, bounce physics, determinism by seed."""

from __future__ import annotations

import numpy as np
import pytest

from latentvideo.data import sm_mnist as sm
from latentvideo.data.digit_videos import make_test_set
from latentvideo.data.training_stream import DigitVideoSteps

SPEC_S = sm.MovingMNISTSpec(deterministic=False)
SPEC_D = sm.MovingMNISTSpec(deterministic=True)


def _square(value: int = 200) -> np.ndarray:
    return np.full((28, 28), value, dtype=np.uint8)


@pytest.mark.parametrize("spec", [SPEC_S, SPEC_D])
def test_trajectories_stay_in_frame_with_integer_speeds(spec):
    rng = np.random.default_rng(0)
    for _ in range(300):
        traj = sm.trajectory(100, 28, spec, rng)
        assert traj[:, :2].min() >= 0 and traj[:, :2].max() <= 36
        assert np.abs(traj[:, 2:]).max() <= 4
        assert traj.dtype == np.int64


def test_start_positions_cover_zero_to_36_uniformly():
    rng = np.random.default_rng(1)
    starts = np.array([sm.trajectory(1, 28, SPEC_D, rng)[0, :2] for _ in range(20000)])
    # first frame is the start position unless... the start is always inside, so it is drawn as is
    assert starts.min() == 0 and starts.max() == 36
    counts = np.bincount(starts[:, 0], minlength=37)
    assert counts.min() > 0.6 * counts.mean()


def test_deterministic_bounce_reflects_at_exact_wall_intersection():
    # Start at row 34, speed +4 along rows, 0 along columns: after one step the digit would be at 38,
    # i.e. 2 past the wall at 36; reflected it ends 2 before the wall, at 34, moving -4.
    class Fixed:
        def __init__(self, values):
            self.values = list(values)

        def integers(self, lo, hi, size=None):
            return self.values.pop(0)

    traj = sm.trajectory(4, 28, SPEC_D, Fixed([34, 10, 4, 0]))
    assert traj[:, 0].tolist() == [34, 34, 30, 26]
    assert traj[:, 2].tolist() == [4, -4, -4, -4]
    assert traj[:, 1].tolist() == [10, 10, 10, 10]
    # Diagonal: from (35, 35) with (+3, +2): crosses row wall 36 first at fraction 1/3 of the step
    # (column 35 + 2/3), reflects rows: final (36 - 2, 35 + 2) = (34, 37 -> bounce on columns too).
    traj = sm.trajectory(2, 28, SPEC_D, Fixed([35, 35, 3, 2]))
    assert tuple(traj[1, 2:]) == (-3, -2)
    assert tuple(traj[1, :2]) == (34, 35)


def test_stochastic_bounce_draws_new_velocity_pointing_away_from_wall():
    rng = np.random.default_rng(3)
    after_bottom = []
    for _ in range(2000):
        traj = sm.trajectory(30, 28, SPEC_S, rng)
        for t in range(1, 30):
            prev, cur = traj[t - 1], traj[t]
            # this step crosses the bottom wall (row 36) and cannot reach a column wall as well (a second
            # bounce in the same step redraws both components again, forcing only that wall's sign, as SRVP)
            if prev[0] + prev[2] > 36 and 9 <= prev[1] <= 27:
                after_bottom.append(cur[2])
    after_bottom = np.array(after_bottom)
    assert len(after_bottom) > 100
    assert (after_bottom <= 0).all()
    assert len(np.unique(after_bottom)) >= 4  # a fresh draw, not a reflection


def test_deterministic_motion_conserves_speed_magnitude():
    rng = np.random.default_rng(4)
    for _ in range(200):
        traj = sm.trajectory(100, 28, SPEC_D, rng)
        assert len({tuple(np.abs(v)) for v in traj[:, 2:]}) == 1


def test_render_sums_and_clips_digits():
    a, b = _square(200), _square(100)
    trajs = [np.array([[0, 0, 0, 0]]), np.array([[10, 10, 0, 0]])]
    frame = sm.render([a, b], trajs, 64)[0]
    assert frame[5, 5] == 200 and frame[30, 30] == 100
    assert frame[15, 15] == 255  # 300 clipped
    assert frame[50, 50] == 0
    assert (frame > 0).sum() == 28 * 28 * 2 - 18 * 18


def test_two_digits_per_video_in_test_set_without_digit_reuse():
    pool = np.stack([np.full((28, 28), i + 1, dtype=np.uint8) for i in range(20)])
    videos, trajs, order = make_test_set(pool, 10, 25, SPEC_S, seed=42)
    assert videos.shape == (10, 25, 64, 64, 1) and trajs.shape == (10, 2, 25, 4)
    assert len(np.unique(order)) == 20
    for i in range(10):
        values = set(np.unique(videos[i, 0])) - {0}
        assert len(values & {order[i, 0] + 1, order[i, 1] + 1}) >= 1
    with pytest.raises(ValueError, match="distinct digits"):
        make_test_set(pool, 11, 25, SPEC_S, seed=42)


def test_test_set_is_deterministic_and_prefix_stable():
    pool = np.random.default_rng(0).integers(0, 256, (40, 28, 28), dtype=np.uint8)
    v1, _, _ = make_test_set(pool, 8, 25, SPEC_S, seed=42)
    v2, _, _ = make_test_set(pool, 8, 25, SPEC_S, seed=42)
    v3, _, _ = make_test_set(pool, 3, 25, SPEC_S, seed=42)
    v4, _, _ = make_test_set(pool, 8, 25, SPEC_S, seed=43)
    assert np.array_equal(v1, v2)
    assert np.array_equal(v1[:3], v3)
    assert not np.array_equal(v1, v4)


def test_training_stream_depends_only_on_seed_and_step():
    pool = np.random.default_rng(0).integers(0, 256, (50, 28, 28), dtype=np.uint8)
    full = DigitVideoSteps(pool, SPEC_S, 3, 15, seed=7, start=0, stop=5)
    resumed = DigitVideoSteps(pool, SPEC_S, 3, 15, seed=7, start=3, stop=5)
    assert np.array_equal(full[3].numpy(), resumed[0].numpy())
    assert full[0].shape == (3, 15, 64, 64, 1)
    other = DigitVideoSteps(pool, SPEC_S, 3, 15, seed=8, start=0, stop=5)
    assert not np.array_equal(full[0].numpy(), other[0].numpy())


def test_non_uniform_velocities_follow_their_weights_and_bounce_away_from_the_wall():
    """SVG supplementary Fig. 3: components drawn with the given weights; at a bounce, directions into the
    wall get zero probability and the rest are renormalised."""
    from latentvideo.data.sm_mnist import MovingMNISTSpec, draw_component, trajectory

    weights = (5, 4, 3, 2, 1, 2, 3, 4, 5)
    spec = MovingMNISTSpec(num_digits=1, velocity_weights=weights)
    rng = np.random.default_rng(0)
    draws = np.array([draw_component(spec, rng) for _ in range(29_000)])
    freq = np.array([(draws == v).mean() for v in range(-4, 5)])
    assert np.allclose(freq, np.array(weights) / sum(weights), atol=0.01)
    away = np.array([draw_component(spec, rng, sign=1) for _ in range(5000)])
    assert away.min() >= 0 and abs((away == 0).mean() - 1 / 15) < 0.02  # weights 1, 2, 3, 4, 5 renormalised
    traj = trajectory(200, 28, spec, rng)
    assert traj[:, :2].min() >= 0 and traj[:, :2].max() <= 36
    with pytest.raises(ValueError, match="velocity_weights needs 9"):
        MovingMNISTSpec(velocity_weights=(1, 2))


def test_32_pixel_frames_are_the_64_pixel_protocol_pooled_2x2():
    digits = [_square(200), _square(100)]
    big = sm.make_sequence(digits, 6, sm.MovingMNISTSpec(deterministic=True), np.random.default_rng(3))
    small = sm.make_sequence(digits, 6, sm.MovingMNISTSpec(frame_size=32, deterministic=True), np.random.default_rng(3))
    np.testing.assert_array_equal(small[1], big[1])  # the same motion, in 64-pixel units
    assert small[0].shape == (6, 32, 32) and small[0].dtype == np.uint8
    pooled = np.round(big[0].reshape(6, 32, 2, 32, 2).astype(float).mean(axis=(2, 4)))
    np.testing.assert_array_equal(small[0], pooled)
