"""The refinement network of PROVIDE (IODINE's, with the 2D-LSTM cell): from one slot's image-shaped inputs
and its posterior parameters (and their gradients), an update of the posterior parameters.

As the official ``src/networks/refine_net.py``: four 3x3 convolutions of 64 channels with ELU (padding 1),
4x4 average pooling, a linear layer to 128 with ELU on the flattened (64, H/4, W/4) codes, the 2D-LSTM cell
on [vector inputs, codes] with 128 units, and a linear output to ``2 * z_dim`` (the change of the posterior's
mean and log-variance). With ``cell="lstm"`` the cell is a plain ``nn.LSTMCell`` on the same input, as IODINE's
refinement network (Kelly's ``RefineNetLSTM``, on which PROVIDE's is built): it has no temporal predecessor.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from latentvideo.models.lstm2d import LSTM2dCell, CellState

HIDDEN = 128
CELLS = ("lstm2d", "lstm")


class Refinement(NamedTuple):
    """``delta: (B, 2 z_dim)``, the update of the posterior parameters; ``state``: the cell's new state."""

    delta: torch.Tensor
    state: CellState


class RefinementNetwork(nn.Module):
    def __init__(self, z_dim: int, image_channels: int, vector_size: int, frame_size: tuple[int, int],
                 width: int = 64, hidden: int = HIDDEN, cell: str = "lstm2d"):
        """image_channels: channels of the image-shaped inputs; vector_size: size of the vector inputs
        (PROVIDE: the posterior parameters and their gradient, 4 z_dim); cell: ``lstm2d`` or ``lstm``."""
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
        self.hidden = hidden
        layers: list[nn.Module] = []
        for n_in in (image_channels, width, width, width):
            layers += [nn.Conv2d(n_in, width, 3, padding=1), nn.ELU()]
        self.conv = nn.Sequential(*layers, nn.AvgPool2d(4))
        height, width_px = frame_size
        self.codes = nn.Sequential(nn.Linear(width * (height // 4) * (width_px // 4), hidden), nn.ELU())
        self.cell = (LSTM2dCell(vector_size + hidden, hidden) if cell == "lstm2d"
                     else nn.LSTMCell(vector_size + hidden, hidden))
        self.out = nn.Linear(hidden, 2 * z_dim)

    def initial_state(self, batch: int, device: torch.device, dtype: torch.dtype = torch.float32) -> CellState:
        """Zeros (PROVIDE's and IODINE's ``h0`` and ``c0``): ``(batch, hidden)`` each."""
        zeros = torch.zeros(batch, self.hidden, device=device, dtype=dtype)
        return CellState(zeros, zeros)

    def forward(self, images: torch.Tensor, vectors: torch.Tensor, temporal: CellState | None,
                refinement: CellState) -> Refinement:
        """images: (B, image_channels, H, W); vectors: (B, vector_size); the 2D-LSTM's two predecessors (the
        plain LSTM has no temporal one: pass None)."""
        codes = self.codes(self.conv(images).flatten(1))
        inputs = torch.cat((vectors, codes), dim=1)
        if isinstance(self.cell, LSTM2dCell):
            if temporal is None:
                raise ValueError("the 2D-LSTM cell needs its temporal predecessor's state")
            state = self.cell(inputs, temporal, refinement)
        else:
            state = CellState(*self.cell(inputs, tuple(refinement)))
        return Refinement(self.out(state.h), state)
