"""A tiny frame autoencoder with an adversarial latent penalty: the smallest model with two optimisers.

It is the shape of a WAE-GAN latent penalty (R-WAE's GAN variant, Han et al. 2021): a critic learns to
tell prior samples ``z ~ N(0, I)`` from encoded frames, and the autoencoder learns to reconstruct while
fooling it. Each training step first updates the critic (optimiser ``critic``) on detached codes, then the
autoencoder (optimiser ``autoencoder``). It exists to exercise the trainer's model-owned optimisation
(checkpointing and resuming two optimisers and schedulers); it is not a paper's model and is in no
experiment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from latentvideo.models.optimisation import Optimisation, OptimiserSettings, adam
from latentvideo.models.spec import ModelSpec


@dataclass(frozen=True)
class AdversarialAutoencoderConfig:
    channels: int = 1
    frame_size: int = 64
    hidden: int = 64
    latent: int = 8
    critic_hidden: int = 32
    penalty: float = 1.0  # weight of the adversarial term in the autoencoder's loss


class AdversarialLoss(NamedTuple):
    """Per frame, averaged over the T*B frames of a batch (nats; the reconstruction is a Bernoulli NLL).

    total = reconstruction + penalty * adversarial (the autoencoder's objective); critic: the critic's loss.
    """

    total: torch.Tensor
    reconstruction: torch.Tensor
    adversarial: torch.Tensor
    critic: torch.Tensor


class AdversarialAutoencoder(nn.Module):
    """``x: (T, B, C, H, W)`` float in [0, 1]; frames are encoded independently into ``(T*B, latent)`` codes."""

    def __init__(self, config: AdversarialAutoencoderConfig):
        super().__init__()
        c = config
        self.config = c
        pixels = c.channels * c.frame_size * c.frame_size
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(pixels, c.hidden), nn.ReLU(), nn.Linear(c.hidden, c.latent))
        self.decoder = nn.Sequential(nn.Linear(c.latent, c.hidden), nn.ReLU(), nn.Linear(c.hidden, pixels))
        self.critic = nn.Sequential(nn.Linear(c.latent, c.critic_hidden), nn.ReLU(), nn.Linear(c.critic_hidden, 1))

    def _terms(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(reconstruction NLL, codes (T*B, latent), prior samples (T*B, latent))."""
        frames = x.reshape(-1, *x.shape[2:])
        z = self.encoder(frames)
        logits = self.decoder(z).view_as(frames)
        reconstruction = F.binary_cross_entropy_with_logits(logits, frames, reduction="sum") / len(frames)
        return reconstruction, z, torch.randn_like(z)

    def _critic_loss(self, z: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        real, fake = self.critic(prior), self.critic(z)
        return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))

    def _fooling(self, z: torch.Tensor) -> torch.Tensor:
        fake = self.critic(z)
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))

    def loss(self, x: torch.Tensor) -> AdversarialLoss:
        reconstruction, z, prior = self._terms(x)
        adversarial = self._fooling(z)
        return AdversarialLoss(reconstruction + self.config.penalty * adversarial, reconstruction, adversarial,
                               self._critic_loss(z, prior))

    def configure_optimisation(self, settings: OptimiserSettings) -> Optimisation:
        autoencoder = [*self.encoder.parameters(), *self.decoder.parameters()]
        ae_opt, ae_sched = adam(autoencoder, settings)
        critic_opt, critic_sched = adam(self.critic.parameters(), settings)
        return Optimisation({"autoencoder": ae_opt, "critic": critic_opt},
                            {"autoencoder": ae_sched, "critic": critic_sched})

    def training_step(self, x: torch.Tensor, optimisation: Optimisation) -> AdversarialLoss:
        critic_opt, ae_opt = optimisation.optimizers["critic"], optimisation.optimizers["autoencoder"]
        reconstruction, z, prior = self._terms(x)
        critic_loss = self._critic_loss(z.detach(), prior)
        critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        critic_opt.step()
        adversarial = self._fooling(z)
        total = reconstruction + self.config.penalty * adversarial
        ae_opt.zero_grad(set_to_none=True)
        total.backward()
        ae_opt.step()
        for scheduler in optimisation.schedulers.values():
            scheduler.step()
        return AdversarialLoss(total.detach(), reconstruction.detach(), adversarial.detach(), critic_loss.detach())


MODELS = {"adversarial_autoencoder": ModelSpec(AdversarialAutoencoder, AdversarialAutoencoderConfig)}
