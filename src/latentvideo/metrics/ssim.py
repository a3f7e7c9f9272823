"""Structural similarity with an 11x11 Gaussian window (sigma 1.5), 'valid' filtering, data range 1.

This is the SSIM of Wang et al. (2004) as SRVP's ``metrics/ssim.py`` computes it: statistics from a
normalised Gaussian window with no padding, K1 = 0.01, K2 = 0.03, per channel, averaged over the valid
pixels and then the channels. It equals ``skimage.metrics.structural_similarity`` with
``gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def gaussian_window(size: int = 11, sigma: float = 1.5, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Normalised 1-D Gaussian ``(size,)``."""
    x = torch.arange(size, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def ssim(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0, window: int = 11,
         sigma: float = 1.5) -> torch.Tensor:
    """SSIM of each frame. pred, target: ``(..., C, H, W)`` float in [0, data_range]; returns ``(...)``."""
    lead, (c, h, w) = pred.shape[:-3], pred.shape[-3:]
    x = pred.reshape(-1, c, h, w).double()
    y = target.reshape(-1, c, h, w).double()
    g = gaussian_window(window, sigma).to(x.device)
    kernel_h = g.view(1, 1, window, 1).expand(c, 1, window, 1)
    kernel_w = g.view(1, 1, 1, window).expand(c, 1, 1, window)

    def blur(v: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.conv2d(v, kernel_h, groups=c), kernel_w, groups=c)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return ssim_map.mean(dim=(-1, -2)).mean(dim=-1).reshape(lead).to(pred.dtype)
