"""PROVIDE's path through the house: generated balls -> dataset kind object_video -> training -> the decomposition
protocols -> Tables 1-3."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
import torch
from killed_runs import train_killed_at

from latentvideo import config, targets
from latentvideo.data import raw_datasets
from latentvideo.data.dataset_kinds import kind_named, open_training_data
from latentvideo.evaluation.decomposition import per_frame_scores
from latentvideo.evaluation.decomposition_prediction import velocity_rows
from latentvideo.evaluation.driver import evaluate_model
from latentvideo.reporting import decomposition_tables
from latentvideo.reporting.table_output import Missing
from latentvideo.reporting.tables import load_paper_numbers
from latentvideo.training.trainer import train

SMALL = "bouncing_balls_small"


@pytest.fixture(scope="module")
def balls(tmp_path_factory, repo):
    """The smoke config and a tiny generated instance of the balls (12 training videos, 3 test videos of each
    kind, 16x16, 32 frames), acquired and preprocessed as the DAG does."""
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    out = tmp_path_factory.mktemp("balls")
    entry = copy.deepcopy(cfg["raw_data"][SMALL])
    entry["dir"] = str(out / "raw")
    files = entry["acquisition"]["generator"]["files"]
    files["balls4mass64.h5"]["training"]["videos"] = 12
    for name in files:
        files[name]["test"]["videos"] = 3
    cfg["raw_data"][SMALL] = entry
    raw_datasets.acquire(SMALL, entry, out / "inventory.json")
    raw_datasets.preprocess(SMALL, entry, out / "inventory.json", out / "processed")
    return cfg, out / "processed"


def test_a_raw_data_instance_names_its_dataset_module(repo):
    cfg = config.load(repo / "config" / "config.yaml", "default")
    assert raw_datasets.declaration(SMALL, cfg["raw_data"][SMALL]).name == "bouncing_balls"
    assert config.dataset_entry(cfg, "balls4_binary")["raw"] == SMALL  # the budget points the dataset at it
    assert targets.testset(cfg, "balls4_binary") == f"data/processed/{SMALL}/balls4_test"
    paper = config.load(repo / "config" / "config.yaml", "paper")
    assert targets.testset(paper, "balls4_binary") == "data/processed/bouncing_balls/balls4_test"
    # generated raw data is made when a budget reads it, not by `rule all` for being enabled
    assert not any("bouncing_balls" in t for t in targets.raw_targets(paper))
    bad = copy.deepcopy(cfg)
    bad["raw_data"]["my_balls"] = {**copy.deepcopy(cfg["raw_data"][SMALL]), "dataset": "marbles"}
    with pytest.raises(config.ConfigError, match="raw_data.my_balls.dataset"):
        config.validate(bad)


def test_object_video_reads_a_stream_in_the_models_channels(balls):
    cfg, processed = balls
    binary = config.dataset_entry(cfg, "balls4_binary")
    assert binary["channels"] == 3  # binary frames read as RGB, as PROVIDE's loader
    data = open_training_data(binary, processed, batch_size=2, seed=0, stop=2, val_videos=3)
    batch = data.steps(0)[0].numpy()
    assert batch.shape == (2, binary["train_length"], 16, 16, 3)
    assert (batch[..., 0] == batch[..., 2]).all() and set(np.unique(batch)) <= {0, 255}
    assert data.validation.shape == (3, binary["train_length"], 16, 16, 3)
    colour = {**binary, "stream": "colour", "rgb": False}
    painted = open_training_data(colour, processed, batch_size=2, seed=0, stop=2, val_videos=1).steps(0)[0].numpy()
    assert painted.shape[-1] == 3 and not (painted[..., 0] == painted[..., 2]).all()  # the palette, not grey
    kind = kind_named("object_video")
    problems = kind.problems(cfg, "x", {**binary, "stream": "depth", "test_split": "balls9_test"})
    assert any("'depth' is not a stream of bouncing_balls" in p for p in problems)
    assert any("'balls9_test' is not a split of raw_data.bouncing_balls_small" in p for p in problems)


def test_perfect_masks_score_one():
    ids = np.zeros((1, 2, 4, 4), dtype=np.int64)
    ids[0, :, :2, :2], ids[0, :, 2:, 2:] = 1, 2
    masks = torch.nn.functional.one_hot(torch.from_numpy(ids), 4).permute(1, 0, 4, 2, 3).float()  # (T, B, K, H, W)
    scores = per_frame_scores(ids, masks)
    assert np.allclose(scores["ari"], 1.0) and np.allclose(scores["fari"], 1.0)
    swapped = masks[:, :, [0, 2, 1, 3]]  # slots are a permutation: the same scores
    assert np.allclose(per_frame_scores(ids, swapped)["fari"], 1.0)
    merged = torch.zeros_like(masks)
    merged[:, :, 0] = 1  # everything in one slot: no pair split -> chance level on two objects
    assert np.allclose(per_frame_scores(ids, merged)["ari"], 0.0)


def test_velocity_rows_say_where_no_object_counted():
    meta = {"experiment": "e", "label": "L", "budget": "smoke"}
    cosines = np.array([[1.0, np.nan, 0.5], [0.0, np.nan, np.nan], [np.nan, np.nan, np.nan]])
    rows = velocity_rows(meta, cosines, 11)
    mean = rows[0]
    assert mean["t"] == "mean" and mean["n"] == 2 and mean["value"] == pytest.approx((0.75 + 0.0) / 2)
    by_t = {r["t"]: r for r in rows[1:]}
    assert by_t["11"]["n"] == 2 and by_t["11"]["value"] == pytest.approx(0.5)
    assert by_t["12"]["n"] == 0 and np.isnan(by_t["12"]["value"]) and "no object" in by_t["12"]["note"]
    nothing = velocity_rows(meta, np.full((2, 3), np.nan), 11)
    assert len(nothing) == 1 and nothing[0]["note"].startswith("no object was visible")


def test_provide_trains_and_is_scored_by_every_protocol(balls, tmp_path):
    cfg, processed = balls
    settings = config.experiment_settings(cfg, "provide-balls4_binary")
    settings["training"].update({"steps": 2, "batch_size": 2, "checkpoint_every": 2, "val_every": 2})
    ckpt = train(settings, 0, processed, tmp_path / "run", device="cpu", progress="off")
    budget = {"test_videos": 4, "samples": 1, "batch_size": 2, "saved_videos": 2}
    outputs = {}
    for variant in ("standard", "balls678_k9", "prediction"):
        job = config.evaluation_job(cfg, "provide-balls4_binary", variant)
        job["evaluation"] = budget
        tested = processed / job["dataset_config"]["test_split"]
        evaluate_model(ckpt, "provide-balls4_binary", tested, job, tmp_path / variant, device="cpu")
        outputs[variant] = pd.read_csv(tmp_path / variant / "metrics.csv", dtype={"t": str})
    standard = outputs["standard"]
    assert (standard["test_videos"] == 3).all()  # the split holds 3: all of them, said so
    means = standard[standard["t"] == "mean"].set_index("metric")["value"]
    assert {"ari", "fari", "mse", "ari_first_10", "fari_first_10", "mse_first_10"} <= set(means.index)
    assert "ari_first_20" not in means.index  # the smoke budget scores 10 frames
    assert -1 <= means["ari"] <= 1 and 0 <= means["mse"] <= 1
    per_frame = standard.loc[(standard["metric"] == "fari") & (standard["t"] != "mean"), "t"].astype(int)
    assert list(per_frame) == list(range(1, 11))
    with np.load(tmp_path / "balls678_k9" / "samples.npz") as z:
        assert z["masks"].shape == (2, 10, 9, 16, 16) and z["ids"].max() >= 6  # K = 9 on 6-8 balls
    prediction = outputs["prediction"]
    frames = prediction.loc[(prediction["metric"] == "ari") & (prediction["t"] != "mean"), "t"].astype(int)
    assert list(frames) == list(range(21, 31))  # the 10 simulated frames after 20 inferred
    assert {"ari_first_3", "fari_first_10", "velocity_cosine"} <= set(prediction["metric"])


def test_table1_puts_ours_above_the_papers_and_says_why_a_cell_is_empty(repo):
    paper = load_paper_numbers(repo / "config" / "paper_numbers" / "provide2021.yaml")
    base = {"experiment": "provide-balls4_binary", "label": "PROVIDE", "model": "provide", "variant": "provide",
            "evaluation": "standard", "dataset": "balls4_binary", "seed": "0", "t": "mean", "budget": "default",
            "note": ""}
    frame = pd.DataFrame([{**base, "metric": "fari_first_10", "value": 0.9, "ci95": 0.01},
                          {**base, "metric": "fari_first_20", "value": 0.8, "ci95": 0.02}])
    not_run = {("iodine", "balls4_binary"): "not run at budget default"}
    labels = {("provide", "balls4_binary"): "PROVIDE", ("iodine", "balls4_binary"): "IODINE"}
    table = decomposition_tables.table1(frame, paper, not_run, {"balls4_binary": "Balls"}, labels)
    ours, theirs = table.loc["Balls: PROVIDE (ours)"], table.loc["Balls: PROVIDE (paper)"]
    assert ours[("F-ARI ↑", "10")] == "0.9000 ± 0.0100" and theirs[("F-ARI ↑", "10")] == "0.9999"
    gap = ours[("F-ARI ↑", "30")]
    assert isinstance(gap, Missing) and "shorter than 30 frames" in gap.reason
    assert table.loc["Balls: IODINE (ours)"][("ARI ↑", "10")].reason == "not run at budget default"
    assert "Bouncing Balls, 4 balls, binary: R-NEM (van Steenkiste et al. 2018) (ours)" not in table.index


def test_squeezenet_weights_are_a_declared_file_the_training_job_reads(balls, tmp_path):
    from latentvideo.models.squeezenet_features import SqueezeNetFeatures
    from latentvideo.training.trainer import build_training_state

    cfg, _ = balls
    cfg = copy.deepcopy(cfg)
    cfg["budgets"]["smoke"]["hyperparameters"]["provide"]["squeezenet"] = True
    weights = tmp_path / "squeezenet1_1.pth"
    cfg["model_weights"]["squeezenet1_1"]["path"] = str(weights)
    assert targets.training_input(cfg, "provide-balls4_binary")[-1] == str(weights)  # a job input
    settings = config.experiment_settings(cfg, "provide-balls4_binary")
    with pytest.raises(ValueError, match=f"model_weights.squeezenet1_1: {weights} does not exist"):
        build_training_state(settings, 0, torch.device("cpu"))
    torch.manual_seed(3)
    source = SqueezeNetFeatures()
    torch.save({f"features.{k}": v for k, v in source.features.state_dict().items()}, weights)
    model = build_training_state(settings, 0, torch.device("cpu")).model
    assert all(torch.equal(a, b) for a, b in zip(model.features.features.parameters(), source.features.parameters()))
    del cfg["model_weights"]
    with pytest.raises(config.ConfigError, match="declare them under model_weights"):
        config.experiment_settings(cfg, "provide-balls4_binary")


def test_a_killed_provide_run_resumes_bit_identically(balls, tmp_path):
    """Colour balls with the adaptive beta (a checkpointed buffer) and the clipped Adam: killed after its step-2
    checkpoint, the resumed run ends with the uninterrupted run's weights, beta and losses."""
    from latentvideo.training import checkpoint

    cfg, processed = balls
    settings = config.experiment_settings(cfg, "provide-balls4_colour")
    assert settings["hyperparameters"]["adaptive_beta"] and settings["dataset"]["stream"] == "colour"
    settings["training"].update({"steps": 4, "batch_size": 2, "checkpoint_every": 2, "val_every": 2,
                                 "log_every": 1})
    ref = train(settings, 0, processed, tmp_path / "ref", device="cpu", progress="off")
    train_killed_at(3, settings, 0, processed, tmp_path / "run")
    resumed = train(settings, 0, processed, tmp_path / "run", device="cpu", progress="off")
    a, b = checkpoint.load(ref), checkpoint.load(resumed)
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"]) and "beta" in a["model"]
    logs = [[json.loads(x)["total"] for x in (d / "train_log.jsonl").read_text().splitlines()]
            for d in (tmp_path / "ref", tmp_path / "run")]
    assert logs[0] == logs[1] and len(logs[0]) == 4
