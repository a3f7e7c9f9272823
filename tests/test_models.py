"""Model shapes, named outputs, architecture sizes from the papers, and the registry."""

from __future__ import annotations

import pytest
import torch

from latentvideo.models import build_model
from latentvideo.models.srvp import SRVPLoss, SRVPOutput
from latentvideo.models.gaussian import kl_divergence
from latentvideo.models.svg import SVGLoss


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    torch.set_num_threads(2)


SRVP_PARAMETERS = 10_678_284  # the official SRVP at SM-MNIST settings (benchmarks/bench_srvp_vs_official.py)
SVG_LP_PARAMETERS = 12_614_057  # edenton/svg's dcgan_64 + lstm modules at SM-MNIST settings (bench_svg_vs_official.py)


def small_video(t=6, b=2):
    return torch.rand(t, b, 1, 64, 64)


def test_srvp_forward_shapes_and_named_output():
    model = build_model("srvp", {})
    out = model(small_video())
    assert isinstance(out, SRVPOutput)
    assert out.recon.shape == (6, 2, 1, 64, 64)
    assert out.y.shape == (6, 2, 20) and out.z.shape == (5, 2, 20)
    assert out.w.shape == (2, 256)  # 256-d content variable, as the official code
    assert out.q_z.mean.shape == out.p_z.mean.shape == (5, 2, 20)
    assert out.residuals.shape == (5, 1, 2, 20)
    assert 0 <= out.recon.min() and out.recon.max() <= 1


def test_srvp_paper_architecture_sizes():
    model = build_model("srvp", {})
    assert model.encoder.out_dim == 128
    assert model.decoder.first[0].in_channels == 256 + 20
    linear = [m for m in model.dynamics if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(40, 512), (512, 512), (512, 512), (512, 20)]
    q_y = [m for m in model.q_y if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in q_y] == [(640, 256), (256, 256), (256, 40)]
    assert model.z_filter.hidden_size == 256 and model.z_filter.num_layers == 1
    # SRVP convolutions have no bias and its first encoder layer no BatchNorm
    assert all(m.bias is None for m in model.encoder.modules() if isinstance(m, torch.nn.Conv2d))
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.encoder.down[0])
    # orthogonal init with gain 1.41 on the residual MLP: W W^T = gain^2 I for the square layers
    w = linear[1].weight.detach()
    assert torch.allclose(w @ w.T, 1.41**2 * torch.eye(512), atol=1e-4)


def test_srvp_smaller_euler_step_runs_two_substeps():
    model = build_model("srvp", {"dt": 0.5})
    out = model(small_video(6, 2))
    assert out.residuals.shape == (5, 2, 2, 20)
    with pytest.raises(ValueError, match="at least k=5 frames"):
        model(small_video(4, 2))
    with pytest.raises(ValueError, match="1/dt"):
        build_model("srvp", {"dt": 0.3})


def test_srvp_parameter_count_of_the_paper_architecture():
    """Unchanged by the GRU / w/o z variants (the count of the official model, see README)."""
    assert sum(p.numel() for p in build_model("srvp", {}).parameters()) == SRVP_PARAMETERS


@pytest.mark.parametrize("hyper", [{"dynamics": "gru"}, {"dynamics": "mlp"}, {"latent_z": False},
                                   {"latent_z": False, "dynamics": "gru"}])
def test_srvp_variants_train_and_sample(hyper):
    model = build_model("srvp", hyper)
    loss = model.loss(small_video())
    assert torch.isfinite(loss.total)
    loss.total.backward()
    if not hyper.get("latent_z", True):
        assert float(loss.kl_z) == 0 and not hasattr(model, "p_z") and not hasattr(model, "z_filter")
        assert model(small_video()).z.shape == (5, 2, 0)
    if hyper.get("dynamics") == "gru":
        assert isinstance(model.dynamics, torch.nn.GRUCell)
    model.eval()
    assert model.sample(small_video(5), 3, 2).shape == (2, 3, 2, 1, 64, 64)


