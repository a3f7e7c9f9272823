"""The factored temporal VAE of Whitney & Fergus 2017, "Disentangling video with independent prediction".

``k`` latent factors ``z^i_t`` (vectors of ``factor_dim``) evolve independently: each has its own transition
``p(z^i_t | z^i_{t-1})``; together they produce the frame through one generator. Inference is a filter,
``q(Z_t | Z_{t-1}, x_t)``, which sees the frame and the *predicted* prior mean and log-variance (detached, so
the transition is trained by the KL term only). The *entangled* baseline is the same model with one factor
of the same total dimension (``factors: 1``).

Architecture exactly as Appendix A (parameter counts are asserted in ``tests/test_factored_vae.py``):

* encoder: DCGAN discriminator, Conv(C->64->128->256->512, 4x4 stride 2 pad 1) each + BatchNorm, then
  Conv(512->32, 4x4 valid); LeakyReLU(0.2) after every convolution / BatchNorm;
* combining layers: Linear(32->z), Linear(z->z) on the prior mean, Linear(z->z) on the prior log-variance,
  Linear(3z->z), then Linear(z->z) for the posterior mean and Linear(z->z) for its log-variance; LeakyReLU
  after each hidden layer (not after the two output layers, which are a mean and a log-variance);
* generator: Linear(z->z), ConvT(z->512, 4x4 valid), ConvT(512->256->128->64, 4x4 stride 2 pad 1) each +
  BatchNorm, ConvT(64->C); ReLU after every hidden layer, a sigmoid on the last (the pixel mean is in [0, 1]);
* one transition per factor: five Linear layers d->128->128->128->128->2d with SELU between them (Appendix A;
  Table 1 lists three, see README), output = mean and log-variance;
* p(Z_1) = N(0, I); at t = 1 the inference network gets all-zero prior inputs; observation model
  N(x; g(Z_t), obs_variance) with a fixed variance (0.25 moving MNIST, 0.05 5th Avenue).

Units: the loss is per frame, in nats: -log p(x_t | Z_t) summed over pixels and channels plus KL(q || p)
summed over latent units, averaged over time steps and videos (the original code's normalisation; the
paper's ELBO column is minus this quantity).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import nn

from latentvideo.models.gaussian import DiagGaussian, from_logvar, gaussian_nll, kl_divergence
from latentvideo.models.optimisation import AdamStep
from latentvideo.models.spec import ModelSpec


@dataclass(frozen=True)
class FactoredVAEConfig:
    """Hyper-parameters (defaults: two-colour moving MNIST, two factors of 50 units)."""

    channels: int = 3
    factors: int = 2
    factor_dim: int = 50
    encoder_dim: int = 32  # channels of the encoder's last convolution (Appendix A)
    nf: int = 64
    transition_hidden: int = 128
    transition_layers: int = 5
    obs_variance: float = field(default=0.25, metadata={"exclusiveMinimum": 0})
    leak: float = 0.2

    @property
    def z_dim(self) -> int:
        return self.factors * self.factor_dim


class Posterior(NamedTuple):
    """One filtering pass over ``x: (T, B, C, H, W)``; every field is ``(T, B, z_dim)``.

    z: the latents fed forward (posterior samples, or means with ``sample=False``); q_mean / q_logvar: the
    posterior q(Z_t | Z_{t-1}, x_t); p_mean / p_logvar: the prior p(Z_t | Z_{t-1}) (N(0, I) at t = 1).
    """

    z: torch.Tensor
    q_mean: torch.Tensor
    q_logvar: torch.Tensor
    p_mean: torch.Tensor
    p_logvar: torch.Tensor


class SequenceTerms(NamedTuple):
    """Per frame and video, in nats: nll ``(T, B)`` = -log p(x_t | Z_t) summed over pixels; kl ``(T, B)``;
    z ``(T, B, z_dim)``: the posterior sample path both were computed with."""

    nll: torch.Tensor
    kl: torch.Tensor
    z: torch.Tensor


class FactoredVAELoss(NamedTuple):
    """total = nll + kl, each per frame (summed over pixels / latent units), averaged over time and videos."""

    total: torch.Tensor
    nll: torch.Tensor
    kl: torch.Tensor


class FrameEncoder(nn.Module):
    """Frames ``(N, C, 64, 64)`` -> features ``(N, encoder_dim)`` (the DCGAN discriminator of Appendix A)."""

    def __init__(self, channels: int, out_dim: int, nf: int, leak: float):
        super().__init__()
        widths = [channels, nf, nf * 2, nf * 4, nf * 8]
        layers: list[nn.Module] = []
        for i in range(4):
            layers += [nn.Conv2d(widths[i], widths[i + 1], 4, 2, 1), nn.BatchNorm2d(widths[i + 1]), nn.LeakyReLU(leak)]
        layers += [nn.Conv2d(nf * 8, out_dim, 4, 1, 0), nn.LeakyReLU(leak)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)


class PosteriorHead(nn.Module):
    """The combining layers: image features ``(N, encoder_dim)`` + prior mean / log-variance ``(N, z)`` ->
    posterior mean and log-variance ``(N, z)`` each."""

    def __init__(self, encoder_dim: int, z_dim: int, leak: float):
        super().__init__()
        self.from_x = nn.Linear(encoder_dim, z_dim)
        self.from_mean = nn.Linear(z_dim, z_dim)
        self.from_logvar = nn.Linear(z_dim, z_dim)
        self.joint = nn.Linear(3 * z_dim, z_dim)
        self.mean = nn.Linear(z_dim, z_dim)
        self.logvar = nn.Linear(z_dim, z_dim)
        self.act = nn.LeakyReLU(leak)

    def forward(self, features: torch.Tensor, prior_mean: torch.Tensor, prior_logvar: torch.Tensor):
        h = torch.cat([self.act(self.from_x(features)), self.act(self.from_mean(prior_mean)),
                       self.act(self.from_logvar(prior_logvar))], dim=-1)
        h = self.act(self.joint(h))
        return self.mean(h), self.logvar(h)


class FrameGenerator(nn.Module):
    """Latents ``(N, z)`` -> pixel means ``(N, C, 64, 64)`` in [0, 1] (the DCGAN generator of Appendix A)."""

    def __init__(self, z_dim: int, channels: int, nf: int):
        super().__init__()
        self.project = nn.Sequential(nn.Linear(z_dim, z_dim), nn.ReLU())
        widths = [z_dim, nf * 8, nf * 4, nf * 2, nf]
        layers: list[nn.Module] = []
        for i in range(4):
            stride, pad = (1, 0) if i == 0 else (2, 1)
            layers += [nn.ConvTranspose2d(widths[i], widths[i + 1], 4, stride, pad), nn.BatchNorm2d(widths[i + 1]),
                       nn.ReLU()]
        layers += [nn.ConvTranspose2d(nf, channels, 4, 2, 1), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z)
        return self.net(h.view(*h.shape, 1, 1))


def transition_mlp(dim: int, hidden: int, layers: int) -> nn.Sequential:
    """``layers`` Linear layers dim -> hidden -> ... -> 2 dim with SELU between them: ``(N, d) -> (N, 2d)``."""
    sizes = [dim] + [hidden] * (layers - 1) + [2 * dim]
    modules: list[nn.Module] = []
    for i in range(layers):
        modules.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < layers - 1:
            modules.append(nn.SELU())
    return nn.Sequential(*modules)


class FactoredVAE(AdamStep, nn.Module):
    """The factored (``factors`` >= 2) or entangled (``factors`` = 1) temporal VAE.

    Videos are ``x: (T, B, C, 64, 64)`` float in [0, 1]; latents ``(..., z_dim)`` with factor i occupying units
    ``[i * factor_dim, (i + 1) * factor_dim)``.
    """

    def __init__(self, config: FactoredVAEConfig):
        super().__init__()
        c = config
        self.config = c
        self.encoder = FrameEncoder(c.channels, c.encoder_dim, c.nf, c.leak)
        self.posterior_head = PosteriorHead(c.encoder_dim, c.z_dim, c.leak)
        self.generator = FrameGenerator(c.z_dim, c.channels, c.nf)
        self.transitions = nn.ModuleList(
            transition_mlp(c.factor_dim, c.transition_hidden, c.transition_layers) for _ in range(c.factors))

    def prior(self, z_prev: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """p(Z_t | Z_{t-1}), factor by factor: ``z_prev (N, z)`` -> mean and log-variance ``(N, z)``."""
        parts = [f(z_i) for f, z_i in zip(self.transitions, z_prev.split(self.config.factor_dim, dim=-1))]
        means, logvars = zip(*(p.chunk(2, dim=-1) for p in parts))
        return torch.cat(means, dim=-1), torch.cat(logvars, dim=-1)

    def infer(self, x: torch.Tensor, sample: bool = True) -> Posterior:
        """Filter ``x: (T, B, C, H, W)``: q(Z_t | Z_{t-1}, x_t) for every t (see :class:`Posterior`)."""
        t_len, b = x.shape[:2]
        features = self.encoder(x.reshape(t_len * b, *x.shape[2:])).view(t_len, b, -1)
        zeros = features.new_zeros(b, self.config.z_dim)
        out: dict[str, list[torch.Tensor]] = {k: [] for k in Posterior._fields}
        z_prev = None
        for t in range(t_len):
            if z_prev is None:
                p_mean, p_logvar = zeros, zeros  # N(0, I); the inference network sees all-zero inputs
            else:
                p_mean, p_logvar = self.prior(z_prev)
            q_mean, q_logvar = self.posterior_head(features[t], p_mean.detach(), p_logvar.detach())
            z_prev = from_logvar(q_mean, q_logvar).rsample() if sample else q_mean
            for key, value in zip(Posterior._fields, (z_prev, q_mean, q_logvar, p_mean, p_logvar)):
                out[key].append(value)
        return Posterior(*(torch.stack(out[k]) for k in Posterior._fields))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``(..., z_dim)`` -> pixel means ``(..., C, 64, 64)`` in [0, 1]."""
        lead = z.shape[:-1]
        frames = self.generator(z.reshape(-1, z.shape[-1]))
        return frames.view(*lead, *frames.shape[1:])

    def sequence_terms(self, x: torch.Tensor) -> SequenceTerms:
        """-log p(x_t | Z_t) and KL(q(Z_t | .) || p(Z_t | Z_{t-1})) per frame and video, one posterior sample."""
        post = self.infer(x, sample=True)
        mean = self.decode(post.z)
        nll = gaussian_nll(x, mean, self.config.obs_variance ** 0.5).flatten(2).sum(-1)
        q = from_logvar(post.q_mean, post.q_logvar)
        p = DiagGaussian(post.p_mean, torch.exp(0.5 * post.p_logvar))
        return SequenceTerms(nll, kl_divergence(q, p).sum(-1), post.z)

    def loss(self, x: torch.Tensor) -> FactoredVAELoss:
        """Negative ELBO per frame on ``x: (T, B, C, H, W)`` (nats; see the module docstring for the units)."""
        terms = self.sequence_terms(x)
        nll, kl = terms.nll.mean(), terms.kl.mean()
        return FactoredVAELoss(nll + kl, nll, kl)

    @torch.no_grad()
    def independent_generations(self, x: torch.Tensor, hold_step: int = 1) -> torch.Tensor:
        """Paper Fig. 3: decode the posterior with all factors held at step ``hold_step`` but one.

        ``x: (T, B, C, H, W)``; uses posterior means. Returns ``(1 + factors, T - hold_step, B, C, H, W)``: row 0
        decodes Z_t with every factor following the posterior (reconstruction); row 1 + i holds every factor
        at its value at ``hold_step`` (0-based; 1 = the paper's t = 2) except factor i, which follows Z_t.
        """
        z = self.infer(x, sample=False).z[hold_step:]
        held = z[:1].expand_as(z)
        d = self.config.factor_dim
        rows = [z]
        for i in range(self.config.factors):
            mixed = held.clone()
            mixed[..., i * d : (i + 1) * d] = z[..., i * d : (i + 1) * d]
            rows.append(mixed)
        return self.decode(torch.stack(rows))

    @torch.no_grad()
    def sample(self, cond: torch.Tensor, n_future: int, n_samples: int = 1) -> torch.Tensor:
        """Filter ``cond: (Tc, B, C, H, W)``, then roll the transitions forward with sampling.

        Returns pixel means ``(n_samples, n_future, B, C, H, W)`` in [0, 1].
        """
        tc, b = cond.shape[:2]
        x = cond.repeat_interleave(n_samples, dim=1)  # sample s of video v at index v * n_samples + s
        z = self.infer(x, sample=True).z[-1]
        future = []
        for _ in range(n_future):
            mean, logvar = self.prior(z)
            z = from_logvar(mean, logvar).rsample()
            future.append(self.decode(z))
        frames = torch.stack(future).view(n_future, b, n_samples, *cond.shape[2:])
        return frames.permute(2, 0, 1, 3, 4, 5).contiguous()


MODELS = {"factored_vae": ModelSpec(FactoredVAE, FactoredVAEConfig)}
