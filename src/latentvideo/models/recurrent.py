"""SVG's recurrent blocks with explicit state (the original kept hidden states as module attributes)."""

from __future__ import annotations

import torch
from torch import nn

from latentvideo.models.gaussian import DiagGaussian, from_logvar

LSTMState = list[tuple[torch.Tensor, torch.Tensor]]


class StackedLSTM(nn.Module):
    """Linear embedding, ``n_layers`` LSTM cells, then a head. Inputs ``(B, n_in)``; one time step per call."""

    def __init__(self, n_in: int, hidden: int, n_layers: int):
        super().__init__()
        self.hidden = hidden
        self.embed = nn.Linear(n_in, hidden)
        self.cells = nn.ModuleList(nn.LSTMCell(hidden, hidden) for _ in range(n_layers))

    def initial_state(self, batch: int, device: torch.device, dtype: torch.dtype = torch.float32) -> LSTMState:
        zeros = torch.zeros(batch, self.hidden, device=device, dtype=dtype)
        return [(zeros, zeros) for _ in self.cells]

    def run_cells(self, x: torch.Tensor, state: LSTMState) -> tuple[torch.Tensor, LSTMState]:
        h = self.embed(x)
        new_state = []
        for cell, hc in zip(self.cells, state):
            h, c = cell(h, hc)
            new_state.append((h, c))
        return h, new_state


class DeterministicLSTM(StackedLSTM):
    """SVG's frame predictor: ``(B, n_in) -> (B, n_out)`` through a tanh head."""

    def __init__(self, n_in: int, n_out: int, hidden: int, n_layers: int):
        super().__init__(n_in, hidden, n_layers)
        self.head = nn.Sequential(nn.Linear(hidden, n_out), nn.Tanh())

    def forward(self, x: torch.Tensor, state: LSTMState) -> tuple[torch.Tensor, LSTMState]:
        h, state = self.run_cells(x, state)
        return self.head(h), state


class GaussianLSTM(StackedLSTM):
    """SVG's posterior / learned prior: ``(B, n_in) ->`` a diagonal Gaussian over ``(B, n_out)`` (log-variance head)."""

    def __init__(self, n_in: int, n_out: int, hidden: int, n_layers: int):
        super().__init__(n_in, hidden, n_layers)
        self.mean = nn.Linear(hidden, n_out)
        self.logvar = nn.Linear(hidden, n_out)

    def forward(self, x: torch.Tensor, state: LSTMState) -> tuple[DiagGaussian, LSTMState]:
        h, state = self.run_cells(x, state)
        return from_logvar(self.mean(h), self.logvar(h)), state
