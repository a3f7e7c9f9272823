"""Training data of every dataset kind, and the Whitney & Fergus evaluation end to end on tiny inputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from latentvideo.data.shards import ShardWriter
from latentvideo.data.dataset_kinds import open_training_data
from latentvideo.evaluation import factor_analysis
from latentvideo.evaluation.tidy import COLUMNS
from latentvideo.models import build_model

PROTOCOL = {"protocol": "factor_analysis", "mi_neighbours": 3, "mi_partitions": 4, "mi_max_pairs": 30,
            "hold_step": 1}


def _stored_dataset(root, n_clips=6, length=5):
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        with ShardWriter(root / split, {"dataset": "street", "split": split, "substitute": True}) as writer:
            for i in range(n_clips):
                writer.add({"frames": rng.integers(0, 256, (length, 64, 64, 3), dtype=np.uint8)}, {"chunk": i})
    (root / "manifest.json").write_text(json.dumps({"dataset": "street", "acquisition": "substitute"}))
    return root


def test_raw_video_training_data_reads_the_train_split(tmp_path):
    root = _stored_dataset(tmp_path / "street")
    data = open_training_data({"kind": "raw_video", "raw": "street", "train_length": 5}, root, 2, 0, 10, 3)
    batch = data.steps(4)[0]
    assert batch.shape == (2, 5, 64, 64, 3) and data.validation.shape == (3, 5, 64, 64, 3)
    assert data.source == "street:substitute" and "training clips" in data.validation_source
    assert np.array_equal(batch.numpy(), data.steps(0)[4].numpy())


def test_factor_analysis_measures_elbo_information_and_generations(tmp_path):
    torch.manual_seed(0)
    model = build_model("factored_vae", {"factors": 2, "factor_dim": 4}).eval()
    videos = np.random.default_rng(2).integers(0, 256, (5, 6, 64, 64, 3), dtype=np.uint8)
    result = factor_analysis.analyze(model, videos, PROTOCOL, batch_size=2, saved_videos=2, device=torch.device("cpu"))
    assert result["pairs"] == 25 and result["info"].n == 25 and not result["partitioned"]
    assert result["generations"].shape == (2, 3, 5, 64, 64, 3) and result["truth"].shape == (2, 5, 64, 64, 3)
    meta = {c: "x" for c in COLUMNS if c not in ("metric", "t", "value", "ci95", "n")}
    summary = factor_analysis.write_results(result, meta, 4, tmp_path)
    frame = pd.read_csv(tmp_path / "metrics.csv")
    assert list(frame.columns) == COLUMNS and set(frame["metric"]) == {"elbo", "reconstruction", "kl", "mi_same",
                                                                       "mi_cross"}
    assert summary["elbo"][0] == pytest.approx(summary["reconstruction"][0] - summary["kl"][0])
    assert frame.loc[frame["metric"] == "elbo", "n"].item() == 5 and frame.loc[frame["metric"] == "mi_same", "n"].item() == 25
    with np.load(tmp_path / "samples.npz") as z:
        assert z["correlation"].shape == (8, 8) and z["mi_groups"].tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_entangled_models_are_measured_on_random_partitions(tmp_path):
    torch.manual_seed(0)
    model = build_model("factored_vae", {"factors": 1, "factor_dim": 8}).eval()
    videos = np.random.default_rng(3).integers(0, 256, (3, 6, 64, 64, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="mi_groups"):
        factor_analysis.analyze(model, videos, PROTOCOL, 3, 1, torch.device("cpu"))
    result = factor_analysis.analyze(model, videos, {**PROTOCOL, "mi_groups": 2}, 3, 1, torch.device("cpu"))
    assert result["partitioned"] and result["info"].groups.shape == (2, 4)
    assert result["generations"].shape == (1, 2, 5, 64, 64, 3)
    with pytest.raises(ValueError, match="KSG with k=3 needs more"):
        factor_analysis.analyze(model, videos[:1, :3], {**PROTOCOL, "mi_groups": 2}, 3, 1, torch.device("cpu"))
