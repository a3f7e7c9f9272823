"""R-WAE's architecture "C" (Appendix E, Tables 5-8): the block widths and places of the tables, the six-part
ladder between the frame and h_t, BigGAN's zero-gain attention, and the sequence models built with it."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from latentvideo.models.ladder_coder import (LADDER, LadderDecoder, LadderEncoder, ResBlockDown, ResBlockUp,
                                             SelfAttention, decoder_widths, encoder_widths)
from latentvideo.models.optimisation import OptimiserSettings
from latentvideo.models.registry import build_model


def _convs(blocks) -> list[tuple[int, int]]:
    return [(b.conv1.in_channels, b.conv2.out_channels) for b in blocks]


def test_block_widths_are_those_of_the_paper_tables():
    """Tables 5 / 7 (encoder: 64 ... 1024 after the RGB frame) and 6 / 8 (decoder: reshape to (N, 2048, 2, 2),
    ResBlocks up to 1024 ... 64; MUG: 3072, 1536 ... 96)."""
    assert encoder_widths(3, 64) == [3, 64, 128, 256, 512, 1024]
    assert decoder_widths(64) == [2048, 1024, 512, 256, 128, 64]
    assert decoder_widths(96) == [3072, 1536, 768, 384, 192, 96]


@pytest.mark.parametrize("width", [2, 3])
def test_the_coders_are_built_as_their_widths_say_with_attention_at_32x32(width):
    """Blocks follow the widths above; attention after the first block down and before the last block up (both at
    32x32); 3x3 convolutions (1x1 shortcuts and attention maps); a 3x3 convolution to the frame's channels."""
    encoder, decoder = LadderEncoder(3, 12, width), LadderDecoder(3, 12, width)
    enc, dec = encoder_widths(3, width), decoder_widths(width)
    assert _convs(encoder.blocks) == list(zip(enc[:-1], enc[1:]))
    assert _convs(decoder.blocks) == list(zip(dec[:-1], dec[1:]))
    assert all(isinstance(b, ResBlockDown) for b in encoder.blocks)
    assert all(isinstance(b, ResBlockUp) for b in decoder.blocks)
    assert decoder.input_shape == (dec[0], 2, 2)
    assert encoder.attention.theta.in_channels == enc[1] and decoder.attention.theta.in_channels == dec[4]
    shapes = {}
    encoder.attention.register_forward_hook(lambda m, i, o: shapes.update(encoder=o.shape[-1]))
    decoder.attention.register_forward_hook(lambda m, i, o: shapes.update(decoder=o.shape[-1]))
    decoder(encoder(torch.rand(2, 3, 64, 64)))
    assert shapes == {"encoder": 32, "decoder": 32}
    assert all(m.kernel_size in ((3, 3), (1, 1)) for m in [*encoder.modules(), *decoder.modules()]
               if isinstance(m, nn.Conv2d))
    last = decoder.out[-1]
    assert (last.in_channels, last.out_channels, last.kernel_size) == (width, 3, (3, 3))


def test_the_ladder_has_six_equal_parts_each_feeding_the_decoder():
    torch.manual_seed(0)
    encoder, decoder = LadderEncoder(3, 12, 4), LadderDecoder(3, 12, 4)
    frames = torch.rand(3, 3, 64, 64)
    h = encoder(frames)
    assert h.shape == (3, 12) and LADDER == 6
    assert [r.out_features for r in encoder.rungs] + [encoder.top.out_features] == [2] * 6
    for layer in decoder.modules():  # the gains start at 0; open them so every path carries a gradient
        if isinstance(layer, SelfAttention):
            nn.init.constant_(layer.gamma, 0.5)
    h = h.detach().requires_grad_(True)
    decoder(h).sum().backward()
    per_part = h.grad.abs().view(3, 6, 2).sum(dim=(0, 2))
    assert (per_part > 0).all(), per_part  # every part of h_t reaches the frame
    # and every block of the encoder writes its own part: perturbing only the first block's output path
    # (its rung) changes only the last two entries (h^0 of [h^5 ... h^0])
    with torch.no_grad():
        before = encoder(frames)
        encoder.rungs[0].bias.add_(1.0)
        after = encoder(frames)
    changed = (after - before).abs().sum(0) > 0
    assert changed.tolist() == [False] * 10 + [True] * 2


def test_attention_starts_as_the_identity_and_keeps_the_shape():
    torch.manual_seed(0)
    attention = SelfAttention(16)
    x = torch.randn(2, 16, 8, 8)
    assert torch.equal(attention(x), x)
    nn.init.constant_(attention.gamma, 1.0)
    y = attention(x)
    assert y.shape == x.shape and not torch.equal(y, x)


def test_the_c_coder_checks_its_frame_size_and_ladder():
    with pytest.raises(ValueError, match="frame_size must be one of \\[64\\] with coder 'c'"):
        build_model("rwae_mmd", {"coder": "c", "frame_size": 32, "frame_dim": 12})
    with pytest.raises(ValueError, match="multiple of 6"):
        build_model("dsvae", {"coder": "c", "frame_dim": 10})


@pytest.mark.parametrize("name", ["rwae_mmd", "rwae_gan", "dsvae"])
def test_sequence_models_train_with_the_c_coder(name):
    torch.manual_seed(0)
    small = {"coder": "c", "channels": 3, "encoder_width": 2, "decoder_width": 2, "frame_dim": 12, "hidden": 8,
             "content_dim": 4, "motion_dim": 2, "likelihood": "gaussian"}
    model = build_model(name, {**small, **({"inner_steps": 1} if name != "dsvae" else {})})
    assert isinstance(model.coder.frame_encoder, LadderEncoder)
    assert isinstance(model.coder.generator.decoder, LadderDecoder)
    optimisation = model.configure_optimisation(OptimiserSettings(1e-3, (0.5, 0.9), 10, 0))
    x = torch.rand(3, 2, 3, 64, 64)
    before = {k: v.clone() for k, v in model.coder.generator.decoder.state_dict().items()}
    loss = model.training_step(x, optimisation)
    assert torch.isfinite(loss.total)
    assert any(not torch.equal(before[k], v) for k, v in model.coder.generator.decoder.state_dict().items())
    code = model.encode(x)
    assert model.coder.frames(code.content, code.motion, code.action).shape == x.shape
