"""PROVIDE's building blocks: sizes at the official settings (equal to the official modules':
benchmarks/check_provide_blocks_vs_official.py compares outputs on the same weights), the 2D-LSTM cell's
equations, the decoder's coordinate channels and conditioning."""

from __future__ import annotations

import pytest
import torch

from latentvideo.models.lstm2d import LSTM2dCell, CellState
from latentvideo.models.refinement import RefinementNetwork
from latentvideo.models.spatial_broadcast import SpatialBroadcastDecoder


def size(module):
    return sum(p.numel() for p in module.parameters())


def test_sizes_at_the_official_settings():
    # z_dim 64, 64x64 frames, 16 + 16 image channels (model inputs and feature extractor), 4 z_dim vector inputs
    assert size(SpatialBroadcastDecoder(64, (64, 64))) == 151_172
    assert size(SpatialBroadcastDecoder(64, (64, 64), condition=128)) == 167_684
    assert size(LSTM2dCell(384, 128)) == 411_520
    assert size(RefinementNetwork(64, 32, 256, (64, 64))) == 2_654_592


def test_lstm2d_cell_equations():
    torch.manual_seed(0)
    cell = LSTM2dCell(6, 4)
    x = torch.randn(3, 6)
    temporal = CellState(torch.randn(3, 4), torch.randn(3, 4))
    refinement = CellState(torch.randn(3, 4), torch.randn(3, 4))
    out = cell(x, temporal, refinement)
    pre = cell.from_input(x) + cell.from_temporal(temporal.h) + cell.from_refinement(refinement.h)
    i, f, o, lam, g = (pre[:, 4 * k : 4 * (k + 1)] for k in range(5))
    i, f, o, lam, g = i.sigmoid(), f.sigmoid(), o.sigmoid(), lam.sigmoid(), g.tanh()
    c = f * (lam * temporal.c + (1 - lam) * refinement.c) + i * g
    torch.testing.assert_close(out.c, c)
    torch.testing.assert_close(out.h, o * c.tanh())
    # lambda = 1 keeps only the temporal cell state, lambda = 0 only the refinement one (i, f, g unchanged)
    with torch.no_grad():
        cell.from_input.bias[12:16] += 1e4
    torch.testing.assert_close(cell(x, temporal, refinement).c, f * temporal.c + i * g)
    with torch.no_grad():
        cell.from_input.bias[12:16] -= 2e4
    torch.testing.assert_close(cell(x, temporal, refinement).c, f * refinement.c + i * g)


def test_decoder_outputs_coordinates_and_conditioning():
    torch.manual_seed(0)
    decoder = SpatialBroadcastDecoder(8, (6, 10), channels=1, width=16)
    rows, cols = decoder.coordinates[0]
    torch.testing.assert_close(rows[:, 0], torch.linspace(-1, 1, 6))
    torch.testing.assert_close(cols[0], torch.linspace(-1, 1, 10))
    assert (rows == rows[:, :1]).all() and (cols == cols[:1]).all()
    out = decoder(torch.randn(5, 8))
    assert out.means.shape == (5, 1, 6, 10) and out.mask_logits.shape == (5, 6, 10)
    assert out.means.min() >= 0 and out.means.max() <= 1
    conditional = SpatialBroadcastDecoder(8, (6, 10), channels=3, width=16, condition=4)
    z = torch.randn(2, 8)
    a, b = conditional(z, torch.zeros(2, 4)), conditional(z, torch.ones(2, 4))
    assert a.means.shape == (2, 3, 6, 10) and not torch.allclose(a.mask_logits, b.mask_logits)
    with pytest.raises(ValueError, match="conditional"):
        conditional(z)
    assert "coordinates" not in conditional.state_dict()  # derived, not a checkpointed tensor


def test_refinement_network_shapes_and_state():
    torch.manual_seed(0)
    net = RefinementNetwork(z_dim=5, image_channels=7, vector_size=20, frame_size=(16, 16), width=8, hidden=12)
    state = net.cell.initial_state(3, torch.device("cpu"))
    out = net(torch.randn(3, 7, 16, 16), torch.randn(3, 20), state, state)
    assert out.delta.shape == (3, 10) and out.state.h.shape == out.state.c.shape == (3, 12)
    out.delta.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
