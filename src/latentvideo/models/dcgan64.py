"""The DCGAN 64x64 frame encoder and decoder shared by SVG and SRVP.

The two code bases differ in small ways, exposed here as named constructor arguments:

=====================  ===============  ==================
                       SVG (dcgan_64)   SRVP (module/conv)
=====================  ===============  ==================
convolution bias       yes              no
BatchNorm, 1st layer   yes              no
skip connections       always           not on SM-MNIST
=====================  ===============  ==================

Both end the encoder with conv(4x4, valid) + BatchNorm + tanh and the decoder with a
transposed convolution followed by a sigmoid; hidden activations are LeakyReLU(0.2).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

LEAK = 0.2


def _block(conv: nn.Module, n_out: int, batch_norm: bool, activation: nn.Module | None) -> nn.Sequential:
    layers = [conv]
    if batch_norm:
        layers.append(nn.BatchNorm2d(n_out))
    if activation is not None:
        layers.append(activation)
    return nn.Sequential(*layers)


class EncodedFrames(NamedTuple):
    """Encoder output for a batch of N frames.

    code: (N, out_dim) in [-1, 1]; skips: feature maps at 32, 16, 8 and 4 pixels, coarsest first.
    """

    code: torch.Tensor
    skips: list[torch.Tensor]


class DCGANEncoder(nn.Module):
    """Frames ``(N, C, 64, 64)`` -> codes ``(N, out_dim)``."""

    def __init__(self, channels: int, out_dim: int, nf: int = 64, bias: bool = True, first_batch_norm: bool = True):
        super().__init__()
        widths = [channels, nf, nf * 2, nf * 4, nf * 8]
        self.down = nn.ModuleList(
            _block(
                nn.Conv2d(widths[i], widths[i + 1], 4, 2, 1, bias=bias),
                widths[i + 1],
                batch_norm=(i > 0 or first_batch_norm),
                activation=nn.LeakyReLU(LEAK, inplace=True),
            )
            for i in range(4)
        )
        self.last = _block(nn.Conv2d(nf * 8, out_dim, 4, 1, 0, bias=bias), out_dim, True, nn.Tanh())
        self.out_dim = out_dim

    def forward(self, x: torch.Tensor) -> EncodedFrames:
        skips = []
        h = x
        for layer in self.down:
            h = layer(h)
            skips.append(h)
        code = self.last(h).view(x.shape[0], self.out_dim)
        return EncodedFrames(code, skips[::-1])


class DCGANDecoder(nn.Module):
    """Codes ``(N, in_dim)`` (+ skips, coarsest first) -> frames ``(N, C, 64, 64)`` in [0, 1]."""

    def __init__(self, channels: int, in_dim: int, nf: int = 64, bias: bool = True, skip: bool = False):
        super().__init__()
        self.skip = skip
        coef = 2 if skip else 1
        self.first = _block(nn.ConvTranspose2d(in_dim, nf * 8, 4, 1, 0, bias=bias), nf * 8, True, nn.LeakyReLU(LEAK, inplace=True))
        widths = [nf * 8, nf * 4, nf * 2, nf]
        self.up = nn.ModuleList(
            _block(nn.ConvTranspose2d(widths[i] * coef, widths[i + 1], 4, 2, 1, bias=bias), widths[i + 1], True,
                   nn.LeakyReLU(LEAK, inplace=True))
            for i in range(3)
        )
        self.last = nn.ConvTranspose2d(nf * coef, channels, 4, 2, 1, bias=bias)

    def forward(self, code: torch.Tensor, skips: list[torch.Tensor] | None = None) -> torch.Tensor:
        if self.skip != (skips is not None):
            raise ValueError(f"decoder built with skip={self.skip} but skips {'given' if skips else 'missing'}")
        h = self.first(code.view(*code.shape, 1, 1))
        for i, layer in enumerate(self.up):
            if skips is not None:
                h = torch.cat([h, skips[i]], 1)
            h = layer(h)
        if skips is not None:
            h = torch.cat([h, skips[3]], 1)
        return torch.sigmoid(self.last(h))


def init_dcgan_weights(module: nn.Module, std: float = 0.02) -> None:
    """N(0, std) for convolutions, N(1, std) weights and zero bias for BatchNorm (both papers' DCGAN init)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, std)
        nn.init.zeros_(module.bias)
