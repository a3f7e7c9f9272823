"""Metrics: pure functions of tensors / arrays (never import models)."""

from latentvideo.metrics.psnr import psnr
from latentvideo.metrics.ssim import ssim
from latentvideo.metrics.summary import mean_ci95

__all__ = ["psnr", "ssim", "mean_ci95"]
