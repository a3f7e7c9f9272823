"""R-WAE and DS-VAE: shapes, the model-owned optimisation (critic, encoder, generator), resume through the trainer."""

from __future__ import annotations

import json

import pytest
import torch
from killed_runs import train_killed_at

from latentvideo.models.optimisation import OptimiserSettings
from latentvideo.models.registry import build_model, registered_models
from latentvideo.models.rwae import step_decay
from latentvideo.training import checkpoint
from latentvideo.training.trainer import train

from test_training import settings_for

SMALL = {"frame_size": 32, "conv_width": 16, "frame_dim": 32, "hidden": 32, "content_dim": 8, "motion_dim": 4}


def _snapshot(module):
    """Parameters only: BatchNorm's running statistics move on every forward pass."""
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def _changed(before, module):
    return any(not torch.equal(before[k], v) for k, v in module.named_parameters())


@pytest.mark.parametrize("name", ["rwae_mmd", "rwae_gan", "dsvae", "dsvae_factorised"])
def test_codes_and_generated_frames_have_the_documented_shapes(name):
    torch.manual_seed(0)
    model = build_model(name, {**SMALL, "actions": 3}).eval()
    x = torch.rand(6, 4, 1, 32, 32)
    code = model.encode(x)
    assert code.content.shape == (4, 8) and code.motion.shape == (6, 4, 4) and code.action.shape == (4, 3)
    assert torch.allclose(code.action.sum(-1), torch.ones(4))
    frames = model.coder.frames(code.content, code.motion, code.action)
    assert frames.shape == x.shape and 0 <= frames.min() and frames.max() <= 1
    prior = model.coder.prior_code(9, 5, torch.device("cpu"))
    assert model.coder.frames(prior.content, prior.motion, prior.action).shape == (9, 5, 1, 32, 32)
    assert set(prior.action.sum(-1).tolist()) == {1.0}


@pytest.mark.parametrize("name", ["rwae_gan", "rwae_mmd"])
def test_each_step_updates_critic_and_encoder_and_every_lth_step_the_generator(name):
    torch.manual_seed(0)
    model = build_model(name, {**SMALL, "inner_steps": 3})
    optimisation = model.configure_optimisation(OptimiserSettings(1e-3, (0.5, 0.9), 100, 0))
    x = torch.rand(5, 6, 1, 32, 32)
    groups = {"critic": model.critic, "encoder": model.coder.content_posterior, "generator": model.coder.generator,
              "prior": model.coder.motion_prior}
    for step in range(1, 7):
        before = {n: _snapshot(m) for n, m in groups.items()}
        loss = model.training_step(x, optimisation)
        assert torch.isfinite(loss.total) and torch.isfinite(loss.critic)
        moved = {n for n, m in groups.items() if _changed(before[n], m)}
        expected = {"critic", "encoder"} | ({"generator", "prior"} if step % 3 == 0 else set())
        assert moved == expected, (step, moved)
    assert optimisation.learning_rates() == pytest.approx({"encoder": 1e-4, "critic": 1e-4, "generator": 1e-3})


@pytest.mark.parametrize("name", ["rwae_gan", "rwae_mmd"])
def test_the_generator_step_reuses_the_encoder_steps_pass(name):
    """Algorithms 1-2 update p_theta and p_psi with the loss of the inner loop's samples: one encoder pass and one
    backward pass per step, also when the generator steps (L = 1), and the generator's gradient is the one
    that pass left (not zeroed, not from a re-encoded batch)."""
    torch.manual_seed(0)
    model = build_model(name, {**SMALL, "inner_steps": 1})
    optimisation = model.configure_optimisation(OptimiserSettings(1e-3, (0.5, 0.9), 100, 0))
    passes = []
    model.coder.frame_encoder.register_forward_hook(lambda *args: passes.append(1))
    x = torch.rand(5, 6, 1, 32, 32)
    for step in range(1, 4):
        before = _snapshot(model.coder.generator)
        model.training_step(x, optimisation)
        assert len(passes) == step and _changed(before, model.coder.generator)
        grads = [p.grad for p in model.coder.generator.parameters()]
        assert all(g is not None for g in grads) and any(g.abs().sum() > 0 for g in grads)


