"""Diagonal Gaussians parameterised as (mean, scale), and their analytic KL divergences."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2.0 * math.pi)


class DiagGaussian(NamedTuple):
    """A factorised Gaussian. ``mean`` and ``scale`` (standard deviation, > 0) share a shape ``(..., D)``."""

    mean: torch.Tensor
    scale: torch.Tensor

    def rsample(self) -> torch.Tensor:
        """A reparameterised sample of shape ``(..., D)`` drawn with the global torch generator."""
        return self.mean + self.scale * torch.randn_like(self.mean)


def from_softplus_params(params: torch.Tensor, min_scale: float = 1e-8) -> DiagGaussian:
    """Split ``params: (..., 2D)`` into a mean and a raw scale; scale = softplus(raw) + min_scale (SRVP's choice)."""
    mean, raw = params.chunk(2, dim=-1)
    return DiagGaussian(mean, F.softplus(raw) + min_scale)


def from_logvar(mean: torch.Tensor, logvar: torch.Tensor) -> DiagGaussian:
    """A Gaussian given its log-variance (SVG's choice): scale = exp(logvar / 2)."""
    return DiagGaussian(mean, torch.exp(0.5 * logvar))


def standard_normal_like(x: torch.Tensor) -> DiagGaussian:
    """N(0, I) with the shape, dtype and device of ``x``."""
    return DiagGaussian(torch.zeros_like(x), torch.ones_like(x))


def kl_divergence(q: DiagGaussian, p: DiagGaussian) -> torch.Tensor:
    """Elementwise KL(q || p) in nats, shape ``(..., D)`` (sum it over the axes you need)."""
    var_ratio = (q.scale / p.scale).pow(2)
    mean_term = ((q.mean - p.mean) / p.scale).pow(2)
    return 0.5 * (var_ratio + mean_term - 1.0 - torch.log(var_ratio))


def gaussian_nll(x: torch.Tensor, mean: torch.Tensor, scale: float) -> torch.Tensor:
    """Elementwise negative log-likelihood of ``x`` under N(mean, scale^2), constant included (nats)."""
    return 0.5 * ((x - mean) / scale).pow(2) + math.log(scale) + 0.5 * LOG_2PI
