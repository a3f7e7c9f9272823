"""Spatial broadcast decoder (Watters et al. 2019) as IODINE / PROVIDE use it: one slot's latent -> its image
means and its mask logit.

As the official PROVIDE ``src/networks/sbd.py``: the latent is tiled over the frame, two coordinate channels
in [-1, 1] are prepended, then four 3x3 convolutions of ``width`` channels with ELU and a final 3x3 convolution
to ``channels + 1`` outputs (padding 1 throughout, so the frame size is kept); the means are the sigmoid of the
first ``channels`` outputs, the mask logit the last, raw. With ``condition`` > 0 (PROVIDE's conditional
generation) a two-layer ELU MLP first maps the latent concatenated with a ``condition``-sized vector (the
temporal hidden state) back to ``z_dim``. Coordinate channel 0 varies down the rows and channel 1 across the
columns: the official ``torch.meshgrid([x_range, y_range])`` ("ij" indexing) gives exactly that on its square
frames (its "x" channel varies along the first spatial axis).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn


class DecodedSlot(NamedTuple):
    """``means: (B, C, H, W)`` in [0, 1]; ``mask_logits: (B, H, W)`` (softmax over slots gives the masks)."""

    means: torch.Tensor
    mask_logits: torch.Tensor


class SpatialBroadcastDecoder(nn.Module):
    def __init__(self, z_dim: int, frame_size: tuple[int, int], channels: int = 3, width: int = 64,
                 condition: int = 0):
        super().__init__()
        self.channels = channels
        height, width_px = frame_size
        rows = torch.linspace(-1.0, 1.0, height)[:, None].expand(height, width_px)
        cols = torch.linspace(-1.0, 1.0, width_px)[None, :].expand(height, width_px)
        self.register_buffer("coordinates", torch.stack([rows, cols])[None].clone(), persistent=False)
        layers: list[nn.Module] = [nn.Conv2d(z_dim + 2, width, 3, padding=1), nn.ELU()]
        for _ in range(3):
            layers += [nn.Conv2d(width, width, 3, padding=1), nn.ELU()]
        layers.append(nn.Conv2d(width, channels + 1, 3, padding=1))
        self.conv = nn.Sequential(*layers)
        self.conditioning = (nn.Sequential(nn.Linear(z_dim + condition, z_dim), nn.ELU(),
                                           nn.Linear(z_dim, z_dim), nn.ELU()) if condition else None)

    def forward(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> DecodedSlot:
        """z: (B, z_dim); condition: (B, condition) where the decoder is conditional, else None."""
        if self.conditioning is not None:
            if condition is None:
                raise ValueError("this decoder is conditional: pass the conditioning vector")
            z = self.conditioning(torch.cat((z, condition), dim=1))
        batch = z.shape[0]
        _, _, height, width = self.coordinates.shape
        tiled = z[:, :, None, None].expand(-1, -1, height, width)
        out = self.conv(torch.cat((self.coordinates.expand(batch, -1, -1, -1), tiled), dim=1))
        return DecodedSlot(torch.sigmoid(out[:, : self.channels]), out[:, self.channels])
