"""Bouncing Balls with mass, generated offline in the format of R-NEM's HDF5 files (PROVIDE's first dataset).

R-NEM (van Steenkiste et al. 2018) published its data (``balls4mass64.h5``, ``balls678mass64.h5``) but not the
script that made it; the paper and its code say it extends the bouncing-balls simulator of Sutskever et al.
(2009, the RTRBM code) with balls of different masses. This module is that simulator, written anew, so the
default run and CI have the dataset without a download. What it shares with the RTRBM simulator (read in
public copies of it):

* a square box of side ``box`` = 10 units; balls of radius ``radius`` = 1.2 units; each frame interval is
  ``substeps`` = 2 Euler steps (positions move by ``v / substeps`` per step, velocities in units per frame);
* starting velocities: i.i.d. normal, the whole ``(n, 2)`` matrix scaled to Frobenius norm ``speed`` = 0.5
  (so more balls move more slowly each);
* after each step: walls reflect the normal component of a ball past them (``|v|`` unchanged); every pair
  that overlaps exchanges velocity along the line of centres as a 1-D elastic collision of masses ``m_i,
  m_j``, which conserves momentum and kinetic energy;
* rendering: ball ``i`` gives pixel centre ``p`` the intensity ``exp(-((|p - x_i|^2 / r^2)^4))``.

Where we differ, and why (README, "Bouncing Balls"):

* a pair exchanges velocities only while it approaches (the RTRBM code also exchanges while overlapping
  balls separate, which makes pairs stick together for a few steps);
* starting positions: ball after ball, each uniform where it lies inside the box and overlaps none placed
  before it (RTRBM draws all at once in [2, 10) and rejects the whole draw on any overlap or crossed wall,
  which almost never succeeds for 8 balls, and leaves a wider margin at the lower-left);
* masses: each ball's mass is drawn from ``masses`` (ours: 1, 2 and 3 with equal chance; R-NEM says only
  that the masses differ);
* frames are binary: a pixel belongs to the ball of highest intensity there if that intensity is at least
  1/2 (R-NEM's frames are described as binary; PROVIDE writes them as 0 / 255), so ``features`` and
  ``groups`` (the per-pixel ball id, 0 = background) agree pixel for pixel;
* ``collisions`` (per pixel, as R-NEM's field, which its loss multiplies with the frame): 1 on the pixels
  of the balls that collide with another ball between frame ``t`` and ``t + 1``, our reading of the field.

Coordinates: ``(x, y)`` = (column, row) in box units, pixel ``(row i, column j)`` has its centre at
``((j + 1/2) box / size, (i + 1/2) box / size)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

GENERATOR_VERSION = "balls_physics/1"
MAX_PLACEMENT_TRIES = 10_000


@dataclass(frozen=True)
class BallsSpec:
    """The simulator's settings (box units and frames; module docstring)."""

    frames: int = 51
    frame_size: int = 64
    box: float = 10.0
    radius: float = 1.2
    speed: float = 0.5
    substeps: int = 2
    masses: tuple[float, ...] = field(default=(1.0, 2.0, 3.0))

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> "BallsSpec":
        values = {k: settings[k] for k in cls.__dataclass_fields__ if k in settings}
        if "masses" in values:
            values["masses"] = tuple(float(m) for m in values["masses"])
        return cls(**values)


class Trajectory(NamedTuple):
    """One simulated video.

    positions: (T, n, 2) float64, box units, (x, y) = (column, row), at each frame;
    velocities: (T, n, 2) float64, box units per frame interval, at each frame;
    masses: (n,) float64;
    collided: (T, n) bool, ball took part in a ball-ball collision between frame t and t + 1 (False at T - 1).
    """

    positions: np.ndarray
    velocities: np.ndarray
    masses: np.ndarray
    collided: np.ndarray


class StepEvents(NamedTuple):
    """What one Euler step did: ``walls: (n,)`` bool, the ball was reflected by a wall; ``pairs``: the
    ``(i, j)`` pairs that collided, in the order they were resolved."""

    walls: np.ndarray
    pairs: list[tuple[int, int]]


class Frames(NamedTuple):
    """A rendered video: ``features: (T, H, W)`` uint8 in {0, 1}; ``groups: (T, H, W)`` uint8 ball ids
    (0 = background, ball i is i + 1); ``collisions: (T, H, W)`` uint8 in {0, 1}."""

    features: np.ndarray
    groups: np.ndarray
    collisions: np.ndarray


