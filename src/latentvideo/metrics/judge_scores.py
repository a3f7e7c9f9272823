"""Scores of generated videos from a judge classifier's predictions (R-WAE Tables 2, 3 and 9; S3VAE / C-DSVAE's
``test_sprite_cls.py`` protocol).

``probabilities: (N, K)``: the judge's p(y | x) of N generated videos over K classes (rows sum to 1).

* accuracy: the fraction of videos whose argmax is the label of the factor that was held fixed;
* intra-entropy H(y|x) = E_x[-sum_y p(y|x) log p(y|x)] (low: each video is confidently one class);
* inter-entropy H(y) = -sum_y p(y) log p(y) with p(y) = E_x p(y|x) (high: the classes are all generated);
* Inception Score exp(E_x KL(p(y|x) || p(y))) = exp(H(y) - H(y|x)) (Salimans et al. 2016).

Entropies are in nats. C-DSVAE subsamples every class to the smallest class count before IS / H(y) / H(y|x)
(:func:`balanced_subset`); R-WAE does not say, we apply it where labels are known and say so.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

EPS = 1e-12


class JudgeScores(NamedTuple):
    """accuracy in [0, 1]; intra_entropy H(y|x), inter_entropy H(y) in nats; inception_score in [1, K]."""

    accuracy: float
    intra_entropy: float
    inter_entropy: float
    inception_score: float


def _checked(probabilities: np.ndarray) -> np.ndarray:
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or len(p) == 0:
        raise ValueError(f"probabilities must be (N, K) with N >= 1, got shape {p.shape}")
    if not np.allclose(p.sum(axis=1), 1.0, atol=1e-4) or (p < 0).any():
        raise ValueError("probabilities: every row must be a distribution (non-negative, summing to 1)")
    return p


def entropy(p: np.ndarray) -> np.ndarray:
    """Entropy in nats along the last axis (0 log 0 = 0)."""
    return -(p * np.log(np.clip(p, EPS, None))).sum(axis=-1)


def intra_entropy(probabilities: np.ndarray) -> float:
    """H(y|x): the mean entropy of the judge's per-video distributions."""
    return float(entropy(_checked(probabilities)).mean())


def inter_entropy(probabilities: np.ndarray) -> float:
    """H(y): the entropy of the mean predicted distribution."""
    return float(entropy(_checked(probabilities).mean(axis=0)))


def inception_score(probabilities: np.ndarray) -> float:
    """``exp(mean_x KL(p(y|x) || p(y)))``, computed as the mean of the per-video KL divergences."""
    p = _checked(probabilities)
    marginal = p.mean(axis=0)
    kl = (p * (np.log(np.clip(p, EPS, None)) - np.log(np.clip(marginal, EPS, None)))).sum(axis=1)
    return float(np.exp(kl.mean()))


def accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of rows whose most probable class is ``labels: (N,)`` int."""
    p = _checked(probabilities)
    labels = np.asarray(labels)
    if labels.shape != (len(p),):
        raise ValueError(f"labels must be ({len(p)},), got {labels.shape}")
    return float((p.argmax(axis=1) == labels).mean())


def balanced_subset(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices that keep, of every class present in ``labels``, as many rows as the rarest class has (a random
    subset of each, sorted)."""
    labels = np.asarray(labels)
    classes, counts = np.unique(labels, return_counts=True)
    keep = [rng.choice(np.flatnonzero(labels == c), size=counts.min(), replace=False) for c in classes]
    return np.sort(np.concatenate(keep))


def judge_scores(probabilities: np.ndarray, labels: np.ndarray) -> JudgeScores:
    """All four scores of ``probabilities: (N, K)`` against the held-fixed factor's ``labels: (N,)``."""
    return JudgeScores(accuracy(probabilities, labels), intra_entropy(probabilities), inter_entropy(probabilities),
                       inception_score(probabilities))