def test_the_paper_schedule_halves_then_divides_by_five():
    factor = step_decay(500)
    assert [factor(s) for s in (0, 49, 50, 79, 80, 499)] == [1, 1, 0.5, 0.5, 0.1, 0.1]


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")  # no optimiser steps here
@pytest.mark.parametrize("decay, expected", [(True, 0.1), (False, 1.0)])
def test_every_rate_follows_the_paper_schedule_unless_step_decay_is_off(decay, expected):
    """After 20 of 100 steps the paper's schedule is at a tenth of every rate; without it the rates stay."""
    torch.manual_seed(0)
    model = build_model("rwae_mmd", {**SMALL, "frame_size": 16, "step_decay": decay})
    optimisation = model.configure_optimisation(OptimiserSettings(1e-3, (0.5, 0.9), 100, 0))
    for _ in range(20):
        for scheduler in optimisation.schedulers.values():
            scheduler.step()
    assert optimisation.learning_rates() == pytest.approx({"encoder": 1e-4 * expected, "critic": 1e-4 * expected,
                                                           "generator": 1e-3 * expected})


def test_the_content_critic_learns_to_tell_the_posterior_from_the_prior():
    """Codes far from N(0, I): a few critic updates raise the scaled MMD the encoder is penalised with."""
    torch.manual_seed(0)
    model = build_model("rwae_mmd", SMALL)
    opt = torch.optim.Adam(model.critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    posterior, prior = torch.randn(32, 8) * 0.2 + 2, torch.randn(32, 8)
    start = float(model.content_penalty(posterior, prior).detach())
    for _ in range(30):
        opt.zero_grad()
        model.critic_loss(posterior, prior).backward()
        opt.step()
    assert float(model.content_penalty(posterior, prior).detach()) > 5 * max(start, 1e-6)


def test_dsvae_is_the_negative_elbo_and_takes_one_adam_step():
    torch.manual_seed(0)
    model = build_model("dsvae", {**SMALL, "actions": 2, "action_kl": 3.0})
    loss = model.loss(torch.rand(5, 4, 1, 32, 32))
    loss = type(loss)(*(t.detach() for t in loss))
    assert float(loss.total) == pytest.approx(float(loss.reconstruction + loss.kl_content + loss.kl_motion
                                                     + 3 * loss.kl_action), rel=1e-6)
    assert min(float(loss.kl_content), float(loss.kl_motion), float(loss.kl_action)) >= 0
    assert registered_models()["dsvae"].fixed == {"motion_posterior": "full", "decoder_lstm": False}


def test_a_killed_rwae_gan_run_resumes_bit_identically(tmp_path, digits, repo):
    """Three Adams, the critic's spectral-norm buffers and the L-step cadence all survive a kill and resume."""
    settings = settings_for(repo, "srvp-smmnist_stochastic")
    frame_size = settings["dataset"]["frame_size"]
    settings.update(model="rwae_gan", hyperparameters={**SMALL, "frame_size": frame_size, "inner_steps": 2})
    ref = train(settings, 0, digits, tmp_path / "ref", device="cpu", progress="off")
    train_killed_at(4, settings, 0, digits, tmp_path / "run")
    last = checkpoint.load(tmp_path / "run" / "checkpoints" / "last.pt")
    assert set(last["optimisation"]["optimizers"]) == {"encoder", "critic", "generator"}
    resumed = train(settings, 0, digits, tmp_path / "run", device="cpu", progress="off")
    a, b = checkpoint.load(ref), checkpoint.load(resumed)
    assert a["model"].keys() == b["model"].keys()
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    for name in ("encoder", "critic", "generator"):
        moments_a = a["optimisation"]["optimizers"][name]["state"]
        moments_b = b["optimisation"]["optimizers"][name]["state"]
        assert moments_a and all(torch.equal(moments_a[i]["exp_avg"], moments_b[i]["exp_avg"]) for i in moments_a)
    log = [json.loads(line) for line in (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()]
    assert {"critic", "content_penalty", "motion_mmd", "reconstruction"} <= set(log[-1])


@pytest.mark.parametrize("name", ["rwae_mmd", "rwae_gan"])
def test_validation_loss_is_computed_without_gradients(name):
    """The trainer validates under ``torch.no_grad``: the critic's gradient terms must still be computable."""
    torch.manual_seed(0)
    model = build_model(name, SMALL).eval()
    with torch.no_grad():
        loss = model.loss(torch.rand(4, 5, 1, 32, 32))
    assert all(torch.isfinite(t) and not t.requires_grad for t in loss)
