"""R-WAE (Han et al. 2021): the sequence coder of :mod:`latentvideo.models.sequence_disentangling` trained as a
recurrent Wasserstein autoencoder, with a critic on the content code and MMD on the motion code (Eq. 9-11).

Per sequence, averaged over the batch (Eq. 9 with Appendix D's extra terms)::

    total = reconstruction + beta_content * D(Q_zc, P_zc) + beta_motion * sum_t MMD_k(q(z^m_t | .), p(z^m_t | z^m_<t))
            + motion_kl * sum_t KL(q(z^m_t | .) || p(z^m_t | z^m_<t)) + action_kl * KL(q(a | x) || uniform)

* ``rwae_mmd`` (Algorithm 2, Eq. 11 and 22): D is the scaled MMD of Arbel et al. 2018 through the feature map
  f_gamma, ``MMD^2_k(f(z~c), f(zc)) / (1 + 10 E_P |grad f(zc)|^2)``, k the RBF kernel of unit bandwidth on
  f's scalar output; f_gamma is trained to maximise it.
* ``rwae_gan`` (Algorithm 1, Eq. 10, 23-24): D is the Jensen-Shannon penalty of a discriminator D_gamma, trained
  on ``log D(zc) + log(1 - D(z~c))`` with the gradient penalty ``gradient_penalty * E |grad D(z^)|^2`` at random
  interpolates z^ of prior and posterior samples; the encoder minimises ``-log D(z~c)`` (the non-saturating form;
  the paper does not say which form the encoder uses).
* Both: f_gamma / D_gamma is the paper's 4-layer fully-connected network (256, 256, 128, 1), spectrally normalised
  (Miyato et al. 2018), LeakyReLU(0.2) between layers (activation ours). MMD_k on z^m_t is the unbiased estimate
  over the batch at each t, between posterior samples and samples of the prior given the posterior's past (each
  prior sample depends on its posterior sample's past, so the estimate is the pair-wise one, ``mmd2_paired``), with
  MMD GAN's mixture of RBF kernels (:mod:`latentvideo.metrics.mmd`; bandwidths ours). ``motion_kl`` is Appendix
  D's "KL-divergence regularization term on z^m to stabilize training" (its weight is not given: ours).

Optimisation (model-owned, three Adams with the config's betas; the paper uses (0.5, 0.9)): every training step
updates the critic (``critic_lr``) and then the encoder q_phi (``encoder_lr``) on its batch; every
``inner_steps``-th step (the paper's L) also updates the generator p_theta and the motion prior p_psi
(``optimizer.lr``, the paper's "decoder" rate) with the same loss on the same samples: Algorithms 1-2 sample
z~ from q_phi in the inner loop and then update p_theta and p_psi "with loss given by" them, so the last inner
step's one backward pass gives both gradients (an earlier version re-encoded the batch with the updated encoder
for the generator: a second forward and backward pass, twice the cost at L = 1, and not what the algorithms
write). So L encoder updates, each on a new batch, precede each generator update, as in Algorithms 1-2. All
rates follow the paper's schedule (``step_decay``): halved after 10% of the steps (its epoch 50 of 500) and
divided by 5 more after 16% (epoch 80).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from latentvideo.metrics.mmd import mmd2_paired, mmd2_unbiased, rbf, rbf_mixture
from latentvideo.models.optimisation import Optimisation, OptimiserSettings
from latentvideo.models.sequence_disentangling import (DisentangledCode, SequenceCodeConfig, SequenceCoder, action_kl,
                                                       motion_kl)
from latentvideo.models.spec import ModelSpec

PENALTIES = ("mmd", "gan")
CRITIC_WIDTHS = (256, 256, 128)  # then 1 output (Appendix E)
SMMD_SCALE = 10.0  # Appendix D: MMD / (1 + 10 E |grad f|^2)
DECAY = ((0.1, 0.5), (0.16, 0.1))  # (fraction of the run, rate multiplier from then on): epochs 50 and 80 of 500


@dataclass(frozen=True)
class RWAEConfig(SequenceCodeConfig):
    """penalty: ``mmd`` or ``gan`` (fixed by the model's name). beta_content, beta_motion: the paper's beta_1 and
    beta_2. motion_kl, action_kl: weights of the KL terms. inner_steps: L. encoder_lr, critic_lr: the encoder's
    and f_gamma's / D_gamma's Adam rates (the generator's is ``optimizer.lr``). gradient_penalty: R-WAE(GAN)'s
    lambda (Eq. 24; not given in the paper: ours, Mescheder et al.'s 10). step_decay: the paper's schedule (every
    rate halved after 10% of the steps, divided by 5 more after 16%); off, the rates stay constant (a run of a few
    hundred steps would otherwise spend most of them at a tenth of its rate)."""

    penalty: str = field(default="mmd", metadata={"enum": list(PENALTIES)})
    beta_content: float = 5.0
    beta_motion: float = 20.0
    motion_kl: float = 1.0
    action_kl: float = 50.0
    inner_steps: int = 5
    encoder_lr: float = field(default=1e-4, metadata={"exclusiveMinimum": 0})
    critic_lr: float = field(default=1e-4, metadata={"exclusiveMinimum": 0})
    gradient_penalty: float = 10.0
    step_decay: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.penalty not in PENALTIES:
            raise ValueError(f"penalty must be one of {PENALTIES}, got {self.penalty!r}")


class RWAELoss(NamedTuple):
    """The encoder's objective and its terms (per sequence, batch mean) and the critic's loss of the step."""

    total: torch.Tensor
    reconstruction: torch.Tensor
    content_penalty: torch.Tensor
    motion_mmd: torch.Tensor
    kl_motion: torch.Tensor
    kl_action: torch.Tensor
    critic: torch.Tensor


def critic_network(n_in: int) -> nn.Sequential:
    """f_gamma / D_gamma: spectrally normalised linear layers (256, 256, 128, 1) with LeakyReLU(0.2) between."""
    layers, width = [], n_in
    for out in CRITIC_WIDTHS:
        layers += [nn.utils.parametrizations.spectral_norm(nn.Linear(width, out)), nn.LeakyReLU(0.2)]
        width = out
    layers.append(nn.utils.parametrizations.spectral_norm(nn.Linear(width, 1)))
    return nn.Sequential(*layers)


def step_decay(total_steps: int):
    """The rate multiplier at step s (0-based) of a run of ``total_steps``: the paper's decay (``DECAY``)."""
    def factor(step: int) -> float:
        value = 1.0
        for fraction, multiplier in DECAY:
            if step >= fraction * total_steps:
                value = multiplier
        return value
    return factor


def mean_squared_gradient(network: nn.Module, points: torch.Tensor) -> torch.Tensor:
    """``E |grad_z network(z)|^2`` over ``points: (N, D)``, differentiable in the network's parameters."""
    with torch.enable_grad():  # also under no_grad (validation): the penalty is part of the objective
        points = points.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(network(points).sum(), points, create_graph=True)
    return grad.pow(2).sum(dim=1).mean()


class RWAE(nn.Module):
    """``x: (T, B, C, H, W)`` float in [0, 1] (B >= 2: the penalties compare samples across the batch)."""

    def __init__(self, config: RWAEConfig):
        super().__init__()
        self.config = config
        self.coder = SequenceCoder(config)
        self.critic = critic_network(config.content_dim)

    def encode(self, x: torch.Tensor) -> DisentangledCode:
        return self.coder.encode(x)

    # --- the content penalty and the critic's loss -------------------------------------------------------------
    def scaled_mmd(self, posterior: torch.Tensor, prior: torch.Tensor, create_graph: bool) -> torch.Tensor:
        """Appendix D's scaled MMD of ``f(posterior)`` and ``f(prior)`` (both ``(B, Dc)``)."""
        gradient = mean_squared_gradient(self.critic, prior)
        if not create_graph:
            gradient = gradient.detach()
        return mmd2_unbiased(self.critic(posterior), self.critic(prior), rbf(1.0)) / (1 + SMMD_SCALE * gradient)

    def critic_loss(self, posterior: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        """What the critic minimises, on detached posterior codes ``(B, Dc)`` and prior draws ``(B, Dc)``."""
        posterior = posterior.detach()
        if self.config.penalty == "mmd":
            return -self.scaled_mmd(posterior, prior, create_graph=True)
        real, fake = self.critic(prior), self.critic(posterior)
        alpha = torch.rand(len(prior), 1, device=prior.device)
        return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
                + self.config.gradient_penalty * mean_squared_gradient(self.critic, alpha * prior + (1 - alpha) * posterior))

    def content_penalty(self, posterior: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        """D(Q_zc, P_zc) as the encoder sees it."""
        if self.config.penalty == "mmd":
            return self.scaled_mmd(posterior, prior, create_graph=False)
        fake = self.critic(posterior)
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))

    # --- the objective -----------------------------------------------------------------------------------------
    def objective(self, x: torch.Tensor, code: DisentangledCode, prior_content: torch.Tensor, critic: torch.Tensor
                  ) -> RWAELoss:
        c = self.config
        reconstruction = self.coder.reconstruction(code, x)
        prior_motion = code.motion_prior.rsample()
        kernel = rbf_mixture()
        motion_mmd = sum(mmd2_paired(code.motion[t], prior_motion[t], kernel) for t in range(len(code.motion)))
        kl_motion, kl_action = motion_kl(code), action_kl(code)
        content_penalty = self.content_penalty(code.content, prior_content)
        total = (reconstruction + c.beta_content * content_penalty + c.beta_motion * motion_mmd
                 + c.motion_kl * kl_motion + c.action_kl * kl_action)
        return RWAELoss(total, reconstruction, content_penalty, motion_mmd, kl_motion, kl_action, critic)

    def loss(self, x: torch.Tensor) -> RWAELoss:
        """The encoder's objective on ``x`` without updating anything (validation)."""
        code = self.coder.encode(x)
        prior = self.coder.sample_content(x.shape[1], x.device)
        return self.objective(x, code, prior, self.critic_loss(code.content, prior).detach())

    # --- model-owned optimisation ----------------------------------------------------------------------------
    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """``encoder`` (q_phi), ``critic`` (f_gamma / D_gamma), ``generator`` (p_theta and the prior p_psi)."""
        encoder = [p for m in self.coder.encoder_modules() for p in m.parameters()]
        generator = [*self.coder.generator.parameters(), *self.coder.motion_prior.parameters()]
        return {"encoder": encoder, "critic": list(self.critic.parameters()), "generator": generator}

    def configure_optimisation(self, settings: OptimiserSettings) -> Optimisation:
        rates = {"encoder": self.config.encoder_lr, "critic": self.config.critic_lr, "generator": settings.lr}
        optimizers = {name: torch.optim.Adam(params, lr=rates[name], betas=tuple(settings.betas))
                      for name, params in self.parameter_groups().items()}
        schedule = step_decay(settings.steps) if self.config.step_decay else (lambda step: 1.0)
        schedulers = {name: torch.optim.lr_scheduler.LambdaLR(opt, schedule) for name, opt in optimizers.items()}
        return Optimisation(optimizers, schedulers)

    def training_step(self, x: torch.Tensor, optimisation: Optimisation) -> RWAELoss:
        opt = optimisation.optimizers
        step = optimisation.schedulers["encoder"].last_epoch  # steps already taken (checkpointed with the schedulers)
        code = self.coder.encode(x)
        prior = self.coder.sample_content(x.shape[1], x.device)
        critic = self.critic_loss(code.content, prior)
        opt["critic"].zero_grad(set_to_none=True)
        critic.backward()
        opt["critic"].step()

        loss = self.objective(x, code, prior, critic.detach())
        for name in ("encoder", "generator"):
            opt[name].zero_grad(set_to_none=True)
        loss.total.backward()
        opt["encoder"].step()
        if (step + 1) % self.config.inner_steps == 0:
            opt["generator"].step()
        with warnings.catch_warnings():  # the generator's rate follows the step count between its updates too
            warnings.filterwarnings("ignore", message=re.escape("Detected call of `lr_scheduler.step()` before"))
            for scheduler in optimisation.schedulers.values():
                scheduler.step()
        return RWAELoss(*(t.detach() for t in loss))


MODELS = {
    "rwae_mmd": ModelSpec(RWAE, RWAEConfig, fixed={"penalty": "mmd"}),
    "rwae_gan": ModelSpec(RWAE, RWAEConfig, fixed={"penalty": "gan"}),
}
