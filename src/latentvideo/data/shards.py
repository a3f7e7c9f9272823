"""Stored video datasets: a few uint8 ``.npy`` shards ``(N, T, H, W, C)`` plus ``manifest.json``.

The manifest records shape, dtype, the sha256 of every shard, the digit/data source, seed, generator
version and any extra provenance. Readers verify shard checksums on request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from latentvideo.atomic import atomic_dir, sha256_file

MANIFEST = "manifest.json"


def write_shards(out_dir: str | Path, videos: np.ndarray, shard_size: int, provenance: dict[str, Any],
                 extras: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """Write ``videos: (N, T, H, W, C) uint8`` as shards of ``shard_size`` into ``out_dir`` (atomically, whole).

    ``extras`` are per-video arrays (first axis N) stored once beside the shards (e.g. trajectories).
    """
    if videos.dtype != np.uint8 or videos.ndim != 5:
        raise ValueError(f"expected uint8 (N, T, H, W, C) videos, got {videos.dtype} {videos.shape}")
    with atomic_dir(out_dir) as tmp:
        shards = []
        for k, start in enumerate(range(0, len(videos), shard_size)):
            name = f"shard-{k:05d}.npy"
            part = videos[start : start + shard_size]
            np.save(tmp / name, part)
            shards.append({"file": name, "n": int(len(part)), "sha256": sha256_file(tmp / name)})
        extra_files = {}
        for key, arr in (extras or {}).items():
            name = f"{key}.npy"
            np.save(tmp / name, arr)
            extra_files[key] = {"file": name, "sha256": sha256_file(tmp / name)}
        manifest = {
            "shape": list(videos.shape),
            "dtype": "uint8",
            "layout": "N T H W C",
            "shards": shards,
            "extras": extra_files,
            "provenance": provenance,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def read_manifest(path: str | Path) -> dict[str, Any]:
    return json.loads((Path(path) / MANIFEST).read_text())


def read_videos(path: str | Path, limit: int | None = None, verify: bool = False) -> np.ndarray:
    """Load up to ``limit`` videos ``(n, T, H, W, C)`` uint8 from a shard directory."""
    path = Path(path)
    manifest = read_manifest(path)
    parts, total = [], 0
    for shard in manifest["shards"]:
        if limit is not None and total >= limit:
            break
        file = path / shard["file"]
        if verify and sha256_file(file) != shard["sha256"]:
            raise ValueError(f"{file}: sha256 mismatch: manifest {shard['sha256']}, file {sha256_file(file)}")
        arr = np.load(file, mmap_mode="r")
        take = arr if limit is None else arr[: limit - total]
        parts.append(np.asarray(take))
        total += len(take)
    return np.concatenate(parts) if parts else np.empty([0, *manifest["shape"][1:]], dtype=np.uint8)


def to_model_layout(videos: np.ndarray) -> "np.ndarray":
    """uint8 ``(N, T, H, W, C)`` -> float32 ``(T, N, C, H, W)`` in [0, 1] (the in-memory contract)."""
    return np.ascontiguousarray(videos.transpose(1, 0, 4, 2, 3), dtype=np.float32) / 255.0
