"""R-WAE's metrics against references: the MMD estimator, the judge scores, the EER, the frame-level FID."""

import numpy as np
import pytest
import torch

from latentvideo.metrics.equal_error_rate import cosine_trials, equal_error_rate, error_rates
from latentvideo.metrics.frechet import frechet_distance, gaussian
from latentvideo.metrics.judge_scores import balanced_subset, inception_score, inter_entropy, intra_entropy, judge_scores
from latentvideo.metrics.mmd import mmd2_paired, mmd2_unbiased, rbf, rbf_mixture


def _direct_mmd2(x, y, k):
    """The unbiased estimate written as explicit double sums over scalar kernel evaluations."""
    n, m = len(x), len(y)
    kxx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    kyy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    kxy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return kxx + kyy - 2 * kxy


def test_mmd_equals_the_direct_double_sum_for_both_kernels():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(7, 3, generator=gen, dtype=torch.float64), torch.randn(5, 3, generator=gen, dtype=torch.float64) + 1
    bandwidths = (1.0, 2.0, 4.0, 8.0, 16.0)

    def mixture(a, b):
        return sum(np.exp(-float(((a - b) ** 2).sum()) / (2 * s * s)) for s in bandwidths)

    def single(a, b):
        return np.exp(-float(((a - b) ** 2).sum()) / (2 * 0.5 ** 2))

    assert float(mmd2_unbiased(x, y, rbf_mixture(bandwidths))) == pytest.approx(_direct_mmd2(x, y, mixture), rel=1e-10)
    assert float(mmd2_unbiased(x, y, rbf(0.5))) == pytest.approx(_direct_mmd2(x, y, single), rel=1e-10)


def test_mmd_is_zero_in_expectation_for_equal_distributions_and_positive_for_different_ones():
    gen = torch.Generator().manual_seed(1)
    same = torch.stack([mmd2_unbiased(torch.randn(16, 4, generator=gen), torch.randn(16, 4, generator=gen), rbf_mixture())
                        for _ in range(400)])
    mean, sem = float(same.mean()), float(same.std() / 20)
    assert abs(mean) < 3 * sem, (mean, sem)
    assert (same < 0).any()  # unbiased: single estimates fall on both sides of 0
    shifted = [float(mmd2_unbiased(torch.randn(16, 4, generator=gen), torch.randn(16, 4, generator=gen) + 1.5,
                                   rbf_mixture())) for _ in range(20)]
    assert min(shifted) > 10 * sem


def test_paired_mmd_equals_its_double_sum_and_is_unbiased_for_dependent_pairs():
    gen = torch.Generator().manual_seed(2)
    x, y = torch.randn(6, 3, generator=gen, dtype=torch.float64), torch.randn(6, 3, generator=gen, dtype=torch.float64)

    def k(a, b):
        return np.exp(-float(((a - b) ** 2).sum()) / 2)

    direct = sum(k(x[i], x[j]) + k(y[i], y[j]) - k(x[i], y[j]) - k(x[j], y[i])
                 for i in range(6) for j in range(6) if i != j) / 30
    assert float(mmd2_paired(x, y, rbf(1.0))) == pytest.approx(direct, rel=1e-10)
    # y_i = 0.8 x_i + 0.6 e_i: every y_i depends on its x_i, both are N(0, I): MMD^2 of the marginals is 0
    paired, unpaired = [], []
    for _ in range(400):
        x, e = torch.randn(16, 4, generator=gen), torch.randn(16, 4, generator=gen)
        y = 0.8 * x + 0.6 * e
        paired.append(float(mmd2_paired(x, y, rbf_mixture())))
        unpaired.append(float(mmd2_unbiased(x, y, rbf_mixture())))
    sem = np.std(paired) / 20
    assert abs(np.mean(paired)) < 3 * sem, (np.mean(paired), sem)
    assert np.mean(unpaired) < -10 * sem  # the all-pairs cross term counts the dependent pairs i = j
    with pytest.raises(ValueError, match="two equal samples"):
        mmd2_paired(torch.randn(4, 2), torch.randn(5, 2), rbf())


