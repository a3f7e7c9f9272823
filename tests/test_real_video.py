"""SRVP and SVG on real video: the official settings, model selection on the validation split, LPIPS and FVD in
the evaluation (with weight files of the right formats made here, and without them), and the comparison tables."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
import raw_fixtures as fx
from killed_runs import train_killed_at
import torch
from weight_fixtures import metric_weights

from latentvideo import config
from latentvideo.data import raw_datasets
from latentvideo.data.shards import ShardWriter, StoredSplit
from latentvideo.evaluation.driver import evaluate_baseline, evaluate_model
from latentvideo.reporting.table_output import Missing
from latentvideo.reporting.tables import comparison_table, format_cell
from latentvideo.training import checkpoint
from latentvideo.training.model_selection import validation_psnr
from latentvideo.training.trainer import load_trained, train


def test_real_video_experiments_carry_the_official_command_lines(repo):
    """edouardelasalles/srvp README (KTH, Human3.6M, BAIR) and edenton/svg README (KTH, BAIR), Appendix C."""
    cfg = config.load(repo / "config" / "config.yaml", "paper")
    kth = config.experiment_settings(cfg, "srvp-kth")
    assert {k: kth["hyperparameters"][k] for k in ("ny", "nz", "n_inf_frames", "dt", "obs_scale", "res_gain",
                                                   "beta_z", "skip", "frame_coder", "channels")} == {
        "ny": 50, "nz": 50, "n_inf_frames": 3, "dt": 0.5, "obs_scale": 0.2, "res_gain": 1.2, "beta_z": 1.0,
        "skip": True, "frame_coder": "vgg", "channels": 1}
    assert (kth["training"]["steps"], kth["training"]["lr_decay_steps"], kth["training"]["batch_size"]) == (
        200_000, 50_000, 100)
    assert kth["model_selection"] == {"metric": "psnr", "length": 30}  # --seq_len_test 30
    assert (kth["training"]["select_every"], kth["training"]["select_videos"]) == (5000, 400)  # 25 batches of 16
    human = config.experiment_settings(cfg, "srvp-human36m")
    assert human["hyperparameters"]["channels"] == 3 and human["model_selection"]["length"] == 53
    assert (human["training"]["steps"], human["training"]["select_every"], human["training"]["select_videos"]) == (
        350_000, 20_000, 200)
    bair = config.experiment_settings(cfg, "srvp-bair")
    assert (bair["hyperparameters"]["n_inf_frames"], bair["hyperparameters"]["obs_scale"],
            bair["hyperparameters"]["res_gain"]) == (2, 0.71, 1.41)
    assert (bair["training"]["steps"], bair["training"]["lr_decay_steps"], bair["training"]["batch_size"]) == (
        1_500_000, 500_000, 192)
    assert bair["model_selection"] is None  # BAIR keeps the last checkpoint
    assert config.experiment_settings(cfg, "srvp_dt1-kth")["hyperparameters"]["dt"] == 1.0
    assert config.experiment_settings(cfg, "srvp_dcgan-kth")["hyperparameters"]["frame_coder"] == "dcgan"
    svg = config.experiment_settings(cfg, "svg_fp-kth")
    assert svg["optimizer"]["lr"] == 8e-4 and svg["optimizer"]["schedule"] == "constant"  # the model's, kept
    assert {k: svg["hyperparameters"][k] for k in ("z_dim", "beta", "n_past", "frame_coder")} == {
        "z_dim": 24, "beta": 1e-6, "n_past": 10, "frame_coder": "vgg"}
    assert config.experiment_settings(cfg, "svg_lp-bair")["hyperparameters"]["n_past"] == 2
    for name, length in (("kth", 20), ("human36m", 16), ("bair", 12)):  # --seq_len
        assert config.dataset_entry(cfg, name)["train_length"] == length
    assert cfg["budgets"]["paper"]["evaluation"]["fvd_sets"] == 5


@pytest.mark.parametrize("experiment,expected", [
    ("srvp-kth", 23_877_854), ("srvp_dt1-kth", 23_877_854), ("srvp_dcgan-kth", 13_735_134),
    ("srvp-human36m", 23_880_158), ("srvp-bair", 23_847_390), ("svg_fp-kth", 22_206_385),
    ("svg_fp_dcgan-kth", 12_060_337), ("svg_lp-bair", 22_831_747), ("svg_lp-human36m", 22_831_747)])
def test_the_paper_budget_builds_the_official_models(repo, experiment, expected):
    """The experiments as configured have the official models' parameter counts (tests/test_vgg_coders.py)."""
    from latentvideo.models import build_model

    settings = config.experiment_settings(config.load(repo / "config" / "config.yaml", "paper"), experiment)
    model = build_model(settings["model"], settings["hyperparameters"])
    assert sum(p.numel() for p in model.parameters()) == expected


