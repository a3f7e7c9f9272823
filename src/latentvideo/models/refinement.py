"""The refinement network of PROVIDE (IODINE's, with the 2D-LSTM cell): from one slot's image-shaped inputs
and its posterior parameters (and their gradients), an update of the posterior parameters.

As the official ``src/networks/refine_net.py``: four 3x3 convolutions of 64 channels with ELU (padding 1),
4x4 average pooling, a linear layer to 128 with ELU on the flattened (64, H/4, W/4) codes, the 2D-LSTM cell
on [vector inputs, codes] with 128 units, and a linear output to ``2 * z_dim`` (the change of the posterior's
mean and log-variance).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from latentvideo.models.lstm2d import LSTM2dCell, CellState

HIDDEN = 128


class Refinement(NamedTuple):
    """``delta: (B, 2 z_dim)``, the update of the posterior parameters; ``state``: the cell's new state."""

    delta: torch.Tensor
    state: CellState


class RefinementNetwork(nn.Module):
    def __init__(self, z_dim: int, image_channels: int, vector_size: int, frame_size: tuple[int, int],
                 width: int = 64, hidden: int = HIDDEN):
        """image_channels: channels of the image-shaped inputs; vector_size: size of the vector inputs
        (PROVIDE: the posterior parameters and their gradient, 4 z_dim)."""
        super().__init__()
        layers: list[nn.Module] = []
        for n_in in (image_channels, width, width, width):
            layers += [nn.Conv2d(n_in, width, 3, padding=1), nn.ELU()]
        self.conv = nn.Sequential(*layers, nn.AvgPool2d(4))
        height, width_px = frame_size
        self.codes = nn.Sequential(nn.Linear(width * (height // 4) * (width_px // 4), hidden), nn.ELU())
        self.cell = LSTM2dCell(vector_size + hidden, hidden)
        self.out = nn.Linear(hidden, 2 * z_dim)

    def forward(self, images: torch.Tensor, vectors: torch.Tensor, temporal: CellState,
                refinement: CellState) -> Refinement:
        """images: (B, image_channels, H, W); vectors: (B, vector_size); the 2D-LSTM's two predecessors."""
        codes = self.codes(self.conv(images).flatten(1))
        state = self.cell(torch.cat((vectors, codes), dim=1), temporal, refinement)
        return Refinement(self.out(state.h), state)
