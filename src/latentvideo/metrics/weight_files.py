"""Weight files that metrics need (LPIPS, FVD): declared in config, provided by the user, never downloaded.

``metric_weights.<name>`` in the config is ``{path: ..., sha256: ... | null}``. :func:`weight_file` says
whether the file is there (and, with a pinned sha256, unchanged); :func:`load_state_dict` loads it with
``weights_only=True`` and checks every expected key and shape, naming the file and the format it expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import torch

from latentvideo.atomic import sha256_file


class WeightFileError(ValueError):
    """A weight file is missing, changed, or not in the format a metric expects."""


class WeightFile(NamedTuple):
    """A usable weight file: its path and sha256 (recorded with the metric's results)."""

    path: Path
    sha256: str


def weight_file(name: str, entry: Mapping[str, Any] | None, how_to_obtain: str,
                section: str = "metric_weights") -> WeightFile:
    """The file of ``<section>.<name>`` (``entry``; ``model_weights`` for a model's pretrained layers), checked;
    raises :class:`WeightFileError` saying why it cannot be used (not configured, absent, or its sha256 differs
    from the pinned one) and how to obtain it."""
    if not entry or not entry.get("path"):
        raise WeightFileError(f"{section}.{name} is not configured ({how_to_obtain})")
    path = Path(entry["path"])
    if not path.is_file():
        raise WeightFileError(f"{section}.{name}: {path} does not exist ({how_to_obtain})")
    actual = sha256_file(path)
    if entry.get("sha256") and entry["sha256"] != actual:
        raise WeightFileError(f"{path}: sha256 mismatch: {section}.{name}.sha256 {entry['sha256']}, file {actual}")
    return WeightFile(path, actual)


def load_state_dict(path: str | Path, what: str, expected: Mapping[str, torch.Size],
                    prefix: str = "") -> dict[str, torch.Tensor]:
    """The tensors ``expected`` (``{key: shape}``, keys without ``prefix``) from the state_dict in ``path``."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable file gets the same clear message
        raise WeightFileError(f"{path}: not a PyTorch state_dict ({what} expected): {err}") from None
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightFileError(f"{path}: expected a state_dict of tensors ({what}), got {type(state).__name__}")
    found = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    missing = sorted(set(expected) - set(found))
    wrong = sorted(k for k in set(expected) & set(found) if tuple(found[k].shape) != tuple(expected[k]))
    if missing or wrong:
        detail = []
        if missing:
            detail.append(f"missing {[prefix + k for k in missing[:5]]}{' ...' if len(missing) > 5 else ''}")
        if wrong:
            detail.append("wrong shapes " + ", ".join(f"{prefix + k} {tuple(found[k].shape)} (expected "
                                                      f"{tuple(expected[k])})" for k in wrong[:5]))
        raise WeightFileError(f"{path}: not the {what}: {'; '.join(detail)}")
    return {k: found[k].float() for k in expected}
