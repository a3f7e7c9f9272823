"""CLEVRER (Yi et al. 2020) videos and ground-truth object masks, as PROVIDE uses them.

Raw (public, CLEVRER website): ``video_train.zip`` and ``video_validation.zip`` (``video_<id>.mp4``,
480x320, 128 frames), ``annotation_validation.zip`` (``annotation_<id>.json``: ``object_property`` and
per-frame ``motion_trajectory`` with ``inside_camera_view``) and the object masks,
``derender_proposals.zip`` (``sim_<id>.json``: per frame, objects with a COCO RLE ``mask`` and their
``color`` / ``material`` / ``shape``).

Protocol (PROVIDE ``src/datasets`` + ``dataset_scripts``; its mask files are a Drive download, so
we generate the masks):
- frames: centre crop 480x320 -> 320x320, Pillow bicubic (anti-aliased) resize to 64x64
  (PROVIDE: ``skimage.rescale(0.2, order=3)``);
- train: every training video, all frames;
- test: the validation videos. A window runs from the first frame where every object is
  ``inside_camera_view`` to the last frame before one leaves; a video is kept if that window has at
  least ``min_window`` (40) frames; its first ``test_length`` frames are stored. Videos with 3-5
  objects form ``test_345``, with 6 objects ``test_6``;
- masks: each proposal mask is decoded from RLE, centre-cropped like the frame and resized with
  nearest neighbour; the object is identified by its (color, material, shape) in the annotation's
  ``object_property``, so ids (``object_id + 1``, 0 = background) are consistent over time. Masks are
  painted in proposal order (a later proposal wins where two overlap); proposals that match no
  annotated object, or match several, are left out and counted in the manifest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from latentvideo.data import coco_rle, image_ops, video_io
from latentvideo.data.parallel import ordered_map
from latentvideo.data.raw_datasets import RawDataset, split_provenance
from latentvideo.data.raw_sources import Member, find_members, iter_read, read_member
from latentvideo.data.shards import ShardWriter

VERSION = "clevrer/1"
VIDEO_ID = re.compile(r"(\d+)\.(?:mp4|json)$")


def _id(member: Member) -> int:
    m = VIDEO_ID.search(member.basename)
    if not m:
        raise ValueError(f"{member.label}: no video id in the name")
    return int(m.group(1))


def _where(member: Member) -> str:
    """Archive file name + member path, lower case: tells train from validation whatever the layout."""
    return f"{member.container.name}/{member.name}".lower()


def _frames(job: tuple[str, bytes, Mapping[str, Any]]) -> np.ndarray:
    label, data, protocol = job
    frames = video_io.decode(data, label, pixel_format="rgb24").frames
    _, h, w, _ = frames.shape
    size = protocol["frame_size"]
    cropped = image_ops.crop(frames, image_ops.center_crop_box(w, h, protocol["crop"], protocol["crop"]))
    return image_ops.resize(cropped, (size, size), "bicubic")


def camera_window(annotation: Mapping[str, Any]) -> tuple[int, int]:
    """(first, end) frames: from the first frame where every object is in view, up to (excluding) the
    first later frame where one is not. (0, 0) when no frame has every object in view."""
    n_objects = len(annotation["object_property"])
    in_view = []
    for frame in sorted(annotation["motion_trajectory"], key=lambda f: f["frame_id"]):
        objs = frame["objects"]
        in_view.append(len(objs) == n_objects and all(o["inside_camera_view"] for o in objs))
    start = next((i for i, ok in enumerate(in_view) if ok), None)
    if start is None:
        return 0, 0
    end = next((i for i in range(start, len(in_view)) if not in_view[i]), len(in_view))
    return start, end


def id_masks(proposals: Mapping[str, Any], annotation: Mapping[str, Any], frames: range,
             protocol: Mapping[str, Any]) -> tuple[np.ndarray, dict[str, int]]:
    """Per-pixel object ids ``(T, size, size, 1)`` uint8 for ``frames`` (0 = background)."""
    ids: dict[tuple[str, str, str], list[int]] = {}
    for obj in annotation["object_property"]:
        ids.setdefault((obj["color"], obj["material"], obj["shape"]), []).append(int(obj["object_id"]) + 1)
    by_index = {int(f["frame_index"]): f for f in proposals["frames"]}
    size, crop = protocol["frame_size"], protocol["crop"]
    out = np.zeros((len(frames), size, size, 1), dtype=np.uint8)
    stats = {"painted": 0, "unmatched": 0, "ambiguous": 0, "frames_without_proposals": 0}
    for t, f in enumerate(frames):
        frame = by_index.get(f)
        if frame is None:
            stats["frames_without_proposals"] += 1
            continue
        canvas = None
        for obj in frame["objects"]:
            match = ids.get((obj.get("color"), obj.get("material"), obj.get("shape")), [])
            if len(match) != 1:
                stats["unmatched" if not match else "ambiguous"] += 1
                continue
            mask = coco_rle.decode(obj["mask"])
            if canvas is None:
                canvas = np.zeros(mask.shape, dtype=np.uint8)
            canvas[mask.astype(bool)] = match[0]
            stats["painted"] += 1
        if canvas is not None:
            h, w = canvas.shape
            c = image_ops.crop(canvas[None, :, :, None], image_ops.center_crop_box(w, h, crop, crop))
            out[t] = image_ops.resize(c, (size, size), "nearest")[0]
    return out, stats


def _train(raw_dir: Path, protocol: Mapping[str, Any], out: Path, workers: int) -> dict[str, Any]:
    members = sorted((m for m in find_members(raw_dir, "video_*.mp4") if "train" in _where(m)), key=_id)
    if protocol["max_train_videos"] is not None:
        members = members[: protocol["max_train_videos"]]
    jobs = ((m.label, data, protocol) for m, data in iter_read(members))
    with ShardWriter(out / "train", split_provenance("clevrer", "train", protocol, VERSION), ragged=True,
                     videos_per_shard=100) as w:
        for m, frames in zip(members, ordered_map(_frames, jobs, workers)):
            w.add({"frames": frames}, {"video_id": _id(m)})
    return {"videos": len(members)}


def preprocess(raw_dir: Path, protocol: Mapping[str, Any], out: Path, workers: int) -> dict[str, Any]:
    summary = {"train": _train(raw_dir, protocol, out, workers)}
    videos = {_id(m): m for m in find_members(raw_dir, "video_*.mp4") if "validation" in _where(m)}
    annotations = {_id(m): m for m in find_members(raw_dir, "annotation_*.json")}
    proposals = {_id(m): m for m in find_members(raw_dir, "sim_*.json")}
    groups: dict[str, list[tuple[int, int]]] = {name: [] for name in protocol["test_groups"]}
    skipped = {"short_window": 0, "object_count": 0, "no_video_or_masks": 0}
    for vid in sorted(annotations):
        annotation = json.loads(read_member(annotations[vid]))
        start, end = camera_window(annotation)
        n = len(annotation["object_property"])
        group = next((g for g, (lo, hi) in protocol["test_groups"].items() if lo <= n <= hi), None)
        if end - start < protocol["min_window"]:
            skipped["short_window"] += 1
        elif group is None:
            skipped["object_count"] += 1
        elif vid not in videos or vid not in proposals:
            skipped["no_video_or_masks"] += 1
        else:
            groups[group].append((vid, start))
    length = protocol["test_length"]
    for group, chosen in groups.items():
        stats: dict[str, int] = {}
        with ShardWriter(out / group, split_provenance("clevrer", group, protocol, VERSION), videos_per_shard=500) as w:
            for vid, start in chosen:
                frames = _frames((videos[vid].label, read_member(videos[vid]), protocol))[start : start + length]
                annotation = json.loads(read_member(annotations[vid]))
                masks, s = id_masks(json.loads(read_member(proposals[vid])), annotation,
                                    range(start, start + length), protocol)
                for k, v in s.items():
                    stats[k] = stats.get(k, 0) + v
                w.add({"frames": frames, "masks": masks},
                      {"video_id": vid, "start": start, "objects": len(annotation["object_property"])})
        summary[group] = {"videos": len(chosen), "mask_stats": stats}
    summary["test_skipped"] = skipped
    return summary


DATASET = RawDataset(
    name="clevrer",
    protocol_version=VERSION,
    required=("video_*.mp4", "annotation_*.json", "sim_*.json"),
    instructions=("CLEVRER is downloaded by the acquisition rule from the CLEVRER website (video_train.zip, "
                  "video_validation.zip, annotation_validation.zip, derender_proposals.zip). To place it by hand, "
                  "put those zips (or their extracted files) in the folder named by raw_data.clevrer.dir."),
    preprocess=preprocess,
    splits=lambda protocol: ["train", *protocol["test_groups"]],
)
