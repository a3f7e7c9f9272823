"""Two-colour moving MNIST (Whitney & Fergus 2017, Appendix C): channels, motion, fixed disjoint test set."""

from __future__ import annotations

import numpy as np
import pytest

from latentvideo.data import color_mnist as cm
from latentvideo.data.digit_videos import make_batch, make_test_set
from latentvideo.data.kinds.moving_digits import color_mnist_spec

SPEC = cm.ColorMovingMNISTSpec()


def _digit(value: int) -> np.ndarray:
    return np.full((28, 28), value, dtype=np.uint8)


def test_digit_n_is_drawn_into_channel_n_only():
    video, trajs = SPEC.sequence([_digit(100), _digit(200)], 12, np.random.default_rng(0))
    assert video.shape == (12, 64, 64, 3) and video.dtype == np.uint8 and trajs.shape == (2, 12, 2)
    assert set(np.unique(video[..., 0])) == {0, 100} and set(np.unique(video[..., 1])) == {0, 200}
    assert not video[..., 2].any()
    for t in range(12):  # each channel holds exactly its digit, at its trajectory's position
        r, c = trajs[0, t]
        assert (video[t, r : r + 28, c : c + 28, 0] == 100).all() and (video[t, ..., 0] > 0).sum() == 28 * 28


def test_motion_is_a_constant_speed_bounce_inside_the_frame():
    rng = np.random.default_rng(3)
    for _ in range(50):
        traj = cm.trajectory(40, 28, SPEC, rng)
        assert traj.min() >= 0 and traj.max() <= 64 - 28
        steps = np.abs(np.diff(traj, axis=0))
        # |dy|, |dx| <= step_length * 36 px (+1 for truncation) every frame: no jumps, deterministic motion
        assert steps.max() <= 0.1 * 36 + 1


def test_reflection_flips_the_velocity_at_a_wall():
    class Fixed:  # start at the right wall moving right: the first step bounces back
        def random(self):
            return self.values.pop(0)

    fixed = Fixed()
    fixed.values = [0.5, 0.95, 0.0]  # y, x, theta = 0 -> vx = +1
    traj = cm.trajectory(4, 28, SPEC, fixed)
    assert traj[0, 1] == 36 and traj[1, 1] == int(0.9 * 36) and traj[2, 1] == int(0.8 * 36)
    assert (traj[:, 0] == 18).all()


def test_fixed_test_set_is_seeded_prefix_stable_and_uses_its_own_digits():
    pool = np.stack([_digit(i + 1) for i in range(30)])
    v1, _, order = make_test_set(pool, 10, 10, SPEC, seed=42)
    v2, _, _ = make_test_set(pool, 4, 10, SPEC, seed=42)
    v3, _, _ = make_test_set(pool, 10, 10, SPEC, seed=43)
    assert v1.shape == (10, 10, 64, 64, 3) and np.array_equal(v1[:4], v2) and not np.array_equal(v1, v3)
    assert len(np.unique(order)) == 20  # no digit reused
    for i in range(10):  # video i shows exactly its two digits, red then green
        assert set(np.unique(v1[i, ..., 0])) - {0} == {order[i, 0] + 1}
        assert set(np.unique(v1[i, ..., 1])) - {0} == {order[i, 1] + 1}


def test_training_batches_draw_from_the_given_pool_only():
    train_pool = np.stack([_digit(v) for v in (10, 20, 30)])
    batch = make_batch(train_pool, 6, 5, SPEC, np.random.default_rng(0))
    assert batch.shape == (6, 5, 64, 64, 3)
    assert set(np.unique(batch)) <= {0, 10, 20, 30}


def test_config_entry_builds_the_generator():
    spec = color_mnist_spec({"frame_size": 64, "num_digits": 2, "step_length": 0.1})
    assert spec == SPEC
    with pytest.raises(ValueError, match="channel"):
        cm.ColorMovingMNISTSpec(num_digits=4)
