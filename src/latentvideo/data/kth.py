"""KTH human actions (Schuldt et al. 2004), as SRVP / SVG use it.

Raw: the six per-action zips of AVIs (``person01_boxing_d1_uncomp.avi``: 160x120 grey, 25 fps) from
the KTH page. Licence: free for research use, citation required (see the KTH page).

Protocol (SRVP ``preprocessing/kth`` + ``data/kth.py``; SVG's preprocessed archive is dead):
- every video decoded at 25 fps and scaled to 64x64 by FFmpeg's bicubic scaler (what ``ffmpeg -r 25
  -s 64x64`` did), channel 0 of RGB kept (grey);
- persons 1-20: training videos, with a seeded 95/5 train/validation split of videos;
- persons 21-25: test; the test set is 1000 windows of 40 frames (10 conditioning -> 30 predicted),
  each draw a random (action, person, trial) video and start frame with seed 42.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from latentvideo.data import image_ops, video_io
from latentvideo.data.parallel import ordered_map
from latentvideo.data.raw_datasets import RawDataset, split_provenance
from latentvideo.data.raw_sources import Member, find_members, iter_read
from latentvideo.data.shards import ShardWriter
from latentvideo.data.splits import draw_windows, holdout

ACTIONS = ("boxing", "handclapping", "handwaving", "jogging", "running", "walking")
NAME = re.compile(r"person(\d+)_([a-z]+)_d(\d)_uncomp\.avi$", re.IGNORECASE)
VERSION = "kth/1"


def parse_name(name: str) -> tuple[int, str, int]:
    """``person07_running_d3_uncomp.avi`` -> (7, 'running', 3)."""
    m = NAME.search(name)
    if not m or m.group(2).lower() not in ACTIONS:
        raise ValueError(f"{name}: not a KTH video name (personNN_<action>_dK_uncomp.avi)")
    return int(m.group(1)), m.group(2).lower(), int(m.group(3))


def _decode(job: tuple[str, bytes, Mapping[str, Any]]) -> np.ndarray:
    label, data, protocol = job
    size = protocol["frame_size"]
    frames = video_io.decode_at_fps(data, label, protocol["fps"], size=(size, size), interpolation="BICUBIC")
    return image_ops.to_grey(frames, "first_channel")


def _videos(raw_dir: Path) -> list[Member]:
    return sorted(find_members(raw_dir, "person*_*_d*_uncomp.avi"), key=lambda m: m.basename)


def preprocess(raw_dir: Path, protocol: Mapping[str, Any], out: Path, workers: int) -> dict[str, Any]:
    members = _videos(raw_dir)
    lo, hi = protocol["train_persons"]
    tlo, thi = protocol["test_persons"]
    train = [m for m in members if lo <= parse_name(m.basename)[0] <= hi]
    test = [m for m in members if tlo <= parse_name(m.basename)[0] <= thi]
    keep, val = holdout(len(train), protocol["val_fraction"], protocol["split_seed"])
    summary = {}
    jobs = ((m.label, data, protocol) for m, data in iter_read(train))
    decoded = dict(zip((m.basename for m in train), ordered_map(_decode, jobs, workers)))
    for split, idx in (("train", keep), ("val", val)):
        if not len(idx):
            continue  # val_fraction 0 (or a single training video): no validation split
        with ShardWriter(out / split, split_provenance("kth", split, protocol, VERSION), ragged=True,
                         videos_per_shard=200) as w:
            for i in idx:
                person, action, trial = parse_name(train[i].basename)
                w.add({"frames": decoded[train[i].basename]},
                      {"person": person, "action": ACTIONS.index(action), "trial": trial, "name": train[i].basename})
        summary[split] = {"videos": len(idx), "frames": int(sum(len(decoded[train[i].basename]) for i in idx))}
    del decoded
    jobs = ((m.label, data, protocol) for m, data in iter_read(test))
    test_videos = list(ordered_map(_decode, jobs, workers))
    span = protocol["test_length"]
    windows = draw_windows(np.array([len(v) for v in test_videos]), protocol["test_windows"], span,
                           protocol["test_seed"])
    with ShardWriter(out / "test", split_provenance("kth", "test", protocol, VERSION,
                                                    conditioning=protocol["cond_frames"])) as w:
        for v, start in windows:
            person, action, trial = parse_name(test[v].basename)
            w.add({"frames": test_videos[v][start : start + span]},
                  {"person": person, "action": ACTIONS.index(action), "trial": trial, "start": start,
                   "name": test[v].basename})
    summary["test"] = {"windows": len(windows), "length": span, "source_videos": len(test)}
    return summary


DATASET = RawDataset(
    name="kth",
    protocol_version=VERSION,
    required=("person*_*_d*_uncomp.avi",),
    instructions=("KTH is downloaded by the acquisition rule from the KTH actions page (six zips: boxing, "
                  "handclapping, handwaving, jogging, running, walking). To place it by hand, put the zips (or the "
                  "extracted personNN_<action>_dK_uncomp.avi files) in the folder named by raw_data.kth.dir."),
    preprocess=preprocess,
    channels=1,  # grey: channel 0 of the decoded RGB, as SRVP
)