def initial_state(spec: BallsSpec, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-overlapping positions inside the box, velocities and masses of ``n`` balls: ``(n, 2)``, ``(n, 2)``,
    ``(n,)`` float64 (raises if ``n`` balls cannot be placed)."""
    velocities = rng.standard_normal((n, 2))
    velocities *= spec.speed / np.linalg.norm(velocities)
    masses = rng.choice(np.asarray(spec.masses, dtype=np.float64), size=n)
    low, high = spec.radius, spec.box - spec.radius
    positions = np.empty((n, 2))
    for i in range(n):  # one ball at a time, each uniform where it overlaps none placed before it
        for _ in range(MAX_PLACEMENT_TRIES):
            positions[i] = rng.uniform(low, high, size=2)
            if (np.linalg.norm(positions[:i] - positions[i], axis=-1) >= 2 * spec.radius).all():
                break
        else:
            raise ValueError(f"cannot place ball {i + 1} of {n} (radius {spec.radius}) apart from the others in a "
                             f"box of {spec.box} ({MAX_PLACEMENT_TRIES} tries): fewer balls or a smaller radius")
    return positions, velocities, masses


def elastic_exchange(m_i: float, m_j: float, u_i: float, u_j: float) -> tuple[float, float]:
    """Velocities along the line of centres after a 1-D elastic collision (momentum and energy conserved)."""
    total = m_i + m_j
    return ((m_i - m_j) * u_i + 2 * m_j * u_j) / total, ((m_j - m_i) * u_j + 2 * m_i * u_i) / total


def euler_step(spec: BallsSpec, positions: np.ndarray, velocities: np.ndarray, masses: np.ndarray) -> StepEvents:
    """Advance ``positions`` and ``velocities`` (``(n, 2)``, modified in place) by one step of ``1 / substeps``
    frame: move, reflect at the walls, resolve approaching overlapping pairs."""
    positions += velocities / spec.substeps
    r = spec.radius
    below, above = (positions < r) & (velocities < 0), (positions > spec.box - r) & (velocities > 0)
    velocities[below | above] *= -1
    pairs = []
    n = len(positions)
    for i in range(n):
        for j in range(i):
            offset = positions[i] - positions[j]
            distance = float(np.linalg.norm(offset))
            if distance >= 2 * r or distance == 0.0:
                continue
            normal = offset / distance
            u_i, u_j = float(normal @ velocities[i]), float(normal @ velocities[j])
            if u_i - u_j >= 0:  # separating already
                continue
            new_i, new_j = elastic_exchange(masses[i], masses[j], u_i, u_j)
            velocities[i] += (new_i - u_i) * normal
            velocities[j] += (new_j - u_j) * normal
            pairs.append((i, j))
    return StepEvents((below | above).any(axis=1), pairs)


def simulate(spec: BallsSpec, n: int, rng: np.random.Generator) -> Trajectory:
    """Simulate ``n`` balls for ``spec.frames`` frames."""
    positions, velocities, masses = initial_state(spec, n, rng)
    t_total = spec.frames
    out_x, out_v = np.empty((t_total, n, 2)), np.empty((t_total, n, 2))
    collided = np.zeros((t_total, n), dtype=bool)
    for t in range(t_total):
        out_x[t], out_v[t] = positions, velocities
        if t == t_total - 1:
            break
        for _ in range(spec.substeps):
            for i, j in euler_step(spec, positions, velocities, masses).pairs:
                collided[t, [i, j]] = True
    return Trajectory(out_x, out_v, masses, collided)


def intensities(spec: BallsSpec, positions: np.ndarray) -> np.ndarray:
    """``positions: (T, n, 2)`` -> ``(T, n, H, W)`` float64 in [0, 1], each ball's intensity alone."""
    centres = (np.arange(spec.frame_size) + 0.5) * spec.box / spec.frame_size
    dx = centres[None, None, None, :] - positions[..., 0, None, None]
    dy = centres[None, None, :, None] - positions[..., 1, None, None]
    return np.exp(-(((dx**2 + dy**2) / spec.radius**2) ** 4))


def render(spec: BallsSpec, trajectory: Trajectory) -> Frames:
    """Binary frames, ball ids and collision pixels of one trajectory (see :class:`Frames`)."""
    light = intensities(spec, trajectory.positions)
    owner = light.argmax(axis=1)
    lit = light.max(axis=1) >= 0.5
    groups = np.where(lit, owner + 1, 0).astype(np.uint8)
    colliding = trajectory.collided[np.arange(len(owner))[:, None, None], owner]
    return Frames(lit.astype(np.uint8), groups, (lit & colliding).astype(np.uint8))


def video(spec: BallsSpec, ball_counts: tuple[int, ...], seed: int, index: int) -> tuple[Trajectory, Frames]:
    """Video ``index`` of a split drawn from ``[seed, index]``: its ball count uniform over ``ball_counts``."""
    rng = np.random.default_rng([seed, index])
    n = int(rng.choice(np.asarray(ball_counts)))
    trajectory = simulate(spec, n, rng)
    return trajectory, render(spec, trajectory)