@pytest.fixture(scope="module")
def kth_data(tmp_path_factory, base_config):
    """The KTH fixture (zips of AVIs) acquired and preprocessed: train (3 videos), val (1), test (4 windows)."""
    tmp = tmp_path_factory.mktemp("kth")
    fx.kth(tmp / "raw")
    entry = copy.deepcopy(base_config["raw_data"]["kth"])
    entry.update(dir=str(tmp / "raw"), acquisition={"kind": "manual"})
    entry["protocol"]["test_windows"] = 4
    raw_datasets.acquire("kth", entry, tmp / "kth.inventory.json")
    raw_datasets.preprocess("kth", entry, tmp / "kth.inventory.json", tmp / "processed")
    return tmp / "processed"


def kth_settings(repo, experiment="srvp-kth", **training):
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    s = config.experiment_settings(cfg, experiment)
    s["hyperparameters"]["nf"] = 8
    s["training"].update({"steps": 4, "batch_size": 2, "lr_decay_steps": 2, "checkpoint_every": 2, "log_every": 1,
                          "val_every": 2, "select_every": 2, "select_videos": 3, "select_samples": 2, **training})
    return s


@pytest.fixture(scope="module")
def trained_kth(tmp_path_factory, kth_data, repo):
    out = tmp_path_factory.mktemp("run")
    return train(kth_settings(repo), 0, kth_data, out, device="cpu", progress="off"), out


def test_model_selection_keeps_the_checkpoint_of_best_validation_psnr(trained_kth, kth_data, repo):
    path, out = trained_kth
    run = json.loads((out / "run.json").read_text())["model_selection"]
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    scores = {r["step"]: r["val_select_psnr"] for r in log if "val_select_psnr" in r}
    assert sorted(scores) == [2, 4]  # every select_every steps and at the end
    best_step = max(scores, key=scores.get)
    assert (run["selected_step"], run["value"], run["windows"], run["length"]) == (best_step, scores[best_step], 3, 30)
    model_pt = checkpoint.load(path)
    assert model_pt["step"] == best_step and model_pt["selected"] == {"step": best_step, "value": scores[best_step]}
    assert checkpoint.load(out / "checkpoints" / "last.pt")["step"] == 4  # the final state stays the resume point
    # the score is the test protocol's best-of-N PSNR on fixed windows of the validation split
    from latentvideo.data.dataset_kinds import open_training_data

    data = open_training_data(kth_settings(repo)["dataset"], kth_data, 2, 0, 4, 2)
    windows = data.selection_windows(3, 30)
    assert windows.shape == (3, 30, 64, 64, 1) and np.array_equal(windows, data.selection_windows(3, 30))
    model = load_trained(path).model
    assert validation_psnr(model, windows, 10, 2, torch.device("cpu")) == pytest.approx(scores[best_step], abs=1e-9)


def test_a_killed_run_with_model_selection_resumes_to_the_same_choice(trained_kth, kth_data, repo, tmp_path):
    train_killed_at(3, kth_settings(repo), 0, kth_data, tmp_path)  # after step 2's checkpoint and selection
    assert checkpoint.load(tmp_path / "checkpoints" / "last.pt")["selected"]["step"] == 2
    resumed = train(kth_settings(repo), 0, kth_data, tmp_path, device="cpu", progress="off")
    a, b = checkpoint.load(trained_kth[0]), checkpoint.load(resumed)
    assert a["step"] == b["step"] and a["selected"] == b["selected"]
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])


def evaluation_job(repo, variant, weights):
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    job = config.evaluation_job(cfg, "srvp-kth", variant)
    job["metric_weights"] = weights
    return job


