"""A training run killed part-way through, as the resume tests need it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pytest

from latentvideo.training.trainer import train


class Interrupt(Exception):
    """Raised from the trainer's ``on_step`` hook to stop a run the way a kill would."""


def train_killed_at(step: int, settings: Mapping[str, Any], seed: int, data: Path, out_dir: Path) -> None:
    """Run ``train`` on CPU until it reaches ``step`` (after the checkpoints before it), then stop it there."""

    def kill(current: int) -> None:
        if current == step:
            raise Interrupt

    with pytest.raises(Interrupt):
        train(settings, seed, data, out_dir, device="cpu", progress="off", on_step=kill)
