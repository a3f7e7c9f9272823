"""Human3.6M (Ionescu et al. 2014) videos, as SRVP uses them.

Raw: licensed; register and download the per-subject video archives from the Human3.6M site by hand
(``S1/Videos/<Action> <k>.<camera>.mp4`` once extracted; the ``.tgz`` archives may be placed as they are).

Protocol (SRVP ``preprocessing/human`` + ``data/human.py``):
- subjects 1, 5, 6, 7, 8 train, 9 and 11 test; videos whose name starts with ``_ALL`` are skipped;
- each frame: crop the box (100, 100, 900, 900) (1000x1000 -> 800x800), then Lanczos resize to 64x64
  (Pillow, RGB);
- 50 Hz -> 6.25 Hz: one frame in 8. Training videos are stored at the full 50 Hz so that a loader can
  draw windows at any of the 8 phases, as SRVP's loader does (``subsampling`` is recorded in the
  manifest); the test set is 1000 windows of 53 subsampled frames (a raw span of 52*8+1 = 417
  frames; 8 conditioning -> 45 predicted), seed 42.
- validation (our decision; SRVP selects ``model_best`` on a validation set it does not document):
  a seeded 5% of the training videos.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from latentvideo.data import image_ops, video_io
from latentvideo.data.parallel import ordered_map
from latentvideo.data.clip_sampling import ClipSampling
from latentvideo.data.raw_datasets import RawDataset, split_provenance
from latentvideo.data.raw_sources import Member, find_members, iter_read
from latentvideo.data.shards import ShardWriter, StoredSplit
from latentvideo.data.splits import draw_windows, holdout

SUBJECT = re.compile(r"(?:^|/)S(\d+)/", re.IGNORECASE)
VERSION = "human36m/1"


def subject_of(member: Member) -> int:
    m = SUBJECT.search("/" + member.name)
    if not m:
        raise ValueError(f"{member.label}: cannot tell the subject (expected a path like S9/Videos/<name>.mp4)")
    return int(m.group(1))


def _decode(job: tuple[str, bytes, Mapping[str, Any]]) -> np.ndarray:
    label, data, protocol = job
    frames = video_io.decode(data, label, pixel_format="rgb24").frames
    size = protocol["frame_size"]
    return image_ops.resize(image_ops.crop(frames, tuple(protocol["crop_box"])), (size, size), "lanczos")


def _videos(raw_dir: Path, subjects: list[int]) -> list[Member]:
    found = [m for m in find_members(raw_dir, "*.mp4") if not m.basename.startswith("_")]
    return sorted((m for m in found if subject_of(m) in subjects), key=lambda m: (subject_of(m), m.basename))


def _write(members: list[Member], out: Path, split: str, protocol: Mapping[str, Any], workers: int) -> int:
    frames = 0
    jobs = ((m.label, data, protocol) for m, data in iter_read(members))
    with ShardWriter(out, split_provenance("human36m", split, protocol, VERSION, rate_hz=50,
                                           subsampling=protocol["subsampling"]), ragged=True, videos_per_shard=20) as w:
        for m, video in zip(members, ordered_map(_decode, jobs, workers)):
            w.add({"frames": video}, {"subject": subject_of(m), "name": m.name})
            frames += len(video)
    return frames


def preprocess(raw_dir: Path, protocol: Mapping[str, Any], out: Path, workers: int) -> dict[str, Any]:
    train = _videos(raw_dir, protocol["train_subjects"])
    test = _videos(raw_dir, protocol["test_subjects"])
    keep, val = holdout(len(train), protocol["val_fraction"], protocol["split_seed"])
    summary = {}
    for split, members in (("train", [train[i] for i in keep]), ("val", [train[i] for i in val]),
                           ("test_videos", test)):
        if split == "val" and not members:
            continue  # val_fraction 0: no validation split
        summary[split] = {"videos": len(members), "frames_50hz": _write(members, out / split, split, protocol, workers)}
    videos = StoredSplit(out / "test_videos")
    step, length = protocol["subsampling"], protocol["test_length"]
    span = (length - 1) * step + 1
    windows = draw_windows(videos.lengths, protocol["test_windows"], span, protocol["test_seed"])
    subjects, names = videos.label("subject"), videos.label("name")
    with ShardWriter(out / "test", split_provenance("human36m", "test", protocol, VERSION,
                                                    conditioning=protocol["cond_frames"])) as w:
        for v, start in windows:
            w.add({"frames": videos.video(v)[start : start + span : step]},
                  {"subject": int(subjects[v]), "start": start, "name": str(names[v])})
    summary["test"] = {"windows": len(windows), "length": length, "raw_span": span}
    return summary


DATASET = RawDataset(
    name="human36m",
    protocol_version=VERSION,
    required=("*.mp4",),
    instructions=("Human3.6M is licensed: request access on the Human3.6M website, download the 'Videos' archive "
                  "of subjects S1, S5, S6, S7, S8, S9 and S11, and put the archives (or their extracted "
                  "S<k>/Videos/*.mp4 folders) in the folder named by raw_data.human36m.dir. Nothing is downloaded "
                  "for you."),
    preprocess=preprocess,
    clips=lambda protocol: ClipSampling(step=protocol["subsampling"]),  # any phase of the 50 Hz video
)