def test_best_of_n_scores_lpips_from_the_users_files_and_keeps_best_and_worst_samples(trained_kth, kth_data, repo,
                                                                                      tmp_path):
    weights = metric_weights(tmp_path / "weights")
    summary = evaluate_model(trained_kth[0], "srvp-kth", kth_data / "test", evaluation_job(repo, "standard", weights),
                             tmp_path / "eval", device="cpu")
    assert {"psnr", "ssim", "lpips"} <= set(summary)
    metrics = pd.read_csv(tmp_path / "eval" / "metrics.csv", keep_default_na=False)
    lpips = metrics[(metrics["metric"] == "lpips") & (metrics["t"] != "mean")]
    assert len(lpips) == 10 and (lpips["n"] == 4).all() and (metrics["note"] == "").all()  # 10 frames scored
    with np.load(tmp_path / "eval" / "samples.npz") as z:
        assert {"best_psnr", "worst_psnr", "best_lpips", "worst_lpips", "best_ssim", "first_sample"} <= set(z.files)
        assert z["best_lpips"].shape == (2, 10, 64, 64, 1)  # saved_videos 2
    record = json.loads((tmp_path / "eval" / "eval.json").read_text())
    assert set(record["metric_weights"]) == {"lpips_alexnet", "lpips_linear"}


def test_without_weight_files_lpips_and_fvd_are_recorded_as_not_computed_saying_why(trained_kth, kth_data, repo,
                                                                                    tmp_path):
    missing = {"lpips_alexnet": {"path": str(tmp_path / "absent.pth"), "sha256": None}}
    evaluate_model(trained_kth[0], "srvp-kth", kth_data / "test", evaluation_job(repo, "standard", missing),
                   tmp_path / "standard", device="cpu")
    metrics = pd.read_csv(tmp_path / "standard" / "metrics.csv", keep_default_na=False)
    row = metrics[metrics["metric"] == "lpips"]
    assert len(row) == 1 and row["value"].iloc[0] == "" and row["t"].iloc[0] == "mean"
    assert "not computed: metric_weights.lpips_alexnet: " in row["note"].iloc[0] and "absent.pth does not exist" in \
        row["note"].iloc[0]
    summary = json.loads((tmp_path / "standard" / "summary.json").read_text())
    assert "lpips" not in summary and "absent.pth" in summary["not_computed"]["lpips"] and summary["psnr"]["mean"] > 0
    evaluate_model(trained_kth[0], "srvp-kth", kth_data / "test", evaluation_job(repo, "fvd", {}), tmp_path / "fvd",
                   device="cpu")
    fvd = pd.read_csv(tmp_path / "fvd" / "metrics.csv", keep_default_na=False)
    assert fvd["metric"].tolist() == ["fvd"] and "metric_weights.i3d is not configured" in fvd["note"].iloc[0]


def static_test_split(path, n=3, t=14):
    """Test windows whose frames never change (and differ between videos): copying the last conditioning frame
    predicts them exactly."""
    rng = np.random.default_rng(0)
    with ShardWriter(path, {"dataset": "kth", "split": "test"}) as writer:
        for _ in range(n):
            writer.add({"frames": np.repeat(rng.integers(0, 256, (1, 64, 64, 1), dtype=np.uint8), t, axis=0)})
    return StoredSplit(path)


def test_fvd_compares_conditioning_plus_samples_with_conditioning_plus_truth(trained_kth, repo, tmp_path):
    """The FVD protocol on reference predictors: copy-last reproduces static videos exactly (FVD 0), noise does
    not, with a fresh sample in each set; the interval is over sets."""
    from latentvideo.evaluation import baselines, video_distance
    from latentvideo.evaluation.protocols import EvaluationJob

    static_test_split(tmp_path / "test")
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    dataset = {**config.dataset_entry(cfg, "kth"), "cond_frames": 4}
    weights = metric_weights(tmp_path / "weights")
    i3d = torch.load(weights["i3d"]["path"], weights_only=True)  # random weights give tiny logits: scale them up
    i3d["logits.conv3d.weight"] *= 1e4
    torch.save(i3d, weights["i3d"]["path"])
    meta = {"paper": "reference", "experiment": "copy_last-kth", "label": "Copy last frame", "model": "copy_last",
            "variant": "-", "evaluation": "fvd", "dataset": "kth", "seed": "-", "budget": "smoke", "train_steps": 0,
            "batch_size": 0, "test_videos": 3, "samples": 1, "digit_source": "kth:original", "code_version": "x"}
    evaluation = {"test_videos": 3, "samples": 1, "batch_size": 2, "saved_videos": 1, "fvd_sets": 2}

    def run(predictor, out):
        job = EvaluationJob(predictor, {}, {"protocol": "fvd"}, "fvd", {}, evaluation, tmp_path / "test", dataset,
                            meta, out, torch.device("cpu"), weights)
        out.mkdir()
        return video_distance.run(job)

    exact = run(baselines.copy_last, tmp_path / "exact")
    noise = lambda cond, n, k: torch.rand(k, n, *cond.shape[1:])  # noqa: E731
    noisy = run(noise, tmp_path / "noisy")
    per_set = np.array(noisy.record["fvd_per_set"])
    assert len(per_set) == 2 and (per_set > 0).all() and len(set(per_set)) == 2  # a fresh sample per set
    assert abs(exact.summary["fvd"][0]) < 1e-6 * per_set.min()
    assert noisy.summary["fvd"] == pytest.approx((per_set.mean(), 1.96 * per_set.std() / np.sqrt(2)))
    with np.load(tmp_path / "noisy" / "samples.npz") as z:
        assert z["sample"].shape == (1, 10, 64, 64, 1) and z["cond"].shape == (1, 4, 64, 64, 1)


