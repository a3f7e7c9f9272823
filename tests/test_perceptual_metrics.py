"""LPIPS and FVD: the Fréchet distance against closed forms and scipy, TF1's resize, and the weight-file paths
(files of the official formats, with random weights, made here: the real ones are user-provided)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from latentvideo.metrics.frechet import frechet_distance, gaussian
from latentvideo.metrics.fvd import embed, fvd, fvd_over_sets, resize_tf1
from latentvideo.metrics.i3d import I3D
from latentvideo.metrics.lpips import LPIPS, lpips_distance
from latentvideo.metrics.weight_files import WeightFileError, load_state_dict, weight_file
from weight_fixtures import i3d_file, lpips_files


def random_spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


def test_frechet_distance_of_diagonal_gaussians_has_its_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    a, b = rng.uniform(0.1, 3, 5), rng.uniform(0.1, 3, 5)
    closed = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(closed, rel=1e-10)
    assert frechet_distance(mu1, np.diag(a), mu1, np.diag(a)) == pytest.approx(0, abs=1e-10)


def test_frechet_distance_equals_the_scipy_sqrtm_formula_on_full_covariances():
    rng = np.random.default_rng(1)
    for d in (2, 7, 30):
        s1, s2 = random_spd(rng, d), random_spd(rng, d)
        mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
        reference = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real)
        assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(reference, rel=1e-8)


def test_fvd_of_embeddings_uses_unbiased_covariances_and_sets_give_an_interval():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(200, 4))
    mu, sigma = gaussian(real)
    assert np.allclose(sigma, np.cov(real.T, ddof=1))
    assert fvd(real, real) == pytest.approx(0, abs=1e-9)
    assert fvd(real, real + 3.0) == pytest.approx(4 * 9.0, rel=1e-9)  # a shift of 3 in 4 dimensions
    fakes = [real + shift for shift in (1.0, 2.0, 3.0)]
    mean, ci = fvd_over_sets(real, fakes)
    values = np.array([4.0, 16.0, 36.0])
    assert mean == pytest.approx(values.mean()) and ci == pytest.approx(1.96 * values.std() / np.sqrt(3))
    with pytest.raises(ValueError, match="at least 2 embeddings"):
        gaussian(real[:1])


def test_resize_is_tensorflow_1_bilinear_without_half_pixel_centres():
    line = torch.tensor([[0.0, 1.0]])
    assert torch.allclose(resize_tf1(line[None], 4)[0, 0], torch.tensor([0.0, 0.5, 1.0, 1.0]))
    frames = torch.rand(2, 3, 64, 64)
    assert resize_tf1(frames, 224).shape == (2, 3, 224, 224)
    assert torch.allclose(resize_tf1(torch.full((1, 64, 64), 0.3), 224), torch.tensor(0.3))
    assert torch.allclose(resize_tf1(frames, 64), frames, atol=1e-6)


def test_i3d_loads_the_ports_layout_and_embeds_grey_and_colour_videos(tmp_path):
    path, reference = i3d_file(tmp_path)
    model = I3D.from_file(path)
    assert sum(p.numel() for p in model.parameters()) == 12_697_264  # = piergiaj/pytorch-i3d InceptionI3d(400)
    grey = torch.rand(3, 16, 1, 32, 32)
    e = embed(model, [grey[:2], grey[2:]], batch_size=2)
    assert e.shape == (3, 400) and e.dtype == np.float64
    rgb = embed(model, [grey.expand(-1, -1, 3, -1, -1)])
    assert np.allclose(e, rgb, atol=1e-5)  # grey frames are repeated to three channels
    with torch.no_grad():
        direct = reference.eval()((2 * resize_tf1(grey.expand(-1, -1, 3, -1, -1)) - 1).permute(0, 2, 1, 3, 4))
    assert np.allclose(e, direct.double().numpy(), atol=1e-5)


def test_a_weight_file_of_another_format_is_refused_naming_the_file_and_the_keys(tmp_path):
    torch.save({"conv1.weight": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(WeightFileError, match=r"other.pt: not the Kinetics-400 I3D .*missing \['Conv3d_1a_7x7"):
        I3D.from_file(tmp_path / "other.pt")
    (tmp_path / "text.pt").write_text("not a tensor file")
    with pytest.raises(WeightFileError, match="text.pt: not a PyTorch state_dict"):
        load_state_dict(tmp_path / "text.pt", "x", {})
    torch.save({"lin0.model.1.weight": torch.zeros(1, 3, 1, 1)}, tmp_path / "heads.pth")
    with pytest.raises(WeightFileError, match=r"wrong shapes lin0.model.1.weight \(1, 3, 1, 1\) \(expected \(1, 64"):
        load_state_dict(tmp_path / "heads.pth", "LPIPS heads", {"lin0.model.1.weight": torch.Size([1, 64, 1, 1])})


def test_weight_files_are_checked_against_config(tmp_path):
    with pytest.raises(WeightFileError, match="metric_weights.i3d is not configured .see README"):
        weight_file("i3d", None, "see README")
    with pytest.raises(WeightFileError, match="missing.pt does not exist"):
        weight_file("i3d", {"path": str(tmp_path / "missing.pt")}, "see README")
    (tmp_path / "w.pt").write_bytes(b"abc")
    with pytest.raises(WeightFileError, match="w.pt: sha256 mismatch: metric_weights.i3d.sha256 00, file ba7816bf"):
        weight_file("i3d", {"path": str(tmp_path / "w.pt"), "sha256": "00"}, "see README")
    found = weight_file("i3d", {"path": str(tmp_path / "w.pt"), "sha256": None}, "see README")
    assert found.sha256.startswith("ba7816bf")


def test_lpips_from_files_is_a_distance_on_grey_and_colour_frames(tmp_path):
    model = LPIPS.from_files(*lpips_files(tmp_path))
    a, b = torch.rand(2, 3, 3, 64, 64), torch.rand(2, 3, 3, 64, 64)
    d = lpips_distance(model, a, b, chunk=4)
    assert d.shape == (2, 3) and (d > 0).all()
    assert torch.allclose(d, lpips_distance(model, b, a))
    assert torch.allclose(lpips_distance(model, a, a), torch.zeros(2, 3), atol=1e-6)
    grey, other = torch.rand(4, 1, 64, 64), torch.rand(4, 1, 64, 64)
    assert torch.allclose(model(grey, other), model(grey.expand(-1, 3, -1, -1), other.expand(-1, 3, -1, -1)))
    noisy = (a + 0.3 * torch.randn_like(a)).clamp(0, 1)
    assert (lpips_distance(model, a, (a + 0.02 * torch.randn_like(a)).clamp(0, 1)) < lpips_distance(model, a, noisy)).all()


def test_best_of_n_keeps_the_sample_of_lowest_lpips(tmp_path):
    from latentvideo.evaluation.best_of_n import best_of_n, lpips_metric

    model = LPIPS.from_files(*lpips_files(tmp_path))
    torch.manual_seed(1)
    target = torch.rand(2, 3, 1, 64, 64)  # (T, B, C, H, W)
    near, far = (target + 0.02 * torch.randn_like(target)).clamp(0, 1), torch.rand_like(target)
    result = best_of_n(lambda c, n, k: torch.stack([far, near])[:k], target[:1], target, n_samples=2,
                       metrics={"lpips": lpips_metric(model)})
    assert torch.allclose(result.scores["lpips"], lpips_distance(model, near, target).T.double(), atol=1e-6)
    assert torch.equal(result.best_frames["lpips"], near) and torch.equal(result.worst_frames["lpips"], far)
