"""DS-VAE (Li & Mandt 2018), R-WAE's baseline: the sequence coder of
:mod:`latentvideo.models.sequence_disentangling` trained on the negative ELBO.

``loss = reconstruction + KL(q(z^c | x) || N(0, I)) + sum_t KL(q(z^m_t | .) || p(z^m_t | z^m_<t))
(+ action_kl * KL(q(a | x) || uniform))``, per sequence, averaged over the batch (nats; the reconstruction is
the Bernoulli cross-entropy or, with ``likelihood: gaussian``, the squared error that R-WAE calls its "L2 loss").
The motion prior is evaluated along the posterior's own samples (DS-VAE's p(z_t | z_<t) in the ELBO).

Registered as ``dsvae`` (full q: DS-VAE's "full" posterior), ``dsvae_factorised`` (q(z_t | x_t)); with
``actions`` > 0 either is R-WAE's DS-VAE(W). The frame decoder has no LSTM (DS-VAE's p(x_t | z_t, f)).
One Adam step per batch (:class:`latentvideo.models.optimisation.AdamStep`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from latentvideo.models.gaussian import kl_divergence, standard_normal_like
from latentvideo.models.optimisation import AdamStep
from latentvideo.models.sequence_disentangling import (DisentangledCode, SequenceCodeConfig, SequenceCoder, action_kl,
                                                       motion_kl)
from latentvideo.models.spec import ModelSpec


@dataclass(frozen=True)
class DSVAEConfig(SequenceCodeConfig):
    """``action_kl``: weight of the action variable's KL (DS-VAE(W)); the rest: :class:`SequenceCodeConfig`."""

    action_kl: float = 1.0


class DSVAELoss(NamedTuple):
    """Per sequence, batch mean, nats. total = reconstruction + kl_content + kl_motion + action_kl * kl_action."""

    total: torch.Tensor
    reconstruction: torch.Tensor
    kl_content: torch.Tensor
    kl_motion: torch.Tensor
    kl_action: torch.Tensor


class DSVAE(AdamStep, nn.Module):
    """``x: (T, B, C, H, W)`` float in [0, 1]."""

    def __init__(self, config: DSVAEConfig):
        super().__init__()
        self.config = config
        self.coder = SequenceCoder(config)

    def encode(self, x: torch.Tensor) -> DisentangledCode:
        return self.coder.encode(x)

    def loss(self, x: torch.Tensor) -> DSVAELoss:
        code = self.coder.encode(x)
        batch = x.shape[1]
        reconstruction = self.coder.reconstruction(code, x)
        kl_content = kl_divergence(code.content_q, standard_normal_like(code.content)).sum() / batch
        kl_motion, kl_action = motion_kl(code), action_kl(code)
        total = reconstruction + kl_content + kl_motion + self.config.action_kl * kl_action
        return DSVAELoss(total, reconstruction, kl_content, kl_motion, kl_action)


MODELS = {
    "dsvae": ModelSpec(DSVAE, DSVAEConfig, fixed={"motion_posterior": "full", "decoder_lstm": False}),
    "dsvae_factorised": ModelSpec(DSVAE, DSVAEConfig, fixed={"motion_posterior": "factorised", "decoder_lstm": False}),
}
