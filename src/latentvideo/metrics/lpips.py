"""LPIPS (Zhang et al. 2018) with the AlexNet backbone and the v0.1 linear calibration, as SRVP evaluates it.

Frames in [0, 1] are mapped to [-1, 1] (grey frames repeated to three channels), shifted and scaled per
channel (v0.1's scaling layer), passed through AlexNet's five convolution + ReLU stages; each stage's
features are normalised to unit length over channels, their squared difference is weighted per channel by
the stage's non-negative linear head (a 1x1 convolution), averaged over space, and the five stages are
summed. Lower is more similar.

Weights are two user-provided files (nothing is downloaded; config ``metric_weights``):

- ``lpips_alexnet``: torchvision's ImageNet AlexNet, ``alexnet-owt-7be5be79.pth``
  (https://download.pytorch.org/models/alexnet-owt-7be5be79.pth), a state_dict whose ``features.{0,3,6,8,10}``
  entries are used (``classifier.*`` is ignored);
- ``lpips_linear``: the v0.1 AlexNet heads, ``weights/v0.1/alex.pth`` of the ``lpips`` package (PyPI ``lpips``,
  or github.com/richzhang/PerceptualSimilarity), a state_dict ``lin{0..4}.model.1.weight`` of shapes
  ``(1, C, 1, 1)``, C = 64, 192, 384, 256, 256. (The v0.0 heads give other numbers: SRVP issue #7.)
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from latentvideo.metrics.weight_files import load_state_dict

CHANNELS = (64, 192, 384, 256, 256)
STAGE_ENDS = (2, 5, 8, 10, 12)  # AlexNet ``features`` indices after which LPIPS reads a stage (after each ReLU)
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
EPS = 1e-10


def alexnet_features() -> nn.Sequential:
    """torchvision's AlexNet ``features`` up to the fifth ReLU (indices 0-11, named as its state_dict)."""
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(),
        nn.MaxPool2d(3, 2), nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(),
        nn.MaxPool2d(3, 2), nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(),
    )


class LPIPS(nn.Module):
    """``forward(a, b)``: frames ``(..., C, H, W)`` in [0, 1], C = 1 or 3 -> distances ``(...)``."""

    def __init__(self) -> None:
        super().__init__()
        self.features = alexnet_features()
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in CHANNELS)
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    @classmethod
    def from_files(cls, alexnet: str | Path, linear: str | Path) -> LPIPS:
        """Load the two weight files (see the module docstring); errors name the file and what was expected."""
        model = cls()
        backbone = load_state_dict(alexnet, "torchvision AlexNet (alexnet-owt-7be5be79.pth)",
                                   {k: v.shape for k, v in model.features.state_dict().items()}, prefix="features.")
        model.features.load_state_dict(backbone)
        heads = load_state_dict(linear, "LPIPS v0.1 AlexNet heads (lpips weights/v0.1/alex.pth)",
                                {f"lin{k}.model.1.weight": lin.weight.shape for k, lin in enumerate(model.lins)})
        for k, lin in enumerate(model.lins):
            lin.weight.copy_(heads[f"lin{k}.model.1.weight"])
        return model

    def _stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        h, out, start = (x - self.shift) / self.scale, [], 0
        for end in STAGE_ENDS:
            for layer in self.features[start:end]:
                h = layer(h)
            out.append(h)
            start = end
        return out

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        lead, (c, height, width) = a.shape[:-3], a.shape[-3:]
        a, b = a.reshape(-1, c, height, width), b.reshape(-1, c, height, width)
        if c == 1:
            a, b = a.expand(-1, 3, -1, -1), b.expand(-1, 3, -1, -1)
        total = a.new_zeros(a.shape[0])
        for fa, fb, lin in zip(self._stages(2 * a - 1), self._stages(2 * b - 1), self.lins):
            na = fa / (fa.pow(2).sum(dim=1, keepdim=True).sqrt() + EPS)
            nb = fb / (fb.pow(2).sum(dim=1, keepdim=True).sqrt() + EPS)
            total = total + lin((na - nb).pow(2)).mean(dim=(1, 2, 3))
        return total.view(lead)


def lpips_distance(model: LPIPS, a: torch.Tensor, b: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """:class:`LPIPS` over ``(..., C, H, W)`` frames in chunks of ``chunk`` frames (bounded memory)."""
    lead = a.shape[:-3]
    fa, fb = a.reshape(-1, *a.shape[-3:]), b.reshape(-1, *b.shape[-3:])
    with torch.no_grad():
        out = torch.cat([model(fa[i : i + chunk], fb[i : i + chunk]) for i in range(0, len(fa), chunk)])
    return out.view(lead)
