"""What the convolutional frame coders (DCGAN, VGG) share: their output type, the per-time-step BatchNorm that
lets SVG encode all frames in one batched call, and the two papers' weight initialisation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

LEAK = 0.2  # LeakyReLU slope of every hidden layer, in both code bases


class EncodedFrames(NamedTuple):
    """Encoder output for a batch of N frames.

    code: (N, out_dim) in [-1, 1]; skips: the feature maps of each resolution the decoder mirrors, coarsest
    first (DCGAN at 64x64: 4, 8, 16, 32 pixels; VGG: 8, 16, 32, 64).
    """

    code: torch.Tensor
    skips: list[torch.Tensor]


def conv_block(conv: nn.Module, n_out: int, batch_norm: bool, activation: nn.Module | None) -> nn.Sequential:
    """``conv`` -> BatchNorm (optional) -> activation (optional), the order of both code bases."""
    layers = [conv]
    if batch_norm:
        layers.append(nn.BatchNorm2d(n_out))
    if activation is not None:
        layers.append(activation)
    return nn.Sequential(*layers)


def per_step_batch_norm(bn: nn.BatchNorm2d, x: torch.Tensor, steps: int, running_updates: Sequence[int]) -> torch.Tensor:
    """BatchNorm in training mode as if it were called once per time step: ``x (steps * B, C, H, W)``, time-major.

    Each step's B frames are normalised with their own mean and (biased) variance, in one batched call; the
    running statistics then take one momentum update per entry of ``running_updates`` (time indices, in the
    order a per-frame loop would have called the layer), with that step's mean and unbiased variance.
    """
    n, c = x.shape[:2]
    b = n // steps
    grouped = x.view(steps, b, c, *x.shape[2:]).transpose(0, 1).reshape(b, steps * c, *x.shape[2:])
    out = F.batch_norm(grouped, None, None, bn.weight.repeat(steps) if bn.affine else None,
                       bn.bias.repeat(steps) if bn.affine else None, True, 0.0, bn.eps)
    out = out.view(b, steps, c, *x.shape[2:]).transpose(0, 1).reshape(x.shape)
    if bn.track_running_stats:
        with torch.no_grad():
            frames = x.detach().view(steps, b, c, -1)
            mean = frames.mean(dim=(1, 3))  # (steps, C)
            var = frames.var(dim=(1, 3), unbiased=True) if b * frames.shape[-1] > 1 else torch.zeros_like(mean)
            m = bn.momentum
            for t in running_updates:
                bn.running_mean.mul_(1 - m).add_(mean[t], alpha=m)
                bn.running_var.mul_(1 - m).add_(var[t], alpha=m)
            bn.num_batches_tracked.add_(len(running_updates))
    return out


def apply_layers(block: nn.Module, h: torch.Tensor, steps: int | None, running_updates: Sequence[int]) -> torch.Tensor:
    """Run ``block`` (nested ``Sequential``s included) on ``h``; with ``steps``, every BatchNorm in training mode
    normalises per time step (:func:`per_step_batch_norm`)."""
    if isinstance(block, nn.Sequential):
        for layer in block:
            h = apply_layers(layer, h, steps, running_updates)
        return h
    if steps is not None and isinstance(block, nn.BatchNorm2d) and block.training:
        return per_step_batch_norm(block, h, steps, running_updates)
    return block(h)


def encode_with_skips(blocks: Sequence[nn.Module], last: nn.Module, x: torch.Tensor, out_dim: int,
                      steps: int | None, running_updates: Sequence[int]) -> EncodedFrames:
    """A coder's encoding: ``blocks`` in order, each one's output kept as a skip, then ``last`` to the code
    ``(N, out_dim)``; skips returned coarsest first. ``steps``: per-time-step BatchNorm (:func:`apply_layers`)."""
    skips = []
    h = x
    for block in blocks:
        h = apply_layers(block, h, steps, running_updates)
        skips.append(h)
    code = apply_layers(last, h, steps, running_updates).view(x.shape[0], out_dim)
    return EncodedFrames(code, skips[::-1])


def decode_with_skips(first: nn.Module, blocks: Sequence[nn.Module], code: torch.Tensor,
                      skips: list[torch.Tensor] | None, built_with_skips: bool) -> torch.Tensor:
    """A coder's decoding: ``first`` on the code as a 1x1 map, then each block with the matching skip (coarsest
    first) concatenated over channels when the decoder was built with skips; frames in [0, 1] (sigmoid)."""
    if built_with_skips != (skips is not None):
        raise ValueError(f"decoder built with skip={built_with_skips} but skips {'given' if skips else 'missing'}")
    h = first(code.view(*code.shape, 1, 1))
    for i, block in enumerate(blocks):
        if skips is not None:
            h = torch.cat([h, skips[i]], 1)
        h = block(h)
    return torch.sigmoid(h)


def init_dcgan_weights(module: nn.Module, std: float = 0.02) -> None:
    """N(0, std) for convolutions, N(1, std) weights and zero bias for BatchNorm, zero convolution biases (both
    code bases' ``init_weights`` for their DCGAN and VGG coders)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, std)
        nn.init.zeros_(module.bias)
