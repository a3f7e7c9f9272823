"""The spatial mixture likelihood and the slot terms of IODINE / PROVIDE's objective.

As PROVIDE's ``src/model.py`` (which follows IODINE): the K slots' masks are the softmax of their mask logits
over the slots; each pixel and channel is a mixture of K Gaussians with the slots' means and one fixed
variance (0.3 in PROVIDE), and its log-likelihood is ``log sum_k m_k exp(-(x - mu_k)^2 / (2 variance))``,
summed over the channels and pixels of a frame. Like the official code we leave out the Gaussian's
normalising constant (-1/2 log(2 pi variance) per pixel and channel): it moves no gradient, and PROVIDE's
adaptive beta compares this very quantity with fixed thresholds. We compute it as a log-sum-exp of
``log m_k - (x - mu_k)^2 / (2 variance)`` (the official exponentiates, then takes the log, which fails at
-inf where every slot explains a pixel badly); the values agree wherever the official form is finite.

The entropy of the masks over the slots, summed over pixels, is PROVIDE's entropy term (with the official
1e-9 inside the log); the KL terms are those of diagonal Gaussians in (mean, log-variance) form.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

MASK_LOG_EPS = 1e-9


def pixel_log_likelihood(x: torch.Tensor, means: torch.Tensor, mask_logits: torch.Tensor,
                         variance: float) -> torch.Tensor:
    """Mixture log-likelihood of every pixel, summed over its channels.

    x: (B, C, H, W) the frame; means: (B, K, C, H, W) the slots' means; mask_logits: (B, K, H, W);
    returns (B, H, W) in nats (without the normalising constant, see the module docstring).
    """
    log_masks = F.log_softmax(mask_logits, dim=1)[:, :, None]
    fit = -((means - x[:, None]) ** 2) / (2.0 * variance)
    return torch.logsumexp(log_masks + fit, dim=1).sum(dim=1)


def frame_nll(x: torch.Tensor, means: torch.Tensor, mask_logits: torch.Tensor, variance: float) -> torch.Tensor:
    """The negative log-likelihood of the frame summed over pixels, averaged over the batch (a scalar)."""
    return -pixel_log_likelihood(x, means, mask_logits, variance).flatten(1).sum(dim=1).mean()


def mask_entropy(mask_logits: torch.Tensor) -> torch.Tensor:
    """Entropy of the masks over the slots summed over pixels, averaged over the batch (a scalar, nats).

    mask_logits: (B, K, H, W)."""
    masks = F.softmax(mask_logits, dim=1)
    return -(masks * torch.log(masks + MASK_LOG_EPS)).sum(dim=1).flatten(1).sum(dim=1).mean()


def kl_standard_normal(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) || N(0, 1)) summed over the last dimension: (..., Z) -> (...)."""
    return -0.5 * (1.0 + logvar - logvar.exp() - mean**2).sum(dim=-1)


def kl_gaussians(mean_q: torch.Tensor, logvar_q: torch.Tensor, mean_p: torch.Tensor,
                 logvar_p: torch.Tensor) -> torch.Tensor:
    """KL(N(mean_q, exp(logvar_q)) || N(mean_p, exp(logvar_p))) summed over the last dimension."""
    ratio = (logvar_q.exp() + (mean_q - mean_p) ** 2) / logvar_p.exp()
    return 0.5 * (logvar_p - logvar_q + ratio - 1.0).sum(dim=-1)


def gaussian_constant(variance: float) -> float:
    """The normalising constant left out of :func:`pixel_log_likelihood`, per pixel and channel (nats)."""
    return -0.5 * math.log(2.0 * math.pi * variance)
