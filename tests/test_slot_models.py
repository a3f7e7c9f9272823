"""IODINE, SEQ-IODINE, PROVIDE and the base 2D-LSTM: schedules, shapes, the prior, prediction, training.

Equality with the official PROVIDE model and with Kelly's IODINE (loss, masks, means and every gradient, in
float64) is checked by ``benchmarks/check_provide_vs_official.py`` against checkouts of those repositories.
"""

from __future__ import annotations

import pytest
import torch

from latentvideo.metrics.weight_files import WeightFileError
from latentvideo.models.iterative_inference import ADAPTIVE_BETA_PIXELS
from latentvideo.models.optimisation import OptimiserSettings
from latentvideo.models.provide import ProvideConfig
from latentvideo.models.registry import build_model, registered_models
from latentvideo.models.squeezenet_features import SqueezeNetFeatures

SMALL = {"frame_size": 16, "slots": 3, "z_dim": 4, "decoder_width": 8, "refine_width": 8, "hidden": 12}
SETTINGS = OptimiserSettings(lr=3e-4, betas=(0.9, 0.999), steps=10, lr_decay_steps=0)


def small(name: str, **extra):
    torch.manual_seed(0)
    refinements = {} if name == "seq_iodine" else {"refinements": 3}
    return build_model(name, {**SMALL, **refinements, **extra})


def video(frames: int = 3, batch: int = 2, channels: int = 3) -> torch.Tensor:
    torch.manual_seed(1)
    return torch.rand(frames, batch, channels, 16, 16)


def test_the_four_models_are_registered_and_the_base_fixes_its_grid():
    specs = registered_models()
    assert {"iodine", "seq_iodine", "provide", "provide_base"} <= set(specs)
    assert specs["provide_base"].fixed == {"schedule": "full", "conditional": False}
    assert {"schedule", "conditional"}.isdisjoint(specs["provide_base"].hyperparameter_names())
    assert "refinements" not in specs["seq_iodine"].hyperparameter_names()


def test_refinement_schedules():
    triangular = ProvideConfig(refinements=6)
    assert [triangular.iterations(t) for t in range(7)] == [6, 5, 4, 3, 2, 2, 2]  # the official floor 2
    assert [ProvideConfig(refinements=3, min_refinements=1).iterations(t) for t in range(4)] == [3, 2, 1, 1]
    assert [ProvideConfig(refinements=4, schedule="full").iterations(t) for t in range(3)] == [4, 4, 4]
    with pytest.raises(ValueError, match="min_refinements"):
        ProvideConfig(refinements=2, min_refinements=3)
    with pytest.raises(ValueError, match="multiple of 4"):
        ProvideConfig(frame_size=30)


@pytest.mark.parametrize("name", ["iodine", "seq_iodine", "provide", "provide_base"])
def test_decomposition_shapes_masks_and_test_time_slots(name):
    model = small(name)
    x = video()
    out = model.decompose(x)
    assert out.means.shape == (3, 2, 3, 3, 16, 16) and out.masks.shape == (3, 2, 3, 16, 16)
    torch.testing.assert_close(out.masks.sum(dim=2), torch.ones(3, 2, 16, 16))
    assert out.reconstruction().shape == x.shape
    more = model.decompose(x, slots=5)  # the weights do not depend on K
    assert more.masks.shape == (3, 2, 5, 16, 16) and not more.masks.requires_grad
    with torch.no_grad():  # the trainer validates under no_grad; inference still needs its gradients
        terms = model.loss(x)
    assert set(terms._fields) == {"nll", "kl", "entropy", "total"}
    assert all(torch.isfinite(v) for v in terms)


def test_the_prior_scale_of_the_paper_and_of_the_official_code():
    paper, official = small("provide"), small("provide", prior_scale="softplus_logvar")
    official.load_state_dict(paper.state_dict())
    h = torch.randn(4, 12)
    head = paper.prior_scale(paper.prior(h))
    torch.testing.assert_close(paper.temporal_prior(h).logvar, 2 * head)
    torch.testing.assert_close(official.temporal_prior(h).logvar, torch.nn.functional.softplus(head))
    assert small("provide_base").temporal_prior(h) is None
    assert not hasattr(small("provide_base"), "prior")


def test_prediction_continues_the_video_and_needs_conditional_generation():
    model = small("provide")
    out = model.predict(video(frames=2), frames=3)
    assert out.masks.shape == (5, 2, 3, 16, 16)
    with pytest.raises(ValueError, match="conditional"):
        small("provide_base").infer(video(frames=2), predict=1)


