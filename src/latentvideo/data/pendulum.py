"""Pendulum: noisy images of a torque-driven pendulum whose torque is not observed (SRVP Appendix E, Table 6).

The SRVP paper evaluates "in the same setting as DVBF (Karl et al., 2017) and KVAE (Fraccaro et al., 2017)"
without restating it, and neither the DVBF paper's experimental section nor its data were available to this
project (README, "Pendulum"). Every number below is therefore **ours**, chosen to match the setting's
published description (noisy images of a pendulum driven by a random, unobserved torque; MLP encoders and
decoders, hence small frames) and recorded in each test set's manifest:

* dynamics ``theta'' = -(g / l) sin(theta) - damping * theta' + u_t``, integrated with ``substeps`` semi-implicit
  Euler steps per frame interval ``frame_interval`` (s); ``theta = 0`` points down;
* torque ``u_t`` uniform in ``[-max_torque, max_torque]``, drawn per frame and held over it (never stored);
* start angle uniform in ``[-pi, pi)``, start angular velocity uniform in ``[-max_start_velocity, +...]``;
* each frame a ``frame_size`` x ``frame_size`` grey image of the bob, a Gaussian blob of standard deviation
  ``bob_radius`` pixels at distance ``arm`` x (frame_size / 2) from the centre, peak 1, plus i.i.d. Gaussian
  pixel noise of standard deviation ``noise``, clipped to [0, 1] and stored as uint8.

Video ``i`` of a split is a pure function of ``(seed, i)``: training draws from a fixed pool of
``train_videos`` sequences (``[train_seed, i]``), validation from another pool, the test set from
``test_seed``; the three never share a generator stream.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np

GENERATOR_VERSION = "pendulum/1"
TRAIN_STREAM, VALIDATION_STREAM = 0, 1


@dataclass(frozen=True)
class PendulumSpec:
    """The generator's settings (config ``datasets.<name>``, kind ``pendulum``; units in the module docstring)."""

    frame_size: int = 16
    gravity: float = 9.81  # g / l, 1/s^2
    damping: float = 0.1  # 1/s
    frame_interval: float = 0.1  # s
    substeps: int = 10
    max_torque: float = 2.0  # angular acceleration, rad/s^2
    max_start_velocity: float = 2.0  # rad/s
    bob_radius: float = 1.5  # pixels
    arm: float = 0.7  # fraction of half the frame
    noise: float = 0.1  # pixel noise standard deviation, on [0, 1]

    @classmethod
    def from_config(cls, dataset: Mapping[str, Any]) -> "PendulumSpec":
        return cls(**{k: dataset[k] for k in cls.__dataclass_fields__ if k in dataset})

    def states(self, seq_len: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Angle and angular velocity at each frame, ``(seq_len,)`` float64 each (rad, rad/s)."""
        theta = rng.uniform(-math.pi, math.pi)
        omega = rng.uniform(-self.max_start_velocity, self.max_start_velocity)
        torque = rng.uniform(-self.max_torque, self.max_torque, size=seq_len)
        h = self.frame_interval / self.substeps
        thetas, omegas = np.empty(seq_len), np.empty(seq_len)
        for t in range(seq_len):
            thetas[t], omegas[t] = theta, omega
            for _ in range(self.substeps):  # semi-implicit Euler: velocity first, then angle
                omega += h * (-self.gravity * math.sin(theta) - self.damping * omega + torque[t])
                theta += h * omega
        return thetas, omegas

    def render(self, thetas: np.ndarray) -> np.ndarray:
        """Noise-free frames ``(T, H, W)`` float in [0, 1] of the bob at angles ``thetas: (T,)`` (rad)."""
        centre = (self.frame_size - 1) / 2.0
        radius = self.arm * self.frame_size / 2.0
        rows = centre + radius * np.cos(thetas)  # theta = 0: straight down (image rows grow downwards)
        cols = centre + radius * np.sin(thetas)
        grid = np.arange(self.frame_size, dtype=np.float64)
        dist2 = (grid[None, :, None] - rows[:, None, None]) ** 2 + (grid[None, None, :] - cols[:, None, None]) ** 2
        return np.exp(-0.5 * dist2 / self.bob_radius**2)

    def sequence(self, seq_len: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One video ``(T, H, W, 1)`` uint8 and its angles ``(T,)`` (rad)."""
        thetas, _ = self.states(seq_len, rng)
        frames = self.render(thetas) + self.noise * rng.standard_normal((seq_len, self.frame_size, self.frame_size))
        return np.round(np.clip(frames, 0.0, 1.0) * 255.0).astype(np.uint8)[..., None], thetas

    def videos(self, seeds: list[list[int]], seq_len: int) -> tuple[np.ndarray, np.ndarray]:
        """Videos ``(N, T, H, W, 1)`` uint8 and angles ``(N, T)``, video n drawn with ``default_rng(seeds[n])``."""
        out = [self.sequence(seq_len, np.random.default_rng(s)) for s in seeds]
        return np.stack([v for v, _ in out]), np.stack([a for _, a in out])

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def make_test_set(dataset: Mapping[str, Any], n_videos: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed test set of a pendulum dataset: ``(N, test_length, H, W, 1)`` uint8 and angles ``(N, T)``."""
    spec = PendulumSpec.from_config(dataset)
    return spec.videos([[dataset["test_seed"], i] for i in range(n_videos)], dataset["test_length"])


def pool_seeds(dataset: Mapping[str, Any], stream: int, indices: np.ndarray) -> list[list[int]]:
    """Generator seeds of videos ``indices`` of the training (``TRAIN_STREAM``) or validation pool."""
    return [[dataset["train_seed"], stream, int(i)] for i in indices]
