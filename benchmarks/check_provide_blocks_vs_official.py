"""PROVIDE's building blocks against the official modules (BorealisAI/PROVIDE ``src/networks``), on the same
weights and inputs: the spatial broadcast decoder (plain and conditional), the 2D-LSTM cell and the
refinement network, each at the official settings (z_dim 64, 64x64 frames, 32 image channels: 16 of the model
and 16 of the feature extractor, 4 z_dim vector inputs).

The official code is not a dependency: point ``--official`` at a checkout (the folder that holds
``src/networks``; it needs only torch). For each block: the parameter counts, the parameter shapes in order
(their weights are copied into ours by position), and the largest output difference, which must be 0 up to
float rounding.

    python benchmarks/check_provide_blocks_vs_official.py --official /path/to/PROVIDE
"""

from __future__ import annotations

import argparse
import sys

import torch

Z, SIZE, IMAGE_CHANNELS, BATCH = 64, 64, 32, 4


def copy_by_position(theirs: torch.nn.Module, ours: torch.nn.Module) -> None:
    their_params, our_params = list(theirs.parameters()), list(ours.parameters())
    shapes = [tuple(p.shape) for p in their_params], [tuple(p.shape) for p in our_params]
    if shapes[0] != shapes[1]:
        raise SystemExit(f"parameter shapes differ:\n official {shapes[0]}\n ours     {shapes[1]}")
    with torch.no_grad():
        for mine, official in zip(our_params, their_params):
            mine.copy_(official)


def report(name: str, theirs: torch.nn.Module, ours: torch.nn.Module, difference: float) -> bool:
    n_theirs = sum(p.numel() for p in theirs.parameters())
    n_ours = sum(p.numel() for p in ours.parameters())
    ok = n_theirs == n_ours and difference < 1e-5
    print(f"{name:34s} parameters official {n_theirs:>9,} ours {n_ours:>9,}   max |difference| {difference:.2e}"
          f"   {'ok' if ok else 'DIFFERENT'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--official", required=True, help="checkout of BorealisAI/PROVIDE")
    args = parser.parse_args()
    sys.path.insert(0, args.official)
    from src.networks.lstm2d_cell import LSTM2dCell as TheirCell
    from src.networks.refine_net import RefineNetLSTM
    from src.networks.sbd import SBD

    from latentvideo.models.lstm2d import LSTM2dCell, CellState
    from latentvideo.models.refinement import RefinementNetwork
    from latentvideo.models.spatial_broadcast import SpatialBroadcastDecoder

    torch.manual_seed(0)
    results = []
    z, h = torch.randn(BATCH, Z), torch.randn(BATCH, 128)
    for cond in (False, True):
        theirs = SBD(Z, (SIZE, SIZE), out_channels=4, cond=cond)
        ours = SpatialBroadcastDecoder(Z, (SIZE, SIZE), channels=3, condition=128 if cond else 0)
        copy_by_position(theirs, ours)
        out = theirs(z, h if cond else None)
        mine = ours(z, h if cond else None)
        difference = max((out[:, :3] - mine.means).abs().max().item(),
                         (out[:, 3] - mine.mask_logits).abs().max().item())
        results.append(report(f"spatial broadcast decoder{' (cond)' if cond else ''}", theirs, ours, difference))

    theirs, ours = TheirCell(384, 128), LSTM2dCell(384, 128)
    copy_by_position(theirs, ours)
    x, states = torch.randn(BATCH, 384), [torch.randn(BATCH, 128) for _ in range(4)]
    h_theirs, c_theirs = theirs(x, states[0], states[1], states[2], states[3])
    mine = ours(x, CellState(states[0], states[2]), CellState(states[1], states[3]))
    difference = max((h_theirs - mine.h).abs().max().item(), (c_theirs - mine.c).abs().max().item())
    results.append(report("2D-LSTM cell", theirs, ours, difference))

    theirs = RefineNetLSTM(Z, IMAGE_CHANNELS)
    ours = RefinementNetwork(Z, IMAGE_CHANNELS, 4 * Z, (SIZE, SIZE))
    copy_by_position(theirs, ours)
    images, vectors = torch.randn(BATCH, IMAGE_CHANNELS, SIZE, SIZE), torch.randn(BATCH, 4 * Z)
    # the official forward(x, h_1, c_1, h_2, c_2) passes (h_1, h_2, c_1, c_2) on: temporal first
    delta, h_new, c_new = theirs({"img": images, "vec": vectors}, states[0], states[2], states[1], states[3])
    mine = ours(images, vectors, CellState(states[0], states[2]), CellState(states[1], states[3]))
    difference = max((delta - mine.delta).abs().max().item(), (h_new - mine.state.h).abs().max().item(),
                     (c_new - mine.state.c).abs().max().item())
    results.append(report("refinement network", theirs, ours, difference))
    raise SystemExit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
