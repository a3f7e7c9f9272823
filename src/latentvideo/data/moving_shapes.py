"""Moving Shapes: one coloured shape moving on a black canvas, with its five controls as labels (R-WAE Table 9,
Fig. 12, after Balaji et al. 2018's TFGAN dataset).

R-WAE and TFGAN name the five controls and give examples only ("shape type (e.g. triangle and square), size
(small and large), color (e.g. white and red), motion type (e.g. zig-zag, straight line and diagonal) and
motion direction"); no generator was published. Every value set below is therefore **ours**, recorded in each
test set's manifest (``spec``) with ``GENERATOR_VERSION``:

* static controls: ``shape`` (square, triangle, circle), ``size`` (small: side ``size_small`` of the frame,
  large: ``size_large``), ``colour`` (white, red, green, blue);
* dynamic controls: ``motion`` (straight, diagonal, zig-zag) and ``direction`` (4 per motion: straight and
  zig-zag go up, down, left or right; diagonal goes up-left, up-right, down-left or down-right). A zig-zag
  advances like a straight line and oscillates across it (a triangle wave of period ``zigzag_period`` frames
  and amplitude ``zigzag_amplitude`` x frame size).

The shape moves ``speed`` x frame size per frame (per axis on a diagonal); its start is uniform among the
positions that keep it inside the frame for the whole video (no bounce, no wrap, so the labels describe the
whole video). Frames are drawn 4x supersampled and averaged (anti-aliased edges), uint8 RGB.
Video ``i`` of a split is a pure function of ``(seed, stream, i)``: the five labels are drawn uniformly first,
then the start.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np

GENERATOR_VERSION = "moving_shapes/1"
TRAIN_STREAM, VALIDATION_STREAM, TEST_STREAM = 0, 1, 2
SUPERSAMPLE = 4

FACTORS: dict[str, tuple[str, ...]] = {
    "shape": ("square", "triangle", "circle"),
    "size": ("small", "large"),
    "colour": ("white", "red", "green", "blue"),
    "motion": ("straight", "diagonal", "zigzag"),
    "direction": ("a", "b", "c", "d"),  # per motion, see DIRECTIONS
}
STATIC_FACTORS = ("shape", "size", "colour")
DYNAMIC_FACTORS = ("motion", "direction")
COLOURS = {"white": (255, 255, 255), "red": (255, 40, 40), "green": (40, 255, 40), "blue": (60, 60, 255)}
# (row, col) unit steps of each motion's four directions
DIRECTIONS = {
    "straight": ((-1, 0), (1, 0), (0, -1), (0, 1)),  # up, down, left, right
    "diagonal": ((-1, -1), (-1, 1), (1, -1), (1, 1)),  # up-left, up-right, down-left, down-right
    "zigzag": ((-1, 0), (1, 0), (0, -1), (0, 1)),
}
DIRECTION_NAMES = {"straight": ("up", "down", "left", "right"), "zigzag": ("up", "down", "left", "right"),
                   "diagonal": ("up-left", "up-right", "down-left", "down-right")}


@dataclass(frozen=True)
class MovingShapesSpec:
    """The generator's settings (config ``datasets.<name>``, kind ``moving_shapes``); lengths are fractions of
    the frame size."""

    frame_size: int = 64
    size_small: float = 0.2
    size_large: float = 0.35
    speed: float = 0.06
    zigzag_period: int = 4
    zigzag_amplitude: float = 0.1

    @classmethod
    def from_config(cls, dataset: Mapping[str, Any]) -> "MovingShapesSpec":
        return cls(**{k: dataset[k] for k in cls.__dataclass_fields__ if k in dataset})

    def check(self, seq_len: int) -> None:
        """A large shape on the longest path (diagonal, or zig-zag with its swing) must fit in the frame."""
        travel = self.speed * (seq_len - 1)
        need = self.size_large + max(travel, 2 * self.zigzag_amplitude)
        if need >= 1:
            raise ValueError(f"moving shapes: a large shape ({self.size_large}) travelling {travel:.3f} of the frame "
                             f"over {seq_len} frames does not fit; lower speed or size_large")

    def offsets(self, motion: str, direction: int, seq_len: int) -> np.ndarray:
        """``(T, 2)`` displacement (rows, cols) from the start, in frame-size units."""
        t = np.arange(seq_len, dtype=np.float64)
        step = np.array(DIRECTIONS[motion][direction], dtype=np.float64)
        path = t[:, None] * self.speed * step[None, :]
        if motion == "zigzag":
            phase = (t % self.zigzag_period) / self.zigzag_period
            swing = self.zigzag_amplitude * (1 - 4 * np.abs(phase - 0.5))  # triangle wave in [-A, A]
            path += swing[:, None] * np.array([step[1], -step[0]])[None, :]  # across the direction of travel
        return path

    def draw(self, shape: str, side: float, colour: str, centres: np.ndarray) -> np.ndarray:
        """Frames ``(T, H, W, 3)`` uint8 of the shape of ``side`` (frame units) centred at ``centres: (T, 2)``."""
        n = self.frame_size * SUPERSAMPLE
        grid = (np.arange(n) + 0.5) / n
        rows = grid[None, :, None] - centres[:, 0, None, None]
        cols = grid[None, None, :] - centres[:, 1, None, None]
        half = side / 2
        if shape == "square":
            inside = (np.abs(rows) <= half) & (np.abs(cols) <= half)
        elif shape == "circle":
            inside = rows ** 2 + cols ** 2 <= half ** 2
        else:  # triangle, apex up: rows from -half (apex) to +half (base), width growing linearly
            inside = (rows >= -half) & (rows <= half) & (np.abs(cols) <= (rows + half) / 2)
        cover = inside.reshape(len(centres), self.frame_size, SUPERSAMPLE, self.frame_size, SUPERSAMPLE).mean(axis=(2, 4))
        rgb = np.asarray(COLOURS[colour], dtype=np.float64)
        return np.round(cover[..., None] * rgb).astype(np.uint8)

    def sequence(self, seq_len: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, int]]:
        """One video ``(T, H, W, 3)`` uint8 and its labels ``{factor: index into FACTORS[factor]}``."""
        labels = {name: int(rng.integers(len(values))) for name, values in FACTORS.items()}
        motion = FACTORS["motion"][labels["motion"]]
        side = self.size_small if labels["size"] == 0 else self.size_large
        path = self.offsets(motion, labels["direction"], seq_len)
        lo = side / 2 - path.min(axis=0)
        hi = 1 - side / 2 - path.max(axis=0)
        start = rng.uniform(lo, hi)
        video = self.draw(FACTORS["shape"][labels["shape"]], side, FACTORS["colour"][labels["colour"]], start + path)
        return video, labels

    def videos(self, seeds: list[list[int]], seq_len: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Videos ``(N, T, H, W, 3)`` uint8 and labels ``{factor: (N,) int64}``, video n from ``default_rng(seeds[n])``."""
        self.check(seq_len)
        out = [self.sequence(seq_len, np.random.default_rng(s)) for s in seeds]
        labels = {name: np.array([lab[name] for _, lab in out], dtype=np.int64) for name in FACTORS}
        return np.stack([v for v, _ in out]), labels

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def split_seeds(seed: int, stream: int, indices: np.ndarray) -> list[list[int]]:
    """Generator seeds of videos ``indices`` of a split (``TRAIN_STREAM``, ``VALIDATION_STREAM``, ``TEST_STREAM``)."""
    return [[seed, stream, int(i)] for i in indices]
