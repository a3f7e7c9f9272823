"""The Whitney & Fergus 2017 model: Appendix A's layers (parameter counts), factored transitions, the
detached prior input of the inference network, the N(0, I) first step, the loss units, Figure 3 generations."""

from __future__ import annotations

import math

import pytest
import torch

from latentvideo.models import build_model
from latentvideo.models.factored_vae import FactoredVAE


def conv(c_in, c_out, k=4):
    return c_in * c_out * k * k + c_out  # weights + bias (Appendix A prints no bias=False)


def bn(c):
    return 2 * c


def linear(n_in, n_out):
    return n_in * n_out + n_out


def appendix_a_counts(factors: int, factor_dim: int, channels: int = 3) -> dict[str, int]:
    """Parameter counts implied by the layer listings of Appendix A."""
    z = factors * factor_dim
    encoder = (conv(channels, 64) + bn(64) + conv(64, 128) + bn(128) + conv(128, 256) + bn(256)
               + conv(256, 512) + bn(512) + conv(512, 32))
    combining = (linear(32, z) + linear(z, z) + linear(z, z) + linear(3 * z, z) + linear(z, z) + linear(z, z))
    generator = (linear(z, z) + conv(z, 512) + bn(512) + conv(512, 256) + bn(256) + conv(256, 128) + bn(128)
                 + conv(128, 64) + bn(64) + conv(64, channels))
    transition = (linear(factor_dim, 128) + linear(128, 128) + linear(128, 128) + linear(128, 128)
                  + linear(128, 2 * factor_dim))
    return {"encoder": encoder, "posterior_head": combining, "generator": generator, "transitions": factors * transition}


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("factors, factor_dim", [(2, 50), (1, 100), (8, 16), (1, 128)])
def test_parameter_counts_match_appendix_a(factors, factor_dim):
    model = build_model("factored_vae", {"factors": factors, "factor_dim": factor_dim})
    expected = appendix_a_counts(factors, factor_dim)
    assert {name: n_params(getattr(model, name)) for name in expected} == expected
    assert n_params(model) == sum(expected.values())
    assert expected["encoder"] == 3_020_640  # the same DCGAN discriminator whatever the latent size


def _model(factors=2, factor_dim=4, **kw) -> FactoredVAE:
    torch.manual_seed(0)
    return build_model("factored_vae", {"factors": factors, "factor_dim": factor_dim, **kw})


def test_each_factor_is_predicted_from_its_own_past_only():
    model = _model(factors=3, factor_dim=4)
    z_prev = torch.randn(5, 12, requires_grad=True)
    mean, logvar = model.prior(z_prev)
    assert mean.shape == logvar.shape == (5, 12)
    jac = torch.autograd.functional.jacobian(lambda z: model.prior(z)[0].sum(0), z_prev).sum(1)  # (12, 12)
    for i in range(3):
        for j in range(3):
            block = jac[4 * i : 4 * i + 4, 4 * j : 4 * j + 4]
            assert (block.abs().sum() > 0) == (i == j)


def test_first_prior_is_standard_normal_and_transitions_learn_only_from_the_kl():
    model = _model()
    x = torch.rand(4, 3, 3, 64, 64)
    torch.manual_seed(1)
    post = model.infer(x)
    assert post.z.shape == (4, 3, 8)
    assert (post.p_mean[0] == 0).all() and (post.p_logvar[0] == 0).all()
    torch.manual_seed(1)
    loss = model.loss(x)
    loss.nll.backward(retain_graph=True)  # the inference network sees the prior detached
    assert all(p.grad is None or (p.grad == 0).all() for p in model.transitions.parameters())
    loss.kl.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.transitions.parameters())


def test_loss_is_per_frame_nats_with_the_fixed_observation_variance():
    model = _model(obs_variance=0.25).eval()
    x = torch.rand(3, 2, 3, 64, 64)
    torch.manual_seed(2)
    terms = model.sequence_terms(x)
    mean = model.decode(terms.z)
    squared = (x - mean).pow(2).flatten(2).sum(-1)
    constant = 64 * 64 * 3 * 0.5 * math.log(2 * math.pi * 0.25)  # 2775 nats: why the paper's MNIST ELBO is ~ -2900
    assert torch.allclose(terms.nll, squared / (2 * 0.25) + constant, rtol=1e-5)
    torch.manual_seed(2)
    loss = model.loss(x)
    assert torch.allclose(loss.total, terms.nll.mean() + terms.kl.mean())
    assert loss._fields == ("total", "nll", "kl")


def test_independent_generations_hold_all_factors_but_one():
    model = _model(factors=2, factor_dim=4).eval()
    x = torch.rand(6, 2, 3, 64, 64)
    rows = model.independent_generations(x, hold_step=1)
    assert rows.shape == (3, 5, 2, 3, 64, 64)
    assert torch.allclose(rows[:, 0], rows[0, 0].expand_as(rows[:, 0]))  # at the held step every row is the same
    model.decode = lambda z: z  # look at the latents each row decodes: (rows, T', B, z_dim)
    z = model.independent_generations(x, hold_step=1)
    path = model.infer(x, sample=False).z[1:]
    assert torch.equal(z[0], path)
    assert torch.equal(z[1, ..., :4], path[..., :4]) and torch.equal(z[1, ..., 4:], path[:1, ..., 4:].expand(5, 2, 4))
    assert torch.equal(z[2, ..., 4:], path[..., 4:]) and torch.equal(z[2, ..., :4], path[:1, ..., :4].expand(5, 2, 4))


def test_entangled_is_one_factor_of_the_same_total_size_and_samples_follow_the_interface():
    entangled = _model(factors=1, factor_dim=8)
    assert len(entangled.transitions) == 1 and entangled.config.z_dim == 8
    out = entangled.eval().sample(torch.rand(3, 2, 3, 64, 64), n_future=4, n_samples=5)
    assert out.shape == (5, 4, 2, 3, 64, 64) and 0 <= out.min() and out.max() <= 1
