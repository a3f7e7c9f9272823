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
