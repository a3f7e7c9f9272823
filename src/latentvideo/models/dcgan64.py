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

``frame_size`` 32 (ours, for small budgets; neither code base has it) drops the first stride-2 layer of the
encoder and the last of the decoder's hidden layers: widths nf, 2nf, 4nf instead of nf ... 8nf. At 64 (the
default) the modules are exactly the official ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from latentvideo.models.conv_coding import LEAK, EncodedFrames, conv_block, decode_with_skips, encode_with_skips
FRAME_SIZES = {64: 4, 32: 3}  # frame size -> stride-2 layers of the encoder (and of the decoder)


def _layers(frame_size: int) -> int:
    if frame_size not in FRAME_SIZES:
        raise ValueError(f"the DCGAN coder takes frames of {sorted(FRAME_SIZES)} pixels, not {frame_size}")
    return FRAME_SIZES[frame_size]


class DCGANEncoder(nn.Module):
    """Frames ``(N, C, S, S)`` (S = ``frame_size``, 64 or 32) -> codes ``(N, out_dim)``.

    ``forward(x, steps=T, running_updates=...)`` treats ``x`` as T time steps of N / T frames each (time-major)
    and, in training mode, normalises every BatchNorm over each step's frames only, as a loop calling the
    encoder once per time step does (SVG's training loop); see :func:`latentvideo.models.conv_coding.per_step_batch_norm`.
    """

    def __init__(self, channels: int, out_dim: int, nf: int = 64, bias: bool = True, first_batch_norm: bool = True,
                 frame_size: int = 64):
        super().__init__()
        n = _layers(frame_size)
        widths = [channels] + [nf * 2**i for i in range(n)]
        self.down = nn.ModuleList(
            conv_block(
                nn.Conv2d(widths[i], widths[i + 1], 4, 2, 1, bias=bias),
                widths[i + 1],
                batch_norm=(i > 0 or first_batch_norm),
                activation=nn.LeakyReLU(LEAK, inplace=True),
            )
            for i in range(n)
        )
        self.last = conv_block(nn.Conv2d(widths[-1], out_dim, 4, 1, 0, bias=bias), out_dim, True, nn.Tanh())
        self.out_dim = out_dim

    def forward(self, x: torch.Tensor, steps: int | None = None, running_updates: Sequence[int] = ()) -> EncodedFrames:
        return encode_with_skips(self.down, self.last, x, self.out_dim, steps, running_updates)


class DCGANDecoder(nn.Module):
    """Codes ``(N, in_dim)`` (+ skips, coarsest first) -> frames ``(N, C, S, S)`` in [0, 1] (S = ``frame_size``)."""

    def __init__(self, channels: int, in_dim: int, nf: int = 64, bias: bool = True, skip: bool = False,
                 frame_size: int = 64):
        super().__init__()
        self.skip = skip
        coef = 2 if skip else 1
        n = _layers(frame_size)
        widths = [nf * 2**i for i in reversed(range(n))]
        self.first = conv_block(nn.ConvTranspose2d(in_dim, widths[0], 4, 1, 0, bias=bias), widths[0], True,
                            nn.LeakyReLU(LEAK, inplace=True))
        self.up = nn.ModuleList(
            conv_block(nn.ConvTranspose2d(widths[i] * coef, widths[i + 1], 4, 2, 1, bias=bias), widths[i + 1], True,
                   nn.LeakyReLU(LEAK, inplace=True))
            for i in range(n - 1)
        )
        self.last = nn.ConvTranspose2d(nf * coef, channels, 4, 2, 1, bias=bias)

    def forward(self, code: torch.Tensor, skips: list[torch.Tensor] | None = None) -> torch.Tensor:
        return decode_with_skips(self.first, [*self.up, self.last], code, skips, self.skip)
