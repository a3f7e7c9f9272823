"""R-WAE's generation for the judge: which code is held, swaps, and the scores of the held factors."""

import numpy as np
import pytest
import torch

from latentvideo.evaluation.disentanglement import factor_scores, frame_fid, generate_holding, judge_outputs, swaps
from latentvideo.models.judge import JudgeConfig, VideoJudge
from latentvideo.models.registry import build_model

SMALL = {"frame_size": 16, "channels": 3, "conv_width": 8, "frame_dim": 16, "hidden": 16, "content_dim": 6,
         "motion_dim": 3}


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model("rwae_mmd", SMALL).eval()


def _spy_frames(model, monkeypatch):
    calls = []
    original = model.coder.frames

    def spy(content, motion, action=None):
        calls.append((content, motion))
        return original(content, motion, action)

    monkeypatch.setattr(model.coder, "frames", spy)
    return calls


def test_holding_content_keeps_the_posterior_mean_and_draws_the_motion(model, monkeypatch):
    x = torch.rand(5, 4, 3, 16, 16)
    code = model.coder.encode(x)
    calls = _spy_frames(model, monkeypatch)
    torch.manual_seed(1)
    videos = generate_holding(model.coder, x, "content")
    assert videos.shape == x.shape
    content, motion = calls[-1]
    torch.testing.assert_close(content, code.content_q.mean)
    assert not torch.allclose(motion, code.motion_q.mean)
    torch.manual_seed(2)
    again = generate_holding(model.coder, x, "content")
    assert not torch.equal(videos, again)  # a new motion each draw


def test_holding_motion_keeps_the_encoded_motion_and_draws_the_content(model, monkeypatch):
    x = torch.rand(5, 4, 3, 16, 16)
    calls = _spy_frames(model, monkeypatch)
    torch.manual_seed(3)
    generate_holding(model.coder, x, "motion")
    content, motion = calls[-1]
    torch.manual_seed(3)
    code = model.coder.encode(x)
    torch.testing.assert_close(motion, code.motion)
    assert content.abs().mean() > 0.3  # a N(0, I) draw, not the posterior mean
    with pytest.raises(ValueError, match="held"):
        generate_holding(model.coder, x, "style")


def test_swaps_exchange_content_and_motion(model):
    a, b = torch.rand(5, 2, 3, 16, 16), torch.rand(5, 2, 3, 16, 16)
    torch.manual_seed(4)
    s = swaps(model.coder, a, b)
    torch.manual_seed(4)
    ca, cb = model.coder.encode(a), model.coder.encode(b)
    torch.testing.assert_close(s.content_first_motion_second, model.coder.frames(ca.content_q.mean, cb.motion))
    torch.testing.assert_close(s.content_second_motion_first, model.coder.frames(cb.content_q.mean, ca.motion))


def test_factor_scores_and_frame_fid_from_a_judge():
    torch.manual_seed(0)
    judge = VideoJudge(JudgeConfig(channels=3, frame_size=16, classes={"shape": 3, "motion": 3}, width=8,
                                   features=8)).eval()
    probabilities, features = judge_outputs(judge, torch.rand(6, 10, 3, 16, 16))
    assert probabilities["shape"].shape == (10, 3) and features.shape == (60, 8)
    labels = {"shape": probabilities["shape"].argmax(1), "motion": np.zeros(10, int)}
    scores = factor_scores(probabilities, labels, ("shape",))
    assert scores["shape"].accuracy == 1.0 and set(scores) == {"shape"}
    with pytest.raises(ValueError, match="colour"):
        factor_scores(probabilities, labels, ("colour",))
    assert frame_fid(features, features) == pytest.approx(0, abs=1e-6)
    assert frame_fid(features, features + 1) == pytest.approx(8, rel=1e-6)  # |mean shift|^2 over 8 features


DECLARED = {"kind": "moving_shapes", "frame_size": 16, "train_length": 5, "test_length": 5, "train_seed": 1,
            "test_seed": 2}


def _resolved(entry):
    """A dataset entry as config.dataset_entry gives it: with what its kind derives (its labels)."""
    from latentvideo.data.dataset_kinds import kind_named

    return {**entry, **kind_named(entry["kind"]).derived({}, entry)}


SHAPES = _resolved(DECLARED)


@pytest.fixture(scope="module")
def judged_job(tmp_path_factory):
    """A disentanglement job on six labelled Moving Shapes test videos with a briefly trained judge."""
    from latentvideo.data.dataset_kinds import build_test_set
    from latentvideo.training.judge_training import train_judge

    root = tmp_path_factory.mktemp("judged")
    build_test_set("moving_shapes", SHAPES, None, 6, root / "test")
    train_judge({"steps": 2, "batch_size": 4, "lr": 1e-3, "width": 4, "features": 8, "seed": 0, "test_videos": 6,
                 "budget": "test"}, SHAPES, root, root / "test", root / "judge", progress="off")
    return root


