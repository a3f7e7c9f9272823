"""The raw datasets of the five papers: acquisition (download or checked manual placement) and the
preprocessing driver that turns raw files into uint8 shards + manifests.

Each dataset module (``kth.py``, ``bair.py`` ...) declares ``DATASET = RawDataset(...)``; this module
finds them. Acquisition writes ``data/raw/<name>.inventory.json`` (every raw file with size and
sha256); preprocessing reads the files the inventory lists and writes ``data/processed/<name>/`` with
one shard directory per split and a top-level ``manifest.json``.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from latentvideo.atomic import atomic_dir, sha256_file, write_json
from latentvideo.data.acquire import ChecksumError, download_first
from latentvideo.data.clip_sampling import ClipSampling
from latentvideo.data.dataset_kinds import StoredLabel
from latentvideo.data.raw_sources import SizeLimits, check_raw_folder, find_members, folder_files

log = logging.getLogger(__name__)

DATASET_MODULES = ("kth", "human36m", "bair", "clevrer", "bouncing_balls", "sprites", "mug", "timit", "fifth_ave")


def every_frame(protocol: Mapping[str, Any]) -> ClipSampling:
    """Training clips of consecutive frames at random starts of random videos (the default)."""
    return ClipSampling()


def ragged(protocol: Mapping[str, Any]) -> int | None:
    """Stored videos of any length (the default)."""
    return None


def unlisted(protocol: Mapping[str, Any]) -> list[str] | None:
    """The split names preprocessing writes are not known before it runs (the default)."""
    return None


class RawDataMissingError(FileNotFoundError):
    """Raw files a dataset needs are not where the configuration says; the message says how to place them."""


@dataclass(frozen=True)
class RawDataset:
    """One raw dataset.

    ``required``: glob patterns (on file basenames, searched in the folder and inside archives) that
    must each match at least once. ``instructions``: how a user obtains and places the files.
    ``preprocess(raw_dir, protocol, out_dir, workers) -> summary`` writes split directories into
    ``out_dir`` (already a temporary directory) and returns a JSON-able summary.

    What a model trained on it sees (kind ``raw_video``, :mod:`latentvideo.data.kinds.raw_video`):
    ``channels`` of the stored frames; ``clips(protocol)``: how training clips are drawn from the ``train``
    split, as the official loader does; ``video_length(protocol)``: the length of every stored video when
    the protocol fixes one (None: ragged); ``test_split``: the split evaluation reads. ``val`` is the
    validation split where preprocessing writes one. ``generate(raw_dir, generator)``: where the dataset can be
    made offline (acquisition kind ``generated``), writes its raw files from ``acquisition.generator``.
    ``stream_channels``: channels of its streams besides ``frames`` (e.g. Bouncing Balls' ``colour``; see
    :meth:`streams`); ``splits(protocol)``: the splits preprocessing writes, where the protocol says.
    ``labels(protocol)``: the factors its stored videos are labelled with (Sprites: four attributes and the
    action), each a :class:`~latentvideo.data.dataset_kinds.StoredLabel`.
    """

    name: str
    protocol_version: str
    required: tuple[str, ...]
    instructions: str
    preprocess: Callable[[Path, Mapping[str, Any], Path, int], dict[str, Any]]
    channels: int = 3
    clips: Callable[[Mapping[str, Any]], ClipSampling] = every_frame
    video_length: Callable[[Mapping[str, Any]], int | None] = ragged
    test_split: str = "test"
    generate: Callable[[Path, Mapping[str, Any]], None] | None = None
    stream_channels: Mapping[str, int] = field(default_factory=dict)
    splits: Callable[[Mapping[str, Any]], list[str] | None] = unlisted
    labels: Callable[[Mapping[str, Any]], dict[str, StoredLabel]] = field(default=lambda protocol: {})

    def streams(self) -> dict[str, int]:
        """``{stream: channels}`` of the stored image streams (``frames`` first)."""
        return {"frames": self.channels, **self.stream_channels}


def registered() -> dict[str, RawDataset]:
    """``name -> RawDataset`` for every dataset module (imported on call, not at import time)."""
    out = {}
    for module in DATASET_MODULES:
        spec = importlib.import_module(f"latentvideo.data.{module}").DATASET
        out[spec.name] = spec
    return out


def declared_dataset(key: str, entry: Mapping[str, Any]) -> str:
    """The dataset module a ``raw_data.<key>`` entry instantiates: its ``dataset`` (a second instance of a
    dataset, e.g. a small generated Bouncing Balls beside the paper's), by default its own key."""
    return entry.get("dataset", key)


def declaration(key: str, entry: Mapping[str, Any]) -> RawDataset:
    """The :class:`RawDataset` of ``raw_data.<key>`` (:func:`declared_dataset`); an error names the declared."""
    declared, name = registered(), declared_dataset(key, entry)
    if name not in declared:
        raise ValueError(f"raw_data.{key}: no dataset module declares {name!r} (declared: {sorted(declared)})")
    return declared[name]


def _inventory(name: str, raw_dir: Path, kind: str, pinned: Mapping[str, str | None]) -> dict[str, Any]:
    files = {}
    for path in (p for p in folder_files(raw_dir) if not p.name.endswith(".part")):
        rel = path.relative_to(raw_dir).as_posix()
        files[rel] = {"size": path.stat().st_size, "sha256": sha256_file(path)}
    return {"dataset": name, "kind": kind, "dir": str(raw_dir), "files": files, "pinned_sha256": dict(pinned)}


def check_placed(spec: RawDataset, raw_dir: Path, config_key: str) -> None:
    """Raise :class:`RawDataMissingError` unless every required pattern is found under ``raw_dir``."""
    if not raw_dir.is_dir() or not any(raw_dir.iterdir()):
        raise RawDataMissingError(f"{spec.name}: no raw files in {raw_dir} (config key {config_key}.dir).\n"
                                  f"{spec.instructions}")
    missing = [pat for pat in spec.required if not find_members(raw_dir, pat)]
    if missing:
        raise RawDataMissingError(f"{spec.name}: {raw_dir} has no file matching {missing} (searched the folder and "
                                  f"the archives in it).\n{spec.instructions}")


def acquire(name: str, entry: Mapping[str, Any], out: str | Path, allow_unpinned: bool = False) -> dict[str, Any]:
    """Download (with resume and sha256), generate, or check the manual placement of dataset ``name``; write the
    inventory.

    ``entry`` is ``raw_data.<name>`` of the configuration. A file without a pinned sha256 is refused unless
    ``allow_unpinned`` (or ``acquisition.allow_unpinned: true`` in the entry) says to accept the first download;
    its sum is then printed so it can be pinned, and recorded in the inventory. Every archive and file is then
    opened once with the entry's size limits and link rules (:mod:`latentvideo.data.raw_sources`).
    """
    spec = declaration(name, entry)
    key = f"raw_data.{name}"
    kind = entry["acquisition"]["kind"]
    raw_dir = Path(entry["dir"])
    pinned: dict[str, str | None] = {}
    if kind == "download":
        allow = allow_unpinned or entry["acquisition"].get("allow_unpinned", False)
        unpinned = [f for f, source in entry["acquisition"]["files"].items()
                    if source.get("sha256") is None and not (raw_dir / f).exists()]
        if unpinned and not allow:
            raise ChecksumError(
                f"{name}: no sha256 pinned for {unpinned} (config {key}.acquisition.files.<file>.sha256), so a "
                f"download could not be verified. Pin the sums if you know them, or accept the first download with "
                f"`{key}.acquisition.allow_unpinned: true` (or `latentvideo acquire --allow-unpinned`): its sum is "
                f"then printed and recorded in the inventory for pinning")
        for fname, source in entry["acquisition"]["files"].items():
            pinned[fname] = source.get("sha256")
            _download_one(fname, source["urls"], raw_dir / fname, source.get("sha256"), f"{key}.acquisition.files")
    elif kind == "substitute":
        _copy_substitute(entry["acquisition"]["substitute"], raw_dir)
    elif kind == "generated":
        if spec.generate is None:
            raise RawDataMissingError(f"{key}.acquisition.kind: generated, but {name} has no generator; "
                                      f"use download or manual")
        spec.generate(raw_dir, entry["acquisition"]["generator"])
    check_placed(spec, raw_dir, key)
    check_raw_folder(raw_dir, SizeLimits.from_config(entry.get("limits")))
    inv = _inventory(name, raw_dir, kind, pinned)
    for fname, sha in pinned.items():
        if sha is not None and inv["files"].get(fname, {}).get("sha256") != sha:
            raise ChecksumError(f"{raw_dir / fname}: sha256 mismatch: expected {sha}, "
                                f"got {inv['files'].get(fname, {}).get('sha256')}")
    write_json(out, inv)
    return inv


def _download_one(fname: str, urls: list[str], dest: Path, sha256: str | None, key: str) -> None:
    if dest.exists() and sha256 is None:
        return
    download_first(urls, dest, sha256)
    if sha256 is None:
        print(f"{dest}: no sha256 pinned under {key}.{fname}.sha256; downloaded file has "
              f"sha256 {sha256_file(dest)} (pin it to verify future downloads)")


def _copy_substitute(spec: Mapping[str, Any], raw_dir: Path) -> None:
    """Copy a file that ships inside an installed package (located without importing it) into ``raw_dir``."""
    import importlib.util

    from latentvideo.atomic import atomic_path

    found = importlib.util.find_spec(spec["package"])
    if found is None or found.origin is None:
        raise RawDataMissingError(f"the substitute needs the package {spec['package']!r} "
                                  f"(pip install {spec['distribution']})")
    source = Path(found.origin).parent / spec["path"]
    if not source.is_file():
        raise RawDataMissingError(f"{source}: not found in the installed {spec['package']}")
    for stale in (p for p in raw_dir.glob("*") if p.is_file() and p.name != source.name):
        raise RawDataMissingError(f"{raw_dir} holds {stale.name} besides the substitute; use kind: manual for your "
                                  "own videos or empty the folder")
    with atomic_path(raw_dir / source.name) as tmp:
        tmp.write_bytes(source.read_bytes())


def preprocess(name: str, entry: Mapping[str, Any], inventory: str | Path, out: str | Path,
               workers: int = 1) -> dict[str, Any]:
    """Run dataset ``name``'s preprocessing on the files listed by ``inventory``; write ``out`` atomically."""
    from latentvideo import provenance

    spec = declaration(name, entry)
    inv = json.loads(Path(inventory).read_text())
    raw_dir = Path(inv["dir"])
    check_placed(spec, raw_dir, f"raw_data.{name}")
    _check_unchanged(inv, raw_dir)
    check_raw_folder(raw_dir, SizeLimits.from_config(entry.get("limits")))
    start = time.perf_counter()
    with atomic_dir(out) as tmp:
        protocol = {**entry["protocol"], "raw_kind": inv["kind"]}
        summary = spec.preprocess(raw_dir, protocol, tmp, max(1, workers))
        manifest = {
            "dataset": name,
            "protocol_version": spec.protocol_version,
            "protocol": protocol,
            "acquisition": inv["kind"],
            "raw_inventory_sha256": sha256_file(inventory),
            "raw_files": {k: v["sha256"] for k, v in inv["files"].items()},
            "splits": summary,
            "seconds": round(time.perf_counter() - start, 2),
            "workers": workers,
            **provenance.collect(),
        }
        write_json(tmp / "manifest.json", manifest)
    return manifest


def _check_unchanged(inv: Mapping[str, Any], raw_dir: Path) -> None:
    """Raw files must still have the size the inventory recorded (cheap; the sha256 is checked on acquire)."""
    for rel, meta in inv["files"].items():
        path = raw_dir / rel
        if not path.is_file() or path.stat().st_size != meta["size"]:
            raise ChecksumError(f"{path}: changed since acquisition (inventory size {meta['size']}, now "
                                f"{path.stat().st_size if path.is_file() else 'missing'}); re-run the acquisition")


def split_provenance(name: str, split: str, protocol: Mapping[str, Any], version: str, **extra: Any) -> dict[str, Any]:
    """The provenance block every split's shard manifest carries."""
    return {"dataset": name, "split": split, "protocol_version": version, "protocol": dict(protocol), **extra}
