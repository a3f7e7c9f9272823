"""R-WAE on TIMIT (Table 1, Fig. 11): the MLP coder on real-valued spectra, utterance features, the EER protocol
from a raw-format fixture through training and evaluation, the cross-generation matrix, Table 1 and Fig. 11."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pandas as pd
import pytest
import raw_fixtures as fx
import torch

from latentvideo import config
from latentvideo.data import raw_datasets
from latentvideo.data.shards import StoredSplit
from latentvideo.evaluation.driver import evaluate_model
from latentvideo.evaluation.speaker_verification import (SegmentCodes, cross_generation, cross_segments,
                                                         missing_trials, segment_codes, utterance_features)
from latentvideo.metrics.equal_error_rate import error_rates
from latentvideo.models.registry import build_model
from latentvideo.models.sequence_disentangling import SequenceCodeConfig, reconstruction_cost
from latentvideo.reporting.disentanglement_figures import cross_generation_grid
from latentvideo.reporting.disentanglement_tables import judge_table
from latentvideo.reporting.tables import load_paper_numbers
from latentvideo.training.trainer import load_trained, train

TIMIT = {"channels": 1, "frame_size": 200, "coder": "mlp", "likelihood": "gaussian_real", "frame_dim": 256,
         "content_dim": 16, "motion_dim": 16}


def test_mlp_coder_has_two_hidden_layers_of_256_and_decodes_real_values():
    torch.manual_seed(0)
    model = build_model("dsvae", TIMIT)
    encoder, decoder = model.coder.frame_encoder, model.coder.generator.decoder
    linears = [m for m in encoder.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(200, 256), (256, 256), (256, 256)]
    assert sum(p.numel() for p in decoder.parameters()) == 256 * 256 * 2 + 256 * 2 + 256 * 200 + 200
    x = torch.randn(20, 3, 1, 1, 200) * 2 - 5  # log magnitudes: negative, unbounded
    code = model.encode(x)
    with torch.no_grad():
        output = model.coder.generator(code.content, code.motion, None)
        assert output.shape == x.shape
        torch.testing.assert_close(model.coder.frames(code.content, code.motion), output)  # no sigmoid
        torch.testing.assert_close(reconstruction_cost(output, x, "gaussian_real"), (output - x).pow(2).sum() / 3)
        assert reconstruction_cost(output, x, "gaussian_real") > 20 * 200 * 3 * 4  # far from any [0, 1] frame


@pytest.mark.parametrize("settings, message", [({"coder": "mlp", "likelihood": "gaussian"}, "gaussian_real"),
                                               ({"coder": "s", "likelihood": "gaussian_real"}, "goes with coder")])
def test_real_valued_frames_and_the_mlp_coder_go_together(settings, message):
    with pytest.raises(ValueError, match=message):
        SequenceCodeConfig(frame_size=64 if settings["coder"] == "s" else 200, **settings)


def test_utterance_features_average_the_segments_of_each_speakers_utterance():
    rng = np.random.default_rng(0)
    speaker = np.array(["A", "A", "A", "B", "B", "A"])
    utterance = np.array(["SA1", "SA1", "SX2", "SA1", "SA1", "SX2"])  # SA1 is read by both speakers
    codes = SegmentCodes(rng.normal(size=(6, 3)), rng.normal(size=(6, 2)))
    features = utterance_features(codes, speaker, utterance)
    expected = [[0, 1], [2, 5], [3, 4]]  # A/SA1, A/SX2, B/SA1
    assert list(features.speaker) == ["A", "A", "B"]
    for row, members in enumerate(expected):
        np.testing.assert_allclose(features.content[row], codes.content[members].mean(0))
        np.testing.assert_allclose(features.motion[row], codes.motion[members].mean(0))


def test_cross_segments_take_the_loudest_segment_of_speakers_spread_over_the_list():
    speaker = np.array(["A", "A", "B", "C", "C", "D", "E"])
    loudness = np.array([1.0, 3.0, 0.0, 5.0, 4.0, 2.0, 1.0])
    assert list(cross_segments(speaker, loudness, 3)) == [1, 3, 6]  # A (its louder), C, E
    assert list(cross_segments(speaker, loudness, 10)) == [1, 2, 3, 5, 6]  # every speaker once


def test_cross_generation_decodes_each_content_with_each_motion():
    torch.manual_seed(0)
    model = build_model("rwae_mmd", {**TIMIT, "frame_dim": 12, "hidden": 8, "mlp_width": 8}).eval()
    segments = np.random.default_rng(1).normal(size=(3, 20, 1, 200, 1)).astype(np.float32)
    torch.manual_seed(2)
    matrix = cross_generation(model.coder, segments, torch.device("cpu"))
    assert matrix.shape == (3, 3, 20, 200) and matrix.dtype == np.float32
    torch.manual_seed(2)
    code = model.coder.encode(torch.from_numpy(segments).permute(1, 0, 4, 2, 3))
    with torch.no_grad():
        frames = model.coder.frames(code.content_q.mean[[2]], code.motion_q.mean[:, [0]])  # content 2, motion 0
    np.testing.assert_allclose(matrix[2, 0], frames[:, 0, 0, 0].numpy(), rtol=1e-5, atol=1e-5)
    assert not np.allclose(matrix[2, 0], matrix[0, 0])


def _brute_force_eer(scores: np.ndarray, target: np.ndarray) -> float:
    rates = [error_rates(scores, target, t) for t in scores]
    gap = min(abs(a - r) for a, r in rates)
    return min((a + r) / 2 for a, r in rates if abs(abs(a - r) - gap) < 1e-12)


@pytest.fixture(scope="module")
def timit_run(tmp_path_factory, repo):
    """The TIMIT fixture (four test and four training speakers) preprocessed, R-WAE(MMD) trained 3 steps at the
    smoke budget's widths, evaluated by the speaker-verification protocol."""
    tmp = tmp_path_factory.mktemp("timit")
    fx.timit(tmp / "raw", speakers=3)
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    entry = copy.deepcopy(cfg["raw_data"]["timit"])
    entry["dir"] = str(tmp / "raw")
    raw_datasets.acquire("timit", entry, tmp / "inventory.json")
    raw_datasets.preprocess("timit", entry, tmp / "inventory.json", tmp / "processed")
    settings = config.experiment_settings(cfg, "rwae_mmd-timit")
    settings["training"].update({"steps": 3, "batch_size": 2})
    checkpoint = train(settings, 0, tmp / "processed", tmp / "run", device="cpu", progress="off")
    job = config.evaluation_job(cfg, "rwae_mmd-timit", "speaker_verification")
    evaluate_model(checkpoint, "rwae_mmd-timit", tmp / "processed" / "test", job, tmp / "eval", device="cpu")
    return tmp, checkpoint


