"""PSNR / SSIM against scikit-image (an independent implementation) to 1e-5, and the CI formula."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from latentvideo.metrics.psnr import psnr
from latentvideo.metrics.ssim import ssim
from latentvideo.metrics.summary import mean_ci95


def _pair(shape, seed):
    rng = np.random.default_rng(seed)
    a = rng.random(shape)
    b = np.clip(a + 0.3 * rng.standard_normal(shape), 0, 1)
    return a, b


@pytest.mark.parametrize("channels,size", [(1, 64), (3, 64), (1, 32), (3, 23)])
def test_ssim_matches_skimage_gaussian_ssim(channels, size):
    a, b = _pair((4, channels, size, size), channels * size)
    ours = ssim(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    ref = [np.mean([structural_similarity(a[i, c], b[i, c], gaussian_weights=True, sigma=1.5,
                                          use_sample_covariance=False, data_range=1.0)
                    for c in range(channels)]) for i in range(4)]
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_ssim_float32_and_leading_dims():
    a, b = _pair((2, 3, 1, 64, 64), 1)
    out = ssim(torch.from_numpy(a).float(), torch.from_numpy(b).float())
    assert out.shape == (2, 3) and out.dtype == torch.float32
    assert ssim(torch.from_numpy(a), torch.from_numpy(a)).allclose(torch.ones(2, 3, dtype=torch.float64))


@pytest.mark.parametrize("channels", [1, 3])
def test_psnr_matches_skimage_per_channel_mean(channels):
    a, b = _pair((5, channels, 64, 64), channels)
    ours = psnr(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    ref = [np.mean([peak_signal_noise_ratio(a[i, c], b[i, c], data_range=1.0) for c in range(channels)])
           for i in range(5)]
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_psnr_cap_for_exact_frames():
    a = torch.rand(2, 1, 8, 8)
    assert torch.isinf(psnr(a, a)).all()
    assert (psnr(a, a, max_db=100.0) == 100.0).all()


def test_mean_ci95_is_196_std_over_sqrt_n():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    mean, ci = mean_ci95(values)
    assert mean == 2.5
    assert np.isclose(ci, 1.96 * np.std(values) / 2)
