"""Video models. They import torch and shared building blocks only (never data, training or I/O)."""

from latentvideo.models.registry import build_model, model_names

__all__ = ["build_model", "model_names"]
