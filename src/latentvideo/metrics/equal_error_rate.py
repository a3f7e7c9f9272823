"""Speaker verification by cosine similarity and its equal error rate (R-WAE Table 1, Appendix C; Dehak et al.
2010, as FHVAE and DS-VAE report it).

Every pair of test utterances is a trial: its score is the cosine similarity of their features (mu^c, the
mean of z^c, to test the content code; mu^m, the mean of z^m over time, to test the motion code), and it is a
*target* trial when both come from the same speaker. Accepting a trial when its score is >= a threshold
gives a false-acceptance rate (non-target trials accepted) and a false-rejection rate (target trials
rejected); the EER is where the two are equal. With finitely many trials they rarely meet exactly: we
take the thresholds (among the scores) that minimise |FAR - FRR| and report the mean of the two rates there
(the smallest such mean where several thresholds tie).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Trials(NamedTuple):
    """scores: (P,) float cosine similarities of the pairs i < j; target: (P,) bool, same speaker."""

    scores: np.ndarray
    target: np.ndarray


def cosine_trials(features: np.ndarray, speakers: np.ndarray) -> Trials:
    """All pairs i < j of ``features: (N, D)`` with ``speakers: (N,)`` labels."""
    f = np.asarray(features, dtype=np.float64)
    norms = np.linalg.norm(f, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ValueError("a feature vector is zero: its cosine similarity is undefined")
    f = f / norms
    i, j = np.triu_indices(len(f), k=1)
    speakers = np.asarray(speakers)
    return Trials((f[i] * f[j]).sum(axis=1), speakers[i] == speakers[j])


def error_rates(scores: np.ndarray, target: np.ndarray, threshold: float) -> tuple[float, float]:
    """(false acceptance, false rejection) when trials with ``score >= threshold`` are accepted."""
    accepted = np.asarray(scores) >= threshold
    target = np.asarray(target, dtype=bool)
    return float(accepted[~target].mean()), float((~accepted[target]).mean())


def equal_error_rate(scores: np.ndarray, target: np.ndarray) -> float:
    """The EER in [0, 1] of ``scores: (P,)`` and ``target: (P,)`` bool (both classes needed); O(P log P)."""
    scores, target = np.asarray(scores, dtype=np.float64), np.asarray(target, dtype=bool)
    if target.all() or not target.any():
        raise ValueError("an equal error rate needs both target and non-target trials")
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], target[order]
    # threshold = s[k]: every trial with a score >= s[k] is accepted, i.e. the prefix up to the last tie of s[k]
    last = np.searchsorted(-s, -s, side="right") - 1
    accepted_targets = np.cumsum(t)[last]
    accepted_others = np.cumsum(~t)[last]
    far = accepted_others / (~t).sum()
    frr = 1 - accepted_targets / t.sum()
    gap = np.abs(far - frr)
    closest = np.isclose(gap, gap.min(), rtol=0, atol=1e-12)
    return float(((far + frr) / 2)[closest].min())
