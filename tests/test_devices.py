"""Device choice and the scheduler facts recorded beside every run."""

from __future__ import annotations

import logging

import pytest
import torch

from latentvideo import provenance
from latentvideo.devices import describe, pick_device


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU fallback; a GPU is visible here")
def test_granted_gpu_unusable_falls_back_to_cpu_with_a_warning(monkeypatch, caplog):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    with caplog.at_level(logging.INFO, logger="latentvideo.devices"):
        dev = pick_device("auto")
    assert dev == torch.device("cpu")
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING)
    assert "CUDA_VISIBLE_DEVICES=1 was granted" in warning.getMessage() and "running on the CPU" in warning.getMessage()
    assert any("device: cpu" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
    assert describe(dev)["cuda_visible_devices"] == "1"


def test_explicit_device_is_used_as_given(caplog):
    with caplog.at_level(logging.INFO, logger="latentvideo.devices"):
        assert pick_device("cpu") == torch.device("cpu")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_auto_takes_the_first_granted_gpu():
    dev = pick_device("auto")
    assert dev == torch.device("cuda", 0) and describe(dev)["name"] == torch.cuda.get_device_name(0)


def test_scheduler_job_reads_slurm_environment(monkeypatch):
    for key in provenance.SLURM_KEYS:
        monkeypatch.delenv(key, raising=False)
    assert provenance.scheduler_job() is None
    monkeypatch.setenv("SLURM_JOB_ID", "42")
    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert provenance.scheduler_job() == {"scheduler": "slurm", "job_id": "42", "restart_count": "1",
                                          "cuda_visible_devices": "0"}
