"""The VGG 64x64 coders of SRVP and SVG on real video: sizes equal to the official code's, skips, BatchNorm."""

from __future__ import annotations

import pytest
import torch

from latentvideo.models import build_model
from latentvideo.models.conv_coding import EncodedFrames
from latentvideo.models.vgg64 import VGGDecoder, VGGEncoder

# Parameter counts of the official models, built from edouardelasalles/srvp (module/srvp.py,
# StochasticLatentResidualVideoPredictor with the README's command lines) and edenton/svg (models/vgg_64.py,
# dcgan_64.py and lstm.py with the README's flags), counted with torch 2.13. Copying the official VGG coders'
# weights into ours gives identical outputs in training and evaluation mode (checked the same way).
OFFICIAL = {
    "srvp vgg kth": ("srvp", dict(channels=1, ny=50, nz=50, n_inf_frames=3, skip=True, frame_coder="vgg"), 23_877_854),
    "srvp vgg human36m": ("srvp", dict(channels=3, ny=50, nz=50, n_inf_frames=3, skip=True, frame_coder="vgg"),
                          23_880_158),
    "srvp vgg bair": ("srvp", dict(channels=3, ny=50, nz=50, n_inf_frames=2, skip=True, frame_coder="vgg"), 23_847_390),
    "srvp dcgan kth (Table 10)": ("srvp", dict(channels=1, ny=50, nz=50, n_inf_frames=3, skip=True,
                                               frame_coder="dcgan"), 13_735_134),
    "svg-fp vgg kth": ("svg_fp", dict(channels=1, z_dim=24, frame_coder="vgg"), 22_206_385),
    "svg-lp vgg bair": ("svg_lp", dict(channels=3, z_dim=64, frame_coder="vgg"), 22_831_747),
    "svg-fp dcgan kth": ("svg_fp", dict(channels=1, z_dim=24, frame_coder="dcgan"), 12_060_337),
}
CODERS = {"srvp encoder": (VGGEncoder(1, 128, 64, bias=False), 8_685_632),
          "srvp decoder (w 256 + y 50)": (VGGDecoder(1, 306, 64, bias=False, skip=True), 13_276_992),
          "svg encoder": (VGGEncoder(1, 128, 64, bias=True), 8_688_448),
          "svg decoder": (VGGDecoder(1, 128, 64, bias=True, skip=True), 11_821_505)}


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_parameter_counts_equal_the_official_models(name):
    model, hyper, expected = OFFICIAL[name]
    assert count(build_model(model, hyper)) == expected


@pytest.mark.parametrize("name", sorted(CODERS))
def test_coder_parameter_counts_equal_the_official_coders(name):
    module, expected = CODERS[name]
    assert count(module) == expected


def test_vgg_skips_and_output_range():
    torch.manual_seed(0)
    encoder, decoder = VGGEncoder(3, 128, 8, bias=False), VGGDecoder(3, 128, 8, bias=False, skip=True)
    out = encoder(torch.rand(4, 3, 64, 64))
    assert isinstance(out, EncodedFrames) and out.code.shape == (4, 128) and out.code.abs().max() <= 1
    assert [tuple(s.shape[1:]) for s in out.skips] == [(64, 8, 8), (32, 16, 16), (16, 32, 32), (8, 64, 64)]
    frames = decoder(out.code, out.skips)
    assert frames.shape == (4, 3, 64, 64) and 0 <= frames.min() and frames.max() <= 1
    with pytest.raises(ValueError, match="skips missing"):
        decoder(out.code)
    plain = VGGDecoder(3, 128, 8, skip=False)
    assert plain(out.code).shape == (4, 3, 64, 64)
    with pytest.raises(ValueError, match="takes 64x64 frames, not 32"):
        VGGEncoder(3, 128, 8, frame_size=32)


def test_vgg_per_step_batch_norm_equals_a_loop_over_time_steps():
    torch.manual_seed(0)
    batched, looped = VGGEncoder(1, 16, 4), VGGEncoder(1, 16, 4)
    looped.load_state_dict(batched.state_dict())
    x = torch.rand(3, 2, 1, 64, 64)  # (T, B, C, H, W)
    out = batched(x.reshape(6, 1, 64, 64), steps=3, running_updates=[0, 1, 2])
    per_step = [looped(x[t]) for t in range(3)]
    assert torch.allclose(out.code.view(3, 2, 16), torch.stack([o.code for o in per_step]), atol=1e-5)
    for a, b in zip(batched.state_dict().values(), looped.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-5)  # running statistics included


def test_a_coder_that_does_not_fit_the_model_is_refused():
    with pytest.raises(ValueError, match="vgg frame coder takes frames of \\[64\\] pixels, got frame_size=32"):
        build_model("srvp", {"frame_coder": "vgg", "frame_size": 32})
    with pytest.raises(ValueError, match="mlp frame coder does not exist in svg"):
        build_model("svg_lp", {"frame_coder": "mlp"})


def test_srvp_and_svg_with_vgg_train_and_sample_on_grey_video():
    torch.manual_seed(0)
    x = torch.rand(5, 2, 1, 64, 64)
    for name, hyper in (("srvp", dict(nf=4, ny=6, nz=6, n_inf_frames=2, skip=True, frame_coder="vgg", enc_dim=16,
                                      inf_hidden=16, res_hidden=16)),
                        ("svg_fp", dict(nf=4, g_dim=16, z_dim=4, rnn_size=16, frame_coder="vgg", n_past=2))):
        model = build_model(name, hyper)
        loss = model.loss(x)
        loss.total.backward()
        assert torch.isfinite(loss.total)
        model.eval()
        assert model.sample(x[:2], 3, n_samples=2).shape == (2, 3, 2, 1, 64, 64)
