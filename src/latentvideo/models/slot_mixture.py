"""The spatial mixture likelihood and the slot terms of IODINE / PROVIDE's objective.

As PROVIDE's ``src/model.py`` (which follows IODINE): the K slots' masks are the softmax of their mask logits
over the slots; each pixel and channel is a mixture of K Gaussians with the slots' means and one fixed
variance (0.3 in PROVIDE), and its log-likelihood is ``log sum_k m_k exp(-(x - mu_k)^2 / (2 variance))``,
summed over the channels and pixels of a frame. Like the official code we leave out the Gaussian's
normalising constant (-1/2 log(2 pi variance) per pixel and channel): it moves no gradient, and PROVIDE's
adaptive beta compares this very quantity with fixed thresholds. We compute the official form with every
exponent shifted by the best slot's (``log sum_k m_k exp(f_k - max f) + max f``): the official exponentiates
unshifted, which fails at -inf where every slot explains a pixel badly; the values agree wherever the
official form is finite.

The entropy of the masks over the slots, summed over pixels, is PROVIDE's entropy term (with the official
1e-9 inside the log); the KL terms are those of diagonal Gaussians in (mean, log-variance) form.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

MASK_LOG_EPS = 1e-9


def mixture_log_likelihood(x: torch.Tensor, means: torch.Tensor, masks: torch.Tensor,
                           variance: float) -> torch.Tensor:
    """Mixture log-likelihood of every pixel, summed over its channels, from the masks themselves.

    x: (B, C, H, W) the frame; means: (B, K, C, H, W) the slots' means; masks: (B, K, H, W), summing to 1 over
    the slots; returns (B, H, W) in nats (without the normalising constant, see the module docstring). The
    exponentials are shifted by the best slot's fit per pixel and channel, so this is finite wherever that
    slot's mask is not exactly 0, and its gradient with respect to the masks (an input of the refinement
    network) is the official form's.
    """
    fit = -((means - x[:, None]) ** 2) / (2.0 * variance)
    top = fit.amax(dim=1).detach()
    mixed = (masks[:, :, None] * (fit - top[:, None]).exp()).sum(dim=1)
    return (mixed.clamp_min(torch.finfo(mixed.dtype).tiny).log() + top).sum(dim=1)


def pixel_log_likelihood(x: torch.Tensor, means: torch.Tensor, mask_logits: torch.Tensor,
                         variance: float) -> torch.Tensor:
    """:func:`mixture_log_likelihood` with the masks given by their logits ``(B, K, H, W)`` (softmax over K)."""
    return mixture_log_likelihood(x, means, F.softmax(mask_logits, dim=1), variance)


def frame_nll(x: torch.Tensor, means: torch.Tensor, mask_logits: torch.Tensor, variance: float) -> torch.Tensor:
    """The negative log-likelihood of the frame summed over pixels, averaged over the batch (a scalar)."""
    return -pixel_log_likelihood(x, means, mask_logits, variance).flatten(1).sum(dim=1).mean()


def entropy_of_masks(masks: torch.Tensor) -> torch.Tensor:
    """Entropy of the masks over the slots summed over pixels, averaged over the batch (a scalar, nats).

    masks: (B, K, H, W), summing to 1 over K."""
    return -(masks * torch.log(masks + MASK_LOG_EPS)).sum(dim=1).flatten(1).sum(dim=1).mean()


def mask_entropy(mask_logits: torch.Tensor) -> torch.Tensor:
    """:func:`entropy_of_masks` of the masks given by their logits ``(B, K, H, W)``."""
    return entropy_of_masks(F.softmax(mask_logits, dim=1))


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