def test_speaker_verification_scores_every_pair_of_test_utterances(timit_run):
    tmp, checkpoint = timit_run
    metrics = pd.read_csv(tmp / "eval" / "metrics.csv", keep_default_na=False).set_index("metric")
    assert set(metrics.index) == {"eer_content", "eer_motion"} and (metrics["note"] == "").all()
    assert (metrics["n"] == 21).all() and (metrics["test_videos"] == 14).all()  # 7 utterances, 4 speakers
    # the EER recomputed here from the trained model, with a brute-force threshold sweep
    model = load_trained(checkpoint, "cpu").model.eval()
    split = StoredSplit(tmp / "processed" / "test")
    torch.manual_seed(1)  # the protocol's seed
    codes = segment_codes(model.coder, split.read(), 4, torch.device("cpu"))
    features = utterance_features(codes, split.label("speaker"), split.label("utterance"))
    pairs = list(itertools.combinations(range(len(features.speaker)), 2))
    target = np.array([features.speaker[i] == features.speaker[j] for i, j in pairs])
    for name in ("content", "motion"):
        f = getattr(features, name)
        scores = np.array([f[i] @ f[j] / np.linalg.norm(f[i]) / np.linalg.norm(f[j]) for i, j in pairs])
        assert metrics.loc[f"eer_{name}", "value"] == pytest.approx(_brute_force_eer(scores, target), abs=1e-9)
    with np.load(tmp / "eval" / "samples.npz") as z:
        assert z["cross_originals"].shape == (4, 20, 200) and z["cross_generation"].shape == (4, 4, 20, 200)
        assert len(set(z["cross_speakers"])) == 4


