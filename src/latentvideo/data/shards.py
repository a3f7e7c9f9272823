"""Stored video datasets: a few uint8 ``.npy`` shards ``(N, T, H, W, C)`` plus ``manifest.json``.

The manifest records shape, dtype, the sha256 of every shard, the digit/data source, seed, generator
version and any extra provenance. Readers verify shard checksums on request.
"""

from __future__ import annotations

import json
import sys
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


class ShardWriter:
    """Stream videos into a shard directory, written atomically as a whole.

    Each video is a dict of named arrays (*streams*) sharing the time axis, e.g. ``frames: (T, H, W, C)``
    uint8 and ``masks: (T, H, W, 1)`` uint8 object ids. With ``ragged=False`` every video has the same
    ``T`` and stream ``s`` is stored as ``s-KKKKK.npy`` of shape ``(n, T, H, W, C)``; with ``ragged=True``
    the frames of the videos in a shard are concatenated, ``(sum T, H, W, C)``, and ``lengths.npy``
    gives each video's ``T`` (video ``i`` starts at ``offsets[i]`` = cumulative sum). Per-video labels
    (one scalar or fixed-shape array per video) are stored as ``labels/<name>.npy``. For fixed-length
    sets the manifest's top-level ``shape`` / ``shards`` describe the ``frames`` stream, so
    :func:`read_videos` reads them.

    Use as a context manager; nothing appears at ``out_dir`` unless the block completes.
    """

    def __init__(self, out_dir: str | Path, provenance: dict[str, Any], ragged: bool = False,
                 videos_per_shard: int = 1000):
        self.out_dir, self.provenance, self.ragged = Path(out_dir), provenance, ragged
        self.videos_per_shard = videos_per_shard
        self._ctx = atomic_dir(out_dir)
        self._tmp: Path | None = None
        self._pending: dict[str, list[np.ndarray]] = {}
        self._streams: dict[str, dict[str, Any]] = {}
        self._labels: dict[str, list[Any]] = {}
        self._lengths: list[int] = []
        self._count = 0

    def __enter__(self) -> ShardWriter:
        self._tmp = self._ctx.__enter__()
        return self

    def add(self, streams: dict[str, np.ndarray], labels: dict[str, Any] | None = None) -> None:
        """Append one video: ``streams[name]: (T, ...)`` arrays with one common ``T``; ``labels`` per video."""
        lengths = {len(a) for a in streams.values()}
        if len(lengths) != 1:
            raise ValueError(f"streams of one video must share T, got {[a.shape for a in streams.values()]}")
        if self._count and set(streams) != set(self._pending or self._streams):
            raise ValueError(f"video {self._count}: streams {sorted(streams)} differ from the first video's")
        for name, arr in streams.items():
            if not self.ragged and name in self._streams and arr.shape != tuple(self._streams[name]["shape"][1:]):
                raise ValueError(f"video {self._count}: {name} {arr.shape} differs from "
                                 f"{tuple(self._streams[name]['shape'][1:])} (use ragged=True)")
            self._streams.setdefault(name, {"dtype": str(arr.dtype), "shape": [0, *arr.shape], "shards": []})
            self._pending.setdefault(name, []).append(np.ascontiguousarray(arr))
        for key, value in (labels or {}).items():
            self._labels.setdefault(key, []).append(value)
        if set(self._labels) and any(len(v) != self._count + 1 for v in self._labels.values()):
            raise ValueError(f"video {self._count}: every video needs the same label keys {sorted(self._labels)}")
        self._lengths.append(lengths.pop())
        self._count += 1
        if len(next(iter(self._pending.values()))) >= self.videos_per_shard:
            self._flush()

    def _flush(self) -> None:
        assert self._tmp is not None
        for name, parts in self._pending.items():
            if not parts:
                continue
            k = len(self._streams[name]["shards"])
            file = f"{name}-{k:05d}.npy"
            np.save(self._tmp / file, np.concatenate(parts) if self.ragged else np.stack(parts))
            self._streams[name]["shards"].append({"file": file, "n": len(parts), "sha256": sha256_file(self._tmp / file)})
            self._streams[name]["shape"][0] += len(parts)
        self._pending = {name: [] for name in self._pending}

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self._finish()
            except BaseException:
                self._ctx.__exit__(*sys.exc_info())
                raise
        self._ctx.__exit__(exc_type, exc, tb)

    def _finish(self) -> None:
        assert self._tmp is not None
        if not self._count:
            raise ValueError(f"{self.out_dir}: no video was written (empty split)")
        self._flush()
        label_files = {}
        (self._tmp / "labels").mkdir()
        for key, values in {"length": self._lengths, **self._labels}.items():
            arr = np.asarray(values)
            if arr.dtype.kind == "U":
                arr = arr.astype(str)
            np.save(self._tmp / "labels" / f"{key}.npy", arr)
            label_files[key] = {"file": f"labels/{key}.npy", "dtype": str(arr.dtype),
                                "sha256": sha256_file(self._tmp / "labels" / f"{key}.npy")}
        frames = self._streams.get("frames")
        manifest = {
            "format": 2,
            "count": self._count,
            "ragged": self.ragged,
            "layout": "ragged: concatenated frames (sum T, H, W, C); labels/length.npy" if self.ragged
            else "N T H W C",
            "streams": self._streams,
            "labels": label_files,
            "total_frames": int(sum(self._lengths)),
            "provenance": self.provenance,
        }
        if frames is not None and not self.ragged:
            manifest.update(shape=frames["shape"], dtype=frames["dtype"], shards=frames["shards"], extras={})
        (self._tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


class StoredSplit:
    """Read access to a directory written by :class:`ShardWriter` (memory-mapped shards)."""

    def __init__(self, path: str | Path, verify: bool = False):
        self.path = Path(path)
        self.manifest = read_manifest(self.path)
        if self.manifest.get("format") != 2:
            raise ValueError(f"{self.path}: not a ShardWriter directory (manifest format {self.manifest.get('format')})")
        if verify:
            self.verify()
        self.lengths = np.load(self.path / "labels" / "length.npy")
        self._starts = np.concatenate([[0], np.cumsum(self.lengths)])

    def verify(self) -> None:
        """Raise naming the file and both checksums if any shard or label file changed."""
        files = [s for st in self.manifest["streams"].values() for s in st["shards"]]
        files += list(self.manifest["labels"].values())
        for entry in files:
            actual = sha256_file(self.path / entry["file"])
            if actual != entry["sha256"]:
                raise ValueError(f"{self.path / entry['file']}: sha256 mismatch: manifest {entry['sha256']}, "
                                 f"file {actual}")

    def __len__(self) -> int:
        return int(self.manifest["count"])

    def label(self, name: str) -> np.ndarray:
        return np.load(self.path / self.manifest["labels"][name]["file"])

    def video(self, i: int, stream: str = "frames") -> np.ndarray:
        """Video ``i`` of ``stream`` as ``(T, H, W, C)``."""
        if not 0 <= i < len(self):
            raise IndexError(i)
        shards, start = self.manifest["streams"][stream]["shards"], 0
        per = shards[0]["n"]
        k = i // per
        arr = np.load(self.path / shards[k]["file"], mmap_mode="r")
        if not self.ragged:
            return np.asarray(arr[i - k * per])
        first = k * per
        start = self._starts[i] - self._starts[first]
        return np.asarray(arr[start : start + self.lengths[i]])

    @property
    def ragged(self) -> bool:
        return bool(self.manifest["ragged"])
