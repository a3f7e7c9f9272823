"""Bouncing Balls with mass (R-NEM, van Steenkiste et al. 2018), as PROVIDE uses them.

Raw: the R-NEM HDF5 files ``balls4mass64.h5`` and ``balls678mass64.h5`` (from the data folder linked in
the R-NEM README; no licence stated). Each has groups ``training`` / ``validation`` / ``test`` (those
present) with ``features`` (T, N, 64, 64, 1) in [0, 1] and ``groups`` (T, N, 64, 64, 1) object ids
(0 = background).

Or generated (``acquisition.kind: generated``): :func:`generate` writes files of the same layout, ``collisions``
included, with the simulator of :mod:`latentvideo.data.balls_physics`, so the same preprocessing reads both.

Protocol (PROVIDE ``dataset_scripts/bb_*.py``): three aligned streams per video:
``frames`` = binary frames (features * 255), ``colour`` = RGB frames painted from ``groups`` with a
fixed palette on black (PROVIDE's colour variant; ``colors: 4`` repeats 4 colours for 6-8 balls as
its ``bb_colored678_4_colors.py``), ``masks`` = per-pixel ground-truth ids. Read in chunks of videos,
so memory stays bounded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from latentvideo.atomic import atomic_path, remove_stale_temporaries, write_json
from latentvideo.data import balls_physics
from latentvideo.data.raw_datasets import RawDataMissingError, RawDataset, split_provenance
from latentvideo.data.raw_sources import CorruptMemberError
from latentvideo.data.shards import ShardWriter

VERSION = "bouncing_balls/1"
GENERATED_STAMP = "generated.json"  # what made the generated files: the generator's version and settings
FIELDS = ("features", "groups", "collisions")
# Eight distinct colours (RGB, uint8). Our palette: PROVIDE's exact values are not in its repository.
PALETTE = np.array([[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200],
                    [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230]], dtype=np.uint8)


def paint(groups: np.ndarray, colors: int) -> np.ndarray:
    """``groups: (..., 1)`` integer ids -> ``(..., 3)`` uint8; id k >= 1 gets palette[(k - 1) % colors]."""
    ids = groups[..., 0].astype(np.int64)
    table = np.concatenate([np.zeros((1, 3), np.uint8), PALETTE[np.arange(max(ids.max(), 1)) % colors]])
    return table[ids]


def _split(path: Path, usage: str, protocol: Mapping[str, Any], out: Path, name: str, colors: int) -> dict[str, Any]:
    chunk = protocol["chunk_videos"]
    try:
        with h5py.File(path, "r") as fh:
            features, groups = fh[usage]["features"], fh[usage]["groups"]
            t, n = features.shape[:2]
            if protocol["max_videos"] is not None:
                n = min(n, protocol["max_videos"])
            with ShardWriter(out, split_provenance("bouncing_balls", name, protocol, VERSION, source=path.name,
                                                   h5_group=usage, colors=colors), videos_per_shard=1000) as w:
                for start in range(0, n, chunk):
                    f = np.asarray(features[:, start : start + chunk])
                    g = np.asarray(groups[:, start : start + chunk])
                    binary = np.clip(np.rint(f * 255), 0, 255).astype(np.uint8)
                    for j in range(f.shape[1]):
                        ids = g[:, j].astype(np.uint8)
                        w.add({"frames": binary[:, j], "colour": paint(ids, colors), "masks": ids})
    except OSError as err:
        raise CorruptMemberError(f"{path}: cannot read HDF5 ({err})") from err
    except KeyError as err:
        raise CorruptMemberError(f"{path}: no HDF5 dataset {usage}/features and {usage}/groups ({err}); is it the "
                                 "R-NEM balls file named by raw_data.bouncing_balls.protocol.splits?") from err
    except (ValueError, TypeError, IndexError) as err:
        raise CorruptMemberError(f"{path}: HDF5 datasets of an unexpected shape or type ({err})") from err
    return {"videos": n, "frames": t, "source": path.name, "group": usage}


def write_rnem_file(path: Path, spec: balls_physics.BallsSpec, groups: Mapping[str, Mapping[str, Any]],
                    chunk_videos: int = 100) -> None:
    """Write an R-NEM-layout HDF5 file atomically: per group (``training`` / ``validation`` / ``test``) datasets
    ``features``, ``groups`` and ``collisions`` of shape ``(T, N, H, W, 1)`` float32 (values 0 / 1, ball ids),
    gzip-compressed; video ``i`` of a group is :func:`balls_physics.video` of ``(seed, i)`` with ``balls``
    (the ball counts to draw from) and ``videos`` = N. Memory: ``chunk_videos`` videos at a time."""
    size, frames = spec.frame_size, spec.frames
    with atomic_path(path, keep_suffix=True) as tmp, h5py.File(tmp, "w") as fh:
        for usage, split in groups.items():
            n = split["videos"]
            shape = (frames, n, size, size, 1)
            out = {f: fh.create_dataset(f"{usage}/{f}", shape=shape, dtype=np.float32, compression="gzip",
                                        chunks=(frames, 1, size, size, 1)) for f in FIELDS}
            for start in range(0, n, chunk_videos):
                stop = min(n, start + chunk_videos)
                rendered = [balls_physics.video(spec, tuple(split["balls"]), split["seed"], i)[1]
                            for i in range(start, stop)]
                for f in FIELDS:
                    out[f][:, start:stop] = np.stack([getattr(r, f) for r in rendered], axis=1)[..., None]


def generate(raw_dir: Path, generator: Mapping[str, Any]) -> None:
    """Make the R-NEM files named under ``generator.files`` in ``raw_dir`` (``acquisition.generator`` of
    ``raw_data.bouncing_balls``). Files already made with the same settings are kept; a file of that name
    that the generator did not make (R-NEM's own, say) is never overwritten."""
    spec = balls_physics.BallsSpec.from_config(generator.get("simulator", {}))
    stamp_path = raw_dir / GENERATED_STAMP
    made = json.loads(json.dumps(  # as the stamp reads back (tuples become lists)
        {"version": balls_physics.GENERATOR_VERSION, "simulator": asdict(spec), "files": generator["files"]}))
    stamp = json.loads(stamp_path.read_text()) if stamp_path.exists() else None
    for name in generator["files"]:
        if (raw_dir / name).exists() and stamp is None:
            raise RawDataMissingError(
                f"{raw_dir / name} exists and was not made by the generator (no {GENERATED_STAMP}): use "
                f"acquisition kind: manual for R-NEM's files, or move it away to generate")
    if stamp == made and all((raw_dir / name).exists() for name in generator["files"]):
        return
    raw_dir.mkdir(parents=True, exist_ok=True)
    write_json(stamp_path, {"incomplete": made})  # ours, but not current until every file is rewritten
    for name, groups in generator["files"].items():
        remove_stale_temporaries(raw_dir, of=name)  # of a generation killed mid-write (one acquire job a dataset)
        write_rnem_file(raw_dir / name, spec, groups)
    write_json(stamp_path, made)


def preprocess(raw_dir: Path, protocol: Mapping[str, Any], out: Path, workers: int) -> dict[str, Any]:
    summary = {}
    for name, spec in protocol["splits"].items():
        path = raw_dir / spec["file"]
        summary[name] = _split(path, spec["group"], protocol, out / name, name, spec["colors"])
    return summary


DATASET = RawDataset(
    name="bouncing_balls",
    protocol_version=VERSION,
    required=("balls4mass64.h5", "balls678mass64.h5"),
    instructions=("Bouncing Balls: download balls4mass64.h5 and balls678mass64.h5 from the data folder linked in "
                  "the R-NEM README (github.com/sjoerdvansteenkiste/Relational-NEM; a shared folder, no stable "
                  "direct link) and put them in the folder named by raw_data.bouncing_balls.dir."),
    preprocess=preprocess,
    generate=generate,
    channels=1,
    stream_channels={"colour": 3},
    splits=lambda protocol: list(protocol["splits"]),
)