def test_baselines_score_lpips_on_real_video_too(kth_data, repo, tmp_path):
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    summary = evaluate_baseline("copy_last", "kth", config.dataset_entry(cfg, "kth"), "smoke",
                                config.budget_of(cfg)["evaluation"], kth_data / "test", tmp_path,
                                metric_weights(tmp_path / "weights"))
    assert {"psnr", "ssim", "lpips"} <= set(summary)


def test_comparison_table_fills_each_cell_from_its_datasets_model_variant_and_evaluation():
    """SVG is SVG-FP on KTH and SVG-LP on BAIR; 'SRVP - Δt/2' is the residual model's dt_1_4 evaluation; a metric
    recorded as not computed shows its reason; a method without a model is the paper's number only."""
    def row(model, variant, evaluation, dataset, value, note=""):
        return {"paper": "srvp2020", "experiment": f"{model}-{dataset}", "label": model, "model": model,
                "variant": variant, "evaluation": evaluation, "dataset": dataset, "seed": "0", "metric": "fvd",
                "t": "mean", "value": value, "ci95": 1.0, "n": 4, "budget": "smoke", "train_steps": 3, "batch_size": 2,
                "test_videos": 4, "samples": 1, "digit_source": "kth:original", "code_version": "x", "note": note}

    metrics = pd.DataFrame([row("svg_fp", "fp", "fvd", "kth", 300.0), row("svg_lp", "lp", "fvd", "bair", 250.0),
                            row("srvp", "residual", "fvd", "kth", 200.0), row("srvp", "residual", "fvd_dt_1_4", "kth", 210.0),
                            row("srvp", "residual", "fvd", "bair", float("nan"), "not computed: no I3D")])
    spec = {"rows": [{"label": "SV2P", "kth": {"fvd": [636, 1]}},
                     {"label": "SVG", "model": "svg_fp", "variant": "fp", "kth": {"fvd": [377, 6]},
                      "bair": {"model": "svg_lp", "variant": "lp", "fvd": [255, 4]}},
                     {"label": "SRVP", "model": "srvp", "variant": "residual", "kth": {"fvd": [222, 3]}},
                     {"label": "SRVP - Δt/2", "model": "srvp", "variant": "residual", "evaluation": "fvd_dt_1_4"}]}
    table = comparison_table(metrics, spec, ["kth", "bair"], ("fvd",), evaluation="fvd")
    assert table.loc["SVG", ("kth", "FVD", "ours")] == "300 ± 1" and table.loc["SVG", ("bair", "FVD", "ours")] == "250 ± 1"
    assert table.loc["SRVP", ("kth", "FVD", "ours")] == "200 ± 1"
    assert table.loc["SRVP - Δt/2", ("kth", "FVD", "ours")] == "210 ± 1"
    assert table.loc["SRVP", ("bair", "FVD", "ours")] == Missing("not computed: no I3D")
    assert isinstance(table.loc["SV2P", ("kth", "FVD", "ours")], Missing)
    assert table.loc["SV2P", ("kth", "FVD", "paper")] == "636 ± 1"
    assert len(table) == 4  # every result has its paper row
    assert format_cell("fvd", 0.001234, 0.0005) == "0.00123 ± 0.00050" and format_cell("fvd", 1050, 20) == "1050 ± 20"
