"""The 2D-LSTM cell of PROVIDE (gates after Bhatt et al. 2018): one cell of a grid over (time x refinement
step) that reads an input and two predecessors, the temporal one (same refinement step, previous frame) and
the refinement one (previous step, same frame).

As the official ``src/networks/lstm2d_cell.py``: three linear maps (input, temporal state, refinement state,
each with a bias) to 5 x ``hidden`` pre-activations, split in that order into the input gate i, forget gate
f, output gate o, the lambda gate and the candidate cell (tanh); the new cell state is
``c = f * (lambda * c_temporal + (1 - lambda) * c_refinement) + i * c_candidate`` and ``h = o * tanh(c)``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn


class CellState(NamedTuple):
    """``h``, ``c``: (B, hidden) each."""

    h: torch.Tensor
    c: torch.Tensor


class LSTM2dCell(nn.Module):
    def __init__(self, n_in: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        self.from_input = nn.Linear(n_in, 5 * hidden)
        self.from_temporal = nn.Linear(hidden, 5 * hidden)
        self.from_refinement = nn.Linear(hidden, 5 * hidden)

    def initial_state(self, batch: int, device: torch.device, dtype: torch.dtype = torch.float32) -> CellState:
        zeros = torch.zeros(batch, self.hidden, device=device, dtype=dtype)
        return CellState(zeros, zeros)

    def forward(self, x: torch.Tensor, temporal: CellState, refinement: CellState) -> CellState:
        """x: (B, n_in); the two predecessors' states."""
        pre = self.from_input(x) + self.from_temporal(temporal.h) + self.from_refinement(refinement.h)
        i, f, o, lam, candidate = pre.chunk(5, dim=1)
        i, f, o, lam = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o), torch.sigmoid(lam)
        c = f * (lam * temporal.c + (1 - lam) * refinement.c) + i * torch.tanh(candidate)
        return CellState(torch.tanh(c) * o, c)
