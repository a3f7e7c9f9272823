"""Small fixtures written in each dataset's *raw* format (zip of AVIs, tar of TFRecords, mp4 + JSON,
HDF5, sprite sheets, JPEG sequences, SPHERE / RIFF audio), for the data-layer tests."""

from __future__ import annotations

import io
import json
import tarfile
import wave
import zipfile
from pathlib import Path

import h5py
import numpy as np
from PIL import Image

from latentvideo.data import coco_rle, tfrecord, video_io
from weight_fixtures import i3d_file, lpips_files


def moving_bar(t: int, h: int, w: int, seed: int) -> np.ndarray:
    """``(t, h, w, 3)`` uint8: a bright vertical bar moving right on a dark ramp (codec-friendly)."""
    rng = np.random.default_rng(seed)
    base = np.tile(np.linspace(20, 90, w, dtype=np.float32)[None, :], (h, 1))
    frames = np.empty((t, h, w, 3), np.uint8)
    x0 = int(rng.integers(0, w // 4))
    for k in range(t):
        img = base.copy()
        x = (x0 + 3 * k) % (w - w // 8)
        img[:, x : x + w // 8] = 230
        frames[k] = img[..., None].astype(np.uint8)
    return frames


def kth(raw: Path, persons=(1, 2, 21, 22), actions=("boxing", "walking"), frames: int = 45) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    for action in actions:
        with zipfile.ZipFile(raw / f"{action}.zip", "w") as zf:
            for p in persons:
                video = video_io.encode(moving_bar(frames, 120, 160, p), 25, "avi", "mpeg4")
                zf.writestr(f"person{p:02d}_{action}_d1_uncomp.avi", video)


def human36m(raw: Path, frames: int = 40) -> None:
    """Five 128x128 50 fps videos of ``frames`` frames: S1 (one of them an ``_ALL`` video), S5, S9, S11."""
    raw.mkdir(parents=True, exist_ok=True)
    with tarfile.open(raw / "Videos.tgz", "w:gz") as tf:
        for subject, names in ((1, ["Walking 1.54138969.mp4", "_ALL 1.54138969.mp4"]), (5, ["Eating.55011271.mp4"]),
                               (9, ["Walking.54138969.mp4"]), (11, ["Sitting.54138969.mp4"])):
            for k, name in enumerate(names):
                data = video_io.encode(moving_bar(frames, 128, 128, subject + k), 50, "mp4", "mpeg4")
                info = tarfile.TarInfo(f"S{subject}/Videos/{name}")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))


def bair_example(rng: np.random.Generator, frames: int = 30) -> tuple[bytes, np.ndarray]:
    video = rng.integers(0, 256, (frames, 64, 64, 3), dtype=np.uint8)
    feats = {f"{i}/image_aux1/encoded": video[i].tobytes() for i in range(frames)}
    feats.update({f"{i}/image_main/encoded": video[i, ::-1].tobytes() for i in range(frames)})
    return tfrecord.bytes_example(feats), video


def bair(raw: Path) -> dict[str, list[np.ndarray]]:
    """``bair_robot_pushing_dataset_v0.tar`` with 2 train files (3 + 2 videos) and 1 test file (2 videos)."""
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    truth: dict[str, list[np.ndarray]] = {"train": [], "test": []}
    files = {"train/traj_256_to_257.tfrecords": 2, "train/traj_0_to_2.tfrecords": 3, "test/traj_0_to_1.tfrecords": 2}
    payloads = {}
    for name, n in files.items():
        examples = [bair_example(rng) for _ in range(n)]
        payloads[name] = (tfrecord.write_records([e for e, _ in examples]), [v for _, v in examples])
    for name in sorted(payloads, key=lambda s: (s.split("/")[0], int(s.split("_")[1]))):
        truth[name.split("/")[0]] += payloads[name][1]
    with tarfile.open(raw / "bair_robot_pushing_dataset_v0.tar", "w") as tf:
        for name, (data, _) in payloads.items():
            info = tarfile.TarInfo(f"softmotion30_44k/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return truth


CLEVRER_OBJECTS = [("red", "metal", "cube"), ("blue", "rubber", "sphere"), ("green", "metal", "cylinder"),
                   ("yellow", "rubber", "cube"), ("purple", "metal", "sphere"), ("cyan", "rubber", "cylinder")]


def clevrer(raw: Path, frames: int = 50, six_objects: bool = False) -> dict:
    """One training video, two validation videos of 3 objects (one leaves the view early), annotations and RLE
    masks; ``six_objects`` adds a third validation video with 6 objects (CLEVRER's 6-object test group)."""
    raw.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(raw / "video_train.zip", "w") as zf:
        zf.writestr("video_00000-01000/video_00000.mp4", video_io.encode(moving_bar(frames, 320, 480, 0), 25, "mp4"))
    videos = [(10000, None, 3), (10001, 20, 3), *([(10002, None, 6)] if six_objects else [])]
    with zipfile.ZipFile(raw / "video_validation.zip", "w") as zv, \
            zipfile.ZipFile(raw / "annotation_validation.zip", "w") as za, \
            zipfile.ZipFile(raw / "derender_proposals.zip", "w") as zp:
        for vid, leave, n in videos:
            zv.writestr(f"video_10000-11000/video_{vid}.mp4", video_io.encode(moving_bar(frames, 320, 480, vid), 25, "mp4"))
            trajectory = []
            for f in range(frames):
                objs = [{"object_id": i, "location": [0, 0, 0], "inside_camera_view": not (leave and f >= leave and i == 0)}
                        for i in range(n)]
                trajectory.append({"frame_id": f, "objects": objs})
            annotation = {"scene_index": vid, "object_property": [
                {"object_id": i, "color": c, "material": m, "shape": s} for i, (c, m, s) in enumerate(CLEVRER_OBJECTS[:n])],
                "motion_trajectory": trajectory}
            za.writestr(f"annotation_10000-11000/annotation_{vid}.json", json.dumps(annotation))
            proposal_frames = []
            for f in range(frames):
                objects = []
                # Listed in reverse object order to show ids come from attributes, not list position.
                for i in reversed(range(n)):
                    mask = np.zeros((320, 480), np.uint8)
                    if n == 3:
                        x = 80 + 100 * i + f
                        mask[100:200, x : x + 50] = 1
                    else:  # two rows of three
                        x, y = 80 + 100 * (i % 3) + f, 60 + 120 * (i // 3)
                        mask[y : y + 80, x : x + 50] = 1
                    c, m, s = CLEVRER_OBJECTS[i]
                    objects.append({"mask": coco_rle.encode(mask), "color": c, "material": m, "shape": s, "score": 0.9})
                objects.append({"mask": coco_rle.encode(np.ones((320, 480), np.uint8) * 0), "color": "gray",
                                "material": "rubber", "shape": "cube"})  # a spurious proposal: unmatched
                proposal_frames.append({"frame_index": f, "objects": objects})
            zp.writestr(f"derender_proposals/sim_{vid:05d}.json", json.dumps({"frames": proposal_frames}))
    return {"frames": frames}


def bouncing_balls(raw: Path, t: int = 6, n: int = 5) -> dict[str, np.ndarray]:
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    truth = {}
    for name, balls in (("balls4mass64.h5", 4), ("balls678mass64.h5", 7)):
        with h5py.File(raw / name, "w") as fh:
            for usage in ("training", "test"):
                groups = rng.integers(0, balls + 1, (t, n, 64, 64, 1)).astype(np.float32)
                features = (groups > 0).astype(np.float32)
                fh.create_dataset(f"{usage}/features", data=features)
                fh.create_dataset(f"{usage}/groups", data=groups)
                truth[f"{name}/{usage}"] = groups
    return truth


def sprite_sheet(layer: str, k: int) -> Image.Image:
    """An LPC-shaped sheet (13 x 21 cells of 64 px). Body: every cell opaque, colour = (row, col, k)
    encoded; hair option 1: an opaque 8x8 white square in each cell; other layers transparent."""
    sheet = np.zeros((21 * 64, 13 * 64, 4), np.uint8)
    if layer == "body":
        for r in range(21):
            for c in range(13):
                sheet[r * 64 : (r + 1) * 64, c * 64 : (c + 1) * 64] = (r * 10, c * 10, 100 + k, 255)
    if layer == "hair" and k == 1:
        for r in range(21):
            for c in range(13):
                sheet[r * 64 : r * 64 + 8, c * 64 : c * 64 + 8] = (255, 255, 255, 255)
    return Image.fromarray(sheet, "RGBA")


def sprites(raw: Path, options: int = 2, commit: str = "abc") -> Path:
    raw.mkdir(parents=True, exist_ok=True)
    path = raw / f"Sprites-{commit}.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for layer in ("body", "bottomwear", "topwear", "hair"):
            for k in range(options):
                buf = io.BytesIO()
                sprite_sheet(layer, k).save(buf, "PNG")
                zf.writestr(f"Sprites-{commit}/{layer}/{k}.png", buf.getvalue())
        buf = io.BytesIO()
        sprite_sheet("shoes", 1).save(buf, "PNG")
        zf.writestr(f"Sprites-{commit}/shoes/1.png", buf.getvalue())
    return path


def mug(raw: Path, takes: int = 5, frames: int = 24) -> None:
    for k in range(takes):
        expression = ("anger", "happiness", "surprise")[k % 3]
        folder = raw / f"{k:03d}" / expression / "take000"
        folder.mkdir(parents=True)
        for f, img in enumerate(moving_bar(frames, 96, 96, k)):
            Image.fromarray(img).save(folder / f"img_{f:04d}.jpg", quality=95)
    (raw / "001" / "neutral" / "take000").mkdir(parents=True)  # not one of the six: ignored


def sphere(samples: np.ndarray, rate: int = 16000) -> bytes:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    header = (f"NIST_1A\n   1024\nsample_count -i {len(samples)}\nsample_rate -i {rate}\nchannel_count -i 1\n"
              f"sample_n_bytes -i 2\nsample_byte_format -s2 01\nsample_coding -s3 pcm\nend_head\n").encode()
    return header.ljust(1024, b" ") + pcm


def riff(samples: np.ndarray, rate: int = 16000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def tone(freq: float, seconds: float, rate: int = 16000) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


def timit(raw: Path, speakers: int = 0) -> None:
    """Two TRAIN utterances of one speaker (a 1 and a 2 kHz tone, SPHERE and RIFF) and one TEST utterance; with
    ``speakers``, that many more speakers in each split, two utterances each (0.5 s: two segments), every speaker
    a voice of its own (harmonics of a fundamental of its own) saying two "sentences" (tone glides)."""
    for split, region, speaker, utt, freq, fmt in (("TRAIN", "DR1", "FCJF0", "SA1", 1000.0, sphere),
                                                   ("TRAIN", "DR1", "FCJF0", "SX5", 2000.0, riff),
                                                   ("TEST", "DR2", "MABC0", "SI7", 1000.0, sphere)):
        folder = raw / "TIMIT" / split / region / speaker
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{utt}.WAV").write_bytes(fmt(tone(freq, 0.5)))
    t = np.arange(8000) / 16000
    for split in ("TRAIN", "TEST"):
        for k in range(speakers):
            folder = raw / "TIMIT" / split / "DR3" / f"M{split[:2]}{k}0"
            folder.mkdir(parents=True, exist_ok=True)
            pitch = 120.0 + 60.0 * k
            for u, glide in enumerate((1.0, -1.0)):
                voice = sum(np.sin(2 * np.pi * h * pitch * t * (1 + 0.2 * glide * t)) / h for h in range(1, 6))
                (folder / f"SX{u + 1}.WAV").write_bytes(riff(0.15 * voice))


def unsafe_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ok/person01_boxing_d1_uncomp.avi", b"x")
        zf.writestr("../escape/person02_boxing_d1_uncomp.avi", b"x")


def write_sum(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def real_video_checkout(checkout: Path) -> None:
    """Make a checkout run SRVP / SVG on real video, PROVIDE on CLEVRER and R-WAE on Sprites, MUG and TIMIT from
    raw-format fixtures: KTH (zips of AVIs), Human3.6M (a tgz of mp4), BAIR (a tar of TFRecords), CLEVRER (zips of
    mp4 and JSON), Sprites (a zip of sprite sheets, 2 options per layer: 12 training and 4 test characters), MUG
    (folders of JPEG takes) and TIMIT (SPHERE and RIFF utterances of 5 speakers per split) placed in their raw
    folders and enabled (placed by hand, so nothing downloads), small test splits, Human3.6M subsampled by 2
    instead of 8 (its fixture videos are short) and cropped to fit their 128x128 frames, and LPIPS / I3D weight
    files of the right formats at the paths config ``metric_weights`` names."""
    import yaml

    raw = checkout / "data" / "raw"
    kth(raw / "kth")
    human36m(raw / "human36m", frames=110)  # a 53-frame test window one frame in 2 spans 105 frames
    bair(raw / "bair")
    clevrer(raw / "clevrer", six_objects=True)
    sprites(raw / "sprites", options=2)
    mug(raw / "mug", takes=10)
    timit(raw / "timit", speakers=4)
    cfg_path = checkout / "config" / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    weights = {name: checkout / entry["path"] for name, entry in cfg["metric_weights"].items()}
    weights["i3d"].parent.mkdir(parents=True, exist_ok=True)
    lpips_files(weights["lpips_alexnet"].parent, weights["lpips_alexnet"].name, weights["lpips_linear"].name)
    i3d_file(weights["i3d"].parent, weights["i3d"].name)
    for name, protocol in (("kth", {"test_windows": 4}), ("human36m", {"test_windows": 4, "subsampling": 2, "crop_box": [14, 14, 114, 114]}),
                           ("bair", {}), ("clevrer", {}), ("sprites", {"options": 2, "train_characters": 12}),
                           ("mug", {}), ("timit", {})):
        entry = cfg["raw_data"][name]
        entry.update(enabled=True, acquisition={"kind": "manual"})
        entry["protocol"].update(protocol)
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True, width=120))
