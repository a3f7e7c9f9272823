"""Peak signal-to-noise ratio per frame, as SRVP's ``test.py`` computes it."""

from __future__ import annotations

import torch


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0,
         max_db: float | None = None) -> torch.Tensor:
    """PSNR in dB of each frame.

    pred, target: ``(..., C, H, W)`` float in [0, data_range]. The MSE is taken per channel over pixels,
    converted to PSNR = 10 log10(data_range^2 / mse), then averaged over channels. Returns ``(...)``.
    A perfect channel (mse = 0) gives +inf unless ``max_db`` caps each channel's PSNR.
    """
    mse = (pred.double() - target.double()).pow(2).mean(dim=(-1, -2))
    per_channel = 10.0 * torch.log10(data_range**2 / mse)
    if max_db is not None:
        per_channel = per_channel.clamp(max=max_db)
    return per_channel.mean(dim=-1).to(pred.dtype)
