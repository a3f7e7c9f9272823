"""Stochastic / deterministic Moving MNIST exactly as SRVP defines it (``edouardelasalles/srvp:data/mmnist.py``).

* 64x64 frames, raw 28x28 digits, two digits; overlapping digits are summed and clipped to 255.
* Integer start uniform in [0, 64 - 28] per axis; velocity components from the integers in [-max_speed, max_speed].
* Positions are continuous and drawn rounded. A bounce is resolved at the exact intersection of the step
  with the wall. Stochastic version: a new velocity is drawn at every bounce, its sign forced away from
  the wall, and the remaining fraction of the step is applied with it. Deterministic: the velocity reflects.

Every random draw goes through an explicit ``numpy.random.Generator``; test sets and training batches
are drawn by :mod:`latentvideo.data.digit_videos`.

``frame_size: 32`` (ours, for small budgets) keeps this 64x64 protocol, motion and digits included, and
average-pools each frame 2x2 (digits 14 pixels wide, speeds halved); trajectories stay in 64-pixel units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GENERATOR_VERSION = "sm_mnist/1"
EPS = 1e-8
PROTOCOL_SIZE = 64


@dataclass(frozen=True)
class MovingMNISTSpec:
    """``velocity_weights``: None (SRVP's uniform draw over the integers in [-max_speed, max_speed]) or one
    weight per integer value from -max_speed to max_speed (SVG supplementary Fig. 3's non-uniform
    distribution): each component is drawn with those probabilities at the start, and at a bounce from the
    same weights with the directions that point into the wall set to zero and the rest renormalised."""

    frame_size: int = 64
    num_digits: int = 2
    max_speed: int = 4
    deterministic: bool = False
    velocity_weights: tuple[float, ...] | None = None

    @property
    def canvas(self) -> int:
        """The size the motion and the drawing happen at (64 for a pooled 32-pixel frame)."""
        return PROTOCOL_SIZE if self.frame_size == PROTOCOL_SIZE // 2 else self.frame_size

    def __post_init__(self) -> None:
        if self.velocity_weights is not None and (len(self.velocity_weights) != 2 * self.max_speed + 1
                                                  or min(self.velocity_weights) < 0 or sum(self.velocity_weights) <= 0):
            raise ValueError(f"velocity_weights needs {2 * self.max_speed + 1} non-negative weights (one per "
                             f"integer in [-{self.max_speed}, {self.max_speed}]), not all zero")

    def sequence(self, digits: list[np.ndarray], seq_len: int, rng: np.random.Generator):
        """One video ``(T, H, W, 1)`` uint8 and its trajectories ``(num_digits, T, 4)`` (see :func:`make_sequence`)."""
        video, trajs = make_sequence(digits, seq_len, self, rng)
        return video[..., None], trajs


def _intersection(a: float, b: float, lim: float, lo: float, hi: float, axis_x: bool):
    """Intersection of the line ``y = a x + b`` with the wall ``x = lim`` (axis_x) or ``y = lim``."""
    if axis_x:
        other = a * lim + b
        return (lo - EPS <= other <= hi + EPS), (lim, other)
    other = (lim - b) / a
    return (lo - EPS <= other <= hi + EPS), (other, lim)


def _crossed(sx: float, sy: float, x_max: float, y_max: float) -> dict[str, bool]:
    """Which walls the position lies beyond: x = 0 ("left"), x = x_max ("right"), y = 0 ("top"), y = y_max
    ("bottom"), x being the row."""
    return {"left": sx < -EPS, "right": sx > x_max + EPS, "top": sy < -EPS, "bottom": sy > y_max + EPS}


def _resolve_collisions(sx, sy, dx, dy, x_max, y_max, spec: MovingMNISTSpec, rng: np.random.Generator):
    """Bring a position that left the frame back inside by bouncing on walls; returns (sx, sy, dx, dy)."""
    hit = _crossed(sx, sy, x_max, y_max)
    while any(hit.values()):
        if dx == 0:
            cx, cy = (sx, 0.0) if hit["top"] else (sx, float(y_max))
        elif dy == 0:
            cx, cy = (0.0, sy) if hit["left"] else (float(x_max), sy)
        else:
            a = dy / dx
            b = sy - a * sx
            cx = cy = None
            # (name, wall coordinate, wall is an x-wall, extent of the other axis), in SRVP's order:
            # the last valid intersection wins
            walls = (("left", 0.0, True, y_max), ("right", float(x_max), True, y_max),
                     ("top", 0.0, False, x_max), ("bottom", float(y_max), False, x_max))
            for name, lim, axis_x, hi in walls:
                if hit[name]:
                    hit[name], point = _intersection(a, b, lim, 0.0, hi, axis_x)
                    if hit[name]:
                        cx, cy = point
            if cx is None:  # numerically impossible for a step that started inside the frame
                raise RuntimeError(f"no wall intersection for position ({sx}, {sy}) velocity ({dx}, {dy})")
        remaining = (sx - cx) / dx if dx != 0 else (sy - cy) / dy  # fraction of the step left after the wall
        if not spec.deterministic and spec.velocity_weights is not None:
            dx = draw_component(spec, rng, 1 if hit["left"] else -1 if hit["right"] else 0)
            dy = draw_component(spec, rng, 1 if hit["top"] else -1 if hit["bottom"] else 0)
        elif not spec.deterministic:
            dx = int(rng.integers(-spec.max_speed, spec.max_speed + 1))
            dy = int(rng.integers(-spec.max_speed, spec.max_speed + 1))
        if hit["left"]:
            dx = abs(dx)
        if hit["right"]:
            dx = -abs(dx)
        if hit["top"]:
            dy = abs(dy)
        if hit["bottom"]:
            dy = -abs(dy)
        sx, sy = cx + dx * remaining, cy + dy * remaining
        hit = _crossed(sx, sy, x_max, y_max)
    return sx, sy, dx, dy


def draw_component(spec: MovingMNISTSpec, rng: np.random.Generator, sign: int = 0) -> int:
    """One velocity component from ``spec.velocity_weights``; ``sign`` +1 / -1 keeps only values >= 0 / <= 0
    (a bounce off the wall behind), renormalised."""
    values = np.arange(-spec.max_speed, spec.max_speed + 1)
    weights = np.asarray(spec.velocity_weights, dtype=np.float64)
    if sign:
        weights = np.where(values * sign >= 0, weights, 0.0)
    if weights.sum() <= 0:  # only invalid directions carry weight: stay still along this axis
        return 0
    return int(rng.choice(values, p=weights / weights.sum()))


def initial_state(digit_size: int, spec: MovingMNISTSpec, rng: np.random.Generator) -> tuple[float, float, int, int]:
    """Start of one digit's trajectory: (row, column, d_row, d_column), the position an integer."""
    lim = spec.canvas - digit_size
    sx = float(rng.integers(0, lim + 1))
    sy = float(rng.integers(0, lim + 1))
    if spec.velocity_weights is None:
        dx = int(rng.integers(-spec.max_speed, spec.max_speed + 1))
        dy = int(rng.integers(-spec.max_speed, spec.max_speed + 1))
    else:
        dx, dy = draw_component(spec, rng), draw_component(spec, rng)
    return sx, sy, dx, dy


def advance(state: tuple[float, float, int, int], steps: int, digit_size: int, spec: MovingMNISTSpec,
            rng: np.random.Generator) -> tuple[np.ndarray, tuple[float, float, int, int]]:
    """``steps`` frames from ``state`` (the exact, unrounded position before the first of them): the int64
    ``(steps, 4)`` rows of :func:`trajectory` and the state after the last frame."""
    lim = spec.canvas - digit_size
    sx, sy, dx, dy = state
    out = np.empty((steps, 4), dtype=np.int64)
    for t in range(steps):
        sx, sy, dx, dy = _resolve_collisions(sx, sy, dx, dy, lim, lim, spec, rng)
        out[t] = (int(round(sx)), int(round(sy)), dx, dy)
        sx += dx
        sy += dy
    return out, (sx, sy, dx, dy)


def trajectory(seq_len: int, digit_size: int, spec: MovingMNISTSpec, rng: np.random.Generator) -> np.ndarray:
    """Integer top-left positions ``(seq_len, 2)`` (row, column) and velocities ``(seq_len, 2)`` of one digit.

    Returns an int64 array ``(seq_len, 4)``: row, column, d_row, d_column at each frame.
    """
    return advance(initial_state(digit_size, spec, rng), seq_len, digit_size, spec, rng)[0]


def render(digits: list[np.ndarray], trajectories: list[np.ndarray], frame_size: int) -> np.ndarray:
    """Draw digits ``(28, 28)`` uint8 along trajectories; returns uint8 ``(T, H, W)`` (sum clipped to 255)."""
    seq_len = trajectories[0].shape[0]
    canvas = np.zeros((seq_len, frame_size, frame_size), dtype=np.int32)
    for img, traj in zip(digits, trajectories):
        h, w = img.shape
        for t in range(seq_len):
            r, c = traj[t, 0], traj[t, 1]
            canvas[t, r : r + h, c : c + w] += img
    return np.minimum(canvas, 255).astype(np.uint8)


def make_sequence(digits: list[np.ndarray], seq_len: int, spec: MovingMNISTSpec, rng: np.random.Generator):
    """One video ``(T, S, S)`` uint8 (S = ``frame_size``) and its trajectories ``(num_digits, T, 4)`` (in pixels
    of the 64x64 canvas) from the given digits."""
    trajs = [trajectory(seq_len, d.shape[0], spec, rng) for d in digits]
    video = render(digits, trajs, spec.canvas)
    if spec.frame_size != spec.canvas:  # 2x2 average pooling, rounded
        t = video.shape[0]
        pooled = video.reshape(t, spec.frame_size, 2, spec.frame_size, 2).astype(np.float64).mean(axis=(2, 4))
        video = np.round(pooled).astype(np.uint8)
    return video, np.stack(trajs)