def test_without_both_kinds_of_trial_the_eer_is_not_computed_saying_why(timit_run, repo, tmp_path):
    tmp, checkpoint = timit_run
    cfg = config.load(repo / "config" / "config.yaml", "smoke")
    raw = tmp_path / "raw"
    fx.timit(raw)  # one test utterance
    entry = copy.deepcopy(cfg["raw_data"]["timit"])
    entry["dir"] = str(raw)
    raw_datasets.acquire("timit", entry, tmp_path / "inventory.json")
    raw_datasets.preprocess("timit", entry, tmp_path / "inventory.json", tmp_path / "processed")
    job = config.evaluation_job(cfg, "rwae_mmd-timit", "speaker_verification")
    evaluate_model(checkpoint, "rwae_mmd-timit", tmp_path / "processed" / "test", job, tmp_path / "eval", device="cpu")
    metrics = pd.read_csv(tmp_path / "eval" / "metrics.csv", keep_default_na=False)
    assert len(metrics) == 2 and metrics["value"].eq("").all()
    assert metrics["note"].str.contains("1 test utterance\\(s\\): no pair of utterances").all()
    assert missing_trials(3, 1, 3, 3).startswith("no non-target trial")
    assert missing_trials(3, 3, 0, 3).startswith("no target trial") and missing_trials(3, 2, 1, 3) == ""


def test_table1_shows_our_eers_in_percent_beside_the_papers(repo):
    spec = load_paper_numbers(repo / "config" / "paper_numbers" / "han2021.yaml")["table1"]
    rows = [{"variant": "mmd_timit", "dataset": "timit", "metric": m, "t": "mean", "value": v, "ci95": np.nan,
             "note": "", "budget": "smoke"} for m, v in (("eer_content", 0.0473), ("eer_motion", 0.2341))]
    table = judge_table(pd.DataFrame(rows), spec, {}, {("mmd_timit", "timit"), ("dsvae_full", "timit")},
                        {"timit": "TIMIT"})
    assert list(table.loc["R-WAE(MMD) (ours)"]) == ["4.73%", "23.41%"]
    assert list(table.loc["R-WAE(MMD) (paper)"]) == ["4.73%", "23.41%"]
    assert "not evaluated at budget smoke" in table.loc["DS-VAE (full q) (ours)"].iloc[0].reason
    assert list(table.loc["FHVAE (Hsu et al. 2017) (paper)"]) == ["5.06%", "22.77%"]


def test_fig11_grid_has_the_originals_on_its_first_row_and_column():
    rng = np.random.default_rng(0)
    originals, matrix = rng.normal(size=(3, 20, 200)), rng.normal(size=(3, 3, 20, 200))
    fig = cross_generation_grid(originals, matrix, np.array(["A", "B", "C"]))
    grid = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"][:16]
    assert len(grid) == 16 and not grid[0].axison
    np.testing.assert_array_equal(grid[1].images[0].get_array(), originals[0].T)   # row 0: motion of clip 0
    np.testing.assert_array_equal(grid[4].images[0].get_array(), originals[0].T)   # column 0: content of clip 0
    np.testing.assert_array_equal(grid[4 * 2 + 3].images[0].get_array(), matrix[1, 2].T)  # content 1, motion 2
