"""Stored video datasets: one format, written by :class:`ShardWriter` and read by :class:`StoredSplit`.

A split directory holds uint8 ``.npy`` shards per *stream* (``frames``, optionally ``masks`` ...), per-video
labels under ``labels/`` and ``manifest.json`` (format 2): every file's sha256, the shapes, whether the
videos are of one length or ragged, and the provenance (data source, seed, generator or protocol version).
Generated test sets (:func:`write_shards`) and preprocessed raw datasets share it, so one memory-mapped
reader serves training, validation and evaluation.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from latentvideo.atomic import atomic_dir, sha256_file

MANIFEST = "manifest.json"
FORMAT = 2


def write_shards(out_dir: str | Path, videos: np.ndarray, shard_size: int, provenance: dict[str, Any],
                 extras: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """Write ``videos: (N, T, H, W, C) uint8`` (one length) as a split of ``shard_size`` videos per shard into
    ``out_dir``, atomically. ``extras`` are per-video arrays (first axis N, e.g. trajectories), stored as labels."""
    if videos.dtype != np.uint8 or videos.ndim != 5:
        raise ValueError(f"expected uint8 (N, T, H, W, C) videos, got {videos.dtype} {videos.shape}")
    extras = extras or {}
    for key, arr in extras.items():
        if len(arr) != len(videos):
            raise ValueError(f"extra {key!r} has {len(arr)} rows for {len(videos)} videos")
    with ShardWriter(out_dir, provenance, videos_per_shard=shard_size) as writer:
        for i, video in enumerate(videos):
            writer.add({"frames": video}, {key: arr[i] for key, arr in extras.items()})
    return read_manifest(out_dir)


def read_manifest(path: str | Path) -> dict[str, Any]:
    return json.loads((Path(path) / MANIFEST).read_text())


def to_model_layout(videos: np.ndarray) -> "np.ndarray":
    """uint8 ``(N, T, H, W, C)`` -> float32 ``(T, N, C, H, W)`` in [0, 1] (the in-memory contract); stored float
    frames (TIMIT's log spectra) keep their values."""
    out = np.ascontiguousarray(videos.transpose(1, 0, 4, 2, 3), dtype=np.float32)
    return out / 255.0 if videos.dtype == np.uint8 else out


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
            "format": FORMAT,
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
            manifest["shape"] = frames["shape"]  # (N, T, H, W, C) of the frames, for a reader's eyes
        (self._tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


class StoredSplit:
    """Memory-mapped read access to a split written by :class:`ShardWriter` (fixed-length or ragged).

    Shards are opened with ``mmap_mode="r"`` on first use and kept open, so reading a clip touches only its
    frames: memory stays flat in the size of the split. A ``StoredSplit`` pickles without its open maps
    (data-loader workers reopen them).
    """

    def __init__(self, path: str | Path, verify: bool = False):
        self.path = Path(path)
        if not (self.path / MANIFEST).is_file():
            raise FileNotFoundError(f"{self.path}: no {MANIFEST} (not a stored split; build it with snakemake)")
        self.manifest = read_manifest(self.path)
        if self.manifest.get("format") != FORMAT:
            raise ValueError(f"{self.path}: manifest format {self.manifest.get('format')}, this version reads "
                             f"format {FORMAT}; it was written by an older latentvideo: delete it and rebuild it "
                             f"(snakemake {self.path} --forcerun)")
        if verify:
            self.verify()
        self.lengths = np.load(self.path / "labels" / "length.npy")
        self._starts = np.concatenate([[0], np.cumsum(self.lengths)]).astype(np.int64)
        self._maps: dict[tuple[str, int], np.ndarray] = {}
        self._first: dict[str, np.ndarray] = {}  # stream -> index of the first video of every shard (+ count)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_maps": {}}

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

    @property
    def ragged(self) -> bool:
        return bool(self.manifest["ragged"])

    @property
    def streams(self) -> list[str]:
        return sorted(self.manifest["streams"])

    def frame_shape(self, stream: str = "frames") -> tuple[int, ...]:
        """``(H, W, C)`` of one frame of ``stream``."""
        return tuple(self.manifest["streams"][stream]["shape"][2:])  # [videos, T of the first, H, W, C]

    def label(self, name: str) -> np.ndarray:
        """The per-video label ``name`` (first axis: videos)."""
        if name not in self.manifest["labels"]:
            raise KeyError(f"{self.path}: no label {name!r}; stored: {sorted(self.manifest['labels'])}")
        return np.load(self.path / self.manifest["labels"][name]["file"])

    def _shard(self, stream: str, i: int) -> tuple[np.ndarray, int]:
        """The memory map of the shard of ``stream`` holding video ``i``, and the index of its first video."""
        if stream not in self.manifest["streams"]:
            raise KeyError(f"{self.path}: no stream {stream!r}; stored: {self.streams}")
        if not 0 <= i < len(self):
            raise IndexError(f"video {i} of a split of {len(self)}")
        shards = self.manifest["streams"][stream]["shards"]
        if stream not in self._first:
            self._first[stream] = np.concatenate([[0], np.cumsum([s["n"] for s in shards])])
        k = int(np.searchsorted(self._first[stream], i, side="right") - 1)
        if (stream, k) not in self._maps:
            self._maps[(stream, k)] = np.load(self.path / shards[k]["file"], mmap_mode="r")
        return self._maps[(stream, k)], int(self._first[stream][k])

    def window(self, i: int, start: int, length: int, step: int = 1, stream: str = "frames") -> np.ndarray:
        """Frames ``start, start + step, ...`` (``length`` of them) of video ``i``: ``(length, H, W, C)``, a copy."""
        span = (length - 1) * step + 1
        if start < 0 or start + span > self.lengths[i]:
            raise IndexError(f"{self.path}: video {i} has {self.lengths[i]} frames; asked for {length} frames "
                             f"every {step} from {start}")
        arr, first = self._shard(stream, i)
        if not self.ragged:
            return np.array(arr[i - first, start : start + span : step])
        offset = int(self._starts[i] - self._starts[first]) + start
        return np.array(arr[offset : offset + span : step])

    def video(self, i: int, stream: str = "frames") -> np.ndarray:
        """Video ``i`` of ``stream`` as ``(T, H, W, C)``."""
        if not 0 <= i < len(self):
            raise IndexError(f"video {i} of a split of {len(self)}")
        return self.window(i, 0, int(self.lengths[i]), 1, stream)

    def read(self, limit: int | None = None, stream: str = "frames") -> np.ndarray:
        """The first ``limit`` (default all) videos of a fixed-length split: ``(n, T, H, W, C)``."""
        n = len(self) if limit is None else min(limit, len(self))
        if self.ragged:
            raise ValueError(f"{self.path}: videos of different lengths cannot be read as one array; use window()")
        return np.stack([self.video(i, stream) for i in range(n)]) if n else np.empty(
            [0, *self.manifest["streams"][stream]["shape"][1:]], dtype=np.uint8)

    def batches(self, batch_size: int, limit: int | None = None, stream: str = "frames") -> Iterator[np.ndarray]:
        """The first ``limit`` videos of a fixed-length split in order, ``batch_size`` at a time:
        ``(b, T, H, W, C)`` each."""
        n = len(self) if limit is None else min(limit, len(self))
        for start in range(0, n, batch_size):
            yield np.stack([self.video(i, stream) for i in range(start, min(start + batch_size, n))])
