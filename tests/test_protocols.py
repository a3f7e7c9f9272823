"""Evaluation protocols are a registry; evaluation variants reach the model (test-time Δt, other test sets)."""

from __future__ import annotations

import json
import numpy as np
import pandas as pd
import pytest

from latentvideo import config
from latentvideo.data.dataset_kinds import build_test_set
from latentvideo.evaluation.driver import evaluate_model
from latentvideo.evaluation.protocols import protocol, registered_protocols
from latentvideo.training.trainer import train


def test_registry_discovers_the_protocols_declared_by_their_modules():
    specs = registered_protocols()
    assert {"best_of_n", "factor_analysis", "latent_interpolation", "content_swap"} <= set(specs)
    assert specs["latent_interpolation"].requires == ("interpolate_initial_state",)
    with pytest.raises(ValueError, match="unknown evaluation protocol 'best_of_m'"):
        protocol("best_of_m")


@pytest.fixture(scope="module")
def srvp_run(tmp_path_factory, digits, repo):
    """A two-step SRVP (narrow) and the smoke config, shared by the variant tests."""
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    settings = config.experiment_settings(cfg, "srvp-smmnist_deterministic")
    settings["hyperparameters"]["nf"] = 16
    settings["dataset"]["train_length"] = 6
    settings["training"].update({"steps": 2, "batch_size": 2, "lr_decay_steps": 1, "checkpoint_every": 2,
                                 "val_every": 2})
    out = tmp_path_factory.mktemp("srvp")
    ckpt = train(settings, 0, digits, out / "run", device="cpu", progress="off")
    return cfg, ckpt, out


def _testset(cfg, digits, out, dataset):
    path = out / f"test-{dataset}"
    if not path.exists():
        build_test_set(dataset, cfg["datasets"][dataset], digits, 4, path)
    return path


def _job(cfg, variant):
    job = config.evaluation_job(cfg, "srvp-smmnist_deterministic", variant)
    job["evaluation"] = {"test_videos": 4, "samples": 2, "batch_size": 4, "saved_videos": 2}
    return job


def test_test_time_euler_step_variant_keeps_intermediate_frames(srvp_run, digits, tmp_path):
    cfg, ckpt, out = srvp_run
    testset = _testset(cfg, digits, out, "smmnist_deterministic")
    evaluate_model(ckpt, "srvp-smmnist_deterministic", testset, _job(cfg, "dt_1_2_frames"), tmp_path / "e",
                   device="cpu")
    metrics = pd.read_csv(tmp_path / "e" / "metrics.csv")
    assert set(metrics["evaluation"]) == {"dt_1_2_frames"}
    with np.load(tmp_path / "e" / "samples.npz") as z:
        assert int(z["substeps"]) == 2 and z["intermediate"].shape == (2, 190, 64, 64, 1)  # 95 frames x 2


def test_budget_predicted_frames_scores_only_the_first_frames(srvp_run, digits, tmp_path):
    """budgets.<b>.evaluation.predicted_frames: 7 of the 95 predicted frames are predicted, scored and stated."""
    cfg, ckpt, out = srvp_run
    testset = _testset(cfg, digits, out, "smmnist_deterministic")
    job = _job(cfg, "standard")
    job["evaluation"]["predicted_frames"] = 7
    evaluate_model(ckpt, "srvp-smmnist_deterministic", testset, job, tmp_path / "p", device="cpu")
    metrics = pd.read_csv(tmp_path / "p" / "metrics.csv", dtype={"t": str})
    assert set(metrics["t"]) == {"mean", *map(str, range(6, 13))}
    with np.load(tmp_path / "p" / "samples.npz") as z:
        assert z["truth"].shape[1] == z["best_psnr"].shape[1] == 7
    statement = json.loads((tmp_path / "p" / "eval.json").read_text())["statement"]
    assert "the first 7 of 95 predicted frames scored" in statement


