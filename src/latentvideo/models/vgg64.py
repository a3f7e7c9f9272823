"""The VGG 64x64 frame encoder and decoder of SVG (``models/vgg_64.py``) and SRVP (``module/conv.py``, ``vgg``),
used on KTH, Human3.6M and BAIR.

Encoder: four blocks of 3x3 convolutions (2, 2, 3, 3 of them; widths nf, 2nf, 4nf, 8nf; each conv ->
BatchNorm -> LeakyReLU(0.2)), a 2x2 max-pool before every block but the first, then a max-pool and a 4x4
valid convolution -> BatchNorm -> tanh to the code. The skips are each block's output (64, 32, 16, 8
pixels). Decoder, the mirror: a 4x4 transposed convolution from the code (-> BatchNorm -> LeakyReLU) and a
nearest-neighbour upsampling, then four blocks (3, 3, 2 and 2 layers, the last a 3x3 transposed convolution
to the channels) each taking the matching skip concatenated when skips are on, an upsampling after each
of the first three, and a sigmoid.

The two code bases differ only where the constructor says: SVG's convolutions have biases and its widths
are fixed at nf = 64; SRVP's have none and take nf. Both use skip connections on these datasets (SVG always).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from latentvideo.models.conv_coding import LEAK, EncodedFrames, conv_block, decode_with_skips, encode_with_skips

FRAME_SIZE = 64


def _vgg(n_in: int, n_out: int, bias: bool) -> nn.Sequential:
    return conv_block(nn.Conv2d(n_in, n_out, 3, 1, 1, bias=bias), n_out, True, nn.LeakyReLU(LEAK, inplace=True))


def _check_size(frame_size: int) -> None:
    if frame_size != FRAME_SIZE:
        raise ValueError(f"the VGG coder takes {FRAME_SIZE}x{FRAME_SIZE} frames, not {frame_size}")


class VGGEncoder(nn.Module):
    """Frames ``(N, C, 64, 64)`` -> codes ``(N, out_dim)`` in [-1, 1] and skips (8, 16, 32, 64 pixels: widths
    8nf, 4nf, 2nf, nf). ``steps`` / ``running_updates``: per-time-step BatchNorm, as :class:`DCGANEncoder`."""

    def __init__(self, channels: int, out_dim: int, nf: int = 64, bias: bool = True, frame_size: int = FRAME_SIZE):
        super().__init__()
        _check_size(frame_size)
        pool = lambda: nn.MaxPool2d(kernel_size=2, stride=2, padding=0)  # noqa: E731
        w = [nf, 2 * nf, 4 * nf, 8 * nf]
        self.blocks = nn.ModuleList([
            nn.Sequential(_vgg(channels, w[0], bias), _vgg(w[0], w[0], bias)),
            nn.Sequential(pool(), _vgg(w[0], w[1], bias), _vgg(w[1], w[1], bias)),
            nn.Sequential(pool(), _vgg(w[1], w[2], bias), _vgg(w[2], w[2], bias), _vgg(w[2], w[2], bias)),
            nn.Sequential(pool(), _vgg(w[2], w[3], bias), _vgg(w[3], w[3], bias), _vgg(w[3], w[3], bias)),
        ])
        self.last = nn.Sequential(pool(), conv_block(nn.Conv2d(w[3], out_dim, 4, 1, 0, bias=bias), out_dim, True,
                                                     nn.Tanh()))
        self.out_dim = out_dim

    def forward(self, x: torch.Tensor, steps: int | None = None, running_updates: Sequence[int] = ()) -> EncodedFrames:
        return encode_with_skips(self.blocks, self.last, x, self.out_dim, steps, running_updates)


class VGGDecoder(nn.Module):
    """Codes ``(N, in_dim)`` (+ skips, coarsest first, when built with ``skip``) -> frames ``(N, C, 64, 64)`` in
    [0, 1]."""

    def __init__(self, channels: int, in_dim: int, nf: int = 64, bias: bool = True, skip: bool = True,
                 frame_size: int = FRAME_SIZE):
        super().__init__()
        _check_size(frame_size)
        self.skip = skip
        k = 2 if skip else 1
        up = lambda: nn.Upsample(scale_factor=2, mode="nearest")  # noqa: E731
        w = [nf, 2 * nf, 4 * nf, 8 * nf]
        self.first = nn.Sequential(
            conv_block(nn.ConvTranspose2d(in_dim, w[3], 4, 1, 0, bias=bias), w[3], True, nn.LeakyReLU(LEAK, True)),
            up())
        self.blocks = nn.ModuleList([
            nn.Sequential(_vgg(w[3] * k, w[3], bias), _vgg(w[3], w[3], bias), _vgg(w[3], w[2], bias), up()),
            nn.Sequential(_vgg(w[2] * k, w[2], bias), _vgg(w[2], w[2], bias), _vgg(w[2], w[1], bias), up()),
            nn.Sequential(_vgg(w[1] * k, w[1], bias), _vgg(w[1], w[0], bias), up()),
            nn.Sequential(_vgg(w[0] * k, w[0], bias), nn.ConvTranspose2d(w[0], channels, 3, 1, 1, bias=bias)),
        ])

    def forward(self, code: torch.Tensor, skips: list[torch.Tensor] | None = None) -> torch.Tensor:
        return decode_with_skips(self.first, self.blocks, code, skips, self.skip)