def test_prediction_feeds_zero_gradients():
    model = small("provide")
    x = video(frames=1)[0]
    lam = model.initial_posterior(2 * 3)
    decoded = model.decode(torch.randn(6, 4), 3, torch.zeros(6, 12))
    terms = model.terms(x, decoded, lam)
    images, vectors = model.refinement_inputs(x, decoded, terms, lam, None, predicting=True)
    assert images.shape == (6, 3 * 3 + 7, 16, 16) and vectors.shape == (6, 16)
    assert torch.all(images[:, 8:12] == 0)  # the normalised gradients (means: 3 channels, mask: 1) are zero
    assert torch.all(vectors[:, 8:] == 0)
    images, vectors = model.refinement_inputs(x, decoded, terms, lam, None)
    assert images[:, 8:12].abs().sum() > 0 and vectors[:, 8:].abs().sum() > 0


def test_the_entropy_term_enters_the_loss_only_when_on():
    on, off = small("provide"), small("provide", entropy=False)
    x = video(frames=1)[0]
    decoded = on.decode(torch.randn(6, 4), 3, torch.zeros(6, 12))
    lam = on.initial_posterior(6)
    with_entropy, without = on.terms(x, decoded, lam), off.terms(x, decoded, lam)
    torch.testing.assert_close(with_entropy.loss - without.loss, 0.1 * with_entropy.entropy, rtol=1e-4, atol=0)
    assert with_entropy.entropy > 0


@pytest.mark.parametrize("name", ["iodine", "seq_iodine", "provide", "provide_base"])
def test_a_training_step_clips_the_gradient_and_is_reproducible(name):
    x = video()
    losses, params = [], []
    for _ in range(2):
        model = small(name, max_grad_norm=0.5)
        optimisation = model.configure_optimisation(SETTINGS)
        before = [p.detach().clone() for p in model.parameters()]
        torch.manual_seed(3)
        losses.append(model.training_step(x, optimisation))
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        assert float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))) <= 0.5 + 1e-4
        assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
        params.append([p.detach().clone() for p in model.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(losses[0], losses[1]))
    assert all(torch.equal(a, b) for a, b in zip(params[0], params[1]))


def test_adaptive_beta_follows_the_official_rule_at_any_frame_size():
    model = small("provide", adaptive_beta=True)
    scale = 16 * 16 * 3 / ADAPTIVE_BETA_PIXELS
    assert float(model.beta) == 100.0
    model.adapt_beta(700 * scale)
    assert float(model.beta) == 300.0
    model.adapt_beta(150 * scale)  # below both thresholds: kept
    assert float(model.beta) == 300.0
    model.adapt_beta(300 * scale)
    assert float(model.beta) == 100.0
    assert "beta" in model.state_dict()  # checkpointed, so a resumed run continues it


def test_squeezenet_features_keep_the_frame_size_and_load_torchvision_weights(tmp_path):
    features = SqueezeNetFeatures()
    assert features(torch.rand(2, 3, 16, 16)).shape == (2, 16, 16, 16)
    assert features(torch.rand(1, 1, 64, 64)).shape == (1, 16, 64, 64)
    assert not any(p.requires_grad for p in features.features.parameters())
    torch.manual_seed(5)
    source = SqueezeNetFeatures()
    state = {f"features.{k}": v for k, v in source.features.state_dict().items()}
    state["classifier.1.weight"] = torch.zeros(1000, 512, 1, 1)  # the rest of torchvision's file is ignored
    torch.save(state, tmp_path / "squeezenet1_1.pth")
    features.load_imagenet_weights(tmp_path / "squeezenet1_1.pth")
    assert all(torch.equal(a, b) for a, b in zip(features.features.parameters(), source.features.parameters()))
    del state["features.3.squeeze.weight"]
    torch.save(state, tmp_path / "broken.pth")
    with pytest.raises(WeightFileError, match="broken.pth.*features.3.squeeze.weight"):
        features.load_imagenet_weights(tmp_path / "broken.pth")


def test_squeezenet_channels_join_the_refinement_inputs():
    model = small("provide", squeezenet=True)
    assert model.refinement.conv[0].in_channels == 3 * 3 + 7 + 16
    assert model.decompose(video(frames=2)).masks.shape == (2, 2, 3, 16, 16)
