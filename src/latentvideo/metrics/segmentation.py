"""Decomposition metrics of PROVIDE and IODINE: ARI and foreground ARI (F-ARI) of argmax masks, per frame.

ARI is the adjusted Rand index of Hubert & Arabie over the pixels of one frame: ground-truth object ids
against the slot each pixel is assigned to (the argmax of the predicted masks), computed from the pair
confusion counts exactly as ``sklearn.metrics.adjusted_rand_score`` (tested against it). F-ARI is the same
over the foreground pixels only (ground-truth id != background), as PROVIDE's ``adjusted_rand_index_without_bg``.

Degenerate frames, defined explicitly (sklearn's and PROVIDE's conventions agree on them): when no pair of
pixels is split by one labelling and joined by the other (``fp == fn == 0``), the index is **1**. This covers
a single foreground object whose pixels all go to one slot, a frame with one foreground pixel, and a frame
with no foreground at all (F-ARI of an empty frame is 1, as in PROVIDE, which replaces the 0/0 by 1). A single
object spread over several slots scores **0** (its chance-level agreement). Frames are scored separately and
averaged, as PROVIDE's test script does (batch x frames).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class FrameScores(NamedTuple):
    """Per-frame scores: ``ari``, ``fari``: ``(T,)`` float64 in [-1, 1]."""

    ari: np.ndarray
    fari: np.ndarray


def _contingency(true_ids: np.ndarray, pred_ids: np.ndarray) -> np.ndarray:
    """``(classes, clusters)`` int64 pixel counts per (true id, predicted slot), of non-empty labellings."""
    true_codes = np.unique(true_ids, return_inverse=True)[1].ravel()
    pred_codes = np.unique(pred_ids, return_inverse=True)[1].ravel()
    n_pred = int(pred_codes.max()) + 1
    counts = np.bincount(true_codes * n_pred + pred_codes, minlength=(int(true_codes.max()) + 1) * n_pred)
    return counts.reshape(-1, n_pred).astype(np.int64)


def adjusted_rand_index(true_ids: np.ndarray, pred_ids: np.ndarray) -> float:
    """ARI of two labellings of the same pixels (any shapes with the same number of elements, integer ids)."""
    true_ids, pred_ids = np.asarray(true_ids).ravel(), np.asarray(pred_ids).ravel()
    if true_ids.shape != pred_ids.shape:
        raise ValueError(f"labellings of {true_ids.size} and {pred_ids.size} pixels")
    n = true_ids.size
    if n == 0:
        return 1.0
    table = _contingency(true_ids, pred_ids)
    same_both = int((table**2).sum())
    same_pred = int((table.sum(axis=0) ** 2).sum())
    same_true = int((table.sum(axis=1) ** 2).sum())
    # ordered pairs, as sklearn's pair_confusion_matrix: tp joined by both, fp joined by the prediction only ...
    tp = same_both - n
    fp = same_pred - same_both
    fn = same_true - same_both
    tn = n * n - fp - fn - same_both
    if fp == 0 and fn == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def foreground_ari(true_ids: np.ndarray, pred_ids: np.ndarray, background: int = 0) -> float:
    """ARI over the pixels whose ground-truth id is not ``background`` (F-ARI; 1 for a frame without any)."""
    true_ids, pred_ids = np.asarray(true_ids).ravel(), np.asarray(pred_ids).ravel()
    keep = true_ids != background
    return adjusted_rand_index(true_ids[keep], pred_ids[keep])


def frame_scores(true_ids: np.ndarray, masks: np.ndarray, background: int = 0) -> FrameScores:
    """ARI and F-ARI of every frame.

    true_ids: (T, H, W) integer ground-truth object ids (``background`` = none);
    masks: (T, K, H, W) float, the K slots' masks (or any scores: each pixel goes to its argmax slot).
    """
    true_ids, masks = np.asarray(true_ids), np.asarray(masks)
    if masks.ndim != 4 or masks.shape[0] != true_ids.shape[0] or masks.shape[2:] != true_ids.shape[1:]:
        raise ValueError(f"masks {masks.shape} do not match ids {true_ids.shape}: expected (T, K, H, W) and (T, H, W)")
    slots = masks.argmax(axis=1)
    return FrameScores(
        np.array([adjusted_rand_index(t, s) for t, s in zip(true_ids, slots)]),
        np.array([foreground_ari(t, s, background) for t, s in zip(true_ids, slots)]),
    )