def test_srvp_test_time_euler_step_and_intermediate_frames():
    model = build_model("srvp", {}).eval()
    cond = small_video(5, 2)
    torch.manual_seed(1)
    plain = model.sample(cond, 3, 2)
    torch.manual_seed(1)
    assert torch.equal(model.sample(cond, 3, 2, dt=1.0), plain)
    torch.manual_seed(1)
    fine = model.sample(cond, 3, 2, dt=0.5, intermediate=True)
    assert fine.shape == (2, 6, 2, 1, 64, 64)
    torch.manual_seed(1)
    assert torch.equal(model.sample(cond, 3, 2, dt=0.5), fine[:, 1::2])  # integer times = every second frame
    with pytest.raises(ValueError, match="1/dt"):
        model.sample(cond, 3, 1, dt=0.4)


def test_srvp_filters_the_conditioning_frames_at_the_trained_step_and_predicts_at_the_test_step(monkeypatch):
    """As the official test.py (Tables 7-9): its conditioning pass runs at the training n_euler_steps, its
    generate at the test-time step; so a test-time Δt changes the prediction, never the inferred state y."""
    model = build_model("srvp", {"dt": 0.5}).eval()
    cond = small_video(5, 2)
    steps = []
    original = model.step
    monkeypatch.setattr(model, "step", lambda y, z, dt=None: steps.append(dt) or original(y, z, dt))
    model.sample(cond, 3, 1, dt=0.25)
    assert steps == [None] * 4 + [0.25] * 3  # 4 conditioning transitions at the trained 1/2, 3 predicted at 1/4


def test_srvp_eval_mode_takes_content_from_the_last_frames():
    """Validation is deterministic given the noise: w from the last k frames, not a random draw."""
    model = build_model("srvp", {}).eval()
    x = small_video(8, 2)
    torch.manual_seed(3)
    a = model(x)
    torch.manual_seed(3)
    b = model(x)
    assert torch.equal(a.w, b.w)
    codes, _ = model.encode(x)
    assert torch.allclose(a.w, model.content(codes[-5:]))


def test_srvp_interpolation_and_content_swap_shapes():
    model = build_model("srvp", {}).eval()
    a, b = small_video(6, 2), small_video(6, 2)
    inter = model.interpolate_initial_state(a, b, n_frames=7, steps=4)
    assert inter.trajectories.shape == (4, 7, 2, 1, 64, 64)
    assert inter.source_reconstruction.shape == inter.target_reconstruction.shape == (7, 2, 1, 64, 64)
    assert torch.allclose(inter.trajectories[0], inter.source_reconstruction)
    assert model.swap_content(a, b, n_future=4).shape == (10, 2, 1, 64, 64)


@pytest.mark.parametrize("name", ["srvp", "svg_lp", "svg_fp"])
def test_loss_is_named_finite_and_backpropagates(name):
    model = build_model(name, {})
    loss = model.loss(small_video())
    assert isinstance(loss, SRVPLoss if name == "srvp" else SVGLoss)
    assert torch.isfinite(loss.total)
    loss.total.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert sum(g is not None and g.abs().sum() > 0 for g in grads) > 0.9 * len(grads)


@pytest.mark.parametrize("name", ["srvp", "svg_lp", "svg_fp"])
def test_sample_shape_and_range(name):
    model = build_model(name, {}).eval()
    samples = model.sample(small_video(5, 3), n_future=4, n_samples=2)
    assert samples.shape == (2, 4, 3, 1, 64, 64)
    assert 0 <= samples.min() and samples.max() <= 1
    assert not torch.allclose(samples[0], samples[1])  # stochastic


def test_svg_paper_architecture_sizes():
    lp, fp = build_model("svg_lp", {}), build_model("svg_fp", {})
    assert lp.prior is not None and fp.prior is None
    assert len(lp.predictor.cells) == 2 and lp.predictor.hidden == 256
    assert lp.predictor.embed.in_features == 128 + 10
    assert lp.posterior.mean.out_features == 10
    assert lp.decoder.skip and lp.encoder.out_dim == 128


def test_registry_rejects_unknown_names_and_keys():
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        build_model("nope", {})
    with pytest.raises(ValueError, match="no hyper-parameter"):
        build_model("srvp", {"nz_typo": 3})


