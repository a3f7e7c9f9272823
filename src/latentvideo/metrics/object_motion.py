"""Velocity prediction of a decomposition model (PROVIDE Fig. 6, after DDPAE): cosine similarity between the
predicted and the true velocities of each object, from bounding-box centroids.

PROVIDE states only "velocity vectors between bounding box centroids" and publishes no code for it; ours:

* each ground-truth object is matched to one slot once, at a reference frame (the last inferred frame), by
  the assignment that maximises the pixels they share (Hungarian, ``scipy.optimize.linear_sum_assignment``);
  objects and slots stay matched for the predicted frames;
* an object's (or its slot's) position in a frame is the centre of the bounding box of its pixels (the slot's:
  the pixels whose argmax mask it is), in pixels; its velocity at frame t is position(t) − position(t − 1);
* the score of frame t is the mean over objects of cos(v_pred, v_true); an object counts where it and its slot
  are visible at t − 1 and t and both velocities are non-zero (otherwise the cosine is undefined), and each
  frame reports how many objects counted. A frame where none did is NaN, never a made-up value.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment


class VelocityScores(NamedTuple):
    """Per frame from the second on: ``cosine: (T - 1,)`` float64 mean cosine (NaN where no object counted),
    ``objects: (T - 1,)`` int64, how many objects each mean is over."""

    cosine: np.ndarray
    objects: np.ndarray


def match_slots(true_ids: np.ndarray, slots: np.ndarray, background: int = 0) -> dict[int, int]:
    """``{object id: slot}`` maximising the shared pixels of one frame (``(H, W)`` integer ids each)."""
    objects = [int(i) for i in np.unique(true_ids) if i != background]
    if not objects:
        return {}
    candidates = [int(s) for s in np.unique(slots)]
    overlap = np.array([[np.sum((true_ids == o) & (slots == s)) for s in candidates] for o in objects])
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    return {objects[r]: candidates[c] for r, c in zip(rows, cols)}


def box_centres(ids: np.ndarray, label: int) -> np.ndarray:
    """``ids: (T, H, W)`` -> ``(T, 2)`` float64 (row, column) centre of the bounding box of ``label`` per frame,
    NaN where it has no pixel."""
    out = np.full((len(ids), 2), np.nan)
    for t, frame in enumerate(ids):
        rows, cols = np.nonzero(frame == label)
        if rows.size:
            out[t] = ((rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2)
    return out


def velocity_cosine(true_ids: np.ndarray, slots: np.ndarray, matching: dict[int, int]) -> VelocityScores:
    """``true_ids``, ``slots``: ``(T, H, W)`` integer object ids and argmax slots of the frames scored (the
    first is the reference the velocities start from); ``matching`` from :func:`match_slots`."""
    if true_ids.shape != slots.shape or true_ids.ndim != 3:
        raise ValueError(f"ids {true_ids.shape} and slots {slots.shape}: expected two (T, H, W) arrays")
    cosines = []
    for obj, slot in matching.items():
        v_true = np.diff(box_centres(true_ids, obj), axis=0)
        v_pred = np.diff(box_centres(slots, slot), axis=0)
        norms = np.linalg.norm(v_true, axis=1) * np.linalg.norm(v_pred, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = (v_true * v_pred).sum(axis=1) / norms
        cosines.append(np.where(norms > 0, cos, np.nan))  # NaN: not visible in both frames, or not moving
    if not cosines:
        nothing = np.full(len(true_ids) - 1, np.nan)
        return VelocityScores(nothing, np.zeros(len(true_ids) - 1, dtype=np.int64))
    table = np.stack(cosines)
    counted = (~np.isnan(table)).sum(axis=0)
    with np.errstate(invalid="ignore"):
        mean = np.where(counted > 0, np.nansum(table, axis=0) / np.maximum(counted, 1), np.nan)
    return VelocityScores(mean, counted.astype(np.int64))