def _job(model, root, out, judges, protocol=None):
    from latentvideo.evaluation.protocols import EvaluationJob

    meta = {"paper": "han2021", "experiment": "rwae_mmd-moving_shapes", "label": "R-WAE", "model": "rwae_mmd",
            "variant": "mmd_s", "evaluation": "standard", "dataset": "moving_shapes", "seed": 0, "budget": "test",
            "train_steps": 0, "batch_size": 2, "test_videos": 6, "samples": 1, "digit_source": "none",
            "code_version": "test"}
    return EvaluationJob(model, {}, protocol or {"protocol": "disentanglement"}, "standard", {},
                         {"test_videos": 6, "samples": 1, "batch_size": 4, "saved_videos": 2}, root / "test", SHAPES,
                         meta, out, torch.device("cpu"), {}, judges)


def test_the_protocol_scores_static_factors_on_fixed_content_and_dynamic_ones_on_fixed_motion(
        model, judged_job, tmp_path, monkeypatch):
    """Videos "holding the content" are replaced by the real test videos and those "holding the motion" by blank
    ones: the static factors' scores must then equal the judge's on real videos, the dynamic ones its scores on
    blanks (one class for every video)."""
    import pandas as pd

    from latentvideo.evaluation import disentanglement
    from latentvideo.evaluation.protocols import protocol

    def held(coder, x, which):
        return x if which == "content" else torch.zeros_like(x)

    monkeypatch.setattr(disentanglement, "generate_holding", held)
    spec = protocol("disentanglement")
    assert spec.judged and spec.requires == ("encode",)
    result = spec.run(_job(model, judged_job, tmp_path, {"moving_shapes": judged_job / "judge" / "judge.pt"}))
    frame = pd.read_csv(tmp_path / "metrics.csv").set_index("metric")
    for factor in ("shape", "size", "colour"):
        assert frame.loc[f"accuracy_{factor}", "value"] == frame.loc[f"judge_accuracy_{factor}", "value"]
    assert frame.loc["static_accuracy", "value"] == pytest.approx(
        np.mean([frame.loc[f"accuracy_{f}", "value"] for f in ("shape", "size", "colour")]))
    for factor in ("motion", "direction"):
        # blanks: every video the same prediction, so H(y) = H(y|x) and IS = 1
        assert frame.loc[f"inter_entropy_{factor}", "value"] == pytest.approx(frame.loc[f"intra_entropy_{factor}",
                                                                                          "value"])
        assert frame.loc[f"inception_score_{factor}", "value"] == pytest.approx(1)
    assert frame.loc["frame_fid_fixed_content", "value"] == pytest.approx(0, abs=1e-6)
    assert frame.loc["frame_fid_fixed_motion", "value"] > 0
    assert np.isnan(frame.loc["inception_score_shape", "ci95"]) and frame.loc["accuracy_shape", "ci95"] >= 0
    assert result.record["dynamic_factors"] == ["motion", "direction"]
    assert "static: shape, size, colour; dynamic: motion, direction" in result.statement


def test_the_protocol_saves_swaps_codes_and_labels_and_needs_its_judge(model, judged_job, tmp_path):
    from latentvideo.evaluation.protocols import protocol

    judges = {"moving_shapes": judged_job / "judge" / "judge.pt"}
    protocol("disentanglement").run(_job(model, judged_job, tmp_path, judges))
    with np.load(tmp_path / "samples.npz") as z:
        for key in ("first", "second", "content_first_motion_second", "content_second_motion_first", "fixed_content",
                    "fixed_motion"):
            assert z[key].shape == (2, 5, 16, 16, 3) and z[key].dtype == np.uint8, key
        assert z["content_codes"].shape == (6, SMALL["content_dim"]) and z["label_colour"].shape == (6,)
        assert list(z["factors"]) == ["shape", "size", "colour", "motion", "direction"]
        assert list(z["classes_shape"]) == ["square", "triangle", "circle"]
        assert z["unconditional"].shape == (2, 5, 16, 16, 3)  # default: the test videos' length
    protocol("disentanglement").run(_job(model, judged_job, tmp_path / "long", judges,
                                         {"protocol": "disentanglement", "generated_frames": 7}))
    with np.load(tmp_path / "long" / "samples.npz") as z:
        assert z["unconditional"].shape == (2, 7, 16, 16, 3) and z["unconditional"].std() > 0
    with pytest.raises(ValueError, match="judges.moving_shapes"):
        protocol("disentanglement").run(_job(model, judged_job, tmp_path / "other", {}))
