"""The judge: a video classifier trained on real labelled videos that scores generated ones (R-WAE Tables 2,
3 and 9; the "pretrained classifier" of S3VAE / C-DSVAE's protocol).

One network classifies every labelled factor of a dataset (one linear head per factor; R-WAE trains "a
classifier for each attribute": a shared trunk is our economy, recorded in README "R-WAE"). Frames are
encoded independently (stride-2 convolutions, BatchNorm, ReLU, down to 4x4, then a linear layer to
``features`` units: the per-frame features the frame-level FID is computed on), then mixed over time by two
1-D convolutions (kernel 3) so that motion factors are visible, averaged over time and classified.
R-WAE's MUG judge is a 3-D convolutional network whose layout the paper does not give.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

FRAME_SIZES = {64: 4, 32: 3, 16: 2}


@dataclass(frozen=True)
class JudgeConfig:
    """channels, frame_size: the videos'. classes: ``{factor: number of classes}``. width: conv channels.
    features: per-frame feature size."""

    channels: int
    frame_size: int
    classes: Mapping[str, int]
    width: int = 64
    features: int = 128

    def __post_init__(self) -> None:
        if self.frame_size not in FRAME_SIZES:
            raise ValueError(f"the judge takes frames of {sorted(FRAME_SIZES)} pixels, not {self.frame_size}")
        if not self.classes:
            raise ValueError("a judge needs at least one labelled factor")


class JudgeOutput(NamedTuple):
    """logits: ``{factor: (B, K)}``; frame_features: ``(T, B, features)`` (frame-level FID)."""

    logits: dict[str, torch.Tensor]
    frame_features: torch.Tensor

    def probabilities(self) -> dict[str, torch.Tensor]:
        """``{factor: (B, K)}`` class probabilities p(y | x)."""
        return {name: logits.softmax(-1) for name, logits in self.logits.items()}


class VideoJudge(nn.Module):
    """``x: (T, B, C, H, W)`` float in [0, 1] -> :class:`JudgeOutput`."""

    def __init__(self, config: JudgeConfig):
        super().__init__()
        self.config = config
        layers, width = [], config.channels
        for _ in range(FRAME_SIZES[config.frame_size]):
            layers += [nn.Conv2d(width, config.width, 4, 2, 1), nn.BatchNorm2d(config.width), nn.ReLU()]
            width = config.width
        self.frames = nn.Sequential(*layers, nn.Flatten(), nn.Linear(config.width * 16, config.features), nn.ReLU())
        self.time = nn.Sequential(nn.Conv1d(config.features, config.features, 3, padding=1), nn.ReLU(),
                                  nn.Conv1d(config.features, config.features, 3, padding=1), nn.ReLU())
        self.heads = nn.ModuleDict({name: nn.Linear(config.features, n) for name, n in config.classes.items()})

    def forward(self, x: torch.Tensor) -> JudgeOutput:
        steps, batch = x.shape[:2]
        features = self.frames(x.flatten(0, 1)).view(steps, batch, -1)
        pooled = self.time(features.permute(1, 2, 0)).mean(dim=-1)
        return JudgeOutput({name: head(pooled) for name, head in self.heads.items()}, features)

    def probabilities(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """``{factor: (B, K)}`` class probabilities p(y | x)."""
        return self(x).probabilities()
