"""Loss terms against independent references: analytic KL vs Monte Carlo, NLL vs torch.distributions."""

from __future__ import annotations

import math

import torch

from latentvideo.models.gaussian import DiagGaussian, from_softplus_params, gaussian_nll, kl_divergence
from latentvideo.models import build_model
from latentvideo.models.optimisation import constant_then_linear_decay


def test_analytic_kl_matches_monte_carlo_estimate():
    g = torch.Generator().manual_seed(0)
    q = DiagGaussian(torch.randn(4, generator=g), torch.rand(4, generator=g) + 0.3)
    p = DiagGaussian(torch.randn(4, generator=g), torch.rand(4, generator=g) + 0.5)
    x = q.mean + q.scale * torch.randn(400_000, 4, generator=g)
    log_q = torch.distributions.Normal(q.mean, q.scale).log_prob(x)
    log_p = torch.distributions.Normal(p.mean, p.scale).log_prob(x)
    mc = (log_q - log_p).mean(0)
    analytic = kl_divergence(q, p)
    assert torch.allclose(analytic, mc, atol=0.01), (analytic, mc)
    ref = torch.distributions.kl_divergence(torch.distributions.Normal(*q), torch.distributions.Normal(*p))
    assert torch.allclose(analytic, ref, atol=1e-6)


def test_gaussian_nll_matches_torch_distributions():
    x, mean = torch.rand(10), torch.rand(10)
    for scale in (1.0, 0.2):
        ref = -torch.distributions.Normal(mean, scale).log_prob(x)
        assert torch.allclose(gaussian_nll(x, mean, scale), ref, atol=1e-6)


def test_softplus_parameterisation():
    g = from_softplus_params(torch.tensor([[0.5, -100.0]]))
    assert g.mean.item() == 0.5
    assert math.isclose(g.scale.item(), 1e-8, rel_tol=1e-3)


def test_srvp_loss_terms_add_up_with_paper_weights():
    torch.manual_seed(0)
    model = build_model("srvp", {"beta_z": 2.0, "l2_res": 1.0})
    loss = model.loss(torch.rand(5, 2, 1, 64, 64))
    assert torch.allclose(loss.total, loss.nll + loss.kl_y + 2.0 * loss.kl_z + loss.residual_norm)
    # per-sequence NLL of the Gaussian with unit variance: at least the constant 0.5 log(2 pi) per pixel
    assert loss.nll.item() > 5 * 64 * 64 * 0.5 * math.log(2 * math.pi)


def test_svg_loss_is_mse_plus_beta_kl():
    torch.manual_seed(0)
    model = build_model("svg_lp", {"beta": 1e-4})
    loss = model.loss(torch.rand(5, 2, 1, 64, 64))
    assert torch.allclose(loss.total, loss.mse + 1e-4 * loss.kl)
    assert 0 < loss.mse.item() < 4 * 1.0  # four predicted frames, per-pixel MSE each <= 1


def test_lr_schedule_constant_then_linear_to_zero():
    f = constant_then_linear_decay(10, 4)
    assert [f(s) for s in range(10)] == [1, 1, 1, 1, 1, 1, 1.0, 0.75, 0.5, 0.25]
    assert all(constant_then_linear_decay(10, 0)(s) == 1 for s in range(10))
