"""The spatial mixture likelihood and the slot terms (IODINE / PROVIDE) against direct formulas."""

from __future__ import annotations

import math

import torch
from torch import distributions as D

from latentvideo.models.slot_mixture import (frame_nll, gaussian_constant, kl_gaussians, kl_standard_normal,
                                             mask_entropy, pixel_log_likelihood)


def official_form(x, means, mask_logits, variance):
    """PROVIDE's src/model.py: log of the mask-weighted sum of exp(-(mu - x)^2 / (2 var)), summed over channels."""
    masks = torch.softmax(mask_logits, dim=1)[:, :, None]
    return (masks * (-((means - x[:, None]) ** 2) / (2 * variance)).exp()).sum(dim=1).log().sum(dim=1)


def test_likelihood_equals_the_official_form_and_a_gaussian_for_one_slot():
    torch.manual_seed(0)
    x, means = torch.rand(2, 3, 5, 6).double(), torch.rand(2, 4, 3, 5, 6).double()
    logits = torch.randn(2, 4, 5, 6).double()
    torch.testing.assert_close(pixel_log_likelihood(x, means, logits, 0.3), official_form(x, means, logits, 0.3))
    one = pixel_log_likelihood(x, means[:, :1], logits[:, :1], 0.3)
    gaussian = D.Normal(means[:, 0], math.sqrt(0.3)).log_prob(x).sum(dim=1)
    torch.testing.assert_close(one + 3 * gaussian_constant(0.3), gaussian)
    assert frame_nll(x, means, logits, 0.3).shape == ()
    expected = -official_form(x, means, logits, 0.3).sum((1, 2)).mean()
    torch.testing.assert_close(frame_nll(x, means, logits, 0.3), expected)


def test_likelihood_stays_finite_where_the_official_form_underflows():
    x = torch.ones(1, 1, 2, 2)
    means = torch.zeros(1, 2, 1, 2, 2)  # every slot far from the pixel, tiny variance
    logits = torch.tensor([[[[30.0, 0.0], [0.0, 0.0]], [[-30.0, 0.0], [0.0, 0.0]]]])
    assert torch.isinf(official_form(x, means, logits, 1e-3)).any()
    # every slot has the same mean: log sum_k m_k exp(-1 / (2 * 1e-3)) = -500 whatever the masks
    torch.testing.assert_close(pixel_log_likelihood(x, means, logits, 1e-3), torch.full((1, 2, 2), -500.0))


def test_mask_entropy():
    uniform = torch.zeros(3, 4, 5, 6)  # K = 4 equal masks: log 4 per pixel
    torch.testing.assert_close(mask_entropy(uniform), torch.tensor(30 * math.log(4)), atol=1e-5, rtol=1e-6)
    certain = torch.full((3, 4, 5, 6), -50.0)
    certain[:, 0] = 50.0
    assert mask_entropy(certain) < 1e-6


def test_kl_terms_against_torch_distributions():
    torch.manual_seed(1)
    m1, lv1, m2, lv2 = (torch.randn(7, 5).double() for _ in range(4))
    q, p = D.Normal(m1, (0.5 * lv1).exp()), D.Normal(m2, (0.5 * lv2).exp())
    torch.testing.assert_close(kl_gaussians(m1, lv1, m2, lv2), D.kl_divergence(q, p).sum(-1))
    torch.testing.assert_close(kl_standard_normal(m1, lv1), D.kl_divergence(q, D.Normal(0.0, 1.0)).sum(-1))
    torch.testing.assert_close(kl_gaussians(m1, lv1, m1, lv1), torch.zeros(7).double())
