"""How independently latent factors evolve (Whitney & Fergus 2017, Sec. 3.1, Table 2 and Figure 2).

Inputs are paired posterior samples ``z_t, z_next: (N, D)`` (unit u of Z_t and of Z_{t+1}); a grouping assigns
the D units to k factors. ``same`` is the mean over factors of I(z^i_{t+1}; z^i_t); ``cross`` the mean over
ordered pairs i != j of I(z^i_{t+1}; z^j_t) (the paper's definition; the original code averaged j > i only).
All information is in bits (KSG, k neighbours, max-norm; :mod:`latentvideo.metrics.mutual_information`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from latentvideo.metrics.mutual_information import ksg_mi_bits


class FactorInformation(NamedTuple):
    """same / cross: means in bits; per_pair: ``(k, k)`` bits, entry [i, j] = I(z^i_{t+1}; z^j_t);
    groups: ``(k, D / k)`` unit indices of each factor; n: number of sample pairs."""

    same: float
    cross: float
    per_pair: np.ndarray
    groups: np.ndarray
    n: int


def contiguous_groups(units: int, groups: int) -> np.ndarray:
    """Factor i = units ``[i * units / groups, (i + 1) * units / groups)``: ``(groups, units / groups)`` indices."""
    if units % groups:
        raise ValueError(f"{units} latent units do not split into {groups} equal factors")
    return np.arange(units).reshape(groups, units // groups)


def factor_information(z_t: np.ndarray, z_next: np.ndarray, groups: np.ndarray, k: int = 3) -> FactorInformation:
    """Same- and cross-factor information between ``z_t`` and ``z_next`` (``(N, D)`` each) for a grouping."""
    n_groups = len(groups)
    per_pair = np.empty((n_groups, n_groups))
    for i in range(n_groups):
        for j in range(n_groups):
            per_pair[i, j] = ksg_mi_bits(z_next[:, groups[i]], z_t[:, groups[j]], k)
    off = ~np.eye(n_groups, dtype=bool)
    cross = float(per_pair[off].mean()) if n_groups > 1 else float("nan")
    return FactorInformation(float(np.diag(per_pair).mean()), cross, per_pair, np.asarray(groups), len(z_t))


def best_random_partition(z_t: np.ndarray, z_next: np.ndarray, groups: int, partitions: int, k: int,
                          rng: np.random.Generator) -> FactorInformation:
    """The paper's protocol for an entangled latent space: ``partitions`` random partitions of the units into
    ``groups`` equal factors; returns the one with the largest ``same - cross``."""
    units = z_t.shape[1]
    best = None
    for _ in range(partitions):
        grouping = rng.permutation(units)[: units - units % groups].reshape(groups, -1)
        info = factor_information(z_t, z_next, np.sort(grouping, axis=1), k)
        if best is None or info.same - info.cross > best.same - best.cross:
            best = info
    return best


def cross_time_correlation(z_t: np.ndarray, z_next: np.ndarray) -> np.ndarray:
    """Pearson correlation ``(D, D)``: entry [u, v] = corr(unit u of Z_t, unit v of Z_{t+1}) (paper Fig. 2)."""
    a = (z_t - z_t.mean(0)) / np.maximum(z_t.std(0), 1e-12)
    b = (z_next - z_next.mean(0)) / np.maximum(z_next.std(0), 1e-12)
    return a.T @ b / len(z_t)
