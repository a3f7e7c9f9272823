"""R-WAE's architecture "C" (Han et al. 2021, Appendix E, Figs. 7, 9, 10, Tables 5-8): BigGAN residual blocks
(Brock et al. 2019) with a ladder of features between the frame and h_t.

* encoder (Table 5 / 7): ResBlock down (64) -> self-attention -> ResBlock down (128, 256, 512, 1024), from
  64x64 to 2x2, then reshape to (N, 1024 * 2 * 2) and an FC layer. After each ResBlock an FC layer gives a
  ladder feature h^i, the last FC gives one more; the six, of equal size, are concatenated into
  ``h_t: (N, frame_dim)`` (Fig. 7a);
* decoder (Table 6 / 8): ``h_t`` is split evenly into six parts (Fig. 7b); the first, through an FC layer,
  becomes the (N, 32 w, 2, 2) input; ResBlock up (16 w, 8 w, 4 w, 2 w) -> self-attention -> ResBlock up (w) ->
  BatchNorm, LeakyReLU, Conv 3x3 to the frame's channels (logits: a sigmoid gives the frame). w is
  ``decoder_width``: 64 on SM-MNIST and Sprites (2048 input channels, Table 6), 96 on MUG (3072, Table 8).

The paper fixes the block widths, the 3x3 kernels, the attention's places, LeakyReLU "for all ResBlocks" and
the ladder's shape. **Ours** (not stated; from BigGAN where it has one): a ResBlock down is LeakyReLU, Conv 3x3,
LeakyReLU, Conv 3x3, 2x2 average pooling, plus a 1x1-conv shortcut pooled alike (BigGAN's D block: no
normalisation); a ResBlock up is BatchNorm, LeakyReLU, nearest 2x upsampling, Conv 3x3, BatchNorm, LeakyReLU,
Conv 3x3, plus an upsampled 1x1-conv shortcut (BigGAN's G block, unconditional BatchNorm); self-attention is
BigGAN's (query and key C/8 channels, value C/2, keys and values 2x2 max-pooled, output 1x1 conv, gain gamma
starting at 0); the encoder's ladder features are FC layers on the flattened block outputs (the first after the
attention), the decoder's ladder parts enter each ResBlock up as an FC layer's output reshaped to its input and
added to it; LeakyReLU 0.2; BigGAN's orthogonal initialisation of every convolution and linear layer; no
spectral normalisation (BigGAN's is for adversarial training; here the coder is an autoencoder's).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

LEAK = 0.2
FRAME_SIZE = 64
ENCODER_WIDTHS = (1, 2, 4, 8, 16)  # x encoder_width: Tables 5 / 7 (64 ... 1024)
DECODER_WIDTHS = (16, 8, 4, 2, 1)  # x decoder_width: Tables 6 / 8 (1024 ... 64, or 1536 ... 96)
DECODER_INPUT = 32  # x decoder_width: the FC layer's reshape, (N, 32 w, 2, 2)
LADDER = len(ENCODER_WIDTHS) + 1  # six ladder features h^0 ... h^5
ATTENTION_AFTER_DOWN = 0  # the encoder's attention follows its first ResBlock
ATTENTION_BEFORE_UP = 4  # the decoder's precedes its last
BOTTOM = 2  # spatial size after the last ResBlock down


def orthogonal_init(module: nn.Module) -> None:
    """BigGAN's initialisation: orthogonal weights, zero biases, for every convolution and linear layer."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.orthogonal_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class SelfAttention(nn.Module):
    """BigGAN's self-attention block: ``(N, C, H, W) -> (N, C, H, W)``, ``x + gamma * attention(x)``."""

    def __init__(self, channels: int):
        super().__init__()
        self.theta = nn.Conv2d(channels, max(channels // 8, 1), 1, bias=False)
        self.phi = nn.Conv2d(channels, max(channels // 8, 1), 1, bias=False)
        self.g = nn.Conv2d(channels, max(channels // 2, 1), 1, bias=False)
        self.o = nn.Conv2d(max(channels // 2, 1), channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        theta = self.theta(x).flatten(2)  # (N, C/8, HW)
        phi = F.max_pool2d(self.phi(x), 2).flatten(2)  # (N, C/8, HW/4)
        g = F.max_pool2d(self.g(x), 2).flatten(2)  # (N, C/2, HW/4)
        attention = torch.softmax(theta.transpose(1, 2) @ phi, dim=-1)  # (N, HW, HW/4)
        out = (g @ attention.transpose(1, 2)).view(n, -1, h, w)
        return x + self.gamma * self.o(out)


class ResBlockDown(nn.Module):
    """``(N, C_in, S, S) -> (N, C_out, S/2, S/2)``: BigGAN's D block with LeakyReLU."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(c_in, c_out, 3, padding=1), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.leaky_relu(self.conv1(F.leaky_relu(x, LEAK)), LEAK))
        return F.avg_pool2d(h, 2) + F.avg_pool2d(self.shortcut(x), 2)


class ResBlockUp(nn.Module):
    """``(N, C_in, S, S) -> (N, C_out, 2S, 2S)``: BigGAN's G block (unconditional BatchNorm) with LeakyReLU."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(c_in), nn.BatchNorm2d(c_out)
        self.conv1, self.conv2 = nn.Conv2d(c_in, c_out, 3, padding=1), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.leaky_relu(self.bn1(x), LEAK), scale_factor=2, mode="nearest")
        h = self.conv2(F.leaky_relu(self.bn2(self.conv1(h)), LEAK))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))


def encoder_widths(channels: int, width: int) -> list[int]:
    """Channels from the frame through each ResBlock down: ``[C, w, 2w, 4w, 8w, 16w]`` (Tables 5 / 7, w = 64)."""
    return [channels, *(width * k for k in ENCODER_WIDTHS)]


def decoder_widths(width: int) -> list[int]:
    """Channels from the reshaped FC output through each ResBlock up: ``[32w, 16w, 8w, 4w, 2w, w]`` (Table 6,
    w = 64: 2048 ... 64; Table 8, w = 96: 3072 ... 96)."""
    return [DECODER_INPUT * width, *(width * k for k in DECODER_WIDTHS)]


def check_ladder(frame_dim: int) -> None:
    """Raise unless ``frame_dim`` (h_t) splits into the ladder's equal parts."""
    if frame_dim % LADDER:
        raise ValueError(f"the C coder splits h_t into {LADDER} equal ladder parts: frame_dim must be a multiple "
                         f"of {LADDER}, got {frame_dim}")


class LadderEncoder(nn.Module):
    """Frames ``(N, C, 64, 64)`` in [0, 1] -> ``h_t: (N, frame_dim)`` (six ladder features concatenated)."""

    def __init__(self, channels: int, frame_dim: int, width: int):
        super().__init__()
        check_ladder(frame_dim)
        part = frame_dim // LADDER
        widths = encoder_widths(channels, width)
        self.blocks = nn.ModuleList(ResBlockDown(widths[i], widths[i + 1]) for i in range(len(ENCODER_WIDTHS)))
        self.attention = SelfAttention(widths[ATTENTION_AFTER_DOWN + 1])
        sizes = [FRAME_SIZE // 2 ** (i + 1) for i in range(len(ENCODER_WIDTHS))]
        self.rungs = nn.ModuleList(nn.Linear(widths[i + 1] * sizes[i] ** 2, part) for i in range(len(ENCODER_WIDTHS)))
        self.top = nn.Linear(widths[-1] * BOTTOM * BOTTOM, part)
        orthogonal_init(self)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        h, features = frames, []
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i == ATTENTION_AFTER_DOWN:
                h = self.attention(h)
            features.append(self.rungs[i](h.flatten(1)))
        features.append(self.top(F.leaky_relu(h, LEAK).flatten(1)))
        return torch.cat(features[::-1], dim=-1)  # [h^5 (deepest) ... h^0 (first block)]: Fig. 7a's order


class LadderDecoder(nn.Module):
    """``h_t: (N, frame_dim)`` -> frame logits ``(N, C, 64, 64)`` (sigmoid: the frame)."""

    def __init__(self, channels: int, frame_dim: int, width: int):
        super().__init__()
        check_ladder(frame_dim)
        self.part = frame_dim // LADDER
        widths = decoder_widths(width)
        self.input_shape = (widths[0], BOTTOM, BOTTOM)
        self.project = nn.Linear(self.part, widths[0] * BOTTOM * BOTTOM)
        self.blocks = nn.ModuleList(ResBlockUp(widths[i], widths[i + 1]) for i in range(len(DECODER_WIDTHS)))
        sizes = [BOTTOM * 2 ** i for i in range(len(DECODER_WIDTHS))]
        self.rungs = nn.ModuleList(nn.Linear(self.part, widths[i] * sizes[i] ** 2) for i in range(len(DECODER_WIDTHS)))
        self.attention = SelfAttention(widths[ATTENTION_BEFORE_UP])
        self.out = nn.Sequential(nn.BatchNorm2d(widths[-1]), nn.LeakyReLU(LEAK), nn.Conv2d(widths[-1], channels, 3, padding=1))
        orthogonal_init(self)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        parts = h.split(self.part, dim=-1)  # [h^5 ... h^0]: the deepest part starts the decoder
        x = self.project(parts[0]).view(-1, *self.input_shape)
        for i, block in enumerate(self.blocks):
            x = x + self.rungs[i](parts[i + 1]).view_as(x)
            if i == ATTENTION_BEFORE_UP:
                x = self.attention(x)
            x = block(x)
        return self.out(x)