def test_interpolation_variant_reads_its_own_test_set(srvp_run, digits, tmp_path):
    cfg, ckpt, out = srvp_run
    job = _job(cfg, "interpolation")
    assert job["dataset"] == "smmnist_deterministic_one_digit" and job["protocol"]["protocol"] == "latent_interpolation"
    testset = _testset(cfg, digits, out, job["dataset"])
    evaluate_model(ckpt, "srvp-smmnist_deterministic", testset, job, tmp_path / "i", device="cpu")
    metrics = pd.read_csv(tmp_path / "i" / "metrics.csv")
    assert set(metrics["metric"]) == {"reconstruction_psnr"} and set(metrics["dataset"]) == {job["dataset"]}
    assert (metrics.loc[metrics["t"] == "mean", "n"] == 4).all()  # both ends of two pairs
    with np.load(tmp_path / "i" / "samples.npz") as z:
        assert z["trajectories"].shape == (2, 6, 15, 64, 64, 1) and z["source"].shape == (2, 15, 64, 64, 1)


def test_content_swap_variant(srvp_run, digits, tmp_path):
    cfg, ckpt, out = srvp_run
    testset = _testset(cfg, digits, out, "smmnist_deterministic")
    evaluate_model(ckpt, "srvp-smmnist_deterministic", testset, _job(cfg, "content_swap"), tmp_path / "s",
                   device="cpu")
    assert set(pd.read_csv(tmp_path / "s" / "metrics.csv")["metric"]) == {"self_swap_psnr"}
    with np.load(tmp_path / "s" / "samples.npz") as z:
        assert z["swapped"].shape == z["dynamics"].shape == (2, 100, 64, 64, 1) and int(z["cond_frames"]) == 5


def test_trajectory_distribution_ground_truth_and_estimator(digits, repo, tmp_path):
    """The generator's continuations start from the stored trajectory, and the centre of mass of the rendered
    digit moves exactly as its drawn position (so the two sides of Fig. 4 measure the same thing)."""
    import torch

    from latentvideo.data.shards import StoredSplit, to_model_layout
    from latentvideo.evaluation import trajectory_distribution as td

    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    dataset = cfg["datasets"]["smmnist_nonuniform"]
    testset = tmp_path / "test"
    build_test_set("smmnist_nonuniform", dataset, digits, 6, testset)
    stored = StoredSplit(testset).label("trajectories")[:, 0]
    videos = StoredSplit(testset).read()
    com = td.centre_of_mass(torch.from_numpy(to_model_layout(videos))).numpy()  # (T, N, 2)
    assert np.allclose(np.diff(com, axis=0), np.diff(stored[:, :, :2], axis=1).transpose(1, 0, 2), atol=1e-3)
    for video in range(6):
        paths, collision = td.true_continuations(dataset, video, stored[video], 5, 20, 30)
        assert paths.shape == (30, 21, 2) and np.all(paths[:, 0] == stored[video, 4, :2])
        if collision == 0:  # no bounce in the true future: the generator's continuations are all the same
            assert (paths == paths[:1]).all()
    with pytest.raises(ValueError, match="differs from the stored one"):
        td.true_continuations({**dataset, "test_seed": 7}, 0, stored[0], 5, 20, 2)


def test_trajectory_distribution_protocol_writes_histograms(digits, repo, tmp_path):
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    settings = config.experiment_settings(cfg, "svg_lp-smmnist_nonuniform")
    settings["hyperparameters"]["nf"] = 16
    settings["training"].update({"steps": 2, "batch_size": 2, "checkpoint_every": 2, "val_every": 2})
    ckpt = train(settings, 0, digits, tmp_path / "run", device="cpu", progress="off")
    testset = tmp_path / "test"
    build_test_set("smmnist_nonuniform", cfg["datasets"]["smmnist_nonuniform"], digits, 4, testset)
    job = config.evaluation_job(cfg, "svg_lp-smmnist_nonuniform", "trajectories")
    job["evaluation"] = {"test_videos": 4, "samples": 2, "batch_size": 4, "saved_videos": 2}
    job["variant_settings"]["samples"] = 5
    evaluate_model(ckpt, "svg_lp-smmnist_nonuniform", testset, job, tmp_path / "e", device="cpu")
    metrics = pd.read_csv(tmp_path / "e" / "metrics.csv")
    assert set(metrics["metric"]) == {"delta_tv"} and metrics["value"].between(0, 1).all()
    with np.load(tmp_path / "e" / "samples.npz") as z:
        assert z["generated"].shape == z["truth"].shape == (2, 20, 17, 17)
        assert np.allclose(z["truth"].sum((2, 3)), 1) and int(z["max_delta"]) == 8