def test_registry_discovers_models_declared_by_their_modules():
    from latentvideo.models.registry import hyperparameter_names, model_names, registered_models

    assert model_names() == ["adversarial_autoencoder", "dsvae", "dsvae_factorised", "factored_vae", "iodine", "provide",
                             "provide_base", "rwae_gan", "rwae_mmd", "seq_iodine", "srvp", "srvp_mlp_codec", "svg_fp",
                             "svg_lp"]
    assert "learned_prior" not in hyperparameter_names("svg_fp")  # fixed by the name
    assert registered_models()["svg_fp"].fixed == {"learned_prior": False}
    assert {"frame_coder", "content"}.isdisjoint(hyperparameter_names("srvp_mlp_codec"))
    assert build_model("svg_fp", {}).prior is None


def _official_svg_loss(model, x):
    """edenton/svg's train(): the encoder called once per frame and step (BatchNorm over that frame's batch)."""
    c = model.config
    t, b = x.shape[:2]
    s_pred, s_post, s_prior = model._states(b, x)
    mse, kl = 0, 0
    for i in range(1, t):
        enc = model.encoder(x[i - 1])
        h_target = model.encoder(x[i]).code
        if i < c.n_past:
            skip = enc.skips
        q, s_post = model.posterior(h_target, s_post)
        p, s_prior = model.prior(enc.code, s_prior)
        h_pred, s_pred = model.predictor(torch.cat([enc.code, q.rsample()], 1), s_pred)
        mse = mse + torch.nn.functional.mse_loss(model.decoder(h_pred, skip), x[i])
        kl = kl + kl_divergence(q, p).sum() / b
    return mse + c.beta * kl


def test_svg_training_loss_and_batchnorm_statistics_match_the_per_frame_official_loop():
    torch.manual_seed(0)
    ours, official = build_model("svg_lp", {"nf": 16}), build_model("svg_lp", {"nf": 16})
    official.load_state_dict(ours.state_dict())
    x = torch.rand(7, 4, 1, 64, 64)
    torch.manual_seed(1)
    loss = ours.loss(x).total
    torch.manual_seed(1)
    reference = _official_svg_loss(official, x)
    assert torch.allclose(loss, reference, rtol=1e-5), (float(loss), float(reference))
    loss.backward()
    reference.backward()
    for (name, a), b in zip(ours.named_parameters(), official.parameters()):
        assert torch.allclose(a.grad, b.grad, rtol=1e-3, atol=1e-6), name
    for (name, a), b in zip(ours.named_buffers(), official.buffers()):
        assert torch.allclose(a.float(), b.float(), rtol=1e-5, atol=1e-6), name  # running stats, update counts
    # one batched BatchNorm over all T*B frames would differ: per-step statistics are what the original uses
    pooled = build_model("svg_lp", {"nf": 16})
    pooled.load_state_dict(official.state_dict())
    codes = pooled.encoder(x.flatten(0, 1)).code.view(7, 4, -1)
    assert not torch.allclose(codes, ours.encode(x)[0], atol=1e-3)


def test_svg_initialises_every_layer_the_official_init_weights_touches():
    torch.manual_seed(0)
    model = build_model("svg_lp", {})
    for module in (model.predictor, model.posterior, model.prior):
        for layer in module.modules():
            if isinstance(layer, torch.nn.Linear):
                weight, bias = layer.weight.detach(), layer.bias.detach()
                assert abs(float(weight.std()) - 0.02) < 0.003 and float(bias.abs().max()) == 0
    assert sum(p.numel() for p in model.parameters()) == SVG_LP_PARAMETERS


@pytest.mark.parametrize("name", ["srvp", "svg_lp"])
def test_32_pixel_coders_drop_one_stride_2_layer_and_keep_the_64_pixel_ones_official(name):
    """frame_size 32 (ours, for small budgets): one stride-2 layer less on each side; 64 is unchanged (the
    official parameter counts are asserted above)."""
    small = build_model(name, {"nf": 16, "frame_size": 32})
    big = build_model(name, {"nf": 16})
    assert len(small.encoder.down) == len(big.encoder.down) - 1 and len(small.decoder.up) == len(big.decoder.up) - 1
    x = torch.rand(8, 2, 1, 32, 32)
    assert torch.isfinite(small.loss(x).total)
    small.eval()
    assert small.sample(x[:5], 3, 2).shape == (2, 3, 2, 1, 32, 32)
    with pytest.raises(ValueError, match="32"):
        build_model("srvp", {"frame_size": 48})
