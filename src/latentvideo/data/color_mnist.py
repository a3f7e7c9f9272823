"""Two-colour moving MNIST (Whitney & Fergus 2017, Appendix C).

Digits bounce in a 64x64 frame, digit n drawn into colour channel n (red, green; blue stays empty), so
the digits never mix. Motion follows Srivastava et al. 2015 (``BouncingMNISTDataHandler`` as reused by
``willwhitney/structure-experiments: moving_mnist/data_handler.py``): a start uniform in [0, 1]^2, a
uniformly random direction, a constant step of ``step_length`` per frame, reflection at the walls
(the position is clamped to the wall and the velocity component flipped), and the position moved
*before* the first frame is drawn; positions are scaled by ``frame_size - 28`` and truncated to
integers. The motion is deterministic given the start, and the digits do not interact.

Deviation from the original code: the original drew its *test* videos from the MNIST *training* digits;
here test sets use the test digit pool (disjoint from the training pool), as for SM-MNIST. Pixels are
uint8 in [0, 255] on disk and [0, 1] in memory (the original's last commit fed 0-255 to the model; the
paper's ELBO values only make sense for [0, 1], see README "Whitney & Fergus 2017").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GENERATOR_VERSION = "color_mnist/1"


@dataclass(frozen=True)
class ColorMovingMNISTSpec:
    frame_size: int = 64
    num_digits: int = 2
    step_length: float = 0.1

    def __post_init__(self):
        if not 1 <= self.num_digits <= 3:
            raise ValueError(f"two-colour moving MNIST draws digit n into channel n: 1 to 3 digits, got "
                             f"{self.num_digits}")

    def sequence(self, digits: list[np.ndarray], seq_len: int, rng: np.random.Generator):
        """One video ``(T, H, W, 3)`` uint8 and its top-left positions ``(num_digits, T, 2)`` (row, column)."""
        trajs = np.stack([trajectory(seq_len, d.shape[0], self, rng) for d in digits])
        return render(digits, trajs, self.frame_size), trajs


def trajectory(seq_len: int, digit_size: int, spec: ColorMovingMNISTSpec, rng: np.random.Generator) -> np.ndarray:
    """Integer top-left positions ``(seq_len, 2)`` (row, column) of one digit, int64."""
    y, x = rng.random(), rng.random()
    theta = rng.random() * 2.0 * math.pi
    vy, vx = math.sin(theta), math.cos(theta)
    out = np.empty((seq_len, 2), dtype=np.float64)
    for t in range(seq_len):
        y += vy * spec.step_length
        x += vx * spec.step_length
        if x <= 0.0:
            x, vx = 0.0, -vx
        if x >= 1.0:
            x, vx = 1.0, -vx
        if y <= 0.0:
            y, vy = 0.0, -vy
        if y >= 1.0:
            y, vy = 1.0, -vy
        out[t] = (y, x)
    return (out * (spec.frame_size - digit_size)).astype(np.int64)


def render(digits: list[np.ndarray], trajectories: np.ndarray, frame_size: int) -> np.ndarray:
    """Draw digit n ``(28, 28)`` uint8 into channel n along its trajectory; returns ``(T, H, W, 3)`` uint8."""
    seq_len = trajectories.shape[1]
    canvas = np.zeros((seq_len, frame_size, frame_size, 3), dtype=np.uint8)
    for channel, (img, traj) in enumerate(zip(digits, trajectories)):
        h, w = img.shape
        for t in range(seq_len):
            r, c = traj[t]
            patch = canvas[t, r : r + h, c : c + w, channel]
            np.maximum(patch, img, out=patch)
    return canvas
