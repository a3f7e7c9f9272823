"""Checkpoints: the model's state_dict, every optimiser's and scheduler's state (by name), every RNG state,
the step and the resolved settings. Plain tensors and containers only, loaded with
``torch.load(..., weights_only=True)``.

Trust, not hope:
- **integrity**: :func:`save` stores a sha256 over every tensor's dtype, shape and bytes and every other
  value of the payload (``integrity``); :func:`load` recomputes it, so flipped bytes in a tensor record or
  weights edited after saving are reported as :class:`CorruptCheckpointError` with the path;
- **finite only**: :func:`save` refuses a payload whose model or optimiser holds NaN or infinity
  (:class:`NonFiniteStateError`), so a checkpoint is never written from a diverged run;
- **two generations**: :func:`save_rolling` keeps the file it replaces as ``previous.pt`` (a hard link, so
  ``last.pt`` never disappears, not even for an instant), and :func:`load_latest` falls back to it when
  ``last.pt`` is corrupt;
- **no debris**: the trainer removes what a save killed mid-write left behind
  (:func:`latentvideo.atomic.remove_stale_temporaries`, with the run's lock held).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import pickle
import random
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from latentvideo.atomic import atomic_path

log = logging.getLogger(__name__)
DIGEST = "sha256-payload-v1"
PREVIOUS = "previous.pt"
LOW_SPACE_BYTES = 256 << 20


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file cannot be read or does not match the digest recorded when it was saved."""


class NonFiniteStateError(ValueError):
    """A checkpoint was to be written from NaN or infinite parameters or optimiser state."""


def rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"name": np_state[0], "keys": torch.from_numpy(np_state[1].astype(np.int64)),
                  "pos": int(np_state[2]), "has_gauss": int(np_state[3]), "cached": float(np_state[4])},
        "python": _python_state_to_list(random.getstate()),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _python_state_to_list(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state((n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def payload_digest(obj: Any) -> str:
    """sha256 over a nested payload: mapping keys in sorted order, tensors by dtype, shape and bytes."""
    digest = hashlib.sha256()
    _feed(digest, obj)
    return digest.hexdigest()


def _feed(digest: Any, obj: Any) -> None:
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        digest.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        if t.numel():
            digest.update(t.reshape(-1).view(torch.uint8).numpy())  # the buffer itself, no copy
    elif isinstance(obj, Mapping):
        digest.update(f"D{len(obj)}".encode())
        for key in sorted(obj, key=repr):
            _feed(digest, key)
            _feed(digest, obj[key])
    elif isinstance(obj, (list, tuple)):
        digest.update(f"L{len(obj)}".encode())
        for item in obj:
            _feed(digest, item)
    else:
        digest.update(f"V{type(obj).__name__}:{obj!r}".encode())


def non_finite_entries(state: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Names of the floating tensors in a nested state holding NaN or infinity."""
    bad = []
    for key, value in state.items():
        name = f"{prefix}{key}"
        if isinstance(value, torch.Tensor):
            if value.is_floating_point() and not bool(torch.isfinite(value).all()):
                bad.append(name)
        elif isinstance(value, Mapping):
            bad.extend(non_finite_entries(value, name + "."))
    return bad


def save(path: str | Path, **payload: Any) -> None:
    """Write a checkpoint atomically (a killed job never leaves a truncated file) with its digest.

    Raises :class:`NonFiniteStateError` (and writes nothing) if ``model`` or ``optimisation`` is not finite.
    """
    bad = non_finite_entries({k: payload[k] for k in ("model", "optimisation") if k in payload})
    if bad:
        raise NonFiniteStateError(f"refusing to write {path}: non-finite values in {', '.join(bad[:5])}"
                                  + (f" and {len(bad) - 5} more" if len(bad) > 5 else ""))
    payload["integrity"] = {"algorithm": DIGEST, "digest": payload_digest(payload)}
    with atomic_path(path) as tmp:
        try:
            torch.save(payload, tmp)
        except RuntimeError as err:  # torch reports a full disk as "unexpected pos N vs M"
            if shutil.disk_usage(tmp.parent).free < LOW_SPACE_BYTES:
                raise OSError(errno.ENOSPC, f"no space left on the device ({err})", str(path)) from err
            raise
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())


def save_rolling(path: str | Path, **payload: Any) -> None:
    """:func:`save` to ``path``, first keeping the file it replaces as ``previous.pt`` in the same folder.

    ``previous.pt`` becomes a hard link to the current ``path`` (an atomic rename), so at every instant both
    names hold a complete checkpoint: a kill at any point loses at most the save in progress.
    """
    path = Path(path)
    _keep_previous(path)
    save(path, **payload)


def link_rolling(path: str | Path, complete: str | Path) -> None:
    """Make ``path`` the already written and verified checkpoint ``complete`` (a hard link, else a copy), keeping
    the file it replaces as ``previous.pt``: the rolling save of a checkpoint that exists under another name."""
    path = Path(path)
    _keep_previous(path)
    with atomic_path(path) as tmp:
        _link_or_copy(Path(complete), tmp)


def publish(path: str | Path, complete: str | Path) -> None:
    """Make ``path`` the already written and verified checkpoint ``complete`` under a second name (a hard link,
    else a copy), atomically: e.g. ``model.pt`` as the selected ``best.pt``."""
    with atomic_path(Path(path)) as tmp:
        _link_or_copy(Path(complete), tmp)


def _keep_previous(path: Path) -> None:
    if path.exists():
        with atomic_path(path.parent / PREVIOUS) as keep:
            _link_or_copy(path, keep)


def _link_or_copy(source: Path, dest: Path) -> None:
    dest.unlink(missing_ok=True)
    try:
        os.link(source, dest)
    except OSError:  # a file system without hard links: a copy, still renamed into place atomically
        shutil.copy2(source, dest)


def load(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read and verify a checkpoint; :class:`CorruptCheckpointError` names the file and what is wrong."""
    path = Path(path)
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, zipfile.BadZipFile,
            pickle.UnpicklingError) as err:
        raise CorruptCheckpointError(f"{path}: not a readable checkpoint ({type(err).__name__}: "
                                     f"{str(err).splitlines()[0] if str(err) else 'no detail'})") from err
    if not isinstance(state, dict):
        raise CorruptCheckpointError(f"{path}: not a checkpoint (holds a {type(state).__name__}, not a mapping)")
    integrity = state.pop("integrity", None)
    if integrity is None:
        raise CorruptCheckpointError(f"{path}: no integrity record (written by an older latentvideo or by hand)")
    if integrity.get("algorithm") != DIGEST or integrity.get("digest") != payload_digest(state):
        raise CorruptCheckpointError(f"{path}: contents do not match the digest recorded when it was saved "
                                     "(changed or damaged on disk)")
    return state


class Latest(NamedTuple):
    """The newest checkpoint that verified, and the files that did not (already moved aside)."""

    path: Path | None
    state: dict[str, Any] | None
    rejected: list[str]


def load_latest(path: str | Path, map_location: str | torch.device = "cpu") -> Latest:
    """``path`` (``last.pt``) if it verifies, else ``previous.pt`` beside it, else nothing.

    A file that fails verification is renamed to ``<name>.corrupt`` (kept for inspection, never reused) and
    reported with the reason in ``rejected``.
    """
    path = Path(path)
    rejected = []
    for candidate in (path, path.parent / PREVIOUS):
        if not candidate.exists():
            continue
        try:
            return Latest(candidate, load(candidate, map_location), rejected)
        except CorruptCheckpointError as err:
            aside = candidate.with_name(candidate.name + ".corrupt")
            os.replace(candidate, aside)
            rejected.append(f"{err}; moved to {aside}")
            log.warning("%s; moved to %s", err, aside)
    return Latest(None, None, rejected)
