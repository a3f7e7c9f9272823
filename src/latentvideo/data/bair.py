"""BAIR robot pushing (Ebert et al. 2017), as SRVP / SVG use it, read without TensorFlow.

Raw: ``bair_robot_pushing_dataset_v0.tar`` (public, ~30 GB) holding
``softmotion30_44k/{train,test}/traj_<a>_to_<b>.tfrecords``; each record is a ``tf.train.Example``
with 30 frames, feature ``{i}/image_aux1/encoded`` = 64*64*3 raw RGB bytes.

Protocol: train / test as published (43,264 / 256 videos), files in trajectory order, records in file
order; frames stored exactly as the bytes say. SVG's converter rescaled every image to its own
min/max (``scipy.misc.imsave``), a bug we do not copy; SRVP stores the pixels unchanged, as we do.
Test: all 256 test videos from frame 0 (2 conditioning -> 28 predicted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from latentvideo.data.clip_sampling import ClipSampling
from latentvideo.data.raw_datasets import RawDataset, split_provenance
from latentvideo.data.raw_sources import CorruptMemberError, Member, find_members, iter_read
from latentvideo.data.shards import ShardWriter
from latentvideo.data.tfrecord import TFRecordError, iter_records, parse_example

TRAJ = re.compile(r"traj_(\d+)_to_(\d+)\.tfrecords$")
VERSION = "bair/1"


def _split_of(member: Member) -> str | None:
    parts = member.name.split("/")
    return next((p for p in reversed(parts[:-1]) if p in ("train", "test")), None)


def _order(member: Member) -> tuple[int, str]:
    m = TRAJ.search(member.basename)
    return (int(m.group(1)) if m else 1 << 62, member.basename)


def decode_example(payload: bytes, protocol: Mapping[str, Any], label: str) -> np.ndarray:
    """One record -> ``(T, 64, 64, 3)`` uint8 from ``{i}/image_aux1/encoded``."""
    feats = parse_example(payload, label)
    size, frames = protocol["frame_size"], []
    for i in range(protocol["frames"]):
        key = protocol["feature"].format(i=i)
        if key not in feats:
            raise CorruptMemberError(f"{label}: feature {key!r} missing")
        raw = feats[key][0] if len(feats[key]) else b""
        if not isinstance(raw, bytes):
            raise CorruptMemberError(f"{label}: {key} is not a byte string (a {type(raw).__name__})")
        if len(raw) != size * size * 3:
            raise CorruptMemberError(f"{label}: {key} has {len(raw)} bytes, expected {size}*{size}*3")
        frames.append(np.frombuffer(raw, dtype=np.uint8).reshape(size, size, 3))
    return np.stack(frames)


def preprocess(raw_dir: Path, protocol: Mapping[str, Any], out: Path, workers: int) -> dict[str, Any]:
    if protocol["cond_frames"] >= protocol["frames"]:
        raise ValueError("raw_data.bair.protocol: cond_frames must be < frames")
    members = find_members(raw_dir, "*.tfrecords")
    summary = {}
    for split in ("train", "test"):
        chosen = sorted((m for m in members if _split_of(m) == split), key=_order)
        if not chosen:
            raise CorruptMemberError(f"{raw_dir}: no {split}/*.tfrecords found")
        videos = 0
        with ShardWriter(out / split, split_provenance("bair", split, protocol, VERSION), videos_per_shard=2000) as w:
            for member, data in iter_read(chosen):
                try:
                    for k, payload in enumerate(iter_records(data, member.label)):
                        w.add({"frames": decode_example(payload, protocol, f"{member.label} record {k}")},
                              {"file": member.basename, "record": k})
                        videos += 1
                except TFRecordError as err:
                    raise CorruptMemberError(str(err)) from err
        summary[split] = {"files": len(chosen), "videos": videos}
    return summary


DATASET = RawDataset(
    name="bair",
    protocol_version=VERSION,
    required=("*.tfrecords",),
    instructions=("BAIR is downloaded by the acquisition rule (bair_robot_pushing_dataset_v0.tar from the Berkeley "
                  "RAIL site). To place it by hand, put the tar (or its extracted softmotion30_44k folder) in the "
                  "folder named by raw_data.bair.dir."),
    preprocess=preprocess,
    clips=lambda protocol: ClipSampling(order="epochs"),  # a shuffled loader over the videos
    video_length=lambda protocol: protocol["frames"],
)
