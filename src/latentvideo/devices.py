"""Which device a training / evaluation job computes on, chosen once and logged.

A scheduler hands a job its GPUs through ``CUDA_VISIBLE_DEVICES`` (Slurm sets it for ``--gpus``); torch
numbers the visible devices from 0, so ``auto`` takes ``cuda:0`` of what the job was given, never a GPU
of another job. Without a usable GPU the job runs on the CPU and says so.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import torch

log = logging.getLogger(__name__)


def pick_device(requested: str = "auto") -> torch.device:
    """``auto``: the first visible CUDA device, else the CPU with a logged warning; otherwise ``requested``
    as given (``cpu``, ``cuda``, ``cuda:1``). Logs the choice either way."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if requested != "auto":
        dev = torch.device(requested)
    elif torch.cuda.is_available():
        dev = torch.device("cuda", 0)
    else:
        granted = f" although CUDA_VISIBLE_DEVICES={visible} was granted" if visible not in (None, "") else ""
        reason = "torch was built without CUDA" if torch.version.cuda is None else "no CUDA device is usable"
        log.warning("no usable GPU%s (%s): running on the CPU", granted, reason)
        dev = torch.device("cpu")
    log.info("device: %s", describe(dev)["summary"])
    return dev


def describe(dev: torch.device) -> dict[str, Any]:
    """What was used, for run.json / eval.json: device, its name, and the GPUs the job was granted."""
    info: dict[str, Any] = {"device": str(dev), "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
                            "torch_cuda": torch.version.cuda}
    if dev.type == "cuda":
        info["name"] = torch.cuda.get_device_name(dev)
    else:
        info["name"] = "cpu"
        info["threads"] = torch.get_num_threads()
    visible = info["cuda_visible_devices"]
    info["summary"] = f"{dev} ({info['name']})" + (f", CUDA_VISIBLE_DEVICES={visible}" if visible else "")
    return info