def test_mmd_is_differentiable_and_needs_two_samples_a_side():
    x = torch.randn(6, 2, requires_grad=True)
    mmd2_unbiased(x, torch.randn(6, 2), rbf_mixture()).backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="at least 2 samples"):
        mmd2_unbiased(torch.randn(1, 2), torch.randn(4, 2), rbf())


def test_judge_scores_of_known_distributions():
    confident = np.eye(4)[[0, 1, 2, 3, 0, 1, 2, 3]]
    s = judge_scores(confident, np.array([0, 1, 2, 3, 0, 1, 2, 0]))
    assert s.accuracy == pytest.approx(7 / 8)
    assert s.intra_entropy == pytest.approx(0, abs=1e-9)
    assert s.inter_entropy == pytest.approx(np.log(4))
    assert s.inception_score == pytest.approx(4)  # K equally used, each certain: the maximum
    uniform = np.full((5, 3), 1 / 3)
    assert inception_score(uniform) == pytest.approx(1)
    assert intra_entropy(uniform) == pytest.approx(np.log(3))
    collapsed = np.tile([[0.7, 0.2, 0.1]], (6, 1))  # every video the same: nothing learned, IS 1
    assert inception_score(collapsed) == pytest.approx(1)
    assert inter_entropy(collapsed) == pytest.approx(intra_entropy(collapsed))


def test_inception_score_is_exp_of_the_entropy_gap_on_random_predictions():
    p = np.random.default_rng(2).dirichlet(np.ones(6) * 0.3, size=50)
    assert np.log(inception_score(p)) == pytest.approx(inter_entropy(p) - intra_entropy(p), rel=1e-9)
    with pytest.raises(ValueError, match="distribution"):
        inception_score(p * 2)


def test_balanced_subset_keeps_the_rarest_class_count_of_each_class():
    labels = np.array([0] * 5 + [1] * 2 + [2] * 9)
    kept = balanced_subset(labels, np.random.default_rng(0))
    assert sorted(np.bincount(labels[kept])) == [2, 2, 2]
    assert len(set(kept)) == len(kept)


def _brute_force_eer(scores, target):
    rates = [error_rates(scores, target, threshold) for threshold in scores]
    gap = min(abs(far - frr) for far, frr in rates)
    return min((far + frr) / 2 for far, frr in rates if abs(abs(far - frr) - gap) < 1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_eer_equals_a_brute_force_threshold_sweep(seed):
    rng = np.random.default_rng(seed)
    target = rng.random(120) < 0.3
    scores = np.round(rng.normal(target * 1.0, 1.0), 1)  # rounded: ties between trials
    assert equal_error_rate(scores, target) == pytest.approx(_brute_force_eer(scores, target), abs=1e-12)


def test_eer_of_separable_and_of_uninformative_scores():
    target = np.array([True, True, False, False, False])
    assert equal_error_rate(np.array([0.9, 0.8, 0.1, 0.2, 0.3]), target) == 0
    rng = np.random.default_rng(3)
    target = rng.random(4000) < 0.5
    assert equal_error_rate(rng.random(4000), target) == pytest.approx(0.5, abs=0.03)
    with pytest.raises(ValueError, match="both target and non-target"):
        equal_error_rate(np.ones(3), np.ones(3, bool))


def test_cosine_trials_pair_every_utterance_once():
    features = np.array([[1.0, 0], [2.0, 0], [0, 1.0]])
    trials = cosine_trials(features, np.array(["a", "a", "b"]))
    np.testing.assert_allclose(trials.scores, [1, 0, 0], atol=1e-12)
    np.testing.assert_array_equal(trials.target, [True, False, False])


def test_frame_fid_of_sampled_gaussians_approaches_the_closed_form():
    rng = np.random.default_rng(4)
    a, b = rng.normal(0, 1, size=(20000, 3)), rng.normal(0.5, 2, size=(20000, 3))
    closed = 3 * 0.5 ** 2 + 3 * (1 + 4 - 2 * 2)  # |mu1-mu2|^2 + tr(S1 + S2 - 2 sqrt(S1 S2))
    assert frechet_distance(*gaussian(a), *gaussian(b)) == pytest.approx(closed, rel=0.05)
