"""The frozen ImageNet features PROVIDE's refinement network may read: SqueezeNet 1.1's first five layers.

The official code (``scripts/train.py``, on by default there) takes ``torchvision.models.squeezenet1_1(
pretrained=True).features[:5]``, frozen: a 3x3 stride-2 convolution to 64 channels with ReLU, a 3x3 stride-2
max-pool (ceil mode) and two Fire modules (squeeze to 16, expand to 64 + 64), so 128 channels. It feeds the
frame upsampled (nearest) to 257 pixels, which these layers bring back to 64x64; for a frame of side S we
upsample to 4 S + 1, which gives S x S for any S. Three trainable 3x3 ELU convolutions (128 -> 64 -> 32 -> 16)
follow, and the 16 channels join the refinement network's image inputs.

The ImageNet weights are a user-provided file (torchvision's ``squeezenet1_1-b8a52dc0.pth``, a state_dict
with keys ``features.0.weight`` ...), never downloaded: :func:`load_imagenet_weights` checks every key and
shape and names the file when it is not that.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from latentvideo.metrics.weight_files import load_state_dict

OUT_CHANNELS = 16
WEIGHTS = "torchvision's SqueezeNet 1.1 ImageNet weights (squeezenet1_1-b8a52dc0.pth)"


class Fire(nn.Module):
    """SqueezeNet's Fire module: a 1x1 squeeze, then 1x1 and 3x3 expansions concatenated (ReLU after each)."""

    def __init__(self, n_in: int, squeeze: int, expand1x1: int, expand3x3: int):
        super().__init__()
        self.squeeze = nn.Conv2d(n_in, squeeze, 1)
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, 1)
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.squeeze(x))
        return torch.cat((F.relu(self.expand1x1(x)), F.relu(self.expand3x3(x))), dim=1)


class SqueezeNetFeatures(nn.Module):
    """Frozen SqueezeNet 1.1 ``features[:5]`` (parameter names as torchvision's) plus the trainable head."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 64, 3, stride=2), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True),
                                      Fire(64, 16, 64, 64), Fire(128, 16, 64, 64))
        self.features.requires_grad_(False)
        self.head = nn.Sequential(nn.Conv2d(128, 64, 3, padding=1), nn.ELU(), nn.Conv2d(64, 32, 3, padding=1),
                                  nn.ELU(), nn.Conv2d(32, OUT_CHANNELS, 3, padding=1), nn.ELU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, S, S) in [0, 1], C = 3 (or 1, repeated) -> (B, 16, S, S)."""
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        size = 4 * x.shape[-1] + 1
        return self.head(self.features(F.interpolate(x, size=(size, size), mode="nearest")))

    def load_imagenet_weights(self, path: str | Path) -> None:
        """Copy the ImageNet weights of the first five layers from torchvision's state_dict file ``path``."""
        expected = {k: v.shape for k, v in self.features.state_dict().items()}
        self.features.load_state_dict(load_state_dict(path, WEIGHTS, expected, prefix="features."))
