"""Pendulum (SRVP Table 6): the generator, its training stream, SRVP without w with MLP coders, the ELBO protocol."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from latentvideo import config
from latentvideo.data.dataset_kinds import build_test_set
from latentvideo.data.pendulum import PendulumSpec, make_test_set
from latentvideo.data.shards import StoredSplit, read_manifest
from latentvideo.data.dataset_kinds import open_training_data
from latentvideo.evaluation.driver import evaluate_model
from latentvideo.models.registry import build_model
from latentvideo.training.trainer import train


@pytest.fixture(scope="module")
def cfg(repo):
    return config.load(repo / "config" / "config.yaml", "smoke")


def test_frames_show_the_bob_where_the_angle_puts_it():
    spec = PendulumSpec(frame_size=16, noise=0.0)
    frames = spec.render(np.array([0.0, math.pi / 2, math.pi]))
    peaks = [np.unravel_index(f.argmax(), f.shape) for f in frames]
    centre, radius = 7.5, 0.7 * 8
    assert peaks[0] == (round(centre + radius), 7) or peaks[0] == (round(centre + radius), 8)  # down
    assert peaks[1][1] == round(centre + radius)  # theta = pi/2: to the right
    assert peaks[2][0] == round(centre - radius)  # up
    assert frames.max() <= 1.0 and frames.min() >= 0.0


def test_an_undriven_undamped_pendulum_keeps_its_energy():
    spec = PendulumSpec(max_torque=0.0, damping=0.0, substeps=50)
    theta, omega = spec.states(200, np.random.default_rng(0))
    energy = 0.5 * omega**2 - spec.gravity * np.cos(theta)
    assert np.ptp(energy) < 0.02 * spec.gravity  # semi-implicit Euler: bounded drift
    driven = PendulumSpec(damping=0.0, substeps=50).states(200, np.random.default_rng(0))
    assert np.ptp(0.5 * driven[1] ** 2 - spec.gravity * np.cos(driven[0])) > 0.1  # the torque changes it


def test_test_set_is_a_pure_function_of_its_seed_and_noisy(cfg, tmp_path):
    dataset = cfg["datasets"]["pendulum"]
    a, angles = make_test_set(dataset, 3)
    b, _ = make_test_set(dataset, 3)
    assert a.shape == (3, dataset["test_length"], 16, 16, 1) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    clean = PendulumSpec.from_config(dataset).render(angles[0])
    residual = a[0, ..., 0] / 255.0 - clean
    assert 0.03 < residual.std() < 0.15  # the pixel noise (0.1, clipped at 0 and 1)
    manifest = build_test_set("pendulum", dataset, None, 3, tmp_path / "test")
    assert manifest["provenance"]["generator"] == "pendulum/1"
    np.testing.assert_array_equal(StoredSplit(tmp_path / "test").read(), a)
    assert read_manifest(tmp_path / "test")["provenance"]["spec"]["noise"] == dataset["noise"]


def test_training_batches_come_from_the_fixed_pool_and_repeat_per_step(cfg):
    dataset = {**cfg["datasets"]["pendulum"], "train_videos": 2}
    data = open_training_data(dataset, "", 8, seed=0, stop=10, val_videos=4)
    first = data.steps(0)[3].numpy()
    np.testing.assert_array_equal(first, data.steps(3)[0].numpy())  # step 3 whichever the start
    assert first.shape == (8, dataset["train_length"], 16, 16, 1)
    assert len({v.tobytes() for v in first}) <= 2  # a pool of two sequences
    test, _ = make_test_set(dataset, 4)
    assert not any((v == t).all() for v in data.validation for t in test)


def test_srvp_without_content_with_mlp_coders_and_its_elbo(cfg):
    hyper = dict(cfg["models"]["srvp_mlp_codec"]["hyperparameters"])
    model = build_model("srvp_mlp_codec", hyper)
    assert not hasattr(model, "w_proj") and not any(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    x = torch.rand(15, 3, 1, 16, 16)
    model.eval()
    torch.manual_seed(0)
    loss = model.loss(x)
    torch.manual_seed(0)
    elbo = model.elbo(x)
    assert elbo.elbo.shape == (3,)
    # the ELBO is the loss's negative log-likelihood and KL terms with weights 1 (beta_z = 1 in this config)
    torch.testing.assert_close(-elbo.elbo.mean(), loss.nll + loss.kl_y + loss.kl_z, rtol=1e-5, atol=1e-3)
    torch.testing.assert_close(elbo.elbo, elbo.log_likelihood - elbo.kl_y - elbo.kl_z)
    assert model.sample(x[:5], 4, 2).shape == (2, 4, 3, 1, 16, 16)
    with pytest.raises(ValueError, match="dcgan frame coder takes frames of \\[64, 32\\] pixels, got frame_size=16"):
        build_model("srvp", {"frame_size": 16})


def test_pendulum_trains_and_the_elbo_protocol_writes_tidy_rows(cfg, tmp_path):
    settings = config.experiment_settings(cfg, "srvp-pendulum")
    ckpt = train(settings, 0, "", tmp_path / "run", device="cpu", progress="off")
    build_test_set("pendulum", cfg["datasets"]["pendulum"], None, 4, tmp_path / "test")
    job = config.evaluation_job(cfg, "srvp-pendulum", "standard")
    assert job["protocol"] == {"protocol": "test_elbo", "posterior_samples": 10}
    summary = evaluate_model(ckpt, "srvp-pendulum", tmp_path / "test", job, tmp_path / "eval", device="cpu")
    metrics = pd.read_csv(tmp_path / "eval" / "metrics.csv")
    assert set(metrics["metric"]) == {"elbo_per_video", "log_likelihood_per_video", "kl_y_per_video",
                                      "kl_z_per_video"}
    row = metrics.set_index("metric")
    assert row.loc["elbo_per_video", "value"] == pytest.approx(
        row.loc["log_likelihood_per_video", "value"] - row.loc["kl_y_per_video", "value"]
        - row.loc["kl_z_per_video", "value"], rel=1e-6)
    assert set(summary) == set(metrics["metric"]) and (metrics["n"] == 4).all()
    with np.load(tmp_path / "eval" / "samples.npz") as z:
        assert z["truth"].shape == z["reconstruction"].shape == (2, 15, 16, 16, 1)
