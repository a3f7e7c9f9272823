"""The multi-layer perceptron used by SRVP: ReLU before every linear layer but the first, no output activation."""

from __future__ import annotations

from torch import nn


def make_mlp(n_in: int, n_hidden: int, n_out: int, n_layers: int) -> nn.Sequential:
    """``n_layers`` linear layers: ``n_in -> n_hidden -> ... -> n_out``.

    Input ``(..., n_in)``, output ``(..., n_out)``. ``n_layers >= 1``; with 1 it is a single linear map.
    """
    if n_layers < 1:
        raise ValueError(f"an MLP needs at least one layer, got n_layers={n_layers}")
    if n_layers == 1:
        return nn.Sequential(nn.Linear(n_in, n_out))
    layers: list[nn.Module] = [nn.Linear(n_in, n_hidden)]
    for _ in range(n_layers - 2):
        layers += [nn.ReLU(inplace=True), nn.Linear(n_hidden, n_hidden)]
    layers += [nn.ReLU(inplace=True), nn.Linear(n_hidden, n_out)]
    return nn.Sequential(*layers)
