"""KSG mutual information (Kraskov algorithm 1) and the factor-level measures of Whitney & Fergus Table 2."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial import cKDTree
from scipy.special import digamma

from latentvideo.metrics.factor_information import (best_random_partition, contiguous_groups,
                                                    cross_time_correlation, factor_information)
from latentvideo.metrics.mutual_information import gaussian_mi, ksg_mi, ksg_mi_bits


def _correlated(n: int, dims: int, rho: float, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dims))
    return x, rho * x + math.sqrt(1 - rho * rho) * rng.standard_normal((n, dims))


def _tree_reference(x: np.ndarray, y: np.ndarray, k: int) -> float:
    """An independent KSG implementation with k-d trees (as NPEET does it, without its jitter)."""
    joint = np.hstack([x, y])
    eps = cKDTree(joint).query(joint, k + 1, p=np.inf)[0][:, k]
    nx = np.array([len(cKDTree(x).query_ball_point(p, r - 1e-12, p=np.inf)) for p, r in zip(x, eps)])
    ny = np.array([len(cKDTree(y).query_ball_point(p, r - 1e-12, p=np.inf)) for p, r in zip(y, eps)])
    return float(digamma(k) + digamma(len(x)) - np.mean(digamma(nx) + digamma(ny)))  # counts include the point


@pytest.mark.parametrize("dims, rho", [(1, 0.9), (1, 0.5), (2, 0.6), (2, 0.3)])
def test_correlated_gaussians_within_0_05_nats_at_n_2000(dims, rho):
    x, y = _correlated(2000, dims, rho, seed=dims)
    estimate, exact = ksg_mi(x, y, k=3), gaussian_mi(rho, dims)
    assert abs(estimate - exact) < 0.05, (estimate, exact)


@pytest.mark.parametrize("dims", [1, 3])
def test_independent_variables_give_about_zero(dims):
    x, y = _correlated(2000, dims, 0.0, seed=10 + dims)
    assert abs(ksg_mi(x, y)) < 0.03


def test_matches_an_independent_tree_implementation_exactly():
    x, y = _correlated(300, 3, 0.7, seed=5)
    y = np.hstack([y, np.random.default_rng(6).standard_normal((300, 2))])  # different marginal dimensions
    assert ksg_mi(x, y, k=3) == pytest.approx(_tree_reference(x, y, 3), abs=1e-9)
    assert ksg_mi(x, y, k=5) == pytest.approx(_tree_reference(x, y, 5), abs=1e-9)


def test_bits_and_input_checks():
    x, y = _correlated(500, 1, 0.8, seed=1)
    assert ksg_mi_bits(x, y) == pytest.approx(ksg_mi(x, y) / math.log(2))
    with pytest.raises(ValueError, match="more than 3 samples"):
        ksg_mi(x[:3], y[:3])
    with pytest.raises(ValueError, match="pair up"):
        ksg_mi(x, y[:10])


def _factored_latents(n: int, seed: int):
    """Two factors of two units; each evolves from its own past only (z_next^i = 0.9 z^i + noise)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 4))
    return z, 0.9 * z + 0.3 * rng.standard_normal((n, 4))


def test_independent_factors_have_same_information_and_no_cross_information():
    z, z_next = _factored_latents(1500, 0)
    info = factor_information(z, z_next, contiguous_groups(4, 2))
    assert info.same == pytest.approx(2 * gaussian_mi(0.9 / math.sqrt(0.9), 1) / math.log(2), abs=0.15)
    assert abs(info.cross) < 0.05 and info.per_pair.shape == (2, 2) and info.n == 1500


def test_the_best_random_partition_recovers_hidden_factors():
    z, z_next = _factored_latents(800, 1)
    perm = np.array([2, 0, 3, 1])  # hide the factors among the units: factor 0 = units {1, 3}, factor 1 = {0, 2}
    info = best_random_partition(z[:, perm], z_next[:, perm], 2, 20, 3, np.random.default_rng(0))
    assert sorted(map(sorted, info.groups.tolist())) == [[0, 2], [1, 3]]
    assert info.same > 1.0 and abs(info.cross) < 0.1


def test_cross_time_correlation_is_block_diagonal_for_independent_factors():
    z, z_next = _factored_latents(4000, 2)
    corr = cross_time_correlation(z, z_next)
    assert corr.shape == (4, 4)
    assert np.allclose(np.diag(corr), 0.9 / math.sqrt(0.81 + 0.09), atol=0.03)
    assert np.abs(corr[~np.eye(4, dtype=bool)]).max() < 0.06
    with pytest.raises(ValueError, match="equal factors"):
        contiguous_groups(5, 2)
