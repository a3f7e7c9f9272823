"""MLP frame encoder and decoder (SRVP Appendix E, Pendulum: "the encoders and decoders for all methods are MLPs").

The paper gives no sizes; ours: ``layers`` linear layers of ``hidden`` units with ReLU between them (SRVP's
:func:`~latentvideo.models.mlp.make_mlp`), a sigmoid on the decoded frame. Same interface as the DCGAN pair
(:mod:`latentvideo.models.dcgan64`), without skip connections.
"""

from __future__ import annotations

import torch
from torch import nn

from latentvideo.models.conv_coding import EncodedFrames
from latentvideo.models.mlp import make_mlp


class MLPFrameEncoder(nn.Module):
    """``x: (N, C, H, W)`` in [0, 1] -> :class:`EncodedFrames` with ``code: (N, out_dim)`` and no skips."""

    def __init__(self, channels: int, frame_size: int, out_dim: int, hidden: int, layers: int):
        super().__init__()
        self.net = make_mlp(channels * frame_size * frame_size, hidden, out_dim, layers)

    def forward(self, x: torch.Tensor) -> EncodedFrames:
        return EncodedFrames(self.net(x.flatten(1)), [])


class MLPFrameDecoder(nn.Module):
    """``code: (N, in_dim)`` -> frames ``(N, C, H, W)`` in [0, 1] (sigmoid output); ``skips`` must be None."""

    def __init__(self, channels: int, frame_size: int, in_dim: int, hidden: int, layers: int):
        super().__init__()
        self.shape = (channels, frame_size, frame_size)
        self.net = make_mlp(in_dim, hidden, channels * frame_size * frame_size, layers)

    def forward(self, code: torch.Tensor, skips: list[torch.Tensor] | None = None) -> torch.Tensor:
        if skips:
            raise ValueError("the MLP frame decoder has no skip connections")
        return torch.sigmoid(self.net(code)).view(code.shape[0], *self.shape)
